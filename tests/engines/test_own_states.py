"""Own states (DESIGN §15) in the engines: a care chain of five states agrees with its exact
expectation on every engine, is as deterministic as the default states, and the labour-market
factor shifts the exits marked as work and no others."""

from __future__ import annotations

import numba
import numpy as np
import pytest

import balanskonto as bk
from balanskonto.engines.arrivals import draw_arrivals
from balanskonto.engines.draws import central
from balanskonto.engines.individual import numba_engine
from balanskonto.model import compile_model
from balanskonto.model.folding import chunk_tables
from balanskonto.model.tables import base_tables

from own_states import care_chain
from reference import simulate_run
from test_engines import assert_mean_agrees_with_expected

#: The labour market fixed at z = −0.7 in every year ("half as many find work"): the shifted
#: tables hold in every run, so the exact expectation is the Monte Carlo mean's.
WEAK = {"labour_market": {"sd": 0.0, "mean": -0.7, "effect": 1.0}}
VARIABLES = ("balance", "revenue", "cost", "person_years", "persons", "arrivals")


@pytest.mark.parametrize(("engine", "runs"), [("numba", 2000), ("event", 2000), ("numpy", 300)])
@pytest.mark.parametrize("uncertainty", [None, WEAK], ids=["plan", "weak labour market"])
def test_mean_agrees_with_expected_every_year(engine, runs, uncertainty):
    assert_mean_agrees_with_expected(care_chain(uncertainty), runs, 23, engine, VARIABLES)


def test_the_results_state_coordinate_is_the_configs_states():
    ds = bk.simulate(care_chain(), runs=5, seed=1)
    states = ["hvb", "stodboende", "eget_boende", "arbete", "relocated"]
    assert list(ds["state"].values) == states
    assert ds["person_years"].sizes["state"] == 5
    # ensam start in hvb, familj in eget_boende and never go to hvb; arbete is reached
    py = ds["person_years"].sum("run")
    assert float(py.isel(year=0).sel(group="ensam", state="hvb")) > 0
    assert float(py.sel(group="familj", state=["hvb", "stodboende"]).sum()) == 0
    assert float(ds["persons"].isel(year=-1).sel(state="arbete").sum()) > 0


def test_numba_kernel_matches_the_naive_reference_exactly():
    """Same uniforms, independent stepping code: identical counts month by month."""
    config = care_chain(**{"arrivals.distribution": "fixed", "arrivals.per_year": [12, 10]})
    model = compile_model(config)
    run_ids = np.array([0, 3])
    arrivals = draw_arrivals(model, 5, run_ids)
    counts = numba_engine(model, 5, run_ids, arrivals, base_tables(model))
    assert counts.person_months[..., model.states.index("arbete")].sum() > 0
    for i, run in enumerate(run_ids):
        pm, reloc = simulate_run(model, 5, int(run), arrivals[i])
        np.testing.assert_array_equal(counts.person_months[i], pm)
        np.testing.assert_array_equal(counts.relocated_dues[i], reloc)


UNCERTAIN = {
    "labour_market": {"sd": 0.5, "autocorrelation": 0.5, "effect": 1.2},
    "shares": {"groups.ensam.states.stodboende.exits[1].share": {"min": 0.1, "max": 0.4}},
}


@pytest.mark.parametrize("engine", ["numba", "event", "numpy"])
def test_same_seed_same_results_whatever_the_chunks_and_runs_added(engine):
    config = care_chain(UNCERTAIN)
    a = bk.simulate(config, runs=40, seed=9, engine=engine)
    b = bk.simulate(config, runs=40, seed=9, engine=engine, chunk_runs=7)
    c = bk.simulate(config, runs=90, seed=9, engine=engine, chunk_runs=33)
    for var in VARIABLES:
        np.testing.assert_array_equal(a[var].values, b[var].values)
        np.testing.assert_array_equal(a[var].values, c[var].isel(run=slice(0, 40)).values)
    d = bk.simulate(config, runs=40, seed=10, engine=engine)
    assert not np.array_equal(a["balance"].values, d["balance"].values)


@pytest.mark.parametrize("engine", ["numba", "event"])
def test_thread_count_does_not_change_results(engine):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs 2 numba threads")
    config = care_chain(UNCERTAIN)
    previous = numba.get_num_threads()
    try:
        results = []
        for threads in (1, 2):
            numba.set_num_threads(threads)
            ds = bk.simulate(config, runs=64, seed=3, engine=engine)
            results.append(
                np.stack([ds["balance"].values, ds["person_years"].sum("group")[..., 0]])
            )
    finally:
        numba.set_num_threads(previous)
    np.testing.assert_array_equal(results[0], results[1])


def _weak_tables(config: bk.Config):
    model = compile_model(config)
    return model, chunk_tables(model, central(model))


def test_the_labour_market_moves_the_work_marked_exit_and_not_the_unmarked_one():
    model, weak = _weak_tables(care_chain(WEAK))
    plan = base_tables(model)
    S = model.states.index
    g, stod = 0, S("stodboende")
    shifted = weak.move[0, 0, g, stod]  # [D, S] the first year's
    before = plan.move[0, 0, g, stod]
    # marked: stödboende → arbete moves on the cloglog scale, 1 − (1 − p)^exp(−0.7)
    p = before[:, S("arbete")]
    assert p[:15].min() > 0
    np.testing.assert_allclose(shifted[:, S("arbete")], 1 - (1 - p) ** np.exp(-0.7), rtol=1e-12)
    assert (shifted[:15, S("arbete")] < p[:15]).all()
    # unmarked: stödboende → eget_boende and the relocation hazard stay exactly as they were
    np.testing.assert_array_equal(shifted[:, S("eget_boende")], before[:, S("eget_boende")])
    np.testing.assert_array_equal(shifted[:, S("relocated")], before[:, S("relocated")])
    # eget_boende → stodboende (a curve, unmarked) does not move; → arbete (marked) does
    own = S("eget_boende")
    np.testing.assert_array_equal(
        weak.move[0, 0, g, own, :, S("stodboende")], plan.move[0, 0, g, own, :, S("stodboende")]
    )
    assert (weak.move[0, 0, g, own, :, S("arbete")] < plan.move[0, 0, g, own, :, S("arbete")]).all()


def test_the_labour_market_shifts_the_work_marked_share_of_the_expiry_split():
    """hvb's on_expiry sends 0.3 to eget_boende, marked work: it moves to 1 − 0.7^exp(−0.7)
    and stödboende takes the rest."""
    model, weak = _weak_tables(care_chain(WEAK))
    S = model.states.index
    hvb, at = S("hvb"), 18 - 1
    row = weak.move[0, 0, 0, hvb, at]
    left = 1.0 - model.q[0, hvb, at].sum()  # the stayers split at expiry
    work = 1 - 0.7 ** np.exp(-0.7)
    assert row[S("eget_boende")] == pytest.approx(
        model.q[0, hvb, at, S("eget_boende")] + left * work
    )
    expected_rest = model.q[0, hvb, at, S("stodboende")] + left * (1 - work)
    assert row[S("stodboende")] == pytest.approx(expected_rest)


def test_an_unmarked_exit_to_a_work_like_state_is_not_shifted():
    """Without the marking (labour_market = "none"), stödboende → arbete stays put: only the
    declared work exits move (an own state named like a job is not work by its name)."""
    config = care_chain(WEAK, **{"groups.ensam.states.stodboende.exits[1].labour_market": "none"})
    model, weak = _weak_tables(config)
    stod = model.states.index("stodboende")
    assert model.work_to[0, stod] == -1
    np.testing.assert_array_equal(weak.move[0, 0, 0, stod], base_tables(model).move[0, 0, 0, stod])
