"""Scenario batches (DESIGN §9): one base config, named scenarios and a grid, run with common
random numbers and compared with a reference scenario.

A batch file is TOML (see docs/batch.md)::

    base = "sodertalje_2008.toml"        # relative to the batch file
    runs = 2000                           # optional: simulation.runs for every scenario
    seed = 1                              # optional: simulation.seed for every scenario
    reference = "bas"                     # optional: default the first scenario
    [scenarios.bas]                       # an empty table = the base as it is
    [scenarios.fler_mottagna]
    "arrivals.per_year" = [1500, 1500, 1500]
    [grid]                                # optional: every combination is a scenario
    "groups.adult.states.intro.max_months" = [18, 24]

:func:`load_batch` validates everything, every scenario's config included, before anything is
simulated; :func:`run_batch` simulates every scenario with the same seed and returns one
Dataset with a ``scenario`` dimension and the comparisons with the reference.

The runs are simulated in chunks (:mod:`balanskonto.distributed`), in this process or on a
Dask cluster, with the same result either way. :func:`write_batch` is the command: it keeps
finished chunks in ``<out>.parts/`` (``--resume``), writes NetCDF or Zarr atomically
(:func:`write_output`) and removes the parts. See docs/batch.md and docs/distributed.md.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import itertools
import json
import math
import os
import re
import shutil
import sys
import tempfile
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from . import results
from ._command import run_command
from ._format import pct, table, tkr
from .api import DEFAULT_CHUNK_RUNS, dataset_from_runs, load_config
from .compile import compile_model
from .config import Config, ConfigError, config_error, read_text_file
from .distributed import (
    PARTS_FORMAT,
    Chunk,
    PartStore,
    check_cluster_options,
    dask_client,
    describe,
    parts_folder,
    plan_chunks,
    run_chunks,
    versions,
)
from .engines import ENGINES

#: The keys a batch file may have at its top level.
BATCH_KEYS = ("base", "runs", "seed", "reference", "scenarios", "grid")
MAX_RUNS = 10_000_000
MAX_SEED = 2**63 - 1
#: Variables whose missing labels (a component or group absent from one scenario) are 0.
_ZERO_FILL_UNITS = ("SEK", "persons", "person-years")


# --------------------------------------------------------------------------------------
# The batch
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scenario:
    """One scenario: its name, its overrides (dotted path → value, in the order they are
    applied onto the base) and the validated config they give."""

    name: str
    overrides: dict[str, Any]
    config: Config = field(repr=False)


@dataclass(frozen=True)
class Batch:
    """A validated batch file: the base config and every scenario's validated config.

    ``runs`` and ``seed`` are the values every scenario runs with (the batch file's, else the
    base config's ``simulation.runs`` / ``simulation.seed``).
    """

    path: Path
    text: str = field(repr=False)
    base_path: Path
    base: Config = field(repr=False)
    scenarios: tuple[Scenario, ...]
    reference: str
    runs: int
    seed: int

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.scenarios]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def scenario(self, name: str) -> Scenario:
        for s in self.scenarios:
            if s.name == name:
                return s
        raise KeyError(name)


# --------------------------------------------------------------------------------------
# Formatting values (scenario names and the readable overrides)
# --------------------------------------------------------------------------------------
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def format_value(value: Any, *, compact: bool = False) -> str:
    """A value as inline TOML (``compact``: no spaces and unquoted text, for names)."""
    sep = "," if compact else ", "
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if compact else json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Mapping):
        eq = "=" if compact else " = "
        items = sep.join(
            f"{_toml_key(str(k))}{eq}{format_value(v, compact=compact)}" for k, v in value.items()
        )
        return f"{{{items}}}" if compact else f"{{ {items} }}" if items else "{}"
    if isinstance(value, Sequence):
        return "[" + sep.join(format_value(v, compact=compact) for v in value) + "]"
    return str(value)


def format_overrides(overrides: Mapping[str, Any]) -> str:
    """``"dotted.path" = value``, one line per override (a TOML fragment); "" for none."""
    return "\n".join(f"{json.dumps(k)} = {format_value(v)}" for k, v in overrides.items())


# --------------------------------------------------------------------------------------
# The grid
# --------------------------------------------------------------------------------------
def _within(outer: str, inner: str) -> bool:
    """True if path ``inner`` is ``outer`` or lies inside it (``a.b`` within ``a``)."""
    return inner == outer or inner.startswith((outer + ".", outer + "["))


def _labels(keys: Sequence[str]) -> dict[str, str]:
    """Each key's shortest dot-separated suffix that no other key ends with."""
    parts = {k: k.split(".") for k in keys}
    labels = {}
    for key in keys:
        for n in range(1, len(parts[key]) + 1):
            label = ".".join(parts[key][-n:])
            if all(".".join(parts[o][-n:]) != label for o in keys if o != key):
                break
        labels[key] = label
    return labels


def expand_grid(grid: Any) -> list[tuple[str, dict[str, Any]]]:
    """Every combination of a grid, as ``(name, overrides)`` in order (the last key varies
    fastest, as nested loops in file order).

    A grid is ``{dotted.path: [values]}``. A scenario is named ``label=value`` per key,
    joined by ``,``; a key's label is the last part of its path (``max_months``), or as many
    parts as tell it apart from the other keys (``intro.max_months``).

    Raises
    ------
    ConfigError
        For an empty grid, a value that is not a non-empty list, a value given twice in one
        sweep, or keys that overlap (one inside the other).
    """
    if not isinstance(grid, Mapping):
        raise config_error("grid", grid, 'is a table of "dotted.path" = [values]')
    if not grid:
        raise config_error("grid", {}, 'is empty; give "dotted.path" = [values] or remove it')
    keys = list(grid)
    for a, b in itertools.permutations(keys, 2):
        if _within(a, b):
            raise config_error(
                f"grid.{json.dumps(b)}", grid[b], f"lies inside grid.{json.dumps(a)}; sweep one"
            )
    labels = _labels(keys)
    names: dict[str, list[str]] = {}
    for key, values in grid.items():
        where = f"grid.{json.dumps(key)}"
        if not isinstance(values, list):
            raise config_error(where, values, "a sweep is a list of values, e.g. [18, 24]")
        if not values:
            raise config_error(where, values, "an empty sweep gives no scenarios; list values")
        names[key] = [f"{labels[key]}={format_value(v, compact=True)}" for v in values]
        for i, name in enumerate(names[key]):
            if name in names[key][:i]:
                raise config_error(f"{where}[{i}]", values[i], "is already in the sweep")
    combos = itertools.product(*(range(len(grid[k])) for k in keys))
    return [
        (
            ",".join(names[k][i] for k, i in zip(keys, combo, strict=True)),
            {k: grid[k][i] for k, i in zip(keys, combo, strict=True)},
        )
        for combo in combos
    ]


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------
def _whole(where: str, value: Any, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise config_error(where, value, f"must be a whole number from {minimum} to {maximum}")
    if not minimum <= value <= maximum:
        raise config_error(where, value, f"must be a whole number from {minimum} to {maximum}")
    return int(value)


def _read(path: Path) -> tuple[str, dict[str, Any]]:
    text = read_text_file(path, "batch")
    if not text.strip():
        raise ConfigError(f"{path}: the batch file is empty; see configs/batch_*.toml")
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None


def _error_path(message: str) -> str:
    """The dotted path a config error message starts with (its first problem's)."""
    lines = message.splitlines()
    several = len(lines) > 1 and lines[0].endswith("problems in the config:")
    return (lines[1].strip() if several else lines[0]).split(": ", 1)[0]


def _scenario_error(
    name: str, overrides: Mapping[str, Any], sources: Mapping[str, str], err: ConfigError
) -> ConfigError:
    """Locate a config error in the batch file: the override it comes from, if any."""
    message = str(err)
    path = _error_path(message)
    related = [k for k in sources if _within(k, path) or _within(path, k)]
    if not related:
        where = ", ".join(sources.values()) or "none"
        return ConfigError(f"scenario {name!r} (overrides: {where}): {message}")
    key = max(related, key=len)
    where = sources[key]
    if path == key and "\n" not in message:
        message = message[len(path) + 2 :]
    value = overrides[key]
    if isinstance(value, Mapping) and len(value) == 1 and not re.search(r"[.\[]", key):
        dotted = key
        while isinstance(value, Mapping) and len(value) == 1:
            ((step, value),) = value.items()
            dotted += f".{step}"
        message += (
            f'\n  (to override one value, quote its path: "{dotted}" = {format_value(value)}; '
            f"unquoted, TOML reads it as tables that replace the whole {key!r} table)"
        )
    own = where.startswith(f"scenarios.{_toml_key(name)}.")
    return ConfigError(f"{where}: {message}" if own else f"scenario {name!r}: {where}: {message}")


def _make_scenario(
    base: Config, name: str, overrides: dict[str, Any], sources: dict[str, str]
) -> Scenario:
    for key, where in sources.items():
        if _within("simulation", key):
            raise config_error(
                where,
                overrides[key],
                "the simulation table is shared by every scenario (common random numbers need "
                "the same years and runs); set runs and seed at the top of the batch file",
            )
    try:
        config = base.with_overrides(overrides) if overrides else base
        compile_model(config)  # the rules that need the compiled tables
    except ConfigError as err:
        raise _scenario_error(name, overrides, sources, err) from None
    return Scenario(name=name, overrides=overrides, config=config)


def _named_scenarios(raw: Any) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    if not isinstance(raw, Mapping):
        raise config_error("scenarios", raw, "is a table of [scenarios.NAME] tables")
    named = []
    for name, overrides in raw.items():
        where = f"scenarios.{_toml_key(name)}"
        if not name.strip():
            raise config_error(where, name, "a scenario needs a name")
        if not isinstance(overrides, Mapping):
            raise config_error(
                where, overrides, 'a scenario is a table of "dotted.path" = value overrides'
            )
        sources = {k: f"{where}.{json.dumps(k)}" for k in overrides}
        named.append((name, dict(overrides), sources))
    return named


def load_batch(path: str | Path) -> Batch:
    """Read and validate a batch file, every scenario's config included.

    Raises
    ------
    ConfigError
        Naming the batch file, the dotted path in it (``scenarios.fler_mottagna."arrivals.
        per_yeer"``) and the rule. Nothing is simulated before the whole batch is valid.
    """
    path = Path(path)
    text, raw = _read(path)
    try:
        return _load(path, text, raw)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None


def _load(path: Path, text: str, raw: dict[str, Any]) -> Batch:
    for key in raw:
        if key not in BATCH_KEYS:
            raise config_error(
                _toml_key(key),
                raw[key],
                f"unknown key in a batch file (the keys are {', '.join(BATCH_KEYS)}; "
                'overrides go in [scenarios.NAME] as "dotted.path" = value)',
            )
    if "base" not in raw:
        raise ConfigError("base: required key is missing (the config file the scenarios change)")
    if not isinstance(raw["base"], str) or not raw["base"].strip():
        raise config_error("base", raw["base"], "is the path of a config file")
    base_path = path.parent / raw["base"]
    try:
        base = load_config(base_path)
    except ConfigError as err:
        raise ConfigError(f"base: {err}") from None
    runs = _whole("runs", raw.get("runs", base.simulation.runs), 1, MAX_RUNS)
    seed = _whole("seed", raw.get("seed", base.simulation.seed), 0, MAX_SEED)

    named = _named_scenarios(raw.get("scenarios", {}))
    if not named and "grid" not in raw:
        raise ConfigError(
            "the batch has no scenarios: give [scenarios.NAME] tables (an empty one is the "
            'base as it is) or a [grid] of "dotted.path" = [values]'
        )
    specs = named
    if "grid" in raw:
        grid = expand_grid(raw["grid"])
        grid_sources = {k: f"grid.{json.dumps(k)}" for k in raw["grid"]}
        for _, overrides, sources in named:
            for key in overrides:
                for gkey in raw["grid"]:
                    if _within(gkey, key):
                        raise config_error(
                            sources[key],
                            overrides[key],
                            f"is also swept by {grid_sources[gkey]}, which would overwrite it",
                        )
        specs = [
            (
                f"{name}/{gname}" if named else gname,
                {**overrides, **goverrides},
                {**sources, **grid_sources},
            )
            for name, overrides, sources in (named or [("", {}, {})])
            for gname, goverrides in grid
        ]
    names = [name for name, _, _ in specs]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise config_error("scenarios", name, "scenario names must be unique")
    reference = raw.get("reference", names[0])
    if not isinstance(reference, str) or reference not in names:
        shown = ", ".join(names[:10]) + (", …" if len(names) > 10 else "")
        raise config_error("reference", reference, f"must name a scenario ({shown})")
    scenarios = tuple(_make_scenario(base, *spec) for spec in specs)
    return Batch(
        path=path,
        text=text,
        base_path=base_path,
        base=base,
        scenarios=scenarios,
        reference=reference,
        runs=runs,
        seed=seed,
    )


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
) -> xr.Dataset:
    """Simulate every scenario with the same seed (common random numbers) and compare.

    The runs are simulated in chunks of ``chunk_runs`` (the unit of work,
    :mod:`balanskonto.distributed`), in this process or on a Dask cluster; the result is the
    same, bit for bit, whatever the chunk size, the number of workers or the order in which
    chunks finish.

    Parameters
    ----------
    batch : a :class:`Batch` or the path of a batch file.
    engine : ``"numba"`` (default) or ``"numpy"``.
    progress : show a progress bar (runs of all scenarios) on stderr.
    runs, seed : override the batch's ``runs`` / ``seed``.
    chunk_runs : runs of one scenario per unit of work.
    client : a ``distributed.Client`` to run the chunks on (default: in this process).
    store : a :class:`~balanskonto.distributed.PartStore`: chunks found there are not
        simulated again, and every newly simulated chunk is saved there (resume).
    on_chunk : called with each :class:`~balanskonto.distributed.Chunk` after it has been
        simulated (and saved).

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
    runs, seed, chunk_runs = _settings(batch, engine, runs, seed, chunk_runs)
    chunks = plan_chunks(len(batch.scenarios), runs, chunk_runs)
    scenario_runs = _ScenarioRuns(batch, runs=runs, seed=seed, engine=engine)
    total = len(batch.scenarios) * runs
    with tqdm(total=total, unit="run", disable=not progress, desc="simulating") as bar:
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
            [s.config for s in batch.scenarios],
            seed=seed,
            engine=engine,
            on_result=finished,
            client=client,
        )
    ds = combine_scenarios(batch.names, scenario_runs.datasets(), batch.reference)
    ds.attrs = _attrs(batch, runs=runs, seed=seed, engine=engine)
    return results.annotate(ds)


def _settings(
    batch: Batch, engine: str, runs: int | None, seed: int | None, chunk_runs: int
) -> tuple[int, int, int]:
    runs = _whole("runs", batch.runs if runs is None else runs, 1, MAX_RUNS)
    seed = _whole("seed", batch.seed if seed is None else seed, 0, MAX_SEED)
    chunk_runs = _whole("chunk_runs", chunk_runs, 1, MAX_RUNS)
    if engine not in ENGINES:
        raise ConfigError(f"engine: must be one of {sorted(ENGINES)} (got {engine!r})")
    return runs, seed, chunk_runs


class _ScenarioRuns:
    """Collects the chunks of every scenario (in any order) and turns a scenario's runs
    into its Dataset as soon as all of them are there, freeing the chunks."""

    def __init__(self, batch: Batch, *, runs: int, seed: int, engine: str):
        self.batch, self.runs, self.seed, self.engine = batch, runs, seed, engine
        self.done: set[Chunk] = set()
        self._parts: dict[int, dict[int, dict[str, Any]]] = {}
        self._datasets: dict[int, xr.Dataset] = {}

    def add(self, chunk: Chunk, arrays: dict[str, Any]) -> None:
        if chunk in self.done:
            return  # a chunk is counted once, whatever delivered it twice
        self.done.add(chunk)
        parts = self._parts.setdefault(chunk.scenario, {})
        parts[chunk.first_run] = arrays
        if sum(len(p["revenue"]) for p in parts.values()) == self.runs:
            scenario = self.batch.scenarios[chunk.scenario]
            ordered = [parts[first] for first in sorted(parts)]
            ds = dataset_from_runs(scenario.config, ordered, self.seed, self.engine)
            self._datasets[chunk.scenario] = _with_provenance(ds, scenario)
            del self._parts[chunk.scenario]

    def datasets(self) -> list[xr.Dataset]:
        missing = [s.name for i, s in enumerate(self.batch.scenarios) if i not in self._datasets]
        if missing:
            raise RuntimeError(f"scenarios with runs missing: {', '.join(missing)}")
        return [self._datasets[i] for i in range(len(self.batch.scenarios))]


def _with_provenance(ds: xr.Dataset, scenario: Scenario) -> xr.Dataset:
    return with_provenance(ds, format_overrides(scenario.overrides), scenario.config)


def with_provenance(ds: xr.Dataset, overrides: str, config: Config) -> xr.Dataset:
    """A scenario's Dataset without attributes, with its overrides (TOML lines) and config."""
    ds = ds.copy()
    ds.attrs = {}
    ds["scenario_overrides"] = overrides
    ds["scenario_config_toml"] = config.toml
    ds["scenario_config_sha256"] = config.sha256
    return ds


def _fill_values(parts: Sequence[xr.Dataset]) -> dict[str, Any]:
    return {
        name: 0
        for ds in parts
        for name, var in ds.data_vars.items()
        if var.attrs.get("units") in _ZERO_FILL_UNITS
    }


def combine_scenarios(
    names: Sequence[str], parts: Sequence[xr.Dataset], reference: str
) -> xr.Dataset:
    """The scenarios' Datasets (with their provenance) as one Dataset with a ``scenario``
    dimension and the comparisons with ``reference`` (no attributes)."""
    return _compare(_combine(names, parts), reference)


def _combine(names: Sequence[str], parts: Sequence[xr.Dataset]) -> xr.Dataset:
    """Concatenate along ``scenario``: labels of a dimension that some scenarios lack (a
    component, a group) are added to all, money and counts 0 there, anything else NaN."""
    shared = {"run", "year", "quantile"}
    labels: dict[str, list[Any]] = {}
    for ds in parts:
        for dim in ds.dims:
            if dim not in shared and dim in ds.coords:
                known = labels.setdefault(str(dim), [])
                known += [v for v in ds[dim].values.tolist() if v not in known]
    if "component" in labels:
        labels["component"] = sorted(labels["component"])  # as in one run: sorted by name
    fill = _fill_values(parts)
    aligned = [
        ds.reindex({d: v for d, v in labels.items() if d in ds.dims}, fill_value=fill)
        for ds in parts
    ]
    combined = xr.concat(
        aligned,
        dim="scenario",
        data_vars="all",
        coords="different",
        compat="equals",
        join="exact",  # run, year and quantile are the same in every scenario
        combine_attrs="drop_conflicts",
        fill_value=fill,
    )
    return combined.assign_coords(scenario=np.array(list(names), dtype=object))


def _compare(ds: xr.Dataset, reference: str) -> xr.Dataset:
    names = list(ds["scenario"].values)
    balance = ds["balance"].transpose("scenario", "run", "year").values
    runs = balance.shape[1]
    diff = balance - balance[names.index(reference)]
    se = (
        diff.std(axis=1, ddof=1) / math.sqrt(runs)
        if runs > 1
        else np.full(diff[:, 0].shape, np.nan)
    )
    final = balance[:, :, -1]
    pairwise = (final[:, None, :] < final[None, :, :]).mean(axis=2)
    ds = ds.assign(
        balance_difference=(("scenario", "year"), diff.mean(axis=1)),
        balance_difference_se=(("scenario", "year"), se),
        p_worse=(("scenario", "year"), (diff < 0).mean(axis=1)),
        p_worse_pairwise=(("scenario", "scenario_other"), pairwise),
    )
    ds = ds.assign_coords(scenario_other=np.array(names, dtype=object))
    ds["balance_difference"].attrs["reference"] = reference
    ds["p_worse"].attrs["reference"] = reference
    ds["p_worse_pairwise"].attrs["year"] = int(ds["year"].values[-1])
    return ds


def _attrs(batch: Batch, *, runs: int, seed: int, engine: str) -> dict[str, Any]:
    sim = batch.base.simulation
    return {
        "title": batch.base.meta.title,
        "municipality": batch.base.meta.municipality,
        "start_year": sim.start_year,
        "years": sim.years,
        "units": "SEK",
        "batch_file": batch.path.name,
        "base": str(batch.base_path),
        "reference": batch.reference,
        "seed": seed,
        "runs": runs,
        "engine": engine,
        **results.version_stamp(),
        "batch_sha256": batch.sha256,
        "batch_toml": batch.text,
    }


# --------------------------------------------------------------------------------------
# Writing: NetCDF or Zarr, atomically, resumable
# --------------------------------------------------------------------------------------
#: Output formats by suffix.
OUTPUT_SUFFIXES = (".nc", ".zarr")
_ZARR_MARKERS = (".zgroup", ".zmetadata", "zarr.json")


def check_output(out: str | Path) -> Path:
    """The output path, checked before anything runs: ``.nc`` (NetCDF-4) or ``.zarr`` (a Zarr
    store, chunked by scenario); an existing ``.zarr`` must be a Zarr store (it is replaced).

    Raises
    ------
    ConfigError
        Naming ``--out``, the path and the rule.
    """
    out = Path(out)
    if out.suffix not in OUTPUT_SUFFIXES:
        raise ConfigError(
            f"--out: the output is a NetCDF file ending in .nc or a Zarr store ending in .zarr "
            f"(got {str(out)!r})"
        )
    exists = out.exists() or out.is_symlink()
    is_zarr = out.is_dir() and any((out / m).exists() for m in _ZARR_MARKERS)
    if out.suffix == ".zarr" and exists and not is_zarr:
        raise ConfigError(
            f"--out: {str(out)!r} exists and is not a Zarr store; it would be replaced "
            "(choose another name or delete it)"
        )
    if out.suffix == ".nc" and out.is_dir():
        raise ConfigError(f"--out: {str(out)!r} is a folder, not a NetCDF file")
    return out


def write_output(ds: xr.Dataset, out: str | Path) -> Path:
    """Write ``ds`` as NetCDF (``.nc``) or Zarr (``.zarr``), atomically: to a temporary name
    next to ``out``, then renamed over it. A reader, or a kill at any moment, sees the old
    file or the new one, never a part."""
    out = check_output(out)
    if out.suffix == ".zarr":
        return write_zarr(ds, out)
    return results.write_netcdf(ds, out)


def zarr_encoding(ds: xr.Dataset) -> dict[str, dict[str, Any]]:
    """One Zarr chunk per scenario for every variable that has the ``scenario`` dimension
    first, so that one scenario is read without the others."""
    return {
        str(name): {"chunks": (1, *var.shape[1:])}
        for name, var in ds.data_vars.items()
        if var.dims[:1] == ("scenario",) and var.ndim
    }


def write_zarr(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` as a Zarr store (format 2, consolidated metadata, chunked by scenario),
    atomically: into a temporary folder next to ``path``, which then replaces ``path`` only
    once it is complete. Read it lazily with ``xarray.open_zarr(path)``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp's folder is private (0700)
        ds.to_zarr(tmp, mode="w", zarr_format=2, consolidated=True, encoding=zarr_encoding(ds))
        _replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _replace(new: Path, target: Path) -> None:
    """Put the folder ``new`` at ``target``. An existing target is swapped with it in one
    step where the system can (Linux ``renameat2(RENAME_EXCHANGE)``), else moved aside first
    (the target is then missing for the moment between two renames); the old one is deleted
    after."""
    if not (target.exists() or target.is_symlink()):
        os.rename(new, target)
        return
    if _exchange(new, target):
        old = new
    else:
        old = target.with_name(f".{target.name}.{os.getpid()}.old")
        os.rename(target, old)
        os.rename(new, target)
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old, ignore_errors=True)
    else:
        old.unlink(missing_ok=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ≥ 3.15); False where not supported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return done == 0


def manifest(batch: Batch, *, runs: int, seed: int, chunk_runs: int, engine: str) -> dict[str, Any]:
    """What the finished chunks of a batch depend on: resuming with any of it changed is
    refused (:class:`~balanskonto.distributed.PartStore`)."""
    return {
        "format": PARTS_FORMAT,
        "batch_sha256": batch.sha256,
        "scenarios": batch.names,
        "scenario_config_sha256": [s.config.sha256 for s in batch.scenarios],
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
) -> xr.Dataset:
    """Run a batch and write it to ``out`` (``.nc`` or ``.zarr``): what ``balanskonto
    batch`` does.

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
    runs, seed, chunk_runs = _settings(batch, engine, runs, seed, chunk_runs)
    check_cluster_options(workers, scheduler)
    if client is not None and (workers is not None or scheduler is not None):
        raise ConfigError("client: give a client, or workers / scheduler, not both")
    note = log or (lambda line: None)
    folder = parts_folder(out)
    if resume and not folder.exists():
        note(f"nothing to resume in {folder}; starting from the first run")
    store = PartStore.open(
        folder,
        manifest(batch, runs=runs, seed=seed, chunk_runs=chunk_runs, engine=engine),
        resume=resume,
    )
    chunks = plan_chunks(len(batch.scenarios), runs, chunk_runs)
    total, kept = len(chunks), len(store.finished(chunks))
    if kept:
        note(f"resuming: {kept} of {total} chunks are done in {folder}")
    try:
        with dask_client(workers, scheduler) as opened:
            use = client if client is not None else opened
            if use is not None:
                note(describe(use))
            ds = run_batch(
                batch,
                engine,
                progress,
                runs=runs,
                seed=seed,
                chunk_runs=chunk_runs,
                client=use,
                store=store,
                on_chunk=on_chunk,
            )
        write_output(ds, out)
    except BaseException:
        done = len(list(folder.glob("*.npz")))
        if done:
            note(
                f"{done} of {total} chunks are kept in {folder}; run the same command with "
                "--resume to continue"
            )
        else:
            store.remove()  # nothing to resume: leave nothing behind
        raise
    store.remove()
    return ds


# --------------------------------------------------------------------------------------
# Command line: balanskonto batch BATCH.toml
# --------------------------------------------------------------------------------------
def summary(ds: xr.Dataset) -> str:
    """The final-year table that ``balanskonto batch`` prints (tkr)."""
    reference = ds.attrs["reference"]
    last = ds["year"].values[-1]
    final = ds.sel(year=last)
    q = final["balance"].quantile([0.05, 0.50, 0.95], dim="run").transpose("quantile", "scenario")
    rows = []
    for i, name in enumerate(ds["scenario"].values):
        if name == reference:
            diff, worse = "reference", ""
        else:
            d = float(final["balance_difference"].values[i])
            se = float(final["balance_difference_se"].values[i])
            diff = f"{tkr(d) if d <= 0 else '+' + tkr(d)} ± {tkr(2 * se)}"
            worse = pct(float(final["p_worse"].values[i]))
        rows.append(
            [
                str(name),
                *(tkr(v) for v in q.values[:, i]),
                pct(float(final["p_deficit"].values[i])),
                diff,
                worse,
            ]
        )
    header = ["scenario", "P5", "P50", "P95", "P(deficit)", "difference ± 2 SE", "P(worse)"]
    return (
        f"{ds.attrs['title']}: batch {ds.attrs['batch_file']}, {ds.sizes['scenario']} "
        f"scenarios, {ds.attrs['runs']} runs, seed {ds.attrs['seed']}, "
        f"engine {ds.attrs['engine']}\n"
        f"Balance account at the end of {last} (tkr); difference to the reference "
        f"{reference!r}, run by run (common random numbers), ± 2 standard errors\n"
        + table(header, rows, left=1)
    )


def _cmd_batch(args: argparse.Namespace) -> int:
    batch = load_batch(args.batch)
    out = Path(args.out) if args.out else Path("results") / f"{batch.path.stem}.nc"

    def log(line: str) -> None:
        if not args.quiet:
            print(f"balanskonto: {line}", file=sys.stderr)

    ds = write_batch(
        batch,
        out,
        args.engine,
        not args.quiet,
        runs=args.runs,
        seed=args.seed,
        chunk_runs=args.chunk_runs,
        workers=args.workers,
        scheduler=args.scheduler,
        resume=args.resume,
        log=log,
    )
    print(summary(ds))
    print(f"wrote {out}")
    return 0


def _configure(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("batch", help="TOML batch file (base config, scenarios, grid)")
    p.add_argument(
        "--out", help="output: FILE.nc (NetCDF) or FILE.zarr (default: results/<batch-stem>.nc)"
    )
    p.add_argument("--runs", type=int, help="runs per scenario (default: the batch's runs)")
    p.add_argument("--seed", type=int, help="random seed (default: the batch's seed)")
    p.add_argument("--engine", choices=sorted(ENGINES), default="numba")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="run on a new local Dask cluster of N processes (one thread each)",
    )
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on an existing Dask cluster: its scheduler address (tcp://host:8786) or "
        "scheduler file (JSON)",
    )
    p.add_argument(
        "--chunk-runs",
        type=int,
        default=DEFAULT_CHUNK_RUNS,
        metavar="N",
        help=f"runs of one scenario per unit of work (default {DEFAULT_CHUNK_RUNS}); the "
        "results do not depend on it",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted batch from the chunks kept in <out>.parts/",
    )
    p.set_defaults(func=_cmd_batch)
    return p


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``batch BATCH.toml [--out FILE.nc|FILE.zarr] [--runs N] [--seed S] [--engine E]
    [--quiet] [--workers N | --scheduler ADDRESS] [--chunk-runs N] [--resume]`` to the
    ``balanskonto`` command's subparsers; it dispatches through ``args.func``."""
    return _configure(
        subparsers.add_parser(
            "batch", help="run the scenarios of a batch file and compare them (one NetCDF)"
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``balanskonto batch`` on its own: ``main(["BATCH.toml", "--runs", "100"])``.

    Exit codes: 0 ok, 2 bad batch, config or arguments (nothing written), 1 anything else.
    """
    args = _configure(argparse.ArgumentParser(prog="balanskonto batch")).parse_args(argv)
    return run_command(args)


if __name__ == "__main__":
    sys.exit(main())
