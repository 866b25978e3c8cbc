"""Cold start of `balanskonto run`: import + compile with an empty numba cache, and with the
cache that the first call left (numba's cache=True)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from conftest import CONFIGS


def _run(cache_dir, out) -> float:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir)}
    cmd = [
        sys.executable,
        "-m",
        "balanskonto.cli",
        "run",
        str(CONFIGS / "small.toml"),
        "--runs",
        "10",
        "--quiet",
        "--out",
        str(out),
    ]
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return time.perf_counter() - t0


def test_cold_and_warm_start(tmp_path, record):
    cache = tmp_path / "numba_cache"
    cold = _run(cache, tmp_path / "a.nc")
    warm = _run(cache, tmp_path / "b.nc")
    record["startup"] = {"cold_seconds": cold, "cached_seconds": warm}
    assert any(cache.rglob("*.nbi"))  # the first call wrote the cache the second one used


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
