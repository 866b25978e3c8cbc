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
from ..config.errors import ConfigError, shown
from ..config.reading import parse_config
from ..config.schema import Config
from ..engines.individual import ENGINES
from ..model.compiled import compile_model
from ..results.dataset import check_text_sha256
from ..results.metadata import annotate, version_stamp
from ..simulation.run import dataset_from_runs, simulate, simulate_runs
from .combine import combine_scenarios, with_provenance
from .municipalities import person_seed
from .national import annotate_national, combine_municipalities, municipalities_of


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
    if not (path.is_dir() or path.is_file()):  # a FIFO would wait for a writer
        raise ConfigError(f"{path}: not a regular file or folder, so not a result file")
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
    starting: Callable[[str], None] | None = None,
) -> Reproduction:
    """Run a result file's configs again, with its seed, runs and engine, and compare.

    Parameters
    ----------
    path : a result of ``balanskonto run``, ``batch`` or ``sensitivity --out``.
    progress : show a progress bar.
    warn : called with each warning line as it arises (a version mismatch).
    starting : called with the engine just before the simulation starts (the command line's
        "compiling (first run)…").

    Raises
    ------
    ConfigError
        The file cannot be read, has no ``config_toml`` (nor a batch's configs), or its
        seed, runs, engine or config text cannot be used; a config text whose SHA-256 is not
        the one stored beside it (changed after the numbers were made); a file that lacks a
        variable every result of its kind has (:data:`REQUIRED`), or one its rerun has.
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
    check_config_texts(path, original, kind)
    if kind == "batch":
        configs = _scenario_configs(path, original)
        config = configs[0]
    else:
        config = _config(path, "config_toml", attrs["config_toml"])
    check_complete(path, original, kind, monthly=config.simulation.resolution == "month")
    seed = _whole_attr(path, attrs, "seed", 0)
    runs = _whole_attr(path, attrs, "runs", 1)
    engine = attrs.get("engine")
    if engine not in ENGINES:
        raise ConfigError(
            f"{path}: attribute engine: must be one of {sorted(ENGINES)} (got {shown(engine)})"
        )
    if starting is not None:
        starting(engine)
    if kind == "batch":
        rerun = _rerun_batch(path, original, configs, runs, seed, engine, progress)
    elif kind == "sensitivity":
        from ..analysis.sensitivity import report

        rerun = report(
            config,
            runs=runs,
            seed=seed,
            year=_whole_attr(path, attrs, "year", 0),
            engine=engine,
            swing_runs=_whole_attr(path, attrs, "swing_runs", 1),
        )
    else:
        rerun = simulate(config, runs=runs, seed=seed, engine=engine, progress=progress)
    rerun.attrs = {**attrs, **rerun.attrs}  # keep what the rerun does not set (target_*)
    lacking = [str(name) for name in rerun.data_vars if name not in original.data_vars]
    if lacking:
        raise ConfigError(
            f"{path}: incomplete: it lacks {', '.join(lacking)}, which a result of its config "
            "has; a file with variables removed cannot be said to be reproduced"
        )
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


#: The data variables every result of a kind has, whatever its config (docs/output.md and
#: docs/batch.md); those that depend on the config (``factor``, ``swing``, …) are checked
#: against the rerun.
RUN_VARIABLES = (
    *("balance", "net", "revenue", "cost", "person_years", "persons", "arrivals"),
    *("depletion_year", "balance_quantile", "balance_quantile_se", "deficit_quantile"),
    *("deficit_quantile_se", "p_deficit", "p_deficit_se", "expected_balance"),
    *("mc_standard_error", "p_first_depletion", "p_depleted_by", "p_never_depleted"),
    *("reserve_needed", "reserve_needed_se"),
)
#: What a run or batch of a config with ``simulation.resolution = "month"`` adds.
MONTH_VARIABLES = ("revenue_month", "cost_month", "net_month", "balance_month", "persons_month")
REQUIRED: dict[str, tuple[str, ...]] = {
    "run": RUN_VARIABLES,
    "batch": (
        *RUN_VARIABLES,
        *("scenario_overrides", "scenario_config_toml", "scenario_config_sha256"),
        *("balance_difference", "balance_difference_se", "p_worse", "p_worse_pairwise"),
    ),
    "sensitivity": ("layer_contribution", "layer_share", "layer_variance", "tail_attribution"),
}


def check_complete(path: Path, ds: xr.Dataset, kind: str, *, monthly: bool = False) -> None:
    """ConfigError unless ``ds`` has every variable a result of its kind has (with
    ``monthly``, a run or batch of a config of monthly resolution: the monthly ones too): a
    file with ``balance`` or ``p_deficit`` deleted would otherwise compare equal on what is
    left."""
    wanted = REQUIRED[kind] + (MONTH_VARIABLES if monthly and kind != "sensitivity" else ())
    missing = [name for name in wanted if name not in ds.data_vars]
    if missing:
        raise ConfigError(
            f"{path}: incomplete: a result of balanskonto {kind} has {', '.join(missing)}, "
            "this file does not; it cannot be said to be reproduced"
        )


def check_config_texts(path: Path, ds: xr.Dataset, kind: str) -> None:
    """ConfigError unless every config text in ``ds`` has the SHA-256 stored beside it (a
    batch: ``batch_toml`` and every ``scenario_config_toml``)."""
    if kind != "batch":
        check_text_sha256(
            f"{path}: config_toml",
            ds.attrs.get("config_toml"),
            ds.attrs.get("config_sha256"),
            "config_sha256",
        )
        return
    check_text_sha256(
        f"{path}: batch_toml",
        ds.attrs.get("batch_toml"),
        ds.attrs.get("batch_sha256"),
        "batch_sha256",
    )
    texts = ds["scenario_config_toml"].values.ravel()
    digests = (
        ds["scenario_config_sha256"].values.ravel()
        if "scenario_config_sha256" in ds.data_vars
        else [None] * len(texts)
    )
    for name, text, digest in zip(_unit_names(ds), texts, digests, strict=True):
        check_text_sha256(
            f"{path}: scenario_config_toml[{str(name)!r}]",
            str(text),
            None if digest is None else str(digest),
            f"scenario_config_sha256[{str(name)!r}]",
        )


def _whole_attr(path: Path, attrs: dict[str, Any], name: str, minimum: int) -> int:
    value = attrs.get(name)
    if isinstance(value, np.integer | np.ndarray) and np.ndim(value) == 0:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(
            f"{path}: attribute {name}: must be a whole number ≥ {minimum} (got {shown(value)})"
        )
    return value


def _config(path: Path, where: str, text: Any) -> Config:
    if not isinstance(text, str):
        raise ConfigError(f"{path}: {where}: is not the text of a config (got {shown(text)})")
    try:
        config = parse_config(text)
        compile_model(config)
    except ConfigError as err:
        raise ConfigError(f"{path}: {where}: {err}") from None
    return config


def _unit_names(ds: xr.Dataset) -> list[str]:
    """The scenarios' names, or with municipalities every ``scenario/kommunkod``."""
    names = [str(n) for n in ds["scenario"].values]
    if "municipality" not in ds.dims:
        return names
    return [f"{n}/{code}" for n in names for code in ds["municipality"].values]


def _scenario_configs(path: Path, original: xr.Dataset) -> list[Config]:
    """Every scenario's (and municipality's) config, from its ``scenario_config_toml``, in
    scenario order (the municipalities' order within)."""
    texts = original["scenario_config_toml"].values.ravel()
    return [
        _config(path, f"scenario_config_toml[{name!r}]", str(text))
        for name, text in zip(_unit_names(original), texts, strict=True)
    ]


def _rerun_batch(
    path: Path,
    original: xr.Dataset,
    configs: list[Config],
    runs: int,
    seed: int,
    engine: str,
    progress: bool,
) -> xr.Dataset:
    names = [str(n) for n in original["scenario"].values]
    reference = original.attrs.get("reference", names[0])
    if reference not in names:
        raise ConfigError(
            f"{path}: attribute reference: must name a scenario (got {shown(reference)})"
        )
    municipal = "municipality" in original.dims
    municipalities = municipalities_of(original) if municipal else []
    overrides = (
        original["scenario_overrides"].values.ravel()
        if "scenario_overrides" in original
        else [""] * len(configs)
    )
    parts = []
    for i, config in enumerate(configs):
        if municipal:  # the municipality's own persons, the seed's factors
            code = municipalities[i % len(municipalities)].code
            arrays = simulate_runs(
                config, 0, runs, seed, engine, person_seed=person_seed(seed, code)
            )
            ds = dataset_from_runs(config, [arrays], seed, engine)
        else:
            ds = simulate(config, runs=runs, seed=seed, engine=engine, progress=progress)
        parts.append(with_provenance(ds, str(overrides[i]), config))
    if municipal:
        ds = annotate_national(combine_municipalities(names, municipalities, parts, reference))
    else:
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
