"""Writes under faults (issue 15): a Ctrl-C during a NetCDF write, and the temporary files
a killed writer leaves behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import xarray as xr

from balanskonto.results import files

SCRIPT = textwrap.dedent(
    """
    import argparse, sys
    import numpy as np
    import xarray as xr
    from balanskonto.cli.command import run_command
    from balanskonto.results.files import write_output

    rng = np.random.default_rng(0)
    ds = xr.Dataset({f"v{i}": (("a", "b"), rng.random((1000, 2500))) for i in range(8)})
    for v in ds.data_vars.values():
        v.encoding.update(zlib=True, complevel=1, chunksizes=(100, 2500))
    print("ready", flush=True)
    args = argparse.Namespace(func=lambda a: (write_output(ds, sys.argv[1]), 0)[1])
    sys.exit(run_command(args))
    """
)


def _temps(folder: Path, name: str) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(f".{name}.") and p.suffix == ".tmp"]


def test_one_ctrl_c_during_a_netcdf_write_ends_the_process_and_keeps_the_old_file(tmp_path):
    """Interrupted inside the HDF5 library, ``to_netcdf`` deadlocked in xarray's backend
    lock (4 of 6 trials): one SIGINT must end the process within 10 s, exit code 1, with
    "interrupted; nothing written", the old file intact, no temp file, no traceback."""
    target = tmp_path / "x.nc"
    xr.Dataset({"old": ("t", np.arange(3.0))}).to_netcdf(target)
    before = target.read_bytes()
    env = dict(os.environ, BALANSKONTO_LANG="en", PYTHONUNBUFFERED="1")
    for trial in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-c", SCRIPT, str(target)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        try:
            assert proc.stdout.readline().strip() == "ready"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # interrupt while the temp file grows
                temps = _temps(tmp_path, "x.nc")
                if temps and temps[0].stat().st_size > (1 + trial) * (1 << 20):
                    break
                assert proc.poll() is None, proc.communicate()
                time.sleep(0.005)
            else:
                raise AssertionError("the temp file never grew")
            proc.send_signal(signal.SIGINT)
            try:
                _, err = proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                raise AssertionError("still running 10 s after one Ctrl-C") from None
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert proc.returncode == 1, err
        assert "interrupted; nothing written" in err
        assert "Traceback" not in err and "Exception ignored" not in err, err
        assert target.read_bytes() == before
        assert _temps(tmp_path, "x.nc") == []


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _small() -> xr.Dataset:
    return xr.Dataset({"v": (("scenario", "t"), np.arange(6.0).reshape(2, 3))})


def test_the_next_write_removes_the_temp_files_a_killed_writer_left(tmp_path):
    dead, live = _dead_pid(), os.getppid()
    stale_file = tmp_path / f".x.nc.{dead}.abcd1234.tmp"
    stale_dir = tmp_path / f".t.zarr.{dead}.efgh5678.tmp"
    old_unnamed = tmp_path / ".x.nc.ijkl9012.tmp"  # before the pid was in the name
    live_file = tmp_path / f".x.nc.{live}.mnop3456.tmp"
    live_dir = tmp_path / f".t.zarr.{live}.qrst7890.tmp"
    fresh_unnamed = tmp_path / ".x.nc.uvwx1234.tmp"
    others = [tmp_path / f".y.nc.{dead}.abcd1234.tmp", tmp_path / f".x.nc.5.nc.{dead}.abcd1234.tmp"]
    for f in (stale_file, old_unnamed, live_file, fresh_unnamed, *others):
        f.write_bytes(b"partial")
    for d in (stale_dir, live_dir):
        d.mkdir()
        (d / ".zgroup").write_text("{}")
    hour_ago = time.time() - 3600
    os.utime(old_unnamed, (hour_ago, hour_ago))

    files.write_output(_small(), tmp_path / "x.nc")
    files.write_output(_small(), tmp_path / "t.zarr")

    assert not stale_file.exists() and not old_unnamed.exists() and not stale_dir.exists()
    assert live_file.exists() and fresh_unnamed.exists() and live_dir.exists()
    assert all(f.exists() for f in others)  # another target's, not ours
    assert xr.open_dataset(tmp_path / "x.nc").v.shape == (2, 3)


def test_temp_names_carry_the_writers_pid(tmp_path, monkeypatch):
    seen = []
    real = xr.Dataset.to_netcdf

    def spy(self, path, *a, **k):
        seen.append(Path(path).name)
        return real(self, path, *a, **k)

    monkeypatch.setattr(xr.Dataset, "to_netcdf", spy)
    files.write_netcdf(_small(), tmp_path / "x.nc")
    assert seen[0].startswith(f".x.nc.{os.getpid()}.") and seen[0].endswith(".tmp")


AFTER = textwrap.dedent(
    """
    import argparse, sys, threading, time
    from balanskonto.cli.command import run_command

    threading.Thread(target=time.sleep, args=(30,)).start()  # joined at shutdown, like Dask's
    code = run_command(argparse.Namespace(func=lambda a: 0))
    print("written", flush=True)
    sys.exit(code)
    """
)


def test_a_ctrl_c_after_the_write_prints_no_traceback():
    """Seen: a traceback from ``threading._shutdown`` (and Dask's atexit hook) for a Ctrl-C
    that came once the file was written."""
    proc = subprocess.Popen(
        [sys.executable, "-c", AFTER],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "written"
        time.sleep(0.5)  # into the interpreter's shutdown, waiting for the thread
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "Exception ignored" not in err, err
