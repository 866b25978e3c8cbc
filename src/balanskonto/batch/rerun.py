"""Reproduce a result from the file itself: ``balanskonto rerun RESULT.nc [--out FILE]``.

Every Dataset says what made it (DESIGN §6): the config's text (``config_toml``), ``seed``,
``runs``, ``engine`` and ``balanskonto_version``; a batch adds every scenario's config
(``scenario_config_toml``). :func:`reproduce` rebuilds the configs from that text, runs them
again and compares every data variable with the file's, value for value. Because every random
number is keyed by (seed, run, person, step), an unchanged model reproduces the file exactly;
a difference means the model, its version or the file changed.

Three kinds of file are recognised: ``balanskonto run`` (``config_toml``), ``balanskonto
batch`` (``batch_toml`` and ``scenario_config_toml``) and ``balanskonto sensitivity --out``
(``config_toml`` and ``swing_runs``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from .._version import __version__
from ..config.errors import ConfigError
from ..config.reading import parse_config
from ..config.schema import Config
from ..engines.individual import ENGINES
from ..model.compiled import compile_model
from ..results.metadata import annotate, version_stamp
from ..simulation.run import simulate
from .combine import combine_scenarios, with_provenance


@dataclass(frozen=True)
class Reproduction:
    """A result file, its rerun and what differs (an empty ``differences``: exact)."""

    path: Path
    kind: str  # "run", "batch" or "sensitivity"
    original: xr.Dataset
    rerun: xr.Dataset
    differences: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def exact(self) -> bool:
        return not self.differences


def open_result(path: str | Path) -> xr.Dataset:
    """Load a result file (NetCDF, or a Zarr store ending in ``.zarr``) into memory.

    Raises
    ------
    ConfigError
        The file is missing or is not a NetCDF or Zarr Dataset.
    """
    path = Path(path)
    if not (path.exists() or path.is_symlink()):
        raise ConfigError(f"{path}: no such result file")
    try:
        if path.suffix == ".zarr" or path.is_dir():
            with xr.open_zarr(path) as ds:
                return ds.load()
        with xr.open_dataset(path, engine="netcdf4") as ds:
            return ds.load()
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ConfigError(
            f"{path}: not a result file (NetCDF or Zarr) of balanskonto ({type(err).__name__}: "
            f"{err})"
        ) from None


def reproduce(
    path: str | Path,
    *,
    progress: bool = False,
    warn: Callable[[str], None] | None = None,
) -> Reproduction:
    """Run a result file's configs again, with its seed, runs and engine, and compare.

    Parameters
    ----------
    path : a result of ``balanskonto run``, ``batch`` or ``sensitivity --out``.
    progress : show a progress bar.
    warn : called with each warning line as it arises (a version mismatch).

    Raises
    ------
    ConfigError
        The file cannot be read, has no ``config_toml`` (nor a batch's configs), or its
        seed, runs, engine or config text cannot be used.
    """
    path = Path(path)
    original = open_result(path)
    attrs = original.attrs
    kind = _kind(path, original)
    found: list[str] = []
    made_by = attrs.get("balanskonto_version")
    if made_by is None:
        found.append(f"{path} does not say which balanskonto version made it")
    elif str(made_by) != __version__:
        found.append(
            f"{path} was made by balanskonto {made_by}, this is {__version__}: the results "
            "may differ"
        )
    if warn is not None:
        for line in found:
            warn(line)
    seed = _whole_attr(path, attrs, "seed", 0)
    runs = _whole_attr(path, attrs, "runs", 1)
    engine = attrs.get("engine")
    if engine not in ENGINES:
        raise ConfigError(
            f"{path}: attribute engine: must be one of {sorted(ENGINES)} (got {engine!r})"
        )
    if kind == "batch":
        rerun = _rerun_batch(path, original, runs, seed, engine, progress)
    elif kind == "sensitivity":
        from ..analysis.sensitivity import report

        config = _config(path, "config_toml", attrs["config_toml"])
        rerun = report(
            config,
            runs=runs,
            seed=seed,
            year=_whole_attr(path, attrs, "year", 0),
            engine=engine,
            swing_runs=_whole_attr(path, attrs, "swing_runs", 1),
        )
    else:
        config = _config(path, "config_toml", attrs["config_toml"])
        rerun = simulate(config, runs=runs, seed=seed, engine=engine, progress=progress)
    rerun.attrs = {**attrs, **rerun.attrs}  # keep what the rerun does not set (target_*)
    return Reproduction(
        path=path,
        kind=kind,
        original=original,
        rerun=rerun,
        differences=tuple(compare(original, rerun)),
        warnings=tuple(found),
    )


def _kind(path: Path, ds: xr.Dataset) -> str:
    if "batch_toml" in ds.attrs and "scenario_config_toml" in ds.data_vars:
        return "batch"
    if "config_toml" not in ds.attrs:
        raise ConfigError(
            f"{path}: has no config_toml attribute, so there is nothing to rerun (is it a "
            "result of balanskonto run, batch or sensitivity?)"
        )
    if "swing_runs" in ds.attrs:
        return "sensitivity"
    return "run"


def _whole_attr(path: Path, attrs: dict[str, Any], name: str, minimum: int) -> int:
    value = attrs.get(name)
    if isinstance(value, np.integer | np.ndarray) and np.ndim(value) == 0:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(
            f"{path}: attribute {name}: must be a whole number ≥ {minimum} (got {value!r})"
        )
    return value


def _config(path: Path, where: str, text: Any) -> Config:
    if not isinstance(text, str):
        raise ConfigError(f"{path}: {where}: is not the text of a config (got {text!r})")
    try:
        config = parse_config(text)
        compile_model(config)
    except ConfigError as err:
        raise ConfigError(f"{path}: {where}: {err}") from None
    return config


def _rerun_batch(
    path: Path, original: xr.Dataset, runs: int, seed: int, engine: str, progress: bool
) -> xr.Dataset:
    names = [str(n) for n in original["scenario"].values]
    reference = original.attrs.get("reference", names[0])
    if reference not in names:
        raise ConfigError(f"{path}: attribute reference: must name a scenario (got {reference!r})")
    parts = []
    for i, name in enumerate(names):
        text = original["scenario_config_toml"].values[i]
        config = _config(path, f"scenario_config_toml[{name!r}]", str(text))
        overrides = (
            str(original["scenario_overrides"].values[i])
            if "scenario_overrides" in original
            else ""
        )
        ds = simulate(config, runs=runs, seed=seed, engine=engine, progress=progress)
        parts.append(with_provenance(ds, overrides, config))
    ds = combine_scenarios(names, parts, reference)
    ds.attrs = {**original.attrs, **version_stamp()}
    return annotate(ds)


def compare(original: xr.Dataset, rerun: xr.Dataset) -> list[str]:
    """Every data variable and coordinate of ``original`` against ``rerun``, exactly (NaN
    equals NaN); one line per difference."""
    found = []
    for name in original.coords:
        if name not in rerun.coords:
            found.append(f"coordinate {name}: not in the rerun")
        elif not _same(original[name].values, rerun[name].values):
            found.append(f"coordinate {name}: {_describe(original[name], rerun[name])}")
    for name, var in original.data_vars.items():
        if name not in rerun.data_vars:
            found.append(f"{name}: not in the rerun")
            continue
        other = rerun[name]
        if set(other.dims) != set(var.dims):
            found.append(f"{name}: dimensions {var.dims} in the file, {other.dims} in the rerun")
            continue
        other = other.transpose(*var.dims)
        if not _same(var.values, other.values):
            found.append(f"{name}: {_describe(var, other)}")
    return found


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fc" and b.dtype.kind in "fc":
        return bool(np.array_equal(a, b, equal_nan=True))
    if a.dtype.kind in "fciub" and b.dtype.kind in "fciub":
        return bool(np.array_equal(a, b))
    return _texts(a) == _texts(b)


def _texts(a: np.ndarray) -> list[str]:
    """The values as text, whatever the string dtype (object, fixed-width, StringDType)."""
    return [str(v) for v in a.ravel().tolist()]


def _describe(a: xr.DataArray, b: xr.DataArray) -> str:
    if a.shape != b.shape:
        return f"shape {a.shape} in the file, {b.shape} in the rerun"
    x, y = a.values, b.values
    if x.dtype.kind in "iufb" and y.dtype.kind in "iufb":
        x, y = x.astype(np.float64), y.astype(np.float64)
        differ = ~((x == y) | (np.isnan(x) & np.isnan(y)))
        largest = float(np.nanmax(np.abs(x - y)[differ])) if differ.any() else float("nan")
        return f"{int(differ.sum())} of {x.size} values differ (largest difference {largest:.6g})"
    differ = sum(u != v for u, v in zip(_texts(x), _texts(y), strict=True))
    return f"{differ} of {x.size} values differ"
