"""The pricing's kernel (model/_pricing_kernels.py) against the einsum formulas it replaced
(tests/pricing_reference.py), bit for bit: on chunks of the real engine, on the
expected engine's counts, and on random counts and multipliers (integer and float, many
nonzero dues: the order of additions shows in the last bits there); and a run's money
whatever the chunk it is priced in."""

from __future__ import annotations

import numpy as np
import pytest

import balanskonto as bk
import pricing_reference as reference
from balanskonto.config.reading import config_from_dict
from balanskonto.engines.arrivals import draw_arrivals
from balanskonto.engines.draws import draw
from balanskonto.engines.expected import expected_counts
from balanskonto.engines.individual import ENGINES
from balanskonto.model import compile_model, pricing
from balanskonto.model.folding import table_plan
from balanskonto.simulation.run import price_args

from conftest import CONFIGS, uncertain_config

RUNS = 48


def _configs() -> dict[str, bk.Config]:
    example = bk.load_config(CONFIGS / "exempel_2026.toml")
    out = {
        "exempel_2026": example,
        "exempel_2026_plain": example.with_overrides({"uncertainty": {}, "policy": []}),
        "exempel_2026_monthly": example.with_overrides({"simulation.resolution": "month"}),
        "one_part_levels": uncertain_config(
            {"levels": {"schablon": {"dist": "lognormal", "sd": 0.2}}}
        ),
        "one_part_monthly": uncertain_config(resolution="month"),
    }
    for name in ("ensamkommande", "nacka_2018", "vingaker_2017", "sodertalje_2008"):
        out[name] = bk.load_config(CONFIGS / f"{name}.toml")
    return out


CONFIG_NAMES = list(_configs())


@pytest.fixture(scope="module")
def configs() -> dict[str, bk.Config]:
    return _configs()


def _chunk(model, run_ids: np.ndarray, seed: int = 3) -> tuple:
    """The arguments of ``price`` for the runs ``run_ids`` of the numba engine."""
    draws = draw(model, seed, run_ids)
    arrivals = draw_arrivals(model, seed, run_ids, draws.arrivals)
    counts = ENGINES["numba"](model, seed, run_ids, arrivals, table_plan(model, draws))
    return price_args(model, draws, arrivals, counts)


def _assert_same(model, args: tuple, **kw) -> None:
    revenue, cost = pricing.price(model, *args, **kw)
    ref_revenue, ref_cost = reference.price(model, *args, **kw)
    assert np.array_equal(revenue, ref_revenue), np.abs(revenue - ref_revenue).max()
    assert np.array_equal(cost, ref_cost), np.abs(cost - ref_cost).max()


def _randomised(args: tuple, rng: np.random.Generator, integer: bool) -> tuple:
    """The same shapes with random counts (Poisson, or floats with zeros among them) and
    multipliers: sums of many nonzero products, whose last bits depend on their order."""
    out = list(args)
    for j in (0, 1, 2, 4):
        a = out[j]
        if a is not None:
            if integer:
                out[j] = rng.poisson(2.0, a.shape).astype(a.dtype)
            else:
                out[j] = rng.random(a.shape) * rng.choice([0.0, 1.0, 3.7, 11.3], a.shape)
    for j in (3, 5):
        if out[j] is not None:
            out[j] = out[j] * (1.0 + 0.1 * rng.standard_normal(out[j].shape))
    return tuple(out)


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_price_is_the_einsums_bit_for_bit(configs, name):
    model = compile_model(configs[name])
    rng = np.random.default_rng(11)
    for first in (0, RUNS):
        args = _chunk(model, np.arange(first, first + RUNS, dtype=np.int64))
        assert pricing._compiled(model, args[1], args[1], args[2], args[4]), name
        _assert_same(model, args)
        _assert_same(model, _randomised(args, rng, integer=True))
        _assert_same(model, _randomised(args, rng, integer=False))
        no_factors = (*args[:3], None, args[4], None)
        _assert_same(model, _randomised(no_factors, rng, integer=True))


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_price_of_expected_counts_is_the_einsums(configs, name):
    """``expected`` prices yearly float counts, with the months' for per-day amounts."""
    model = compile_model(configs[name])
    counts = expected_counts(model)
    args = (
        counts["arrivals"][None],
        counts["person_months"][None],
        counts["relocated_dues"][None],
        None,
        counts["population_dues"][None],
        None,
    )
    _assert_same(model, args, by_month=counts["by_month"][None])
    rng = np.random.default_rng(5)
    for _ in range(3):
        noisy = _randomised(args, rng, integer=False)
        by_month = counts["by_month"][None] * rng.random(counts["by_month"][None].shape)
        _assert_same(model, noisy, by_month=by_month)


@pytest.mark.parametrize("name", ["exempel_2026", "exempel_2026_monthly", "nacka_2018"])
def test_a_runs_money_does_not_depend_on_its_chunk(configs, name):
    model = compile_model(configs[name])
    args = _randomised(
        _chunk(model, np.arange(RUNS, dtype=np.int64)), np.random.default_rng(2), True
    )
    revenue, cost = pricing.price(model, *args)
    rows = [0, 7, RUNS - 1]
    for r in rows:  # alone
        alone = pricing.price(model, *(None if a is None else a[r : r + 1] for a in args))
        assert np.array_equal(alone[0][0], revenue[r]) and np.array_equal(alone[1][0], cost[r])
    order = np.arange(RUNS)[::-1]  # in another chunk: the runs reversed
    shuffled = pricing.price(model, *(None if a is None else a[order] for a in args))
    assert np.array_equal(shuffled[0], revenue[order]) and np.array_equal(shuffled[1], cost[order])


def test_one_component_keeps_the_einsums():
    """With one component the einsum sums over the states innermost (another order): the
    pricing keeps its einsums there, and gives their money."""
    raw = uncertain_config().to_dict()
    del raw["groups"]["adult"]["costs"], raw["fixed"]
    model = compile_model(config_from_dict(raw))
    assert len(model.components) == 1
    args = _chunk(model, np.arange(8, dtype=np.int64))
    assert not pricing._compiled(model, args[1], args[1], args[2], args[4])
    _assert_same(model, args)
