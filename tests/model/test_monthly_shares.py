"""The exit form ``{ to = S, monthly_shares = [m1, m2, …] }``: a fitted curve held exactly."""

from __future__ import annotations

import numpy as np
import pytest

from balanskonto import ConfigError
from balanskonto.config import STATES
from balanskonto.engines.draws import central
from balanskonto.engines.expected import cumulative_exits
from balanskonto.model import compile_model
from balanskonto.model.folding import chunk_tables

from conftest import curve, curve_groups, make_config, uncertain_config

INTRO, PROLONGED, SELF, SUPPORT, RELOCATED = range(len(STATES))


def test_monthly_shares_round_trip_exactly_through_compile():
    """Propagating the compiled table reproduces every cumulative mass to 1e-12, whatever
    the hazard, the timed exit and the other curve competing with it."""
    groups = curve_groups()
    intro = groups["adult"]["states"]["intro"]["exits"]
    model = compile_model(make_config(groups))
    cum, still = cumulative_exits(model, 0, INTRO, 24)
    np.testing.assert_allclose(cum[:23, SELF], np.cumsum(intro[0]["monthly_shares"]), atol=1e-12)
    reloc = np.cumsum(intro[2]["monthly_shares"])
    # the relocation hazard adds to the curve's own masses; the curve alone is in q's masses
    hazard_part = cum[:12, RELOCATED] - reloc
    assert np.all(hazard_part > 0) and np.all(np.diff(hazard_part) > 0)
    assert cum[5, SUPPORT] == pytest.approx(0.05, abs=1e-12)
    assert still[23] == 0.0  # expiry at 24 months
    support = groups["adult"]["states"]["income_support"]["exits"][0]["monthly_shares"]
    cum_s, _ = cumulative_exits(model, 0, SUPPORT, 40)
    np.testing.assert_allclose(cum_s[:, SELF], np.cumsum(support), atol=1e-12)
    cum_p, still_p = cumulative_exits(model, 0, PROLONGED, 12)
    np.testing.assert_allclose(cum_p[:9, SELF], 0.1 * np.arange(1, 10), atol=1e-12)
    assert still_p[8] == pytest.approx(1 - 0.9 - cum_p[8, RELOCATED], abs=1e-12)


def test_a_curve_equals_the_same_masses_given_as_at_month_exits():
    rng = np.random.default_rng(3)
    masses = curve(rng, 15, 0.7)
    as_curve = {"g": {"start": "income_support", "states": {"income_support": {"exits": [
        {"to": "self_sufficient", "monthly_shares": masses}]}}}}  # fmt: skip
    as_timed = {"g": {"start": "income_support", "states": {"income_support": {"exits": [
        {"to": "self_sufficient", "share": m, "at_month": k + 1}
        for k, m in enumerate(masses) if m > 0]}}}}  # fmt: skip
    a, b = compile_model(make_config(as_curve)), compile_model(make_config(as_timed))
    np.testing.assert_allclose(a.q, b.q, rtol=0, atol=1e-15)


def test_a_curve_that_takes_everyone_closes_the_state():
    groups = {"g": {"start": "intro", "states": {"intro": {"exits": [
        {"to": "self_sufficient", "monthly_shares": [0.25, 0.25]},
        {"to": "income_support", "monthly_shares": [0.0, 0.2, 0.3]}]}}}}  # fmt: skip
    model = compile_model(make_config(groups))
    cum, still = cumulative_exits(model, 0, INTRO, 5)
    assert cum[2, SELF] == pytest.approx(0.5, abs=1e-12)
    assert cum[2, SUPPORT] == pytest.approx(0.5, abs=1e-12)
    assert still[2] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    ("exit_", "fragment"),
    [
        ({"to": "self_sufficient", "monthly_shares": [0.6, 0.5]}, "sum to at most 1"),
        ({"to": "self_sufficient", "monthly_shares": []}, "at least 1"),
        ({"to": "self_sufficient", "monthly_shares": [0.1, -0.1]}, "greater than or equal to 0"),
        ({"to": "self_sufficient", "monthly_shares": [0.1], "share": 0.1}, "monthly_shares takes"),
        ({"to": "self_sufficient", "monthly_shares": [0.1], "at_month": 2}, "monthly_shares takes"),
        ({"to": "self_sufficient", "monthly_shares": [0.1], "annual_probability": 0.1}, "takes no"),
        ({"to": "self_sufficient", "monthly_shares": ["0.1"]}, "valid number"),
    ],
)
def test_bad_curves_are_refused_naming_the_exit(exit_, fragment):
    groups = {"g": {"start": "intro", "states": {"intro": {"exits": [exit_]}}}}
    with pytest.raises(ConfigError) as err:
        make_config(groups)
    assert "groups.g.states.intro.exits[0]" in str(err.value)
    assert fragment in str(err.value)


def test_a_curve_longer_than_max_months_is_refused():
    groups = {"g": {"start": "intro", "states": {"intro": {
        "max_months": 2, "on_expiry": {"income_support": 1.0},
        "exits": [{"to": "self_sufficient", "monthly_shares": [0.1, 0.1, 0.1]}]}}}}  # fmt: skip
    with pytest.raises(ConfigError, match=r"exits\[0\].*timed after max_months = 2"):
        make_config(groups)


def test_oversubscribed_curves_are_refused_naming_the_month():
    groups = {"g": {"start": "intro", "states": {"intro": {"exits": [
        {"to": "self_sufficient", "monthly_shares": [0.5, 0.3]},
        {"to": "relocated", "monthly_shares": [0.0, 0.3]}]}}}}  # fmt: skip
    with pytest.raises(ConfigError, match="month 2"):
        compile_model(make_config(groups))


# --------------------------------------------------------------------------------------
# [uncertainty.shares] on a curve: a drawn total scales the curve, its shape held
# --------------------------------------------------------------------------------------
def curve_uncertain(shares: dict) -> object:
    config = uncertain_config()
    return config.with_overrides(
        {
            "groups.adult.states.intro.exits[0]": {
                "to": "self_sufficient",
                "monthly_shares": [0.05] * 6 + [0.02] * 6,
            },
            "uncertainty.shares": shares,
        }
    )


def test_a_drawn_total_scales_the_curve():
    path = "groups.adult.states.intro.exits[0].monthly_shares"
    config = curve_uncertain({path: {"mean": 0.3, "sd": 0.05}})
    model = compile_model(config)
    (factor,) = model.shares
    assert factor.base == pytest.approx(0.42) and len(factor.weights) == 12
    draws = central(model)  # the total at its mean, 0.3
    tables = chunk_tables(model, draws)
    stay, move = tables.stay[0, 0, 0, INTRO], tables.move[0, 0, 0, INTRO]
    left, alive, got = np.zeros(len(STATES)), 1.0, []
    for d in range(12):
        left = left + alive * move[d]
        alive *= stay[d]
        got.append(left[SELF])
    expected = np.cumsum([0.05] * 6 + [0.02] * 6) * 0.3 / 0.42
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_uncertainty_on_a_curve_of_total_zero_is_refused():
    config = uncertain_config()
    with pytest.raises(ConfigError, match="total is 0"):
        config.with_overrides(
            {
                "groups.adult.states.intro.exits[0]": {
                    "to": "self_sufficient",
                    "monthly_shares": [0.0, 0.0],
                },
                "uncertainty.shares": {
                    "groups.adult.states.intro.exits[0].monthly_shares": {"min": 0.1, "max": 0.2}
                },
            }
        )


def test_a_share_path_on_a_curve_names_its_field():
    with pytest.raises(ConfigError, match="this exit has monthly_shares, not share"):
        curve_uncertain({"groups.adult.states.intro.exits[0].share": {"min": 0.1, "max": 0.2}})


def test_validate_prints_a_curve_along_the_usual_months(tmp_path, capsys, monkeypatch):
    from balanskonto.cli import main

    monkeypatch.setenv("BALANSKONTO_LANG", "en")  # the table's English words
    text = """
[simulation]
start_year = 2020
years = 3
[arrivals]
per_year = 12
mix = { g = 1.0 }
[groups.g]
start = "income_support"
[groups.g.states.income_support]
exits = [{ to = "self_sufficient", monthly_shares = [0.05, 0.05, 0.05, 0.05, 0.05, 0.05,
  0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.01, 0.01] }]
"""
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    table = out[out.index("g / income support") : out.index("where an arriving person is")]
    rows = {
        line.split()[0]: line.split()[1]
        for line in table.splitlines()
        if line[:5].strip().isdigit()
    }
    assert rows["6"] == "30.0%" and rows["12"] == "42.0%" and rows["14"] == "44.0%"
