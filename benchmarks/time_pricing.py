"""Time the pricing (``model/pricing.price``) on realistic chunks, old against new.

Not a test: ``.venv/bin/python benchmarks/time_pricing.py [--old REV] [--chunks N]
[--simulate RUNS]``.
Each config's chunks of 256 runs are drawn and simulated by the real engine (numba) once,
outside the timing; then the pricing of those chunks is timed, the pricing of commit
``REV`` (default ``358c94e``, before the sparse payment parts) and the working tree's,
interleaved in one process, best of the rounds. Every chunk's revenue and cost are checked
bit for bit (``np.array_equal``) between the two. With ``--simulate``, also
``simulate(exempel_2026, runs=RUNS)`` end to end with either pricing (interleaved).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np

import balanskonto as bk
import balanskonto.model.pricing as new_pricing
import balanskonto.simulation.run as run
from balanskonto.engines.arrivals import draw_arrivals
from balanskonto.engines.draws import draw
from balanskonto.engines.individual import ENGINES
from balanskonto.model import compile_model
from balanskonto.model.folding import table_plan
from balanskonto.simulation.run import price_args

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 256


def old_module(rev: str) -> types.ModuleType:
    """``model/pricing.py`` of commit ``rev``, imported beside the working tree's."""
    source = subprocess.run(
        ["git", "show", f"{rev}:src/balanskonto/model/pricing.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    module = types.ModuleType("balanskonto.model._old_pricing")
    module.__package__ = "balanskonto.model"
    sys.modules[module.__name__] = module
    exec(compile(source, "old_pricing.py", "exec"), module.__dict__)
    return module


def configs() -> dict[str, bk.Config]:
    example = bk.load_config(ROOT / "configs" / "exempel_2026.toml")
    return {
        "exempel_2026": example,
        "exempel_2026 plain": example.with_overrides({"uncertainty": {}, "policy": []}),
        "exempel_2026 monthly": example.with_overrides({"simulation.resolution": "month"}),
        "ensamkommande (per day)": bk.load_config(ROOT / "configs" / "ensamkommande.toml"),
        "nacka_2018 (households)": bk.load_config(ROOT / "configs" / "nacka_2018.toml"),
        "vingaker_2017": bk.load_config(ROOT / "configs" / "vingaker_2017.toml"),
    }


def chunk_inputs(config: bk.Config, chunks: int, seed: int = 1) -> tuple:
    """The model and the arguments of ``price`` for ``chunks`` chunks of the real engine."""
    model = compile_model(config)
    out = []
    for first in range(0, chunks * CHUNK, CHUNK):
        run_ids = np.arange(first, first + CHUNK, dtype=np.int64)
        draws = draw(model, seed, run_ids)
        tables = table_plan(model, draws)
        arrivals = draw_arrivals(model, seed, run_ids, draws.arrivals)
        counts = ENGINES["numba"](model, seed, run_ids, arrivals, tables)
        out.append(price_args(model, draws, arrivals, counts))
    return model, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--old", default="358c94e")
    parser.add_argument("--chunks", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--simulate", type=int, default=0, help="runs of exempel_2026")
    args = parser.parse_args()
    old = old_module(args.old)
    print(f"load average {os.getloadavg()}, {args.chunks} chunks of {CHUNK} runs")
    print(f"{'config':26s} {'old µs/run':>11s} {'new µs/run':>11s} {'speed-up':>9s}")
    for name, config in configs().items():
        model, inputs = chunk_inputs(config, args.chunks)
        for x in inputs:  # same bits, and warm caches (weights, compiled kernels)
            r0, c0 = old.price(model, *x)
            r1, c1 = new_pricing.price(model, *x)
            assert np.array_equal(r0, r1) and np.array_equal(c0, c1), name
        best = {"old": np.inf, "new": np.inf}
        for r in range(args.rounds):
            for key in ("old", "new") if r % 2 == 0 else ("new", "old"):
                price = old.price if key == "old" else new_pricing.price
                t0 = time.perf_counter()
                for x in inputs:
                    price(model, *x)
                best[key] = min(best[key], time.perf_counter() - t0)
        per_run = {k: 1e6 * v / (args.chunks * CHUNK) for k, v in best.items()}
        print(
            f"{name:26s} {per_run['old']:11.1f} {per_run['new']:11.1f} "
            f"{per_run['old'] / per_run['new']:8.1f}x"
        )
    if args.simulate:
        simulate_both(old, args.simulate, args.rounds)


def simulate_both(old: types.ModuleType, runs: int, rounds: int) -> None:
    """``simulate`` end to end with the old and the new pricing, interleaved."""
    config = configs()["exempel_2026"]
    best = {"old": np.inf, "new": np.inf}
    results = {}
    for r in range(rounds + 1):  # the first round compiles and warms the caches
        for key in ("old", "new") if r % 2 == 0 else ("new", "old"):
            run.price = old.price if key == "old" else new_pricing.price
            t0 = time.perf_counter()
            results[key] = bk.simulate(config, runs=runs)
            if r:
                best[key] = min(best[key], time.perf_counter() - t0)
    run.price = new_pricing.price
    for name in ("revenue", "cost", "balance"):
        assert np.array_equal(results["old"][name].values, results["new"][name].values), name
    print(
        f"simulate(exempel_2026, runs={runs}), best of {rounds}: "
        f"{best['old']:.3f} s with the old pricing, {best['new']:.3f} s with the new "
        f"(results identical)"
    )


if __name__ == "__main__":
    main()
