"""The engines take a chunk's per-run tables unfolded (``TablePlan``; the stepping engine folds
each run's tables in its kernel): the counts are those of the same engine on the chunk's
materialised tables, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import balanskonto as bk
from balanskonto.engines import individual
from balanskonto.engines.arrivals import draw_arrivals
from balanskonto.engines.draws import draw
from balanskonto.model import compile_model
from balanskonto.model.folding import TablePlan, chunk_tables, table_plan

from conftest import CONFIGS

FIELDS = ("person_months", "persons", "relocated_dues", "population_dues", "draws")
CASES = {
    "everything": {},
    "labour only": {"uncertainty.shares": {}},
    "shares only": {"uncertainty.labour_market.sd": 0.0},
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("engine", ["numba", "event", "numpy"])
def test_engines_on_a_plan_equal_the_engines_on_the_whole_tables(case, engine):
    config = bk.load_config(CONFIGS / "exempel_2026.toml").with_overrides(CASES[case])
    model = compile_model(config)
    runs = 4 if engine == "numpy" else 23
    ids = np.arange(100, 100 + runs, dtype=np.int64)
    draws = draw(model, 9, ids)
    arrivals = draw_arrivals(model, 9, ids, draws.arrivals, False)
    plan = table_plan(model, draw(model, 9, ids))
    assert isinstance(plan, TablePlan)
    run = individual.ENGINES[engine]
    whole = run(model, 9, ids, arrivals, chunk_tables(model, draws, move=False))
    counts = run(model, 9, ids, arrivals, plan)
    for field in FIELDS:
        np.testing.assert_array_equal(getattr(counts, field), getattr(whole, field), field)
