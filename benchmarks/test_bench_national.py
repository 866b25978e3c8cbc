"""The national batch on a sample, extrapolated: 290 SYNTHETIC municipalities
(``kommuner_syntetiska.csv``, sizes spread like Sweden's, 60 arrivals a year on average) ×
3 scenarios × 10 000 runs of ``configs/exempel_2026.toml`` (every kind of uncertainty).

Measured: loading and checking the whole batch (870 configs), then ``write_batch`` of a sample
of municipalities spread over the sizes (every 29th by arrivals, the largest included) with
fewer runs (two run counts), in this process. Each scenario × municipality's time (its
chunks, its Dataset, written into the output as it completes) is fitted as ``c0 +
c1·arrivals + (c2 + c3·arrivals)·runs``; the estimate is the load, plus the fit summed over
all 870 at 10 000 runs, plus the end of the batch (the comparisons and the län and riket
sums from the balances written, the file closed and renamed, the work folder removed),
measured at both run counts and scaled by municipalities, and by runs only for its part
that grows with them (an upper bound: part of it is paid once per batch). The output is laid
out before the first run (one run of each distinct shape of scenario); that time falls on
the first unit of the sample. The goal (issue 13) is ≤ 15 minutes on one 2-core machine;
the number is recorded, not asserted (it depends on the machine's other loads)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from balanskonto.batch import load_batch, write_batch

from conftest import ROOT

TABLE = Path(__file__).resolve().parent / "kommuner_syntetiska.csv"
SCENARIOS = """
[scenarios.bas]
[scenarios.lagkonjunktur]
"uncertainty.labour_market.mean" = -1.0
[scenarios.hogre_kostnader]
"indexation.costs" = 0.03
"""
#: Runs per scenario and municipality of the two samples (quick, full): two run counts
#: separate what a municipality costs per run from what it costs once (its Dataset, files).
RUNS = {True: (50, 150), False: (500, 1500)}
#: Every n-th municipality by size in the sample (quick: 5 of them, full: 10).
EVERY = {True: 58, False: 29}
FULL_RUNS, GOAL_MINUTES = 10_000, 15.0


def batch_file(folder: Path, table: Path, runs: int) -> Path:
    path = folder / "national.toml"
    base = ROOT / "configs" / "exempel_2026.toml"
    path.write_text(
        f'base = "{base}"\nruns = {runs}\nseed = 2026\nmunicipalities = "{table}"\n{SCENARIOS}',
        encoding="utf-8",
    )
    return path


def sample_table(folder: Path, every: int = 29) -> Path:
    lines = TABLE.read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("kommunkod"))
    rows = sorted(lines[header + 1 :], key=lambda r: -int(r.split(";")[2]))
    path = folder / "sample.csv"
    path.write_text("\n".join([lines[header], *rows[::every]]) + "\n", encoding="utf-8")
    return path


def _timed(sample, out: Path, runs: int) -> tuple[np.ndarray, float]:
    """Seconds of each scenario × municipality (its chunks, its Dataset written into the
    output as it completes; chunks run in order in this process) and of the end (the
    comparisons and sums, the file renamed)."""
    done: dict[int, float] = {}
    start = time.perf_counter()
    write_batch(
        sample,
        out,
        runs=runs,
        on_chunk=lambda chunk: done.__setitem__(chunk.scenario, time.perf_counter()),
    )
    total = time.perf_counter() - start
    ends = [done[u] for u in sorted(done)]
    return np.diff([start, *ends]), total - (ends[-1] - start)


def test_national_batch_extrapolated(tmp_path, quick, record):
    start = time.perf_counter()
    full = load_batch(batch_file(tmp_path, TABLE, FULL_RUNS))
    load_s = time.perf_counter() - start
    sample = load_batch(batch_file(tmp_path, sample_table(tmp_path, EVERY[quick]), 20))
    write_batch(sample, tmp_path / "warm.nc")  # compile, import: not timed
    arrivals = np.array([config.arrivals.per_year for _, config, _ in sample.units], float)
    rows, took, final = [], [], []
    for runs in RUNS[quick]:
        seconds, final_s = _timed(sample, tmp_path / f"s{runs}.nc", runs)
        rows += [[1.0, a, runs, a * runs] for a in arrivals]
        took += list(seconds)
        final.append((runs, final_s))
    # a unit's seconds = c0 + c1·arrivals + (c2 + c3·arrivals)·runs
    c = np.linalg.lstsq(np.array(rows), np.array(took), rcond=None)[0]
    every = np.array([config.arrivals.per_year for _, config, _ in full.units], float)
    simulate_s = float(np.sum(c[0] + c[1] * every + (c[2] + c[3] * every) * FULL_RUNS))
    # the end (comparisons and sums from the balances written, the file renamed): its part
    # that grows with the runs (the balances read and summed) from the two samples, the rest
    # paid at every run count; both scaled by units (an upper bound: part is paid once)
    (r1, f1), (r2, f2) = final
    per_run = max(0.0, (f2 - f1) / (r2 - r1))
    write_s = (max(0.0, f1 - per_run * r1) + per_run * FULL_RUNS) * len(full.units)
    write_s /= len(sample.units)
    estimate_s = load_s + simulate_s + write_s
    # where the simulation's time goes: once per unit, once per run (the run's tables,
    # factor draws, arrivals' generator, pricing, its row of the Dataset), per person
    A, U = float(every.sum()), len(every)
    split = {
        "per_unit": float(c[0] * U + c[1] * A),
        "per_run": float(c[2] * U * FULL_RUNS),
        "per_arrival_and_run": float(c[3] * A * FULL_RUNS),
    }
    runs = RUNS[quick]
    result = {
        "table": TABLE.name,
        "municipalities": len(full.municipalities),
        "scenarios": len(full.scenarios),
        "runs": FULL_RUNS,
        "sample_municipalities": len(sample.municipalities),
        "sample_runs": list(runs),
        "sample_seconds": float(sum(took) + f1 + f2),
        "unit_seconds_fit": [float(x) for x in c],
        "load_seconds": load_s,
        "estimate_simulate_seconds": simulate_s,
        "estimate_write_seconds": write_s,
        "finish_seconds_measured": [float(f1), float(f2)],
        "estimate_split_seconds": split,
        "load_average": os.getloadavg()[0],
        "estimate_minutes": estimate_s / 60,
        "goal_minutes": GOAL_MINUTES,
        "reliable": not quick,
    }
    record["national"] = result
    print(
        f"\nnational batch, {len(full.units)} scenario × municipality: samples of "
        f"{len(sample.units)} × {runs} runs; estimate at {FULL_RUNS} runs: "
        f"{estimate_s / 60:.1f} min (load {load_s:.0f} s, simulate {simulate_s:.0f} s, "
        f"finish the output {write_s:.0f} s, measured {f1:.2f} and {f2:.2f} s; goal "
        f"{GOAL_MINUTES:.0f} min); simulate: "
        + ", ".join(f"{k.replace('_', ' ')} {v:.0f} s" for k, v in split.items())
        + f"; load average {os.getloadavg()[0]:.1f}"
        + (" — quick mode: too few runs for a reliable fit, use the full mode" if quick else "")
    )
    assert len(full.municipalities) == 290 and len(full.units) == 870
