"""Engines side by side, interleaved in one process, on the small, medium and large
municipality and on the large one with labour-market shocks; and a regional batch.

Rates: person-steps/s = person-months covered (each person's months from arrival to the
horizon) per second of wall time; draws/s = uniforms drawn per second (months actually
stepped, for the stepping engines); runs/s. CI fails only on ratios measured here, in the
same run: each numba engine at least 5x the numpy reference."""

from __future__ import annotations

import time
from functools import partial

import pytest

import balanskonto as bk
from balanskonto.batch.runner import run_batch
from balanskonto.batch.spec import load_batch
from measure import interleaved, run_engine, workload

from conftest import CONFIGS

MIN_RATIO = 5.0
RUNS = {  # runs per engine: quick (CI) and full
    True: {"numba": 200, "event": 200, "numpy": 10},
    False: {"numba": 2000, "event": 2000, "numpy": 60},
}


@pytest.mark.parametrize("size", ["small", "medium", "large", "large_shocks"])
def test_engines_side_by_side(benchmark, size, quick, record):
    config = bk.load_config(CONFIGS / f"{size}.toml")
    runs = RUNS[quick]
    loads = {name: workload(config, n) for name, n in runs.items()}
    warm = workload(config, 2)
    for name in runs:  # compile (or load from the cache) outside the timing
        run_engine(name, warm)
    tasks = {name: partial(run_engine, name, w) for name, w in loads.items()}
    best = benchmark.pedantic(interleaved, args=(tasks, 3 if quick else 5), rounds=1)
    draws = {name: run_engine(name, w).draws for name, w in loads.items()}
    row = {}
    for name, w in loads.items():
        row[name] = {
            "runs": runs[name],
            "persons_per_run": w.persons / runs[name],
            "seconds": best[name],
            "person_steps_per_s": w.person_months / best[name],
            "draws_per_s": draws[name] / best[name],
            "runs_per_s": runs[name] / best[name],
        }
    for name in ("numba", "event"):
        row[name]["ratio_to_numpy"] = (
            row[name]["person_steps_per_s"] / row["numpy"]["person_steps_per_s"]
        )
    record.setdefault("engines", {})[size] = row
    benchmark.extra_info.update(
        {f"{k}_person_steps_per_s": v["person_steps_per_s"] for k, v in row.items()}
    )
    for name in ("numba", "event"):
        assert row[name]["ratio_to_numpy"] >= MIN_RATIO, (name, row[name]["ratio_to_numpy"])


def test_regional_batch(benchmark, quick, record):
    batch = load_batch(CONFIGS / "regional.toml")
    runs = 100 if quick else 1000
    run_batch(batch, runs=2)  # warm-up
    t0 = time.perf_counter()
    ds = benchmark.pedantic(run_batch, args=(batch,), kwargs={"runs": runs}, rounds=1)
    seconds = time.perf_counter() - t0
    persons = float(ds["arrivals"].sum()) / runs
    record["regional_batch"] = {
        "scenarios": ds.sizes["scenario"],
        "runs": runs,
        "seconds": seconds,
        "scenario_runs_per_s": ds.sizes["scenario"] * runs / seconds,
        "persons_per_scenario_run": persons / ds.sizes["scenario"],
    }
    assert ds.sizes["scenario"] == 6
