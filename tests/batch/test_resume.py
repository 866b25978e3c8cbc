"""Interrupted batches and partial files: finished chunks are kept in ``<out>.parts/`` and a
batch resumed with ``--resume`` gives the uninterrupted result; a changed batch is refused;
every output is written to a temporary name and renamed, so a failure or a kill at any moment
leaves the old file or the new one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import balanskonto
from balanskonto import batch as bt
from balanskonto.batch import cluster as dist
from balanskonto.batch.parts import parts_folder
from balanskonto.cli import batch as batch_cli
from balanskonto.config import ConfigError
from balanskonto.results import files as result_files
from balanskonto.results.files import write_output

from conftest import batch_file as make_batch_file

RUNS, SEED, CHUNK = 12, 21, 4  # 3 chunks per scenario, 9 in all
BODY = f"""runs = {RUNS}
seed = {SEED}
[scenarios.bas]
[scenarios.fler_mottagna]
"arrivals.per_year" = [1500, 1500, 1500]
[scenarios.tolk]
"groups.adult.costs.intro.tolk" = 400.0
"""


class Interrupt(KeyboardInterrupt):
    """Ctrl-C after a number of chunks."""


def batch_file(folder: Path, body: str = BODY, name: str = "scen.toml") -> Path:
    return make_batch_file(folder, body, name)


def assert_same(a: xr.Dataset, b: xr.Dataset) -> None:
    """Identical but for the time of creation and the base file's path (another folder)."""
    a, b = a.copy(), b.copy()
    for ds in (a, b):
        ds.attrs.pop("created", None)
        ds.attrs.pop("base", None)
    xr.testing.assert_identical(a, b)


def interrupt_after(n: int):
    seen = []

    def on_chunk(chunk: dist.Chunk) -> None:
        seen.append(chunk)
        if len(seen) == n:
            raise Interrupt

    return on_chunk, seen


def interrupted(tmp_path: Path, after: int = 3, **options) -> tuple[Path, Path, list[str]]:
    """A batch interrupted (Ctrl-C) after ``after`` chunks: (batch file, out, log lines)."""
    path = batch_file(tmp_path)
    out = tmp_path / "res" / "scen.nc"
    on_chunk, _ = interrupt_after(after)
    log: list[str] = []
    with pytest.raises(Interrupt):
        bt.write_batch(path, out, chunk_runs=CHUNK, on_chunk=on_chunk, log=log.append, **options)
    return path, out, log


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> xr.Dataset:
    return bt.run_batch(batch_file(tmp_path_factory.mktemp("whole")))


def npz_names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.npz"))


# --------------------------------------------------------------------------------------
# Resume
# --------------------------------------------------------------------------------------
def test_an_interrupted_batch_keeps_its_chunks_and_resumes_to_the_same_result(
    tmp_path, uninterrupted
):
    path, out, log = interrupted(tmp_path, after=3)
    parts = parts_folder(out)
    assert parts == tmp_path / "res" / "scen.nc.parts"
    assert not out.exists()
    assert npz_names(parts) == [
        "s00000-r0000000000-n4.npz",
        "s00000-r0000000004-n4.npz",
        "s00000-r0000000008-n4.npz",
    ]
    assert "3 of 9 chunks are kept in" in log[-1] and "--resume" in log[-1]
    manifest = json.loads((parts / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["batch_sha256"] == bt.load_batch(path).sha256
    assert (manifest["seed"], manifest["runs"], manifest["chunk_runs"]) == (SEED, RUNS, CHUNK)
    assert manifest["balanskonto"] == balanskonto.__version__

    again, log = [], []
    ds = bt.write_batch(
        path, out, chunk_runs=CHUNK, resume=True, on_chunk=again.append, log=log.append
    )
    assert len(again) == 6  # only the chunks not yet done
    assert "resuming: 3 of 9 chunks are done" in log[0]
    assert_same(ds, uninterrupted)
    assert_same(xr.load_dataset(out), uninterrupted)
    assert not parts.exists()  # deleted after the final write
    assert sorted(p.name for p in out.parent.iterdir()) == ["scen.nc"]


def test_a_batch_killed_with_sigkill_resumes_to_the_same_result(tmp_path, capsys):
    """The literal case: ``balanskonto batch`` in a subprocess, killed (SIGKILL) once some
    chunks are on disk, then run again with --resume."""
    runs, chunk = 600, 10  # 180 chunks
    path = batch_file(tmp_path)
    out = tmp_path / "scen.nc"
    parts = parts_folder(out)
    command = [sys.executable, "-m", "balanskonto.cli", "batch", str(path), "--out", str(out)]
    command += ["--runs", str(runs), "--chunk-runs", str(chunk), "--quiet"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while len(list(parts.glob("*.npz"))) < 3 and proc.poll() is None:
            assert time.monotonic() < deadline, "no chunk was written in time"
            time.sleep(0.002)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL, "the batch finished before it was killed"
    kept = len(list(parts.glob("*.npz")))
    assert 3 <= kept < 180 and not out.exists()

    argv = [str(path), "--out", str(out), "--runs", str(runs), "--chunk-runs", str(chunk)]
    assert batch_cli.main([*argv, "--resume"]) == 0
    assert f"resuming: {kept} of 180 chunks are done" in capsys.readouterr().err
    assert not parts.exists()
    assert_same(xr.load_dataset(out), bt.run_batch(path, runs=runs))


def test_resume_without_a_work_folder_starts_from_the_first_run(tmp_path, uninterrupted):
    log: list[str] = []
    out = tmp_path / "x.zarr"
    ds = bt.write_batch(batch_file(tmp_path), out, resume=True, log=log.append)
    assert "nothing to resume" in log[0]
    assert_same(ds, uninterrupted)
    assert_same(xr.open_zarr(out).load(), uninterrupted)


def test_a_work_folder_is_not_reused_without_resume(tmp_path, capsys):
    path, out, _ = interrupted(tmp_path, after=2)
    parts = parts_folder(out)
    before = npz_names(parts)
    assert (
        batch_cli.main([str(path), "--out", str(out), "--chunk-runs", str(CHUNK), "--quiet"]) == 2
    )
    err = capsys.readouterr().err
    assert f"{parts}: holds the finished chunks of an interrupted batch; add --resume" in err
    assert npz_names(parts) == before and not out.exists()


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"seed": SEED + 1}, "seed changed since the batch was interrupted: 21 → 22"),
        ({"runs": RUNS + 4}, "runs changed since the batch was interrupted: 12 → 16"),
        ({"chunk_runs": CHUNK + 1}, "chunk_runs changed since the batch was interrupted: 4 → 5"),
        ({"engine": "numpy"}, "engine changed since the batch was interrupted: 'numba' → 'numpy'"),
        ({"batch": "[scenarios.extra]\n"}, "the batch file changed since"),
        ({"base": 1400}, r"the scenarios' configs \(the base file or the overrides changed\)"),
    ],
)
def test_resuming_a_changed_batch_is_refused(tmp_path, change, match):
    path, out, _ = interrupted(tmp_path, after=2)
    options = {"chunk_runs": CHUNK, "resume": True}
    options.update({k: v for k, v in change.items() if k not in ("batch", "base")})
    if "batch" in change:
        path.write_text(path.read_text(encoding="utf-8") + change["batch"], encoding="utf-8")
    if "base" in change:
        base = path.parent / "sodertalje_2008.toml"
        text = base.read_text(encoding="utf-8")
        base.write_text(text.replace("1300", str(change["base"])), encoding="utf-8")
    with pytest.raises(ConfigError, match=match) as err:
        bt.write_batch(path, out, **options)
    assert "cannot resume" in str(err.value) and "delete the folder" in str(err.value)
    assert len(npz_names(parts_folder(out))) == 2  # nothing deleted


def test_a_damaged_chunk_file_is_simulated_again(tmp_path, uninterrupted):
    path, out, _ = interrupted(tmp_path, after=3)
    parts = parts_folder(out)
    damaged = parts / "s00000-r0000000004-n4.npz"
    damaged.write_bytes(damaged.read_bytes()[:100])
    (parts / ".s00000-r0000000008-n4.npz.abc.tmp").write_bytes(b"half a file")
    again: list[dist.Chunk] = []
    ds = bt.write_batch(path, out, chunk_runs=CHUNK, resume=True, on_chunk=again.append)
    assert dist.Chunk(0, 4, 4) in again and len(again) == 7
    assert_same(ds, uninterrupted)


def test_a_folder_that_is_not_a_work_folder_is_not_used(tmp_path):
    path = batch_file(tmp_path)
    out = tmp_path / "scen.nc"
    parts_folder(out).mkdir()
    (parts_folder(out) / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"not a work folder of balanskonto batch"):
        bt.write_batch(path, out, resume=True)
    assert (parts_folder(out) / "notes.txt").read_text(encoding="utf-8") == "mine"


# --------------------------------------------------------------------------------------
# No partial files
# --------------------------------------------------------------------------------------
def small(value: float) -> xr.Dataset:
    rng = np.random.default_rng(int(value))
    return xr.Dataset(
        {"balance": (("scenario", "run"), rng.random((2, 50)))},
        coords={"scenario": ["a", "b"]},
        attrs={"which": value},
    )


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_a_failed_write_leaves_the_old_file_and_no_temporary_files(tmp_path, monkeypatch, suffix):
    out = tmp_path / f"r{suffix}"
    write_output(small(1), out)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    method = "to_zarr" if suffix == ".zarr" else "to_netcdf"
    real = getattr(xr.Dataset, method)

    def fail_half_way(self, target, *args, **kwargs):
        real(self.isel(run=slice(0, 5)), target, *args, **kwargs)  # part of it is on disk
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xr.Dataset, method, fail_half_way)
    with pytest.raises(OSError, match="no space left on the device"):
        write_output(small(2), out)
    monkeypatch.undo()
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    engine = "zarr" if suffix == ".zarr" else "netcdf4"
    xr.testing.assert_identical(xr.load_dataset(out, engine=engine), small(1))


WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    import xarray as xr
    from balanskonto.results.files import write_output

    def dataset(value):
        data = np.random.default_rng(int(value)).random((4, 400_000))  # 12.8 MB
        return xr.Dataset({"x": (("scenario", "run"), data)}, attrs={"which": value})

    new, old = dataset(2.0), dataset(1.0)
    print("ready", flush=True)
    while True:
        write_output(new, sys.argv[1])
        write_output(old, sys.argv[1])
    """
)


def _stopped(pid: int) -> bool:
    """The process is stopped (SIGSTOP): its state in /proc is T."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] in ("T", "t")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_a_writer_stopped_or_killed_at_any_moment_leaves_the_old_or_the_new_file(tmp_path, suffix):
    """A subprocess writes two datasets in turn, over and over, to the same target. It is
    frozen (SIGSTOP) at random moments — what is on disk then is what a kill would leave —
    and finally killed (SIGKILL); every time the target is the old or the new one, whole."""
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    out = tmp_path / f"r{suffix}"
    engine = "zarr" if suffix == ".zarr" else "netcdf4"
    expected = {v: np.random.default_rng(int(v)).random((4, 400_000)) for v in (1.0, 2.0)}
    first = xr.Dataset({"x": (("scenario", "run"), expected[1.0])}, attrs={"which": 1.0})
    write_output(first, out)

    def check() -> float:
        with xr.open_dataset(out, engine=engine) as ds:
            which = float(ds.attrs["which"])
            np.testing.assert_array_equal(ds["x"].values, expected[which])
        return which

    proc = subprocess.Popen([sys.executable, str(script), str(out)], stdout=subprocess.PIPE)
    seen = []
    try:
        assert proc.stdout.readline().strip() == b"ready"
        for delay in np.random.default_rng(7).uniform(0.01, 0.12, size=12):
            time.sleep(delay)
            proc.send_signal(signal.SIGSTOP)
            deadline = time.monotonic() + 10
            while not _stopped(proc.pid):
                assert time.monotonic() < deadline
                time.sleep(0.001)
            seen.append(check())
            proc.send_signal(signal.SIGCONT)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    seen.append(check())
    assert len(seen) == 13 and set(seen) <= {1.0, 2.0}


def test_a_zarr_store_replaces_an_existing_one_and_refuses_other_folders(tmp_path):
    out = tmp_path / "r.zarr"
    write_output(small(1), out)
    write_output(small(2), out)
    xr.testing.assert_identical(xr.open_zarr(out).load(), small(2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.zarr"]
    assert oct(out.stat().st_mode & 0o777) == oct(0o777 & ~_umask())
    mine = tmp_path / "mine.zarr"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work", encoding="utf-8")
    with pytest.raises(ConfigError, match="exists and is not a Zarr store"):
        write_output(small(1), mine)
    assert (mine / "thesis.tex").exists()


def test_replacing_without_an_atomic_exchange_still_replaces(tmp_path, monkeypatch):
    monkeypatch.setattr(result_files, "_exchange", lambda a, b: False)
    out = tmp_path / "r.zarr"
    write_output(small(1), out)
    write_output(small(2), out)
    xr.testing.assert_identical(xr.open_zarr(out).load(), small(2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.zarr"]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
