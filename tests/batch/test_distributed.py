"""Batches on Dask (balanskonto.batch.cluster): a LocalCluster gives the single-process result
value for value, whatever the chunk size; a killed worker's chunks are recomputed, none lost
or counted twice; workers use one numba thread; Zarr and NetCDF outputs read back lazily."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import dask
import dask.array as da
import numpy as np
import pytest
import xarray as xr

import balanskonto as bk
from balanskonto import batch as bt
from balanskonto.batch import cluster as dist
from balanskonto.batch.parts import parts_folder
from balanskonto.cli import batch as batch_cli
from balanskonto.config import ConfigError
from balanskonto.results.files import write_output

from conftest import CONFIGS
from conftest import batch_file as make_batch_file

RUNS, SEED = 24, 13
BODY = f"""runs = {RUNS}
seed = {SEED}
[scenarios.bas]
[scenarios.fler_mottagna]
"arrivals.per_year" = [1500, 1500, 1500]
[scenarios.tolk]
"groups.adult.costs.intro.tolk" = 400.0
"""


def batch_file(folder: Path, body: str = BODY, name: str = "scen.toml") -> Path:
    return make_batch_file(folder, body, name)


def assert_same(a: xr.Dataset, b: xr.Dataset) -> None:
    """Identical values, coordinates and attributes, except the time of creation."""
    a, b = a.copy(), b.copy()
    for ds in (a, b):
        ds.attrs.pop("created", None)
    xr.testing.assert_identical(a, b)


@pytest.fixture(scope="module")
def three(tmp_path_factory) -> bt.Batch:
    return bt.load_batch(batch_file(tmp_path_factory.mktemp("three")))


@pytest.fixture(scope="module")
def local(three) -> xr.Dataset:
    """The single-process result, with the default chunk size."""
    return bt.run_batch(three)


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of 2 worker processes, as ``--workers 2`` starts it."""
    with dist.dask_client(workers=2) as c:
        c.wait_for_workers(2)
        yield c


# --------------------------------------------------------------------------------------
# The same result, wherever and in whatever chunks it is computed
# --------------------------------------------------------------------------------------
def test_chunk_size_does_not_change_the_result_in_one_process(three, local):
    assert_same(bt.run_batch(three, chunk_runs=5), local)
    assert_same(bt.run_batch(three, chunk_runs=1), local)


def test_chunk_size_does_not_change_revenue_with_level_uncertainty():
    """exempel_2026 has level and policy factors (money multipliers): chunks of 7 and of 1000
    runs give the same revenue to the last bit (money.price uses no BLAS product, whose
    rounding depends on the number of rows)."""
    from balanskonto.simulation.run import simulate_runs

    config = bk.load_config(CONFIGS / "exempel_2026.toml")
    whole = simulate_runs(config, 0, 1000, 1, chunk_runs=1000)
    parts = [simulate_runs(config, f, min(7, 1000 - f), 1) for f in range(0, 1000, 7)]
    for name in ("revenue", "cost", "person_months", "arrivals", "factor"):
        np.testing.assert_array_equal(np.concatenate([p[name] for p in parts]), whole[name])


def test_local_cluster_gives_the_single_process_result_value_for_value(three, local, client):
    assert len(client.scheduler_info()["workers"]) == 2
    for chunk_runs in (5, 256):
        on_dask = bt.run_batch(three, client=client, chunk_runs=chunk_runs)
        assert_same(on_dask, local)
    assert on_dask.sizes == local.sizes and on_dask.sizes["scenario"] == 3


def test_workers_use_one_numba_thread(client):
    def threads_in_a_task() -> tuple[int, str]:
        import numba

        dist._limit_numba_threads()
        return numba.get_num_threads(), os.environ["NUMBA_NUM_THREADS"]

    assert client.submit(threads_in_a_task, pure=False).result() == (1, "1")
    assert set(client.run(lambda: os.environ.get("OMP_NUM_THREADS")).values()) == {"1"}


def test_a_killed_worker_loses_no_chunk_and_counts_none_twice(three, local, client):
    """Kill a worker process that is running a chunk; Dask recomputes its chunks on the
    other worker (and on the one the nanny restarts) and the result is unchanged."""
    pids = client.run(os.getpid)  # worker address → process id
    delivered = []
    killed = []

    def kill_once(chunk: dist.Chunk) -> None:
        delivered.append(chunk)
        if killed:
            return
        busy = [(w, keys) for w, keys in client.processing().items() if keys and w in pids]
        if busy:
            killed.append(busy[0])
            os.kill(pids[busy[0][0]], signal.SIGKILL)

    ds = bt.run_batch(three, client=client, chunk_runs=2, on_chunk=kill_once)
    assert killed, "no worker was busy after the first chunk"
    assert len(delivered) == len(set(delivered)) == 3 * RUNS // 2
    assert_same(ds, local)
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker
    address, keys = killed[0]
    assert address not in client.scheduler_info()["workers"]
    # the scheduler's story: a chunk that was on the killed worker went to processing again
    story = [e for e in client.story(*keys) if e[0] == "scheduler"]
    started = {k: sum(1 for e in story if e[1] == k and e[3] == "processing") for k in keys}
    assert max(started.values()) >= 2, started


def test_a_chunk_runs_only_with_the_clients_versions(three):
    scenario = three.scenarios[0]
    arrays = dist.simulate_chunk(scenario.config, 3, 2, SEED, "numba", dist.versions())
    assert arrays["revenue"].shape[0] == 2
    wrong = {**dist.versions(), "balanskonto": "0.0.0"}
    with pytest.raises(dist.ClusterError, match=r"balanskonto .* \(client: 0\.0\.0\)"):
        dist.simulate_chunk(scenario.config, 0, 2, SEED, "numba", wrong)


def test_plan_chunks_covers_every_run_once():
    chunks = dist.plan_chunks(2, 10, 4)
    assert [(c.scenario, c.first_run, c.runs) for c in chunks] == [
        (0, 0, 4),
        (0, 4, 4),
        (0, 8, 2),
        (1, 0, 4),
        (1, 4, 4),
        (1, 8, 2),
    ]
    assert len({c.name for c in chunks}) == 6


# --------------------------------------------------------------------------------------
# The command line: --workers, --scheduler, Zarr output read lazily
# --------------------------------------------------------------------------------------
def test_cli_workers_writes_a_zarr_store_chunked_by_scenario(tmp_path, three, local, capsys):
    out = tmp_path / "res" / "scen.zarr"
    argv = [str(three.path), "--out", str(out), "--workers", "2", "--chunk-runs", "7", "--quiet"]
    assert batch_cli.main(argv) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    assert not parts_folder(out).exists()
    assert sorted(p.name for p in out.parent.iterdir()) == ["scen.zarr"]
    lazy = xr.open_zarr(out)
    for name in ("balance", "revenue", "person_years", "scenario_config_toml"):
        assert isinstance(lazy[name].data, da.Array)
        assert lazy[name].chunks[0] == (1, 1, 1)  # one chunk per scenario
    one = lazy["balance"].sel(scenario="tolk").isel(year=-1)
    np.testing.assert_array_equal(one.values, local["balance"].sel(scenario="tolk")[:, -1])
    assert_same(lazy.load(), local)


def test_netcdf_and_zarr_read_back_lazily_and_equal_the_result(tmp_path, local):
    nc, zarr = tmp_path / "r.nc", tmp_path / "r.zarr"
    write_output(local, nc)
    write_output(local, zarr)
    for path, engine in ((nc, "netcdf4"), (zarr, "zarr")):
        with xr.open_dataset(path, engine=engine) as lazy:  # lazily indexed, not loaded
            assert not lazy["balance"].variable._in_memory
            assert not lazy["person_years"].variable._in_memory
            assert_same(lazy.load(), local)
        with xr.open_dataset(path, engine=engine, chunks={}) as chunked:  # dask-backed
            assert all(isinstance(v.data, da.Array) for v in chunked.data_vars.values())
            assert_same(chunked.compute(), local)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        (["--workers", "0"], "--workers: must be a whole number from 1"),
        (["--workers", "-2"], "--workers: must be a whole number from 1"),
        (["--scheduler", "not an address"], "--scheduler: must be a scheduler address"),
        (["--scheduler", "tcp://"], "--scheduler: must be a scheduler address"),
        (["--scheduler", "missing.json"], "--scheduler: must be a scheduler address"),
        (["--chunk-runs", "0"], "chunk_runs: must be a whole number from 1"),
        (["--out", "x.csv"], r"--out: the output is a NetCDF file ending in \.nc or a Zarr"),
    ],
)
def test_bad_cluster_options_exit_2_and_write_nothing(tmp_path, capsys, options, match):
    path = batch_file(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    argv = [str(path), "--quiet", *options]
    if "--out" not in options:
        argv += ["--out", str(tmp_path / "x.nc")]
    assert batch_cli.main(argv) == 2
    assert re.search(match, capsys.readouterr().err)
    assert sorted(tmp_path.rglob("*")) == before


def test_workers_and_scheduler_together_is_a_usage_error(tmp_path, capsys):
    path = batch_file(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        batch_cli.main([str(path), "--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"])
    assert exit_.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="give one of them"):
        dist.check_cluster_options(2, "tcp://127.0.0.1:8786")


def test_an_unreachable_scheduler_fails_clearly_and_leaves_nothing(tmp_path, capsys):
    path = batch_file(tmp_path)
    out = tmp_path / "x.nc"
    with dask.config.set({"distributed.comm.timeouts.connect": "0.5s"}):
        code = batch_cli.main(
            [str(path), "--out", str(out), "--scheduler", "127.0.0.1:9", "--quiet"]
        )
    assert code == 1
    assert "--scheduler 127.0.0.1:9: cannot connect" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scen.toml", "sodertalje_2008.toml"]
