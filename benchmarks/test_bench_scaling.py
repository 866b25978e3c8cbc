"""Cost against persons, runs and years (×1, ×2, ×4 each; a fitted exponent of 1 in
log(time) against log(size) is linear), and peak memory against runs (flat: only the
run-level output grows). For years, the same persons are followed over 5, 10 and 20 years:
the event engine's cost grows less than linearly there, since a long stay costs one draw."""

from __future__ import annotations

import tracemalloc
from functools import partial

import numpy as np
import pytest

import balanskonto as bk
from measure import fitted_exponent, interleaved, run_engine, workload

from conftest import CONFIGS

ENGINES = ("numba", "event")


def _medium(per_year_factor: float = 1.0, years: int = 10) -> bk.Config:
    """The medium municipality; with other ``years``, the same persons (arrivals in the first
    five years) followed over a longer horizon."""
    config = bk.load_config(CONFIGS / "medium.toml")
    per_year = [300 * per_year_factor] * 5 if years != 10 else 300 * per_year_factor
    return config.with_overrides({"arrivals.per_year": per_year, "simulation.years": years})


@pytest.mark.parametrize("axis", ["persons", "runs", "years"])
def test_scaling(axis, quick, record):
    base_runs = 100 if quick else 500
    sizes = [1, 2, 4]
    loads = {}
    for k in sizes:
        if axis == "persons":
            w = workload(_medium(per_year_factor=k), base_runs)
        elif axis == "runs":
            w = workload(_medium(), base_runs * k)
        else:
            w = workload(_medium(years=5 * k), base_runs)  # 5, 10, 20 years
        loads[k] = w
    for engine in ENGINES:
        run_engine(engine, workload(_medium(), 2))
    out = {}
    for engine in ENGINES:
        tasks = {k: partial(run_engine, engine, w) for k, w in loads.items()}
        best = interleaved(tasks, 2 if quick else 4)
        out[engine] = {
            "size": [float(k) for k in sizes],
            "person_months": [loads[k].person_months for k in sizes],
            "seconds": [best[k] for k in sizes],
            "exponent": fitted_exponent(sizes, [best[k] for k in sizes]),
        }
    record.setdefault("scaling", {})[axis] = out
    assert all(np.isfinite(v["exponent"]) for v in out.values())


def test_peak_memory_is_flat_in_runs(quick, record):
    """tracemalloc's peak while simulating, minus the run-level output arrays, for growing
    numbers of runs: it stays flat because runs go through in chunks."""
    config = _medium()
    bk.simulate(config, runs=2)  # compile first
    sizes = [256, 1024] if quick else [256, 1024, 4096]
    rows = []
    for runs in sizes:
        tracemalloc.start()
        ds = bk.simulate(config, runs=runs, seed=1)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        output = sum(v.nbytes for v in ds.data_vars.values()) + ds["person_years"].nbytes
        rows.append(
            {
                "runs": runs,
                "peak_bytes": peak,
                "output_bytes": output,
                "working_bytes": peak - output,
            }
        )
    record["memory"] = rows
    # the working memory beside the output does not grow with the runs (ratio, same run)
    assert rows[-1]["working_bytes"] <= 1.5 * rows[0]["working_bytes"] + 16e6
