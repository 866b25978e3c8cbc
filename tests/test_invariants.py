"""Invariants of every simulation, over small random valid configs (hypothesis): persons are
conserved, money adds up, zero arrivals leave exactly the fixed items, one run and one year
work, and memory stays flat as the number of runs grows."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, reject, settings
from hypothesis import strategies as st

import balanskonto as bk
from balanskonto.config import STATES, ConfigError, config_from_dict
from balanskonto.engines.arrivals import draw_arrivals
from balanskonto.model import compile_model
from balanskonto.simulation.run import simulate_runs

from conftest import CONFIGS

FAST = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    database=None,
)
SLOW = settings(FAST, max_examples=1000)

GROUPS = ("adult", "child", "elderly")
LIVING = STATES[:-1]  # every state but relocated
COMPONENTS = ("allowance", "activities", "administration")  # per state; "tolk": resident
SEED = 2024
RTOL = 1e-9  # float rounding of sums of amounts: far below a krona


# --------------------------------------------------------------------------------------
# Small random valid configs
# --------------------------------------------------------------------------------------
amounts = st.floats(0.0, 20_000.0, allow_subnormal=False).map(lambda x: round(x, 2))


@st.composite
def exits(draw, state: str):
    """0–3 exits of a state whose shares sum to at most 0.9 (they fit unless hazards compete,
    which the compiler checks)."""
    out = []
    for _ in range(draw(st.integers(0, 3))):
        to = draw(st.sampled_from([s for s in STATES if s != state]))
        form = draw(st.sampled_from(["at_month", "within_months", "annual_probability"]))
        if form == "annual_probability":
            out.append({"to": to, "annual_probability": draw(st.floats(0.0, 0.3))})
        else:
            share = draw(st.floats(0.0, 0.3))
            out.append({"to": to, "share": share, form: draw(st.integers(1, 24))})
    return out


@st.composite
def groups(draw, name: str, years: int):
    start = draw(st.sampled_from(LIVING))
    states = {}
    for state in draw(st.lists(st.sampled_from(LIVING), unique=True, max_size=3)):
        spec: dict = {"exits": draw(exits(state))}
        if draw(st.booleans()):
            last = max(
                (e.get("at_month") or e.get("within_months") or 1 for e in spec["exits"]), default=1
            )
            spec["max_months"] = draw(st.integers(last, 36))
            spec["on_expiry"] = {draw(st.sampled_from([s for s in STATES if s != state])): 1.0}
        states[state] = spec
    per_state = st.dictionaries(st.sampled_from(COMPONENTS), amounts, min_size=1, max_size=2)
    flows = st.tuples(
        st.dictionaries(st.sampled_from(LIVING), per_state, max_size=3),
        st.dictionaries(st.just("resident"), st.dictionaries(st.just("tolk"), amounts, min_size=1)),
    ).map(lambda parts: {**parts[0], **parts[1]})  # a component is per state or resident
    group = {"start": start, "states": states, "costs": draw(flows), "revenue": draw(flows)}
    if draw(st.booleans()):
        splits = [[1.0], [0.5, 0.5], [0.0, 1.0], [0.25, 0.5, 0.25]]
        parts = draw(st.sampled_from([p for p in splits if len(p) <= years]))
        group["payments"] = {
            "schablon": {
                "amount": draw(st.floats(0, 200_000)),
                "by_calendar_year": parts,
                "relocated_share": 1.0,  # paid whether or not the person has moved away
            }
        }
    if draw(st.booleans()):
        group["relocation"] = {"annual_probability": draw(st.floats(0.0, 0.2))}
    return name, group


@st.composite
def configs(draw, *, per_year=None, years=None, distribution=None):
    """A valid config: 1–3 groups, random exits that fit, random amounts, 1–4 years."""
    years = years or draw(st.integers(1, 4))
    names = GROUPS[: draw(st.integers(1, 3))]
    weights = [draw(st.integers(1, 4)) for _ in names]
    if per_year is None:
        per_year = draw(
            st.integers(0, 60) | st.lists(st.integers(0, 60), min_size=1, max_size=years)
        )
    yearly = st.one_of(amounts, st.lists(amounts, min_size=1, max_size=years))
    raw = {
        "simulation": {"start_year": 2024, "years": years, "runs": 5, "seed": SEED},
        "balance": {"opening": draw(st.floats(-1e7, 1e7))},
        "arrivals": {
            "per_year": per_year,
            "distribution": distribution or draw(st.sampled_from(["fixed", "poisson"])),
            "mix": {g: w / sum(weights) for g, w in zip(names, weights, strict=True)},
        },
        "groups": dict(draw(groups(g, years)) for g in names),
        "fixed": {
            "revenue": draw(st.dictionaries(st.just("grundersattning"), yearly, max_size=1)),
            "costs": draw(st.dictionaries(st.sampled_from(["lokaler", "sfi"]), yearly)),
        },
        "indexation": {
            "costs": draw(st.sampled_from([0.0, 0.02, 0.035])),
            "revenue": draw(st.sampled_from([0.0, 0.01])),
        },
    }
    try:
        config = config_from_dict(raw)
        compile_model(config)
    except ConfigError:
        event("rejected: the exits do not fit")
        reject()
    return config


def simulated(config: bk.Config, runs: int, engine: str = "numba"):
    """The Dataset, the run-level arrays of the same runs, and the monthly arrivals."""
    ds = bk.simulate(config, runs=runs, seed=SEED, engine=engine, chunk_runs=7)
    arrays = simulate_runs(config, 0, runs, SEED, engine)
    monthly = draw_arrivals(compile_model(config), SEED, np.arange(runs, dtype=np.int64))
    return ds, arrays, monthly


# --------------------------------------------------------------------------------------
# Persons
# --------------------------------------------------------------------------------------
def months_present(months: int, years: int) -> np.ndarray:
    """``P[a, y]``: months of calendar year y that a person arriving in month a is there
    (in any state, relocated included)."""
    t = np.arange(months)
    present = t[None, :] >= t[:, None]  # [arrival month, month]
    return present.reshape(months, years, 12).sum(axis=2)


def check_persons(config: bk.Config, runs: int, engine: str = "numba") -> None:
    ds, arrays, monthly = simulated(config, runs, engine)
    pm = arrays["person_months"]  # [run, year, group, state]
    Y = config.simulation.years
    expected = np.einsum("rag,ay->ryg", monthly, months_present(12 * Y, Y))
    np.testing.assert_array_equal(pm.sum(axis=-1), expected)
    np.testing.assert_array_equal(
        ds["arrivals"].values, monthly.reshape(runs, Y, 12, -1).sum(axis=2)
    )
    np.testing.assert_array_equal(ds["person_years"].values, pm / 12.0)
    assert (pm >= 0).all()


@FAST
@given(configs(), st.integers(1, 20))
def test_persons_are_conserved(config, runs):
    """For each run, year and group, the person-months over the states (relocated included)
    are the months the arrivals so far are present in the year."""
    check_persons(config, runs)


@settings(FAST, max_examples=15)
@given(configs(), st.integers(1, 6))
def test_persons_are_conserved_numpy_engine(config, runs):
    check_persons(config, runs, engine="numpy")


@pytest.mark.slow
@SLOW
@given(configs(), st.integers(1, 20))
def test_persons_are_conserved_many(config, runs):
    check_persons(config, runs)


# --------------------------------------------------------------------------------------
# Money
# --------------------------------------------------------------------------------------
def rates(config: bk.Config, side: str, components: list[str]) -> np.ndarray:
    """``R[g, s, c]``: SEK per person-month, from the config (``resident``: every state but
    relocated)."""
    R = np.zeros((len(config.groups), len(STATES), len(components)))
    for g, group in enumerate(config.groups.values()):
        for state, items in getattr(group, side).items():
            rows = range(len(LIVING)) if state == "resident" else [STATES.index(state)]
            for c, amount in items.items():
                for s in rows:
                    R[g, s, components.index(c)] += amount
    return R


def fixed_items(config: bk.Config, side: str, components: list[str]) -> np.ndarray:
    """``F[y, c]``: fixed yearly amounts, before indexation."""
    Y = config.simulation.years
    F = np.zeros((Y, len(components)))
    for c, value in getattr(config.fixed, side).items():
        per_year = value if isinstance(value, list) else [value] * Y
        F[: len(per_year), components.index(c)] = per_year[:Y]
    return F


def check_money(config: bk.Config, runs: int) -> None:
    ds, arrays, _ = simulated(config, runs)
    components = [str(c) for c in ds["component"].values]
    Y = config.simulation.years
    pm = arrays["person_months"].astype(float)
    arrivals = ds["arrivals"].values.astype(float)  # [run, year, group]
    for side, rate in (("costs", config.indexation.costs), ("revenue", config.indexation.revenue)):
        index = (1.0 + rate) ** np.arange(Y)
        want = np.einsum("rygs,gsc->ryc", pm, rates(config, side, components))
        want += fixed_items(config, side, components)[None]
        want *= index[None, :, None]
        if side == "revenue":
            for g, group in enumerate(config.groups.values()):
                for name, payment in group.payments.items():
                    for k, f in enumerate(payment.by_calendar_year or []):
                        want[:, k:, components.index(name)] += (
                            payment.amount * f * arrivals[:, : Y - k, g]
                        )
        got = ds["revenue" if side == "revenue" else "cost"].values
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=1e-6, err_msg=side)
    revenue, cost = ds["revenue"].values, ds["cost"].values
    net = ds["net"].values
    np.testing.assert_allclose(net, revenue.sum(-1) - cost.sum(-1), rtol=1e-12, atol=1e-6)
    opening = config.balance.opening
    np.testing.assert_allclose(
        ds["balance"].values, opening + np.cumsum(net, axis=1), rtol=1e-12, atol=1e-6
    )
    scale = np.abs(revenue).sum() + np.abs(cost).sum() + abs(opening) + 1.0
    final = ds["balance"].values[:, -1] - opening - (revenue.sum((1, 2)) - cost.sum((1, 2)))
    assert np.abs(final).max() <= 1e-12 * scale


@FAST
@given(configs(), st.integers(1, 20))
def test_money_adds_up(config, runs):
    """Every component is its per-month amounts times the person-months, plus the fixed
    items, indexed, plus the scheduled payments by arrival year; the components sum to
    ``net``, and ``balance`` is the opening plus the cumulative net."""
    check_money(config, runs)


@pytest.mark.slow
@SLOW
@given(configs(), st.integers(1, 20))
def test_money_adds_up_many(config, runs):
    check_money(config, runs)


@FAST
@given(configs(per_year=0), st.integers(1, 20))
def test_zero_arrivals_give_exactly_the_fixed_items(config, runs):
    ds = bk.simulate(config, runs=runs, seed=SEED)
    components = [str(c) for c in ds["component"].values]
    assert (ds["arrivals"].values == 0).all() and (ds["person_years"].values == 0).all()
    Y = config.simulation.years
    for side, var in (("costs", "cost"), ("revenue", "revenue")):
        rate = getattr(config.indexation, side)
        want = fixed_items(config, side, components)
        got = ds[var].values
        assert (got == got[:1]).all()  # every run the same
        if rate == 0.0:
            np.testing.assert_array_equal(got[0], want)
        else:
            want = want * ((1.0 + rate) ** np.arange(Y))[:, None]
            np.testing.assert_allclose(got[0], want, rtol=1e-14, atol=0)


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_one_run_and_one_year(engine):
    one_part = {f"groups.{g}.payments.schablon.by_calendar_year": [1.0] for g in GROUPS}
    config = bk.load_config(CONFIGS / "sodertalje_2008.toml").with_overrides(
        {"simulation.years": 1, "arrivals.per_year": [130], **one_part}
    )
    ds = bk.simulate(config, runs=1, seed=SEED, engine=engine)
    assert ds.sizes["run"] == 1 and ds.sizes["year"] == 1
    balance = float(ds["balance"].item())
    np.testing.assert_array_equal(ds["balance_quantile"].values, balance)
    assert np.isnan(ds["mc_standard_error"].values).all()
    assert float(ds["p_deficit"].item()) == float(balance < 0)
    assert float(ds["expected_balance"].item()) == balance
    assert int(ds["arrivals"].sum()) == 130
    check_persons(config, 1, engine)


# --------------------------------------------------------------------------------------
# Memory
# --------------------------------------------------------------------------------------
def peak_and_held(fn) -> tuple[int, int]:
    """(peak bytes traced while ``fn()`` runs, bytes of the arrays it returns)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        out = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    arrays = out.values() if isinstance(out, dict) else [v.values for v in out.data_vars.values()]
    held = sum(a.nbytes for a in arrays if isinstance(a, np.ndarray))
    return peak, held


@pytest.mark.parametrize(("engine", "chunk"), [("numba", 256), ("numpy", 8)])
def test_memory_per_chunk_does_not_grow_with_runs(sodertalje, engine, chunk):
    """The chunk loop's working memory (peak traced memory less the run-level arrays it
    returns) is the same for 3 chunks as for 9: nothing per person or per run is kept across
    chunks. (One chunk needs less: from the second on, the previous chunk's arrays are freed
    while the next one's are made. tracemalloc sees numpy's allocations, not numba's own.)"""

    def working(runs: int) -> tuple[int, int]:
        peak, held = peak_and_held(
            lambda: simulate_runs(sodertalje, 0, runs, SEED, engine, chunk_runs=chunk)
        )
        return peak - held, held

    working(chunk)  # warm up: compiled kernels, caches
    few, held_few = working(3 * chunk)
    many, held_many = working(9 * chunk)
    assert held_many == pytest.approx(3 * held_few, rel=0.01)
    assert many <= 1.02 * few + 64 * 1024, (few, many)


def test_simulate_memory_grows_only_by_the_run_level_arrays(sodertalje):
    """``simulate`` with 2000 runs against 200: the extra peak memory is a small multiple of
    the extra run-level output (the arrays, ``person_years`` and the sorting for the
    quantiles), far below what keeping the persons would take (3 900 a run)."""
    bk.simulate(sodertalje, runs=20, seed=SEED)  # warm up
    peak_200, held_200 = peak_and_held(lambda: bk.simulate(sodertalje, runs=200, seed=SEED))
    peak_2000, held_2000 = peak_and_held(lambda: bk.simulate(sodertalje, runs=2000, seed=SEED))
    extra_output = held_2000 - held_200
    persons = 3900 * (2000 - 200) * 8  # one float per person and run: what is not kept
    assert peak_2000 - peak_200 <= 3 * extra_output
    assert peak_2000 - peak_200 < persons / 4
