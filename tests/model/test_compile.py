"""Compiled transition tables (DESIGN §3.3), arrivals split and money tables (§3.4)."""

from __future__ import annotations

import numpy as np
import pytest

from balanskonto import ConfigError
from balanskonto.config import STATES
from balanskonto.model import compile_model
from balanskonto.model.codes import PART_CALENDAR_YEAR, RELOCATED
from balanskonto.model.plan import largest_remainder, spread_over_months

from conftest import make_config

INTRO, PROLONGED, SELF, SUPPORT = (STATES.index(s) for s in STATES[:4])


def state_flows(model, g: int, s: int, months: int) -> tuple[np.ndarray, np.ndarray]:
    """Forward propagation of a unit entering state s: exits by destination per month
    ``[months, S]`` and the share still there after each month ``[months]``."""
    out = np.zeros((months, len(STATES)))
    alive_after = np.zeros(months)
    alive = 1.0
    D = model.stay.shape[2]
    for d in range(1, months + 1):
        row = min(d, D) - 1
        out[d - 1] = alive * model.move[g, s, row]
        alive *= model.stay[g, s, row]
        alive_after[d - 1] = alive
    return out, alive_after


def test_sodertalje_intro_reproduces_every_share_target(sodertalje):
    model = compile_model(sodertalje)
    flows, alive = state_flows(model, 0, INTRO, 18)
    cum = flows.cumsum(axis=0)
    # 10 % to self-sufficiency after exactly 3 months, 50 % more after 18
    assert flows[2, SELF] == pytest.approx(0.10, abs=1e-12)
    assert cum[17, SELF] == pytest.approx(0.60, abs=1e-12)
    assert np.all(flows[np.r_[0:2, 3:17], SELF] == 0.0)
    # 10 % relocated, spread evenly over months 1..12 (mass 0.10 / 12 each)
    np.testing.assert_allclose(flows[:12, RELOCATED], 0.10 / 12, atol=1e-12)
    assert np.all(flows[12:, RELOCATED] == 0.0)
    # expiry at 18 months: the remaining 30 % split half and half
    assert cum[17, PROLONGED] == pytest.approx(0.15, abs=1e-12)
    assert cum[17, SUPPORT] == pytest.approx(0.15, abs=1e-12)
    assert alive[17] == 0.0


def test_share_targets_hold_with_a_competing_hazard():
    """Shares are unconditional: a relocation hazard competing from month 1 does not change
    the cumulative share of a timed exit (the conditional q absorbs it)."""
    groups = {
        "adult": {
            "start": "intro",
            "relocation": {"annual_probability": 0.2},
            "states": {
                "intro": {
                    "exits": [
                        {"to": "self_sufficient", "share": 0.2, "at_month": 3},
                        {"to": "income_support", "share": 0.3, "within_months": 7},
                        {"to": "self_sufficient", "share": 0.25, "at_month": 11},
                    ]
                }
            },
        }
    }
    model = compile_model(make_config(groups))
    flows, alive = state_flows(model, 0, INTRO, 40)
    assert flows[2, SELF] == pytest.approx(0.2, abs=1e-12)
    assert flows[10, SELF] == pytest.approx(0.25, abs=1e-12)
    np.testing.assert_allclose(flows[:7, SUPPORT], 0.3 / 7, atol=1e-12)
    assert flows[7:, SUPPORT].sum() == 0.0
    # mass is conserved, and the hazard takes part of whoever the shares leave behind
    assert flows.sum() + alive[-1] == pytest.approx(1.0, abs=1e-12)
    h = 1 - 0.8 ** (1 / 12)
    assert flows[0, RELOCATED] == pytest.approx(h, abs=1e-15)
    assert 0 < flows[:, RELOCATED].sum() < 0.25


@pytest.mark.parametrize("p", [0.05, 0.3, 0.9])
@pytest.mark.parametrize("m", [1, 6, 12, 24, 37])
def test_hazard_exit_gives_one_minus_survival_after_m_months(p, m):
    groups = {
        "g": {
            "start": "income_support",
            "states": {
                "income_support": {"exits": [{"to": "self_sufficient", "annual_probability": p}]}
            },
        }
    }
    model = compile_model(make_config(groups))
    flows, alive = state_flows(model, 0, SUPPORT, m)
    assert flows[:, SELF].sum() == pytest.approx(1 - (1 - p) ** (m / 12), abs=1e-12)
    assert alive[-1] == pytest.approx((1 - p) ** (m / 12), abs=1e-12)


def test_oversubscribed_exits_are_rejected_naming_group_state_and_month():
    groups = {
        "adult": {
            "start": "intro",
            "states": {
                "intro": {
                    "exits": [
                        {"to": "relocated", "share": 0.3, "within_months": 10},
                        {"to": "self_sufficient", "share": 0.6, "at_month": 4},
                    ]
                }
            },
        }
    }
    # after 3 months 0.09 has left and 0.91 remains: 0.03 + 0.6 fits; 0.03 + 0.95 does not
    compile_model(make_config(groups))
    groups["adult"]["states"]["intro"]["exits"][1]["share"] = 0.95
    with pytest.raises(ConfigError) as err:
        compile_model(make_config(groups))
    msg = str(err.value)
    assert "groups.adult.states.intro" in msg
    assert "'adult'" in msg and "'intro'" in msg and "month 4" in msg


def test_hazard_that_oversubscribes_is_rejected_too():
    groups = {
        "adult": {
            "start": "intro",
            "relocation": {"annual_probability": 0.5},
            "states": {
                "intro": {"exits": [{"to": "self_sufficient", "share": 1.0, "at_month": 1}]}
            },
        }
    }
    with pytest.raises(ConfigError, match="month 1"):
        compile_model(make_config(groups))


def test_expiry_follows_exits_of_the_same_month():
    """An exit at_month = max_months (and the last month of a within window) is applied
    before the expiry split; the split takes only who is left."""
    groups = {
        "adult": {
            "start": "prolonged",
            "states": {
                "prolonged": {
                    "max_months": 6,
                    "on_expiry": {"income_support": 0.25, "relocated": 0.75},
                    "exits": [
                        {"to": "self_sufficient", "share": 0.4, "at_month": 6},
                        {"to": "intro", "share": 0.2, "within_months": 6},
                    ],
                }
            },
        }
    }
    model = compile_model(make_config(groups))
    flows, alive = state_flows(model, 0, PROLONGED, 8)
    assert flows[5, SELF] == pytest.approx(0.4, abs=1e-12)
    assert flows[:, INTRO].sum() == pytest.approx(0.2, abs=1e-12)
    assert flows[5, SUPPORT] == pytest.approx(0.25 * 0.4, abs=1e-12)
    assert flows[5, RELOCATED] == pytest.approx(0.75 * 0.4, abs=1e-12)
    assert alive[5] == 0.0
    assert model.max_months[0, PROLONGED] == 6
    np.testing.assert_allclose(model.expiry[0, PROLONGED], [0, 0, 0, 0.25, 0.75])


def test_durations_beyond_the_table_reuse_its_last_row():
    groups = {
        "g": {
            "start": "intro",
            "relocation": {"annual_probability": 0.1},
            "states": {
                "intro": {"exits": [{"to": "self_sufficient", "share": 0.5, "at_month": 5}]}
            },
        }
    }
    model = compile_model(make_config(groups))
    h = 1 - 0.9 ** (1 / 12)
    last = model.q[0, INTRO, -1]
    assert last[RELOCATED] == pytest.approx(h, abs=1e-15)
    assert last[SELF] == 0.0
    assert model.stay[0, INTRO, -1] == pytest.approx(1 - h, abs=1e-15)
    # a state without exits but with the relocation hazard is never absorbing
    assert model.absorbing_from[0, SELF] > 10**9
    assert model.absorbing_from[0, RELOCATED] == 1


def test_kernel_tables_are_consistent(sodertalje, example, vingaker):
    for config in (sodertalje, example, vingaker):
        m = compile_model(config)
        np.testing.assert_allclose(m.stay + m.move.sum(axis=-1), 1.0, atol=1e-12)
        assert np.all(m.move >= 0) and np.all(m.stay >= 0)
        assert np.all(np.diff(m.cum, axis=-1) >= 0)
        assert np.all(m.cum <= 1.0)
        # every reachable destination closes at exactly 1 so no uniform falls past it
        assert np.all(m.cum[..., -1] == 1.0)
        assert np.all(m.absorbing_from[:, RELOCATED] == 1)


def test_fixed_arrivals_split_by_largest_remainder_and_over_months(sodertalje):
    assert largest_remainder(1300, np.array([0.69, 0.29, 0.02])).tolist() == [897, 377, 26]
    assert largest_remainder(10, np.array([1 / 3, 1 / 3, 1 / 3])).tolist() == [4, 3, 3]
    assert spread_over_months(897).tolist() == [75] * 9 + [74] * 3
    assert spread_over_months(5).tolist() == [1] * 5 + [0] * 7
    model = compile_model(sodertalje)
    by_year = model.fixed_arrivals.reshape(10, 12, 3).sum(axis=1)
    assert by_year[:3].tolist() == [[897, 377, 26]] * 3
    assert by_year[3:].sum() == 0


def test_money_tables(sodertalje):
    groups = {
        "g": {
            "start": "intro",
            "costs": {"resident": {"housing": 100.0}, "intro": {"allowance": 50.0}},
            "revenue": {"relocated": {"refund": 7.0}},
            "payments": {"schablon": {"amount": 1000.0, "by_calendar_year": [0.25, 0.75]}},
        }
    }
    config = make_config(
        groups,
        fixed={"revenue": {"grund": [10.0, 20.0]}, "costs": {"admin": 5.0}},
        indexation={"costs": 0.1, "revenue": 0.0},
    )
    m = compile_model(config)
    assert m.components == ("admin", "allowance", "grund", "housing", "refund", "schablon")
    c = m.components.index
    idx = 1.1 ** np.arange(3)
    np.testing.assert_allclose(m.cost_rate[:, 0, INTRO, c("housing")], 100 * idx)
    np.testing.assert_allclose(m.cost_rate[:, 0, SUPPORT, c("housing")], 100 * idx)
    assert np.all(m.cost_rate[:, 0, RELOCATED, c("housing")] == 0)
    np.testing.assert_allclose(m.cost_rate[:, 0, INTRO, c("allowance")], 50 * idx)
    np.testing.assert_allclose(m.revenue_rate[:, 0, RELOCATED, c("refund")], 7.0)
    np.testing.assert_allclose(m.fixed_revenue[:, c("grund")], [10, 20, 0])
    np.testing.assert_allclose(m.fixed_cost[:, c("admin")], 5 * idx)
    assert m.part_kind.tolist() == [PART_CALENDAR_YEAR] * 2
    assert m.part_share.tolist() == [0.25, 0.75]
    # calendar-year parts: part 0 in the arrival month, part 1 in January next year
    arrival = np.array([0, 5, 11, 12])
    assert m.due_month(0, arrival).tolist() == [0, 5, 11, 12]
    assert m.due_month(1, arrival).tolist() == [12, 12, 12, 24]


def test_amount_by_arrival_year_holds_until_the_next_listed_year():
    groups = {
        "g": {
            "start": "intro",
            "payments": {
                "schablon": {
                    "amount_by_arrival_year": {"2020": 100.0, "2022": 300.0},
                    "installments": [{"month": 0, "share": 0.5}, {"month": 13, "share": 0.5}],
                }
            },
        }
    }
    m = compile_model(make_config(groups, years=4))
    np.testing.assert_allclose(m.part_amount[0], [100, 100, 300, 300])
    assert m.due_month(1, np.array([0, 11])).tolist() == [13, 24]
