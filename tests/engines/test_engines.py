"""The Monte Carlo engines: agreement with the exact expectation, with each other, with a
naive reference, with known distributions; determinism."""

from __future__ import annotations

import os
import subprocess
import sys

import numba
import numpy as np
import pytest
from scipy import stats

import balanskonto as bk
from balanskonto.engines.arrivals import draw_arrivals
from balanskonto.engines.individual import numba_engine
from balanskonto.model import compile_model
from balanskonto.model.tables import base_tables

from conftest import make_config
from reference import simulate_run

N_SE = 4.0  # tolerance in Monte Carlo standard errors
P_MIN = 1e-3  # smallest acceptable p-value of a goodness-of-fit test (fixed seeds)


def assert_within_standard_errors(sim, exact, runs):
    """Mean over runs within N_SE standard errors of the exact value, per element. Where
    every run gives the same value (standard error 0) only float rounding is allowed."""
    mean = sim.mean("run")
    se = sim.std("run", ddof=1) / np.sqrt(runs)
    rounding = 1e-9 * np.abs(exact) + 1e-6
    excess = np.abs(mean - exact) - (N_SE * se + rounding)
    assert float(excess.max()) <= 0, f"{sim.name}: {excess.where(excess > 0, drop=True)}"


def assert_mean_agrees_with_expected(config, runs, seed, engine, variables=None):
    """Every year's Monte Carlo mean within N_SE standard errors of ``expected``."""
    ds = bk.simulate(config, runs=runs, seed=seed, engine=engine)
    exact = bk.expected(config)
    for var in variables or ("balance", "revenue", "cost", "person_years", "arrivals"):
        assert_within_standard_errors(ds[var], exact[var], runs)


@pytest.mark.parametrize(("engine", "runs"), [("numba", 2000), ("event", 2000), ("numpy", 300)])
@pytest.mark.parametrize("name", ["sodertalje", "vingaker", "example"])
def test_mean_agrees_with_expected_every_year(request, name, engine, runs):
    assert_mean_agrees_with_expected(request.getfixturevalue(name), runs, 101, engine)


def test_negative_binomial_mean_agrees_with_expected(example):
    config = example.with_overrides(
        {"arrivals.distribution": "negative_binomial", "arrivals.cv": 0.3}
    )
    assert_mean_agrees_with_expected(config, 1000, 5, "numba")


@pytest.mark.parametrize("name", ["sodertalje", "example"])
def test_numba_and_numpy_engines_agree_in_distribution(request, name):
    config = request.getfixturevalue(name)
    last = {}
    for engine in ("numba", "numpy"):
        ds = bk.simulate(config, runs=600, seed=7, engine=engine)
        last[engine] = ds["balance"].isel(year=-1).values
    result = stats.ks_2samp(last["numba"], last["numpy"])
    assert result.pvalue > P_MIN, result
    # and in spread: Levene's test of equal variances
    assert stats.levene(last["numba"], last["numpy"]).pvalue > P_MIN


def test_numba_kernel_matches_the_naive_reference_exactly(example):
    """Same uniforms, independent stepping code: identical counts person-month by month."""
    config = example.with_overrides({"arrivals.per_year": [12, 8], "simulation.years": 4})
    model = compile_model(config)
    run_ids = np.array([0, 1, 5])
    arrivals = draw_arrivals(model, 3, run_ids)
    counts = numba_engine(model, 3, run_ids, arrivals, base_tables(model))
    assert counts.person_months.sum() > 0 and counts.relocated_dues.sum() > 0
    for i, run in enumerate(run_ids):
        pm, reloc = simulate_run(model, 3, int(run), arrivals[i])
        np.testing.assert_array_equal(counts.person_months[i], pm)
        np.testing.assert_array_equal(counts.relocated_dues[i], reloc)


def test_the_whole_amount_rule_for_movers_matches_the_naive_reference_exactly(example):
    """A move within 18 months of arrival costs (1 − 0.5) of every part of the schablon,
    booked at the later of the part's due month and the move: counted alike by the kernel
    and by the reference."""
    pay = example.groups["adult"].payments["schablon"].model_dump(exclude_none=True)
    pay.pop("relocated_share")
    pay.update(relocated_share_of_amount=0.5, relocated_within_months=18)
    config = example.with_overrides(
        {
            "arrivals.per_year": [12, 8],
            "simulation.years": 4,
            "groups.adult.payments.schablon": pay,
            "groups.adult.relocation.annual_probability": 0.5,
        }
    )
    model = compile_model(config)
    assert (model.part_window[model.part_group == 0] == 18).all()
    run_ids = np.array([0, 1, 5])
    arrivals = draw_arrivals(model, 3, run_ids)
    counts = numba_engine(model, 3, run_ids, arrivals, base_tables(model))
    assert counts.relocated_dues.sum() > 0
    for i, run in enumerate(run_ids):
        _, reloc = simulate_run(model, 3, int(run), arrivals[i])
        np.testing.assert_array_equal(counts.relocated_dues[i], reloc)


@pytest.mark.parametrize(("engine", "runs"), [("numba", 4000), ("event", 4000), ("numpy", 1000)])
def test_support_cost_is_a_binomial_multiple(engine, runs):
    """Everyone leaves intro after one month: to support with probability p, else to work.
    With 120 arrivals in the first year, the second year's support cost is
    12 · 1000 kr · X with X ~ Binomial(120, p)."""
    p, n = 0.3, 120
    groups = {
        "adult": {
            "start": "intro",
            "states": {
                "intro": {
                    "max_months": 1,
                    "on_expiry": {"self_sufficient": 1.0},
                    "exits": [{"to": "income_support", "share": p, "at_month": 1}],
                }
            },
            "costs": {"income_support": {"allowance": 1000.0}},
        }
    }
    config = make_config(groups, years=2, per_year=[n])
    ds = bk.simulate(config, runs=runs, seed=2024, engine=engine)
    x = ds["cost"].sel(year=2021, component="allowance").values / 12_000
    np.testing.assert_array_equal(x, np.round(x))
    k = np.arange(n + 1)
    observed = np.bincount(x.astype(int), minlength=n + 1)
    expected = stats.binom.pmf(k, n, p) * runs
    # pool the tails so that every bin expects at least 5
    lo, hi = k[expected >= 5][[0, -1]]
    obs = np.r_[observed[: lo + 1].sum(), observed[lo + 1 : hi], observed[hi:].sum()]
    exp = np.r_[expected[: lo + 1].sum(), expected[lo + 1 : hi], expected[hi:].sum()]
    assert stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue > P_MIN


@pytest.mark.parametrize("engine", ["numba", "event", "numpy"])
def test_same_seed_same_results_and_runs_do_not_depend_on_chunks(example, engine):
    a = bk.simulate(example, runs=40, seed=9, engine=engine)
    b = bk.simulate(example, runs=40, seed=9, engine=engine, chunk_runs=7)
    c = bk.simulate(example, runs=100, seed=9, engine=engine, chunk_runs=33)
    for var in ("balance", "revenue", "cost", "person_years", "arrivals"):
        np.testing.assert_array_equal(a[var].values, b[var].values)
        np.testing.assert_array_equal(a[var].values, c[var].isel(run=slice(0, 40)).values)
    d = bk.simulate(example, runs=40, seed=10, engine=engine)
    assert not np.array_equal(a["balance"].values, d["balance"].values)


@pytest.mark.parametrize("engine", ["numba", "event"])
def test_thread_count_does_not_change_results(example, engine):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs 2 numba threads")
    previous = numba.get_num_threads()
    try:
        results = []
        for threads in (1, 2):
            numba.set_num_threads(threads)
            results.append(bk.simulate(example, runs=64, seed=3, engine=engine)["balance"].values)
    finally:
        numba.set_num_threads(previous)
    np.testing.assert_array_equal(results[0], results[1])


def test_numba_num_threads_environment_1_and_2_identical(tmp_path):
    """The literal check: separate processes with NUMBA_NUM_THREADS=1 and 2."""
    code = (
        "import hashlib, balanskonto as bk;"
        "from balanskonto.cli.run import _example_path;"
        "ds = bk.simulate(_example_path(), runs=64, seed=3);"
        "print(hashlib.sha256(ds['balance'].values.tobytes()"
        " + ds['person_years'].values.tobytes()).hexdigest())"
    )
    digests = []
    for threads in ("1", "2"):
        env = {**os.environ, "NUMBA_NUM_THREADS": threads}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        digests.append(out.stdout.strip())
    assert len(digests[0]) == 64
    assert digests[0] == digests[1]


def test_chunks_of_runs_assemble_to_the_same_dataset():
    """simulate_runs / dataset_from_runs (the unit of distributed work) give simulate's
    Dataset exactly, whatever the split."""
    from balanskonto.simulation.run import dataset_from_runs, simulate_runs

    from conftest import CONFIGS

    config = bk.load_config(CONFIGS / "exempel_2026.toml")
    whole = bk.simulate(config, runs=60, seed=5)
    parts = [simulate_runs(config, 0, 17, 5), simulate_runs(config, 17, 43, 5)]
    split = dataset_from_runs(config, parts, 5, "numba")
    for var in whole.data_vars:
        np.testing.assert_array_equal(whole[var].values, split[var].values, err_msg=var)


SHOCKS = {"labour_market": {"sd": 0.5, "autocorrelation": 0.6, "relapse_effect": 0.5}}


@pytest.mark.parametrize("name", ["sodertalje", "example", "example+shocks"])
def test_event_engine_agrees_with_the_stepping_engine_in_distribution(request, name):
    """Final balance (Kolmogorov–Smirnov, Levene) and every year's persons by state (mean
    within 4 standard errors of the difference) agree; fixed seeds. With labour-market
    shocks the tables change every year, which the event engine handles by drawing again at
    each year end."""
    config = request.getfixturevalue(name.split("+")[0])
    if name.endswith("+shocks"):
        config = config.with_overrides({"uncertainty": SHOCKS})
    step = bk.simulate(config, runs=1500, seed=21, engine="numba")
    event = bk.simulate(config, runs=1500, seed=21, engine="event")
    a, b = step["balance"].isel(year=-1).values, event["balance"].isel(year=-1).values
    assert stats.ks_2samp(a, b).pvalue > P_MIN
    assert stats.levene(a, b).pvalue > P_MIN
    py_a, py_b = step["person_years"], event["person_years"]
    se = np.sqrt(py_a.var("run", ddof=1) / 1500 + py_b.var("run", ddof=1) / 1500)
    diff = abs(py_a.mean("run") - py_b.mean("run"))
    assert float((diff - N_SE * se - 1e-9).max()) <= 0
