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
