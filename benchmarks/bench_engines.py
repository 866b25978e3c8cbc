"""Throughput of the two engines, side by side in one run.

    python benchmarks/bench_engines.py [--runs 4000] [--numpy-runs 100] [--repeat 3]

For each config: the numba engine (all threads, and 1 thread) and the numpy reference on the
same arrivals. Two rates per engine, both in millions per second:

- person-months: months from each person's arrival to the horizon, i.e. the person-steps the
  model covers. The numba kernel skips months in an absorbing state (relocated, or a state
  with no way out) with one addition per year, so it covers more than it draws.
- draws: uniforms drawn, i.e. months actually stepped one by one.

"sodertalje+hazards" adds hazards (children and elderly move, adults lose and find jobs) so that
no state but relocated is absorbing and nearly every person-month is stepped: the kernel's raw rate.
Timings exclude numba's one-off compilation (a warm-up call first); best of --repeat.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numba
import numpy as np

import balanskonto as bk
from balanskonto.arrivals import draw_arrivals
from balanskonto.compile import compile_model
from balanskonto.engines import event_engine, numba_engine, numpy_engine
from balanskonto.uncertainty import base_tables

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def _cases():
    base = bk.load_config(CONFIGS / "sodertalje_2008.toml")
    hazards = base.with_overrides(
        {
            "groups.child.relocation": {"annual_probability": 0.05},
            "groups.elderly.relocation": {"annual_probability": 0.05},
            "groups.adult.states.self_sufficient": {
                "exits": [{"to": "income_support", "annual_probability": 0.03}]
            },
            "groups.adult.states.income_support": {
                "exits": [{"to": "self_sufficient", "annual_probability": 0.2}]
            },
        }
    )
    return {"sodertalje": base, "sodertalje+hazards": hazards}


def _person_months(arrivals: np.ndarray) -> int:
    T = arrivals.shape[1]
    return int((arrivals.sum(axis=2) * (T - np.arange(T))[None, :]).sum())


def _time(engine, model, run_ids, arrivals, repeat):
    best, counts = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        counts = engine(model, 1, run_ids, arrivals, base_tables(model))
        best = min(best, time.perf_counter() - t0)
    return best, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4000, help="runs for the numba engine")
    parser.add_argument("--numpy-runs", type=int, default=100, help="runs for the numpy engine")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    threads = numba.get_num_threads()
    print(f"numba {numba.__version__}, {threads} threads; numpy {np.__version__}")
    header = (
        f"{'config':<20} {'engine':<16} {'runs':>6} {'seconds':>8} "
        f"{'M person-months/s':>18} {'M draws/s':>10}"
    )
    print(header)
    print("-" * len(header))
    for name, config in _cases().items():
        model = compile_model(config)
        rates = {}
        for label, engine, runs, nthreads in (
            ("numba", numba_engine, args.runs, threads),
            ("numba 1 thread", numba_engine, args.runs, 1),
            ("event", event_engine, args.runs, threads),
            ("numpy", numpy_engine, args.numpy_runs, threads),
        ):
            run_ids = np.arange(runs, dtype=np.int64)
            arrivals = draw_arrivals(model, 1, run_ids)
            numba.set_num_threads(nthreads)
            engine(model, 1, run_ids[:2], arrivals[:2], base_tables(model))  # warm-up / compile
            seconds, counts = _time(engine, model, run_ids, arrivals, args.repeat)
            numba.set_num_threads(threads)
            pm_rate = _person_months(arrivals) / seconds / 1e6
            rates[label] = pm_rate
            print(
                f"{name:<20} {label:<16} {runs:>6} {seconds:>8.3f} {pm_rate:>18.1f} "
                f"{counts.draws / seconds / 1e6:>10.1f}"
            )
        print(
            f"{name:<20} numba / numpy person-month rate: {rates['numba'] / rates['numpy']:.0f}x;"
            f" {threads} threads / 1 thread: {rates['numba'] / rates['numba 1 thread']:.2f}x"
        )


if __name__ == "__main__":
    main()
