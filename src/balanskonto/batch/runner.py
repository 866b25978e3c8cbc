"""Running a batch: every scenario on the same random numbers, locally or on Dask, with resume."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import xarray as xr
from tqdm.auto import tqdm

from .._format import pct, table, tkr
from ..config.errors import ConfigError
from ..engines.individual import ENGINES
from ..model.compiled import CompiledModel, compile_model
from ..results.files import check_output
from ..results.metadata import annotate
from ..simulation.run import (
    DEFAULT_CHUNK_RUNS,
    check_size,
    dataset_from_runs,
    result_bytes,
)
from .cluster import (
    DEFAULT_WORKER_TIMEOUT,
    Chunk,
    check_cluster_options,
    compiled,
    dask_client,
    describe,
    plan_chunks,
    run_chunks,
    versions,
)
from .combine import batch_attrs, combine_scenarios, unit_scenario, with_scenario_provenance
from .municipalities import person_seed
from .national import annotate_national, combine_municipalities
from .output import lay_out, provenances
from .parts import PARTS_FORMAT, PartStore, parts_folder
from .spec import MAX_RUNS, MAX_SEED, Batch, load_batch, whole_number


# --------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------
def run_batch(
    batch: Batch | str | Path,
    engine: str = "numba",
    progress: bool = False,
    *,
    runs: int | None = None,
    seed: int | None = None,
    chunk_runs: int = DEFAULT_CHUNK_RUNS,
    client: Any = None,
    store: PartStore | None = None,
    on_chunk: Callable[[Chunk], None] | None = None,
    worker_timeout: float = DEFAULT_WORKER_TIMEOUT,
) -> xr.Dataset:
    """Simulate every scenario with the same seed (common random numbers) and compare.

    The runs are simulated in chunks of ``chunk_runs`` (the unit of work,
    :mod:`balanskonto.batch.cluster`), in this process or on a Dask cluster; the result is the
    same, bit for bit, whatever the chunk size, the number of workers or the order in which
    chunks finish. The Dataset is held in memory; :func:`write_batch` writes each scenario
    to the output as it completes instead.

    Parameters
    ----------
    batch : a :class:`Batch` or the path of a batch file.
    engine : ``"numba"`` (default) or ``"numpy"``.
    progress : show a progress bar (runs of all scenarios) on stderr.
    runs, seed : override the batch's ``runs`` / ``seed``.
    chunk_runs : runs of one scenario per unit of work.
    client : a ``distributed.Client`` to run the chunks on (default: in this process).
    store : a :class:`~balanskonto.batch.parts.PartStore`: chunks found there are not
        simulated again, and every newly simulated chunk is saved there (resume).
    on_chunk : called with each :class:`~balanskonto.batch.cluster.Chunk` after it has been
        simulated (and saved).
    worker_timeout : seconds to wait with no Dask worker before giving up
        (:class:`~balanskonto.batch.cluster.WorkersLost`).

    With ``batch.municipalities`` every scenario runs for every municipality: the result has
    a ``municipality`` dimension after ``scenario`` and the län and riket sums per run
    (:func:`~balanskonto.batch.national.combine_municipalities`); every municipality shares
    the seed's factor draws, and has persons of its own
    (:func:`~balanskonto.batch.municipalities.person_seed`).

    Returns
    -------
    xarray.Dataset
        The variables of :func:`balanskonto.simulate` with a leading ``scenario`` dimension
        (a component or group missing from a scenario is 0 there), ``scenario_overrides``,
        ``scenario_config_toml``, ``scenario_config_sha256`` (scenario), and the comparisons
        with the reference: ``balance_difference``, ``balance_difference_se``, ``p_worse``
        (scenario, year) and ``p_worse_pairwise`` (scenario, scenario_other) for the last year.
    """
    if not isinstance(batch, Batch):
        batch = load_batch(batch)
    runs, seed, chunk_runs, _ = _settings(batch, engine, runs, seed, chunk_runs)
    scenario_runs = _ScenarioRuns(batch, runs=runs, seed=seed, engine=engine)
    _simulate(
        batch, scenario_runs, engine, progress, seed=seed, chunk_runs=chunk_runs, client=client,
        store=store, on_chunk=on_chunk, worker_timeout=worker_timeout,
    )  # fmt: skip
    parts = scenario_runs.datasets()
    if batch.municipalities:
        ds = combine_municipalities(batch.names, batch.municipalities, parts, batch.reference)
    else:
        ds = combine_scenarios(batch.names, parts, batch.reference)
    ds.attrs = batch_attrs(batch, runs=runs, seed=seed, engine=engine)
    return annotate_national(annotate(ds))


def _simulate(
    batch: Batch,
    scenario_runs: _ScenarioRuns,
    engine: str,
    progress: bool,
    *,
    seed: int,
    chunk_runs: int,
    client: Any,
    store: PartStore | None,
    on_chunk: Callable[[Chunk], None] | None,
    worker_timeout: float,
) -> None:
    """Every chunk of every unit, from the store or simulated, into ``scenario_runs``."""
    units, runs = batch.units, scenario_runs.runs
    chunks = plan_chunks(len(units), runs, chunk_runs)
    with tqdm(total=len(units) * runs, unit="run", disable=not progress, desc="simulating") as bar:
        todo = chunks
        if store is not None:
            for chunk in store.finished(chunks):
                arrays = store.load(chunk)
                if arrays is not None:
                    scenario_runs.add(chunk, arrays)
                    bar.update(chunk.runs)
            todo = [c for c in chunks if c not in scenario_runs.done]

        def finished(chunk: Chunk, arrays: dict[str, Any]) -> None:
            if store is not None:
                store.save(chunk, arrays)
            scenario_runs.add(chunk, arrays)
            bar.update(chunk.runs)
            if on_chunk is not None:
                on_chunk(chunk)

        run_chunks(
            todo,
            [config for _, config, _ in units],
            seed=seed,
            engine=engine,
            on_result=finished,
            client=client,
            worker_timeout=worker_timeout,
            person_seeds=[None if c is None else person_seed(seed, c) for _, _, c in units],
        )


def _settings(
    batch: Batch,
    engine: str,
    runs: int | None,
    seed: int | None,
    chunk_runs: int,
    held: bool = True,
) -> tuple[int, int, int, list[CompiledModel]]:
    runs = whole_number("runs", batch.runs if runs is None else runs, 1, MAX_RUNS)
    seed = whole_number("seed", batch.seed if seed is None else seed, 0, MAX_SEED)
    chunk_runs = whole_number("chunk_runs", chunk_runs, 1, MAX_RUNS)
    if engine not in ENGINES:
        raise ConfigError(f"engine: must be one of {sorted(ENGINES)} (got {engine!r})")
    # in memory (``held``), every scenario's results are held together; written as they
    # complete, the largest: refuse what would not fit, before a run
    models = [compile_model(config) for _, config, _ in batch.units]
    if held:
        check_size(models, runs, "--runs / runs")
    else:
        check_size(max(models, key=lambda m: result_bytes(m, 1)), runs, "--runs / runs")
    return runs, seed, chunk_runs, models


class _ScenarioRuns:
    """Collects the chunks of every unit (a scenario, or a scenario and municipality; in any
    order) and turns a unit's runs into its Dataset as soon as all of them are there, freeing
    the chunks; with ``sink``, the Dataset (without its provenance, which the output has
    from the start) is passed to ``sink(unit, dataset)`` and not held."""

    def __init__(
        self,
        batch: Batch,
        *,
        runs: int,
        seed: int,
        engine: str,
        sink: Callable[[int, xr.Dataset], None] | None = None,
        texts: list[str] | None = None,
    ):
        self.batch, self.runs, self.seed, self.engine = batch, runs, seed, engine
        self.units, self.sink, self.texts = batch.units, sink, texts
        self.done: set[Chunk] = set()
        self._parts: dict[int, dict[int, dict[str, Any]]] = {}
        self._datasets: dict[int, xr.Dataset] = {}

    def add(self, chunk: Chunk, arrays: dict[str, Any]) -> None:
        if chunk in self.done:
            return  # a chunk is counted once, whatever delivered it twice
        self.done.add(chunk)
        u = chunk.scenario
        parts = self._parts.setdefault(u, {})
        parts[chunk.first_run] = arrays
        if sum(len(p["revenue"]) for p in parts.values()) == self.runs:
            _, config, _ = self.units[u]
            ordered = [parts[first] for first in sorted(parts)]
            text = None if self.texts is None else self.texts[u]  # config.toml, dumped once
            ds = dataset_from_runs(
                config, ordered, self.seed, self.engine, compiled(config), config_text=text
            )
            del self._parts[u], ordered, parts
            if self.sink is not None:
                self.sink(u, ds)
            else:
                scenario, extra = unit_scenario(self.batch, u)
                self._datasets[u] = with_scenario_provenance(ds, scenario, config, extra)

    @property
    def held(self) -> int:
        """Units whose Dataset is held in memory."""
        return len(self._datasets)

    def datasets(self) -> list[xr.Dataset]:
        missing = [name for i, (name, _, _) in enumerate(self.units) if i not in self._datasets]
        if missing:
            raise RuntimeError(f"scenarios with runs missing: {', '.join(missing)}")
        return [self._datasets[i] for i in range(len(self.units))]


def manifest(
    batch: Batch,
    *,
    runs: int,
    seed: int,
    chunk_runs: int,
    engine: str,
    digests: list[str] | None = None,
) -> dict[str, Any]:
    """What the finished chunks of a batch depend on: resuming with any of it changed is
    refused (:class:`~balanskonto.batch.parts.PartStore`). ``digests``: the units'
    ``config.sha256`` where the caller has them."""
    if digests is None:
        digests = [config.sha256 for _, config, _ in batch.units]
    return {
        "format": PARTS_FORMAT,
        "batch_sha256": batch.sha256,
        "scenarios": [name for name, _, _ in batch.units],
        "scenario_config_sha256": digests,
        "seed": seed,
        "runs": runs,
        "chunk_runs": chunk_runs,
        "engine": engine,
        **versions(),
    }


def write_batch(
    batch: Batch | str | Path,
    out: str | Path,
    engine: str = "numba",
    progress: bool = False,
    *,
    runs: int | None = None,
    seed: int | None = None,
    chunk_runs: int = DEFAULT_CHUNK_RUNS,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    resume: bool = False,
    on_chunk: Callable[[Chunk], None] | None = None,
    log: Callable[[str], None] | None = None,
    worker_timeout: float = DEFAULT_WORKER_TIMEOUT,
) -> xr.Dataset:
    """Run a batch and write it to ``out`` (``.nc`` or ``.zarr``): what ``balanskonto
    batch`` does.

    The output is laid out before the first run (:class:`~balanskonto.batch.output.BatchOutput`,
    under a temporary name) and each scenario's (and municipality's) Dataset is written into
    its place as it completes, once; the comparisons and sums are added at the end, and the
    file is renamed to ``out``. Memory does not grow with the number of scenarios and
    municipalities, and the file is the one :func:`run_batch`'s Dataset gives. The Dataset
    returned is ``out`` opened lazily (a variable is read when used).

    Finished chunks are kept in ``<out>.parts/`` while the batch runs; after an interrupt
    (Ctrl-C, a killed process) ``resume=True`` continues from them, and gives the same
    result as an uninterrupted run. The folder is deleted once ``out`` is written.

    Parameters
    ----------
    workers : run on a new ``LocalCluster`` of this many processes (one thread each).
    scheduler : run on an existing Dask cluster (address or scheduler file).
    client : run on this ``distributed.Client`` (Dask Gateway, dask-kubernetes, …).
    log : called with one-line notes (resuming, the cluster, what is kept on an interrupt).
    Others as :func:`run_batch`.

    Raises
    ------
    ConfigError
        Bad options or output path, or a work folder that cannot be resumed, before anything
        runs.
    """
    if not isinstance(batch, Batch):
        batch = load_batch(batch)
    out = check_output(out)
    runs, seed, chunk_runs, models = _settings(batch, engine, runs, seed, chunk_runs, held=False)
    check_cluster_options(workers, scheduler)
    if not (isinstance(worker_timeout, int | float) and 0 < worker_timeout < float("inf")):
        raise ConfigError(
            f"--worker-timeout: must be a positive number of seconds (got {worker_timeout!r})"
        )
    if client is not None and (workers is not None or scheduler is not None):
        raise ConfigError("client: give a client, or workers / scheduler, not both")
    note = log or (lambda line: None)
    folder = parts_folder(out)
    if resume and not folder.exists():
        note(f"nothing to resume in {folder}; starting from the first run")
    provenance = provenances(batch)
    digests = [digest for _, _, digest in provenance]
    store = PartStore.open(
        folder,
        manifest(
            batch, runs=runs, seed=seed, chunk_runs=chunk_runs, engine=engine, digests=digests
        ),
        resume=resume,
    )
    chunks = plan_chunks(len(batch.units), runs, chunk_runs)
    total, kept = len(chunks), len(store.finished(chunks))
    if kept:
        note(f"resuming: {kept} of {total} chunks are done in {folder}")
    output = None
    try:
        output = lay_out(batch, out, models, provenance, runs=runs, seed=seed, engine=engine)
        texts = [text for _, text, _ in provenance]
        scenario_runs = _ScenarioRuns(
            batch, runs=runs, seed=seed, engine=engine, sink=output.write, texts=texts
        )
        with dask_client(workers, scheduler) as opened:
            use = client if client is not None else opened
            if use is not None:
                note(describe(use))
            _simulate(
                batch, scenario_runs, engine, progress, seed=seed, chunk_runs=chunk_runs,
                client=use, store=store, on_chunk=on_chunk, worker_timeout=worker_timeout,
            )  # fmt: skip
        output.finish()
    except BaseException:
        if output is not None:
            output.discard()
        done = len(list(folder.glob("*.npz")))
        if done:
            store.flush()  # the finished chunks' checksums into the manifest
            store.release()
            note(
                f"{done} of {total} chunks are kept in {folder}; run the same command with "
                "--resume to continue"
            )
        else:
            store.remove()  # nothing to resume: leave nothing behind
        raise
    store.remove()
    return read_back(out)


def read_back(out: Path) -> xr.Dataset:
    """The written output, opened lazily (each variable read when it is used)."""
    engine = "zarr" if out.suffix == ".zarr" else "netcdf4"
    return xr.open_dataset(out, engine=engine, chunks=None)


# --------------------------------------------------------------------------------------
# Command line: balanskonto batch BATCH.toml
# --------------------------------------------------------------------------------------
def summary(ds: xr.Dataset) -> str:
    """The final-year table that ``balanskonto batch`` prints (tkr); for a batch of
    municipalities, of riket (the sum over every municipality, run by run)."""
    reference = ds.attrs["reference"]
    last = ds["year"].values[-1]
    final = ds.sel(year=last)
    riket = "riket_balance" in ds
    pre = "riket_" if riket else ""
    balance = final[f"{pre}balance"]
    q = balance.quantile([0.05, 0.50, 0.95], dim="run").transpose("quantile", "scenario")
    worse_name = "riket_p_worse" if riket else "p_worse"
    rows = []
    for i, name in enumerate(ds["scenario"].values):
        if name == reference:
            diff, worse = "reference", ""
        else:
            d = float(final[f"{pre}balance_difference"].values[i])
            se = float(final[f"{pre}balance_difference_se"].values[i])
            diff = f"{tkr(d) if d <= 0 else '+' + tkr(d)} ± {tkr(2 * se)}"
            worse = pct(float(final[worse_name].values[i]))
        rows.append(
            [
                str(name),
                *(tkr(v) for v in q.values[:, i]),
                pct(float(final[f"{pre}p_deficit"].values[i])),
                diff,
                worse,
            ]
        )
    header = ["scenario", "P5", "P50", "P95", "P(deficit)", "difference ± 2 SE", "P(worse)"]
    what = (
        f"riket: the sum over {ds.sizes['municipality']} municipalities, run by run; "
        if riket
        else ""
    )
    return (
        f"{ds.attrs['title']}: batch {ds.attrs['batch_file']}, {ds.sizes['scenario']} "
        f"scenarios, {ds.attrs['runs']} runs, seed {ds.attrs['seed']}, "
        f"engine {ds.attrs['engine']}\n"
        f"{what}Balance account at the end of {last} (tkr); difference to the reference "
        f"{reference!r}, run by run (common random numbers), ± 2 standard errors\n"
        + table(header, rows, left=1)
    )
