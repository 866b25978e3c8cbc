"""Issue 15: a resumable batch under faults. Two batches on one work folder (the second is
refused, naming the holder), a chunk changed on disk (its SHA-256 no longer matches: it is
simulated again), and a Dask cluster that lost every worker (a timeout naming --resume)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from balanskonto import batch as bt
from balanskonto.batch import cluster as dist
from balanskonto.batch.parts import parts_folder
from balanskonto.cli import main
from balanskonto.config import ConfigError

from conftest import batch_file

RUNS, SEED, CHUNK = 12, 21, 4
BODY = f"""runs = {RUNS}
seed = {SEED}
[scenarios.bas]
[scenarios.tolk]
"groups.adult.costs.intro.tolk" = 400.0
"""


class Interrupt(KeyboardInterrupt):
    pass


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    monkeypatch.setenv("BALANSKONTO_LANG", "en")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> xr.Dataset:
    return bt.run_batch(batch_file(tmp_path_factory.mktemp("whole"), BODY), chunk_runs=CHUNK)


def same(a: xr.Dataset, b: xr.Dataset) -> None:
    a, b = a.copy(), b.copy()
    for ds in (a, b):
        ds.attrs.pop("created", None)
        ds.attrs.pop("base", None)
    xr.testing.assert_identical(a, b)


def interrupted(tmp_path: Path, after: int = 2) -> tuple[Path, Path]:
    path = batch_file(tmp_path, BODY)
    out = tmp_path / "res" / "scen.nc"
    seen = []

    def on_chunk(chunk):
        seen.append(chunk)
        if len(seen) == after:
            raise Interrupt

    with pytest.raises(Interrupt):
        bt.write_batch(path, out, chunk_runs=CHUNK, on_chunk=on_chunk)
    return path, out


# --------------------------------------------------------------------------------------
# (a) one batch at a time per work folder
# --------------------------------------------------------------------------------------
def test_a_second_resume_while_the_first_runs_is_refused_naming_the_holder(
    tmp_path, capsys, uninterrupted
):
    path, out = interrupted(tmp_path)
    codes = []

    def second(chunk):  # the first batch is running: its lock is held
        if not codes:
            argv = ["batch", str(path), "--out", str(out), "--chunk-runs", str(CHUNK)]
            codes.append(main([*argv, "--resume", "--quiet"]))

    ds = bt.write_batch(path, out, chunk_runs=CHUNK, resume=True, on_chunk=second)
    err = capsys.readouterr().err
    assert codes == [2], err
    assert "in use by another balanskonto batch" in err and f"process {os.getpid()}" in err
    same(ds, uninterrupted)  # the first batch finished undisturbed
    assert out.exists() and not parts_folder(out).exists()


def test_a_stale_lock_of_a_dead_process_is_taken_over(tmp_path, uninterrupted):
    path, out = interrupted(tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = parts_folder(out) / "lock.json"
    holder = json.loads(lock.read_text()) if lock.exists() else {}
    import socket

    holder.update(pid=dead.pid, host=socket.gethostname(), process_start=None)
    lock.write_text(json.dumps(holder))
    same(bt.write_batch(path, out, chunk_runs=CHUNK, resume=True), uninterrupted)


def test_an_interrupted_batch_releases_its_lock(tmp_path):
    _, out = interrupted(tmp_path)
    assert not (parts_folder(out) / "lock.json").exists()
    assert len(list(parts_folder(out).glob("*.npz"))) == 2
    manifest = json.loads((parts_folder(out) / "manifest.json").read_text())
    assert len(manifest["chunk_sha256"]) == 2  # one SHA-256 per finished chunk


# --------------------------------------------------------------------------------------
# (b) a chunk changed on disk is simulated again
# --------------------------------------------------------------------------------------
def test_a_chunk_rewritten_as_a_valid_file_is_simulated_again(tmp_path, uninterrupted):
    path, out = interrupted(tmp_path)
    chunk = sorted(parts_folder(out).glob("*.npz"))[0]
    with np.load(chunk) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["revenue"] = arrays["revenue"] * 1.5
    with open(chunk, "wb") as f:
        np.savez(f, **arrays)
    same(bt.write_batch(path, out, chunk_runs=CHUNK, resume=True), uninterrupted)


# --------------------------------------------------------------------------------------
# (c) every Dask worker gone: a timeout, not a silent hang
# --------------------------------------------------------------------------------------
def test_a_cluster_without_workers_times_out_naming_resume(tmp_path, monkeypatch):
    """The timeout path, on a client whose cluster has no worker (as after every worker was
    killed): a LocalCluster scaled to none, so that nothing can run."""
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    monkeypatch.setattr(dist, "POLL_SECONDS", 0.1)
    path = batch_file(tmp_path, BODY)
    out = tmp_path / "res" / "scen.nc"
    with (
        LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as cluster,
        Client(cluster) as client,
        pytest.raises(dist.WorkersLost, match="--resume"),
    ):
        bt.write_batch(path, out, chunk_runs=CHUNK, client=client, worker_timeout=1.0)
    assert not out.exists()


def test_the_worker_timeout_must_be_positive(tmp_path):
    with pytest.raises(ConfigError, match="--worker-timeout"):
        bt.write_batch(batch_file(tmp_path, BODY), tmp_path / "o.nc", worker_timeout=0)


def test_a_batch_whose_workers_all_go_away_times_out_and_resumes(tmp_path, monkeypatch):
    """Every worker of a LocalCluster removed after the first chunk: the batch stops after
    the timeout (not a silent hang), keeps its chunks, and --resume finishes it."""
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    monkeypatch.setattr(dist, "POLL_SECONDS", 0.1)
    body = BODY.replace(f"runs = {RUNS}", "runs = 800")
    path = batch_file(tmp_path, body)
    out = tmp_path / "res" / "scen.nc"
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):

        def kill_all(chunk, seen=[]):  # noqa: B006
            if not seen:
                seen.append(chunk)
                cluster.scale(0)

        with pytest.raises(dist.WorkersLost, match="--resume"):
            bt.write_batch(
                path, out, chunk_runs=CHUNK, client=client, worker_timeout=1.0, on_chunk=kill_all
            )
    assert not out.exists() and list(parts_folder(out).glob("*.npz"))
    assert not (parts_folder(out) / "lock.json").exists()
    bt.write_batch(path, out, chunk_runs=CHUNK, resume=True)
    assert out.exists() and not parts_folder(out).exists()


# --------------------------------------------------------------------------------------
# (d) a process killed before it wrote the manifest: the journal still has its chunks
# --------------------------------------------------------------------------------------
def test_chunks_of_a_killed_process_are_found_by_their_journal(tmp_path, uninterrupted):
    path, out = interrupted(tmp_path)
    manifest_path = parts_folder(out) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["chunk_sha256"] = {}  # as a killed process leaves it: no flush on the way out
    manifest_path.write_text(json.dumps(manifest))
    assert len((parts_folder(out) / "chunk_sha256.txt").read_text().splitlines()) == 2
    simulated = []
    ds = bt.write_batch(path, out, chunk_runs=CHUNK, resume=True, on_chunk=simulated.append)
    assert len(simulated) == 2 * RUNS // CHUNK - 2  # the two journalled chunks are reused
    same(ds, uninterrupted)


def test_a_journal_line_cut_short_is_simulated_again(tmp_path, uninterrupted):
    path, out = interrupted(tmp_path)
    manifest_path = parts_folder(out) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["chunk_sha256"] = {}
    manifest_path.write_text(json.dumps(manifest))
    journal = parts_folder(out) / "chunk_sha256.txt"
    journal.write_text(journal.read_text()[:-20])  # the last line cut by the kill
    simulated = []
    ds = bt.write_batch(path, out, chunk_runs=CHUNK, resume=True, on_chunk=simulated.append)
    assert len(simulated) == 2 * RUNS // CHUNK - 1
    same(ds, uninterrupted)


def test_the_manifest_is_not_rewritten_for_every_chunk(tmp_path, monkeypatch):
    from balanskonto.batch.parts import PartStore

    writes = []
    original = PartStore._write_manifest
    monkeypatch.setattr(
        PartStore, "_write_manifest", lambda self: (writes.append(1), original(self))
    )
    bt.write_batch(batch_file(tmp_path, BODY), tmp_path / "o.nc", chunk_runs=CHUNK)
    assert len(writes) == 1  # when the folder is opened; 2 · 12 / 4 = 6 chunks
