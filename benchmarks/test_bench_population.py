"""The population already received and the monthly resolution (DESIGN §11–§12), each side
by side with what it is measured against, interleaved in one run.

- Population against arrivals: the numba and event engines on the medium config, once with
  its arrivals and once with no arrivals and a population of as many persons (about 3 000,
  so that a run's fixed costs weigh the same on both sides); the cost per person-month
  covered (from the start or the arrival to the horizon) is compared.
- Monthly against yearly resolution: ``simulate`` end to end on the medium config, the same
  runs and seed, ``simulation.resolution`` = "month" against "year" (goal: at most 1.5×).
"""

from __future__ import annotations

from functools import partial

import numpy as np

import balanskonto as bk
from measure import interleaved, run_engine, workload

from conftest import CONFIGS

#: The goal (issue 11) is at most 1.5× (measured 1.1–1.2× on an idle machine); CI's quick
#: run on a busy 2-core machine gets a margin for timing noise, the full run holds the goal.
MAX_MONTHLY_RATIO = {False: 1.5, True: 2.0}
#: A population person may cost at most this much more per person-month than an arriving
#: one in the quick run (the goal is 1: the same kernel loop; the margin is timing noise).
MAX_POPULATION_COST_RATIO = 1.3


def _population_config(config: bk.Config, persons: int) -> bk.Config:
    """The config with no arrivals and a population like its arrivals: ``persons`` split by
    the arrivals' mix, each in its group's start state, arrived in the December before the
    start (so they follow the same paths as arriving persons, one month on)."""
    year = config.simulation.start_year - 1
    rows = [
        {"arrival": f"{year}-12", "group": name, "state": group.start, "months_in_state": 1,
         "count": round(persons * config.arrivals.mix[name])}
        for name, group in config.groups.items()
    ]  # fmt: skip
    return config.with_overrides({"arrivals.per_year": 0.0, "population": {"rows": rows}})


def test_population_costs_no_more_per_person_month_than_arrivals(benchmark, quick, record):
    config = bk.load_config(CONFIGS / "medium.toml")
    runs = 100 if quick else 1000
    arriving = workload(config, runs)
    # as many persons as arrive in a run: a run's fixed costs weigh the same on both sides
    population = workload(_population_config(config, arriving.persons // runs), runs)
    months = {
        "arrivals": arriving.person_months,
        "population": int(population.model.population[:, 4].sum()) * runs * population.model.months,
    }
    row = {}
    for engine in ("numba", "event"):
        loads = {"arrivals": arriving, "population": population}
        for w in loads.values():
            run_engine(engine, w)  # compile or load outside the timing
        tasks = {k: partial(run_engine, engine, w) for k, w in loads.items()}
        best = interleaved(tasks, 2 if quick else 5)
        rate = {k: months[k] / best[k] for k in loads}
        row[engine] = {
            "arrivals_person_steps_per_s": rate["arrivals"],
            "population_person_steps_per_s": rate["population"],
            "population_cost_ratio": rate["arrivals"] / rate["population"],
        }
    benchmark.pedantic(run_engine, args=("numba", population), rounds=1)
    record["population"] = row
    for engine, r in row.items():
        assert r["population_cost_ratio"] <= MAX_POPULATION_COST_RATIO, (engine, r)


def test_monthly_resolution_against_yearly(benchmark, quick, record):
    config = bk.load_config(CONFIGS / "medium.toml")
    monthly = config.with_overrides({"simulation.resolution": "month"})
    runs = 200 if quick else 2000
    tasks = {
        "year": partial(bk.simulate, config, runs=runs, seed=1),
        "month": partial(bk.simulate, monthly, runs=runs, seed=1),
    }
    for task in tasks.values():
        task()  # warm: compile, caches
    best = benchmark.pedantic(interleaved, args=(tasks, 2 if quick else 5), rounds=1)
    ratio = best["month"] / best["year"]
    record["resolution"] = {
        "runs": runs,
        "year_seconds": best["year"],
        "month_seconds": best["month"],
        "month_to_year": ratio,
    }
    assert np.isfinite(ratio) and ratio <= MAX_MONTHLY_RATIO[quick], ratio
