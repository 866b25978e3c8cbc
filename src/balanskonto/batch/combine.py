"""Scenario results combined into one Dataset, with paired differences against the reference."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from ..config.schema import Config
from ..results.metadata import version_stamp
from .grid import format_overrides
from .spec import Batch, Scenario

#: Variables whose missing labels (a component or group absent from one scenario) are 0:
#: money (``currency``) and counts (``quantity``, results.metadata.QUANTITY).
_ZERO_FILL_ATTRS = ("currency", "quantity")


def with_scenario_provenance(
    ds: xr.Dataset, scenario: Scenario, config: Config | None = None, extra: dict | None = None
) -> xr.Dataset:
    """With a municipality's ``config`` and overrides (``extra``, applied first)."""
    overrides = {**(extra or {}), **scenario.overrides}
    return with_provenance(ds, format_overrides(overrides), config or scenario.config)


def scenario_provenance(
    scenario: Scenario, config: Config | None = None, extra: dict | None = None
) -> tuple[str, str, str]:
    """The texts :func:`with_scenario_provenance` adds: the overrides (TOML lines), the
    config's TOML and its SHA-256."""
    overrides = format_overrides({**(extra or {}), **scenario.overrides})
    text = (config or scenario.config).toml  # once: a changed config's dump takes ~10 ms
    return overrides, text, hashlib.sha256(text.encode("utf-8")).hexdigest()


def unit_scenario(batch: Batch, u: int) -> tuple[Scenario, dict | None]:
    """Unit ``u``'s scenario and its municipality's overrides (None without a table)."""
    M = len(batch.municipalities)
    scenario = batch.scenarios[u // M if M else u]
    return scenario, (batch.municipalities[u % M].overrides if M else None)


def with_provenance(ds: xr.Dataset, overrides: str, config: Config) -> xr.Dataset:
    """A scenario's Dataset without attributes, with its overrides (TOML lines) and config."""
    ds = ds.copy()
    ds.attrs = {}
    ds["scenario_overrides"] = overrides
    text = config.toml  # once: a changed config's canonical dump takes about 10 ms
    ds["scenario_config_toml"] = text
    ds["scenario_config_sha256"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return ds


def _fill_values(parts: Sequence[xr.Dataset]) -> dict[str, Any]:
    return {
        name: 0
        for ds in parts
        for name, var in ds.data_vars.items()
        if any(var.attrs.get(attr) for attr in _ZERO_FILL_ATTRS)
    }


def combine_scenarios(
    names: Sequence[str], parts: Sequence[xr.Dataset], reference: str
) -> xr.Dataset:
    """The scenarios' Datasets (with their provenance) as one Dataset with a ``scenario``
    dimension and the comparisons with ``reference`` (no attributes)."""
    return _compare(combine_along("scenario", names, parts), reference)


def combine_along(dim: str, names: Sequence[str], parts: Sequence[xr.Dataset]) -> xr.Dataset:
    """Concatenate along ``dim`` (labelled ``names``): labels of a dimension that some parts
    lack (a component, a group) are added to all, money and counts 0 there, anything else
    NaN."""
    shared = {"run", "year", "quantile", "municipality"}
    labels: dict[str, list[Any]] = {}
    for ds in parts:
        for d in ds.dims:
            if d not in shared and d in ds.coords:
                known = labels.setdefault(str(d), [])
                known += [v for v in ds[d].values.tolist() if v not in known]
    if "component" in labels:
        labels["component"] = sorted(labels["component"])  # as in one run: sorted by name
    fill = _fill_values(parts)
    aligned = [
        ds.reindex({d: v for d, v in labels.items() if d in ds.dims}, fill_value=fill)
        for ds in parts
    ]
    combined = xr.concat(
        aligned,
        dim=dim,
        data_vars="all",
        coords="different",
        compat="equals",
        join="exact",  # run, year and quantile are the same in every scenario
        combine_attrs="drop_conflicts",
        fill_value=fill,
    )
    return combined.assign_coords({dim: np.array(list(names), dtype=object)})


def paired(
    balance: np.ndarray, reference: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Run-by-run comparisons of ``balance [scenario, run, year]`` with scenario number
    ``reference``: the mean difference and its standard error, P(worse) [scenario, year], and
    P(worse) of every pair in the last year [scenario, scenario_other]."""
    runs = balance.shape[1]
    diff = balance - balance[reference]
    se = (
        diff.std(axis=1, ddof=1) / math.sqrt(runs)
        if runs > 1
        else np.full(diff[:, 0].shape, np.nan)
    )
    final = balance[:, :, -1]
    pairwise = (final[:, None, :] < final[None, :, :]).mean(axis=2)
    return diff.mean(axis=1), se, (diff < 0).mean(axis=1), pairwise


def _compare(ds: xr.Dataset, reference: str) -> xr.Dataset:
    balance = ds["balance"].transpose("scenario", "run", "year").values
    names = list(ds["scenario"].values)
    extra = comparison_variables(balance, names, reference, int(ds["year"].values[-1]))
    return ds.assign_coords(extra.coords).assign(extra.data_vars)


def comparison_variables(
    balance: np.ndarray, names: Sequence[str], reference: str, last_year: int
) -> xr.Dataset:
    """The comparisons of ``balance [scenario, run, year]`` with the scenario ``reference``
    (:func:`paired`) as variables over ``scenario``, ``year`` and ``scenario_other``."""
    names = list(names)
    mean, se, worse, pairwise = paired(balance, names.index(reference))
    ds = xr.Dataset(
        {
            "balance_difference": (("scenario", "year"), mean),
            "balance_difference_se": (("scenario", "year"), se),
            "p_worse": (("scenario", "year"), worse),
            "p_worse_pairwise": (("scenario", "scenario_other"), pairwise),
        },
        coords={"scenario_other": np.array(names, dtype=object)},
    )
    ds["balance_difference"].attrs["reference"] = reference
    ds["p_worse"].attrs["reference"] = reference
    ds["p_worse_pairwise"].attrs["year"] = last_year
    return ds


def batch_attrs(batch: Batch, *, runs: int, seed: int, engine: str) -> dict[str, Any]:
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
        **version_stamp(),
        "batch_sha256": batch.sha256,
        "batch_toml": batch.text,
        **({"municipality_count": len(batch.municipalities)} if batch.municipalities else {}),
    }
