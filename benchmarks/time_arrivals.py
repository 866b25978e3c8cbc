"""Time ``draw_arrivals`` for chunks of 256 runs (a timing script, not a test).

    NUMBA_NUM_THREADS=1 .venv/bin/python benchmarks/time_arrivals.py [--rounds 7] [--chunks 8]

Prints the best time over ``rounds`` (each round draws ``chunks`` chunks) per run, in µs,
for ``configs/exempel_2026.toml`` (Poisson, with its arrivals multiplier),
``benchmarks/configs/large.toml`` (Poisson, 1 300 a year) and ``exempel_2026`` as a
negative binomial (cv 0.3). With ``--reference`` it times NumPy's per-run generators too
(``draw_arrivals_numpy``), interleaved with the kernel, and checks they agree. With
``--simulate`` it also times ``simulate`` of ``exempel_2026`` with 5 000 runs (best of
``rounds``). To compare with an older tree, run it alternately with ``PYTHONPATH`` set to
that tree's ``src`` (``git archive <commit> src | tar -x -C /tmp/old``).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

import balanskonto as bk
from balanskonto.engines import arrivals
from balanskonto.engines.draws import draw
from balanskonto.model import compile_model

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 256


def cases() -> dict[str, tuple]:
    example = bk.load_config(ROOT / "configs" / "exempel_2026.toml")
    configs = {
        "exempel_2026": example,
        "large": bk.load_config(ROOT / "benchmarks" / "configs" / "large.toml"),
        "negative_binomial": example.with_overrides(
            {"arrivals.distribution": "negative_binomial", "arrivals.cv": 0.3}
        ),
    }
    out = {}
    for name, config in configs.items():
        model = compile_model(config)
        seed = config.simulation.seed
        chunks = []
        for first in range(0, 8 * CHUNK, CHUNK):
            run_ids = np.arange(first, first + CHUNK, dtype=np.int64)
            chunks.append((run_ids, draw(model, seed, run_ids).arrivals))
        out[name] = (model, seed, chunks)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--chunks", type=int, default=8)
    parser.add_argument("--reference", action="store_true")
    parser.add_argument("--simulate", action="store_true")
    args = parser.parse_args()
    print(arrivals.__file__)
    print(f"load {os.getloadavg()[0]:.2f}, {args.chunks} chunks of {CHUNK} runs")
    ways = {"draw_arrivals": arrivals.draw_arrivals}
    if args.reference and hasattr(arrivals, "draw_arrivals_numpy"):
        ways["numpy"] = arrivals.draw_arrivals_numpy
    for name, (model, seed, chunks) in cases().items():
        chunks = chunks[: args.chunks]
        for way in ways.values():  # compile, warm
            way(model, seed, *chunks[0])
        if len(ways) > 1:
            for run_ids, mult in chunks:
                got = [way(model, seed, run_ids, mult) for way in ways.values()]
                assert all(np.array_equal(got[0], g) for g in got[1:]), name
        best = dict.fromkeys(ways, np.inf)
        for r in range(args.rounds):
            order = list(ways)[r % len(ways) :] + list(ways)[: r % len(ways)]
            for key in order:
                t0 = time.perf_counter()
                for run_ids, mult in chunks:
                    ways[key](model, seed, run_ids, mult)
                best[key] = min(best[key], time.perf_counter() - t0)
        runs = len(chunks) * CHUNK
        cells = ", ".join(f"{k} {1e6 * v / runs:.2f} µs/run" for k, v in best.items())
        print(f"{name:18s} {cells}")
    if args.simulate:
        example = bk.load_config(ROOT / "configs" / "exempel_2026.toml")
        bk.simulate(example, runs=256)  # compile, warm
        best = np.inf
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            bk.simulate(example, runs=5_000)
            best = min(best, time.perf_counter() - t0)
        print(f"simulate exempel_2026, 5 000 runs: {best:.3f} s")
    print(f"load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
