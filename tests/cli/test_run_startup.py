"""The start of `balanskonto run` (issue 13): the command, as a process of its own, loads
neither scipy.stats nor the array libraries that xarray would only probe (dask, distributed,
pint), and writes the same results as the same command called from Python."""

from __future__ import annotations

import os
import subprocess
import sys

import xarray as xr

from balanskonto.cli import main

#: Loaded by `run` before this change and used by none of its steps.
UNUSED = ("scipy.stats", "dask", "dask.array", "distributed", "pint")

PROBE = """
import sys
from balanskonto.cli import main
sys.argv = ["balanskonto", "run", "--runs", "40", "--seed", "3", "--quiet", "--out", sys.argv[1]]
code = main()
loaded = [m for m in {unused!r} if sys.modules.get(m) is not None]
print("loaded:", " ".join(loaded))
sys.exit(code)
"""


def test_run_as_a_process_skips_unused_imports_and_writes_the_same_results(tmp_path):
    out = tmp_path / "process.nc"
    env = {**os.environ, "BALANSKONTO_LANG": "en"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(unused=UNUSED), str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "loaded: \n" in done.stdout, done.stdout
    here = tmp_path / "in_process.nc"
    assert main(["run", "--runs", "40", "--seed", "3", "--quiet", "--out", str(here)]) == 0
    with xr.open_dataset(out) as a, xr.open_dataset(here) as b:
        assert sorted(a.variables) == sorted(b.variables)
        for name in a.variables:
            assert a[name].equals(b[name]), name  # bit for bit
            assert a[name].attrs == b[name].attrs, name
        assert {k: v for k, v in a.attrs.items() if k != "created"} == {
            k: v for k, v in b.attrs.items() if k != "created"
        }
