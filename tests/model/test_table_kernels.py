"""The compiled per-run tables (model/_table_kernels.py) equal the numpy reference bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import balanskonto as bk
from balanskonto.engines.draws import draw
from balanskonto.model import _table_kernels, compile_model
from balanskonto.model.folding import chunk_tables, row_offsets, table_plan
from balanskonto.model.tables import chunk_tables_numpy

from conftest import CONFIGS, uncertain_config
from reference import assert_tables_match

FIELDS = ("stay", "cum", "absorbing_from", "move")


def _exempel(**overrides) -> bk.Config:
    return bk.load_config(CONFIGS / "exempel_2026.toml").with_overrides(overrides)


def _prolonged(uncertainty: dict) -> bk.Config:
    """Two groups, five states in use: intro → prolonged (an on_expiry split with work) →
    income_support, hazards everywhere, a monthly_shares curve, relocation."""
    raw = uncertain_config().to_dict()
    adult = raw["groups"]["adult"]
    adult["relocation"] = {"annual_probability": 0.1}
    adult["states"]["intro"]["on_expiry"] = {"prolonged": 0.7, "self_sufficient": 0.3}
    adult["states"]["prolonged"] = {
        "max_months": 6,
        "on_expiry": {"income_support": 0.6, "self_sufficient": 0.4},
        "exits": [{"to": "self_sufficient", "monthly_shares": [0.05, 0.0, 0.1, 0.05]}],
    }
    raw["groups"]["child"] = {
        "start": "self_sufficient",
        "relocation": {"annual_probability": 0.2},
        "costs": {"resident": {"school": 2000.0}},
    }
    raw["arrivals"]["mix"] = {"adult": 0.7, "child": 0.3}
    raw["uncertainty"] = uncertainty
    return bk.config.config_from_dict(raw)


LABOUR = {"sd": 0.4, "autocorrelation": 0.5, "effect": 1.0, "relapse_effect": 0.5}
CASES = {
    "exempel_2026 (everything)": lambda: _exempel(),
    "exempel_2026 labour only": lambda: _exempel(**{"uncertainty.shares": {}}),
    "exempel_2026 shares only": lambda: _exempel(**{"uncertainty.labour_market.sd": 0.0}),
    "exempel_2026 strong years (rows over 1)": lambda: _exempel(
        **{"uncertainty.labour_market.sd": 2.5, "uncertainty.labour_market.effect": 3.0}
    ),
    "prolonged, shock and shares": lambda: _prolonged(
        {
            "labour_market": LABOUR,
            "shares": {
                "groups.adult.states.intro.exits[0].share": {"min": 0.2, "max": 0.9},
                "groups.adult.relocation.annual_probability": {"min": 0.0, "max": 0.3},
                "groups.adult.states.prolonged.exits[0].monthly_shares": {"mean": 0.2, "sd": 0.05},
            },
        }
    ),
    "prolonged, shares only": lambda: _prolonged(
        {"shares": {"groups.child.relocation.annual_probability": {"min": 0.05, "max": 0.4}}}
    ),
    "prolonged, shock without relapse": lambda: _prolonged(
        {"labour_market": {**LABOUR, "relapse_effect": 0.0, "sd": 1.5}}
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_compiled_tables_equal_the_numpy_reference_bit_for_bit(case):
    model = compile_model(CASES[case]())
    assert_tables_match(model, case, (1, 37, 300))
    for seed, runs in enumerate((1, 37, 300), start=1):
        assert not chunk_tables(model, draw(model, seed, np.arange(runs)), move=False).move


def test_the_cases_reach_the_branches():
    """A strong year asks for more than is left (the excess step), and some draws are pulled
    back, so that the equality above covers those paths."""
    model = compile_model(CASES["exempel_2026 strong years (rows over 1)"]())
    d = draw(model, 3, np.arange(300))
    assert (d.labour * model.labour.effect).max() > 3
    t = chunk_tables_numpy(model, d)
    assert (t.stay == 0.0).any()
    model = compile_model(CASES["prolonged, shock and shares"]())
    d = draw(model, 3, np.arange(300))
    drawn = d.shares.copy()
    chunk_tables(model, d)
    assert (d.shares != drawn).any()


@pytest.mark.parametrize("case", CASES)
def test_a_plan_folds_any_slice_of_runs_as_the_whole_chunk(case):
    """``TablePlan.fold(lo, hi)`` gives exactly the rows lo … hi − 1 of the chunk's tables."""
    model = compile_model(CASES[case]())
    whole = chunk_tables(model, draw(model, 4, np.arange(37)))
    plan = table_plan(model, draw(model, 4, np.arange(37)))
    for lo, hi in ((0, 1), (1, 2), (5, 13), (13, 21), (36, 37), (0, 37)):
        part = plan.fold(lo, hi, move=True)
        for field in FIELDS:
            np.testing.assert_array_equal(
                getattr(part, field), getattr(whole, field)[lo:hi], err_msg=f"{case}: {field}"
            )


def _flat_from_numpy(stay: np.ndarray, cum: np.ndarray) -> np.ndarray:
    """The numpy formula the event engine used before the kernel (the naive reference)."""
    same = (stay == stay[..., -1:]) & (cum == cum[..., -1:, :]).all(-1)
    suffix = np.flip(np.logical_and.accumulate(np.flip(same, axis=-1), axis=-1), axis=-1)
    return np.argmax(suffix, axis=-1).astype(np.int64)


@pytest.mark.parametrize("case", CASES)
def test_flat_from_rows_equals_the_numpy_formula(case):
    model = compile_model(CASES[case]())
    t = chunk_tables(model, draw(model, 5, np.arange(40)))
    stay, cum = t.stay.copy(), t.cum.copy()
    stay[0, 0, 0, 0, 3] = 0.5  # a row unlike the last, then rows equal to it again
    stay[1, 0, 0, 0, -1] = np.nan  # a last row unequal to itself: 0, as numpy's argmax
    G, S, D = stay.shape[-3:]
    out = np.empty(stay.shape[:-1], dtype=np.int64)
    full = np.full((G, S), D)  # every row of the full tables, from (g·S + s)·D on
    _table_kernels.flat_from_rows(
        stay.reshape(-1, G * S * D), cum.reshape(-1, G * S * D, S), row_offsets(full), full,
        out.reshape(-1, G, S),
    )  # fmt: skip
    np.testing.assert_array_equal(out, _flat_from_numpy(stay, cum))
    assert out[1, 0, 0, 0] == 0 and (out > 0).any()
