"""Timing helpers shared by the benchmark tests and the report."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import balanskonto as bk
from balanskonto.engines.arrivals import draw_arrivals
from balanskonto.engines.draws import draw
from balanskonto.engines.individual import ENGINES
from balanskonto.model import CompiledModel, compile_model
from balanskonto.model.folding import chunk_tables
from balanskonto.model.tables import Tables


@dataclass
class Workload:
    """Everything an engine needs for a set of runs, prepared outside the timed region."""

    model: CompiledModel
    run_ids: np.ndarray
    arrivals: np.ndarray
    tables: Tables

    @property
    def person_months(self) -> int:
        """Months from each person's arrival to the horizon: the person-steps covered."""
        T = self.model.months
        return int((self.arrivals.sum(axis=2) * (T - np.arange(T))[None, :]).sum())

    @property
    def persons(self) -> int:
        return int(self.arrivals.sum())


def workload(config: bk.Config, runs: int, seed: int = 1) -> Workload:
    model = compile_model(config)
    run_ids = np.arange(runs, dtype=np.int64)
    draws = draw(model, seed, run_ids)
    return Workload(
        model,
        run_ids,
        draw_arrivals(model, seed, run_ids, draws.arrivals),
        chunk_tables(model, draws),
    )


def run_engine(name: str, w: Workload):
    return ENGINES[name](w.model, 1, w.run_ids, w.arrivals, w.tables)


def interleaved(tasks: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Best wall time of each task over ``rounds`` rounds, the tasks run round-robin (the
    starting task rotating), so that a slow spell of the machine hits all of them."""
    best = dict.fromkeys(tasks, np.inf)
    names = list(tasks)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            t0 = time.perf_counter()
            tasks[name]()
            best[name] = min(best[name], time.perf_counter() - t0)
    return best


def fitted_exponent(x: list[float], seconds: list[float]) -> float:
    """Slope of log(time) on log(size): 1 for a cost linear in the size."""
    return float(np.polyfit(np.log(x), np.log(seconds), 1)[0])
