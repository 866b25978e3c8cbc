"""Start-up of `balanskonto run` of the bundled example (its 2 000 runs, issue 13's goal:
≤ 1.5 s end to end with a warm numba cache): import + compile with an empty numba cache, and
the best of a few runs with the cache that the first call left (numba's cache=True). The
machine's load average is recorded beside it: on a shared machine the wall time follows it."""

from __future__ import annotations

import os
import subprocess
import sys
import time


def _run(cache_dir, out) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one `balanskonto run --quiet` in a process of
    its own."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir)}
    cmd = [sys.executable, "-m", "balanskonto.cli", "run", "--quiet", "--out", str(out)]
    before = os.times()
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - t0
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


def test_cold_and_warm_start(tmp_path, record, quick):
    cache = tmp_path / "numba_cache"
    cold, _ = _run(cache, tmp_path / "a.nc")
    warm = [_run(cache, tmp_path / "b.nc") for _ in range(2 if quick else 5)]
    best = min(warm)
    record["startup"] = {
        "config": "the bundled example (2 000 runs)",
        "cold_seconds": cold,
        "cached_seconds": best[0],
        "cached_cpu_seconds": best[1],
        "cached_all_seconds": [w for w, _ in warm],
        "load_average_1min": os.getloadavg()[0],
    }
    assert any(cache.rglob("*.nbi"))  # the first call wrote the cache the others used


#: The light modules that `balanskonto --help` must not load (the heavy imports wait for the
#: command that uses them).
HEAVY = ("xarray", "matplotlib", "docx", "dask", "numba", "pydantic", "openpyxl", "numpy")


def _help_seconds() -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "balanskonto.cli", "--help"], check=True, capture_output=True
    )
    return time.perf_counter() - t0


def test_help_starts_fast(record, quick):
    """`balanskonto --help`: the best of a few starts (the disk cache warm), under 0.5 s; and
    the command line loads none of the heavy libraries before a command needs them."""
    probe = "import sys, balanskonto.cli; print(' '.join(sorted(sys.modules)))"
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", probe], check=True, capture_output=True, text=True
        ).stdout.split()
    )
    assert not loaded & set(HEAVY), loaded & set(HEAVY)
    times = [_help_seconds() for _ in range(3 if quick else 7)]
    record["help"] = {"best_seconds": min(times), "median_seconds": sorted(times)[len(times) // 2]}
    assert min(times) < 0.5, times
