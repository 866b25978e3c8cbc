"""Running a batch in chunks: in this process or on a Dask cluster, and resumably.

The unit of work is a :class:`Chunk` — one scenario's runs ``first_run … first_run + runs − 1``
— computed by :func:`balanskonto.simulation.simulate_runs`. A chunk returns run-level arrays
only; quantiles and every other statistic over runs are computed once, at the end, by
:func:`balanskonto.simulation.dataset_from_runs`. Every random number is keyed by (seed, run,
person, step) (DESIGN §3.7), so the result does not depend on where, in what order or in how
many chunks the runs were simulated.

Three pieces, used by :func:`balanskonto.batch.run_batch`:

- :func:`plan_chunks` splits a batch into chunks;
- :func:`run_chunks` computes them, in this process (no client) or on Dask (a
  ``distributed.Client``), and hands each finished chunk to a callback as it arrives;
- :class:`~balanskonto.batch.parts.PartStore` keeps finished chunks on disk
  (``<out>.parts/``), so an interrupted batch continues where it stopped (``--resume``).

:func:`dask_client` opens the client for ``--workers N`` (a ``LocalCluster``) or
``--scheduler ADDRESS`` (an existing cluster). Dask is imported only when it is used.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..config.errors import ConfigError
from ..config.schema import Config
from ..engines.individual import ENGINES
from ..model.compiled import CompiledModel, compile_model
from ..simulation.run import DEFAULT_CHUNK_RUNS, simulate_arrays

#: Environment of the worker processes of ``--workers N``: one numba thread per worker process
#: (each worker runs one chunk at a time on one core; more threads would oversubscribe).
LOCAL_WORKER_ENV = {
    "NUMBA_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


class ClusterError(RuntimeError):
    """The Dask cluster cannot run the batch (unreachable, or workers with other versions)."""


# --------------------------------------------------------------------------------------
# Chunks
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, order=True)
class Chunk:
    """Runs ``first_run … first_run + runs − 1`` of scenario number ``scenario`` (its index
    in the batch's order)."""

    scenario: int
    first_run: int
    runs: int

    @property
    def name(self) -> str:
        """File and task name: ``s00002-r0000000512-n256``."""
        return f"s{self.scenario:05d}-r{self.first_run:010d}-n{self.runs}"


_CHUNK_NAME = re.compile(r"^s(\d{5,})-r(\d{10,})-n(\d+)$")


def plan_chunks(scenarios: int, runs: int, chunk_runs: int) -> list[Chunk]:
    """Every scenario's runs in chunks of ``chunk_runs`` (the last may be shorter), scenario
    by scenario."""
    return [
        Chunk(s, first, min(chunk_runs, runs - first))
        for s in range(scenarios)
        for first in range(0, runs, chunk_runs)
    ]


def versions() -> dict[str, str]:
    """The versions that must be the same on the client and on every worker for results to
    be bit-identical: balanskonto, numpy (the pricing) and numba (the kernels)."""
    import numba

    return {"balanskonto": __version__, "numpy": np.__version__, "numba": numba.__version__}


#: The compiled models of the configs whose chunks ran last, by ``id`` (with the config, so
#: that the id is not reused): a unit's chunks share one model, and with it the payments
#: cached on it (:mod:`balanskonto.model.pricing`), instead of compiling it for every chunk.
_MODELS: OrderedDict[int, tuple[Config, CompiledModel]] = OrderedDict()
_MODELS_KEPT = 8
_MODELS_LOCK = threading.Lock()


def compiled(config: Config) -> CompiledModel:
    """``compile_model(config)``, kept for the next chunks of the same config object."""
    with _MODELS_LOCK:
        hit = _MODELS.get(id(config))
        if hit is not None and hit[0] is config:
            _MODELS.move_to_end(id(config))
            return hit[1]
    model = compile_model(config)
    with _MODELS_LOCK:
        _MODELS[id(config)] = (config, model)
        while len(_MODELS) > _MODELS_KEPT:
            _MODELS.popitem(last=False)
    return model


def chunk_arrays(
    config: Config, first_run: int, runs: int, seed: int, engine: str, person_seed: int | None
) -> dict[str, Any]:
    """:func:`~balanskonto.simulation.simulate_runs` of one chunk, on the config's model
    compiled once for all its chunks (the same arrays, bit for bit)."""
    if engine not in ENGINES:
        raise ConfigError(f"engine: must be one of {sorted(ENGINES)} (got {engine!r})")
    return simulate_arrays(
        compiled(config),
        runs,
        seed,
        ENGINES[engine],
        DEFAULT_CHUNK_RUNS,
        False,
        first_run=first_run,
        person_seed=person_seed,
    )


def simulate_chunk(
    config: Config,
    first_run: int,
    runs: int,
    seed: int,
    engine: str,
    expected_versions: dict[str, str] | None = None,
    person_seed: int | None = None,
) -> dict[str, Any]:
    """The task a Dask worker runs: :func:`~balanskonto.simulation.simulate_runs` for one chunk,
    after checking that the worker has the client's versions and limiting numba's threads so
    that the worker's threads times numba's threads do not exceed the cores."""
    if expected_versions is not None:
        here = versions()
        wrong = [
            f"{k} {here[k]} (client: {v})" for k, v in expected_versions.items() if here[k] != v
        ]
        if wrong:
            raise ClusterError(
                "a Dask worker has other versions than the client: "
                + ", ".join(wrong)
                + "; install the same versions on the workers (docs/distributed.md)"
            )
    _limit_numba_threads()
    return chunk_arrays(config, first_run, runs, seed, engine, person_seed)


def _limit_numba_threads() -> None:
    """On a Dask worker with T threads, let each task use NUMBA_NUM_THREADS // T threads."""
    try:
        from distributed import get_worker

        threads = int(get_worker().state.nthreads)
    except (ImportError, ValueError, AttributeError):
        return  # not on a worker
    import numba

    wanted = max(1, numba.config.NUMBA_NUM_THREADS // max(1, threads))
    if numba.get_num_threads() != wanted:
        numba.set_num_threads(wanted)  # per thread: this worker thread's parallel regions


def _unit_chunk(
    config: Config, first_run: int, runs: int, person_seed: int | None, **options: Any
) -> dict[str, Any]:
    """:func:`simulate_chunk` with the unit's person seed as a mapped argument."""
    return simulate_chunk(config, first_run, runs, person_seed=person_seed, **options)


def _config_task(config: Config) -> Config:
    """A task that returns the config: kept in the task graph (not scattered) so that Dask
    can recompute it if the worker holding it dies."""
    return config


# --------------------------------------------------------------------------------------
# Running the chunks
# --------------------------------------------------------------------------------------
#: Seconds a Dask batch waits with no worker (all killed, or none could start) before it
#: gives up (``--worker-timeout``).
DEFAULT_WORKER_TIMEOUT = 120.0
#: Seconds between two looks at the cluster while no chunk finishes.
POLL_SECONDS = 1.0


class WorkersLost(RuntimeError):
    """The Dask cluster had no worker for longer than the worker timeout."""


def run_chunks(
    chunks: Sequence[Chunk],
    configs: Sequence[Config],
    *,
    seed: int,
    engine: str,
    on_result: Callable[[Chunk, dict[str, Any]], None],
    client: Any = None,
    worker_timeout: float = DEFAULT_WORKER_TIMEOUT,
    person_seeds: Sequence[int | None] | None = None,
) -> None:
    """Simulate ``chunks`` (``configs[chunk.scenario]`` each, with the persons of
    ``person_seeds[chunk.scenario]`` where given: a municipality's) and call ``on_result(chunk,
    arrays)`` in this process as each one finishes — in order without a client, in order of
    completion with one.

    On Dask, a chunk whose worker dies is recomputed by Dask on another worker (a killed
    worker loses no chunk and none is counted twice: a chunk's result is taken once, by its
    key). On an error or an interrupt the chunks not yet finished are cancelled. With no
    worker for ``worker_timeout`` seconds it raises :class:`WorkersLost` (the finished
    chunks are kept for ``--resume``) instead of waiting for ever.
    """
    own = list(person_seeds) if person_seeds is not None else [None] * len(configs)
    if client is None:
        for chunk in chunks:
            config = configs[chunk.scenario]
            arrays = chunk_arrays(
                config, chunk.first_run, chunk.runs, seed, engine, own[chunk.scenario]
            )
            on_result(chunk, arrays)
        return
    if not chunks:
        return
    from distributed import as_completed, wait

    token = uuid.uuid4().hex[:12]
    wanted = sorted({c.scenario for c in chunks})
    config_futures = {
        s: client.submit(
            _config_task, configs[s], key=f"balanskonto-config-{token}-{s}", pure=False
        )
        for s in wanted
    }
    keys = [f"balanskonto-{token}-{c.name}" for c in chunks]
    by_key = dict(zip(keys, chunks, strict=True))
    futures = client.map(
        _unit_chunk,
        [config_futures[c.scenario] for c in chunks],
        [c.first_run for c in chunks],
        [c.runs for c in chunks],
        [own[c.scenario] for c in chunks],
        seed=seed,
        engine=engine,
        expected_versions=versions(),
        key=keys,
        pure=False,
    )
    try:
        pending = as_completed(futures, with_results=True)
        waiting = set(futures)
        alone_since: float | None = None
        while not pending.is_empty():
            batch = pending.next_batch(block=False)
            for future, arrays in batch:
                on_result(by_key[future.key], arrays)
                waiting.discard(future)
                future.release()
            if batch:
                alone_since = None
                continue
            if client.scheduler_info().get("workers"):
                alone_since = None
            elif alone_since is None:
                alone_since = time.monotonic()
            elif time.monotonic() - alone_since > worker_timeout:
                raise WorkersLost(
                    f"no Dask worker for {worker_timeout:g} s (every worker died or none "
                    "could start); the finished chunks are kept: run the same command with "
                    "--resume once the cluster has workers (--worker-timeout sets the wait)"
                )
            with contextlib.suppress(TimeoutError):  # until a chunk finishes, or a poll
                wait(list(waiting), timeout=POLL_SECONDS, return_when="FIRST_COMPLETED")
    finally:
        client.cancel([*futures, *config_futures.values()])


# --------------------------------------------------------------------------------------
# The Dask client
# --------------------------------------------------------------------------------------
_ADDRESS = re.compile(
    r"^(?:(?:tcp|tls|ws|wss|ucx)://)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9._-]*)"
    r":(?P<port>\d{1,5})$"
)


def check_cluster_options(workers: int | None, scheduler: str | None) -> None:
    """Check ``--workers`` and ``--scheduler`` before anything runs (ConfigError: exit 2)."""
    if workers is not None and scheduler is not None:
        raise ConfigError("--workers and --scheduler: give one of them, not both")
    if workers is not None and (isinstance(workers, bool) or not 1 <= workers <= 4096):
        raise ConfigError(f"--workers: must be a whole number from 1 to 4096 (got {workers!r})")
    address = _ADDRESS.match(scheduler) if scheduler is not None else None
    if address is not None and not 1 <= int(address["port"]) <= 65535:
        raise ConfigError(
            f"--scheduler: the port must be from 1 to 65535 (got {address['port']} in "
            f"{scheduler!r})"
        )
    if scheduler is not None and not (address or _is_scheduler_file(scheduler)):
        raise ConfigError(
            f"--scheduler: must be a scheduler address like tcp://10.0.0.5:8786 or the path "
            f"of an existing scheduler file (JSON) (got {scheduler!r})"
        )


def _is_scheduler_file(value: str) -> bool:
    return value.endswith(".json") and Path(value).is_file()


@contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A ``distributed.Client``: on a new ``LocalCluster`` of ``workers`` processes (one
    thread and one numba thread each), or connected to ``scheduler`` (an address or a
    scheduler file). Yields None when neither is given (run in this process). The client,
    and a cluster it started, are closed on exit.
    """
    check_cluster_options(workers, scheduler)
    if workers is None and scheduler is None:
        yield None
        return
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            if _is_scheduler_file(scheduler):
                client = Client(scheduler_file=scheduler)
            else:
                client = Client(scheduler)
        except (OSError, TimeoutError) as err:
            raise ClusterError(f"--scheduler {scheduler}: cannot connect ({err})") from None
        try:
            yield client
        finally:
            client.close()
        return
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # a free port: the scheduler's HTTP server, dashboard
            env=LOCAL_WORKER_ENV,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _has_bokeh() -> bool:
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return False
    return True


def describe(client: Any) -> str:
    """One line: the cluster's workers, threads and dashboard."""
    info = client.scheduler_info()
    workers = info.get("workers", {})
    threads = sum(w.get("nthreads", 0) for w in workers.values())
    line = f"dask: {len(workers)} workers, {threads} threads at {client.scheduler.address}"
    if getattr(client, "dashboard_link", None) and _has_bokeh():
        line += f" (dashboard {client.dashboard_link})"
    return line
