"""The output Dataset (DESIGN §6): the only place that sets names, units and attributes."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from . import __version__
from .compile import CompiledModel
from .config import STATES, Config
from .convergence import proportion_standard_error, quantile_standard_error
from .risk import depletion_distribution, reserve_needed, reserve_needed_standard_error

#: Probability levels of ``reserve_needed``.
RESERVE_LEVELS = (0.90, 0.95)

# name: (units, or None for text; long_name; description). Declared once, applied in
# `annotate` to the Datasets of simulate, expected and batches.
METADATA: dict[str, tuple[str | None, str, str]] = {
    "balance": (
        "SEK",
        "balance account at the end of the year",
        "opening balance plus the net of every year up to and including this one",
    ),
    "net": ("SEK", "net result of the year", "revenue minus cost, all components"),
    "revenue": ("SEK", "revenue by component", "0 for a component with no revenue"),
    "cost": ("SEK", "cost by component", "0 for a component with no cost"),
    "person_years": ("person-years", "time spent in each state", "person-months / 12"),
    "arrivals": ("persons", "persons arriving in the year", ""),
    "depletion_year": ("year", "first year the balance is negative", "NaN if never"),
    "balance_quantile": (
        "SEK",
        "quantiles of the balance over runs",
        "numpy's default (linear) quantile method",
    ),
    "deficit_quantile": (
        "SEK",
        "quantiles of the deficit max(0, -balance) over runs",
        "numpy's default (linear) quantile method",
    ),
    "p_deficit": (
        "1",
        "probability that the balance is negative",
        "share of runs with balance < 0 at the end of the year",
    ),
    "expected_balance": ("SEK", "mean balance over runs", ""),
    "mc_standard_error": (
        "SEK",
        "Monte Carlo standard error of expected_balance",
        "sample standard deviation / sqrt(runs)",
    ),
    "factor": (
        "1",
        "per-run factor draws",
        "level:<component> and policy[i]:<component> are multipliers; "
        "share:<path> is the share or annual probability used",
    ),
    "yearly_factor": (
        "1",
        "per-run, per-year factor draws",
        "labour_market: the factor z (0 = normal, negative = weak); "
        "arrivals: the multiplier on planned arrivals",
    ),
    "balance_quantile_se": (
        "SEK",
        "Monte Carlo standard error of balance_quantile",
        "order-statistic estimate, see balanskonto.convergence",
    ),
    "deficit_quantile_se": (
        "SEK",
        "Monte Carlo standard error of deficit_quantile",
        "order-statistic estimate, see balanskonto.convergence",
    ),
    "p_deficit_se": ("1", "Monte Carlo standard error of p_deficit", "sqrt(p (1 - p) / runs)"),
    "p_first_depletion": ("1", "probability that the account first goes negative this year", ""),
    "p_depleted_by": ("1", "probability that the account has been negative by this year", ""),
    "p_never_depleted": ("1", "probability that the account never goes negative", ""),
    "reserve_needed": (
        "SEK",
        "opening balance that keeps the account non-negative through "
        "the year with the given probability",
        "an order statistic of the runs' shortfalls; no re-simulation",
    ),
    "reserve_needed_se": (
        "SEK",
        "Monte Carlo standard error of reserve_needed",
        "order-statistic estimate for the quantile `level` of the runs' shortfalls (the running "
        "minimum of the balance below its opening), see balanskonto.convergence",
    ),
    "year": ("year", "calendar year", ""),
    "level": ("1", "probability level of reserve_needed", ""),
    "quantile": ("1", "quantile level", ""),
    # batches (balanskonto.batch)
    "scenario": (None, "scenario name", "named scenarios in file order, then grid order"),
    "scenario_other": (None, "scenario compared with", "the same names as scenario"),
    "balance_difference": (
        "SEK",
        "mean difference in balance to the reference scenario",
        "mean over runs of balance[scenario] - balance[reference], run by run (the runs are "
        "paired: every scenario sees the same random numbers)",
    ),
    "balance_difference_se": (
        "SEK",
        "standard error of balance_difference",
        "paired: sample standard deviation of the run-by-run differences / sqrt(runs); "
        "0 for the reference",
    ),
    "p_worse": (
        "1",
        "probability of a lower balance than the reference",
        "share of runs in which the scenario ends the year with a lower balance than the "
        "reference in the same run (equal balances are not worse)",
    ),
    "p_worse_pairwise": (
        "1",
        "probability of a lower final-year balance than scenario_other",
        "share of runs in which scenario ends the last year with a lower balance than "
        "scenario_other in the same run",
    ),
    "scenario_overrides": (
        None,
        "the scenario's overrides (TOML)",
        'one line per override, "dotted.path" = value, applied in this order onto the base '
        "config; empty for the base as it is",
    ),
    "scenario_config_toml": (
        None,
        "the scenario's config (TOML)",
        "the base file's text for a scenario without overrides, else the canonical TOML of "
        "the changed config; with the Dataset's seed and runs it reproduces the scenario",
    ),
    "scenario_config_sha256": (None, "SHA-256 of scenario_config_toml", ""),
}


def annotate(ds: xr.Dataset) -> xr.Dataset:
    """Set units, long names and descriptions from :data:`METADATA` (in place)."""
    for name, (units, long_name, description) in METADATA.items():
        if name in ds.variables:
            ds[name].attrs["long_name"] = long_name
            if units is not None:
                ds[name].attrs["units"] = units
            if description:
                ds[name].attrs["description"] = description
    return ds


def version_stamp() -> dict[str, str]:
    """``balanskonto_version`` and ``created`` (UTC, ISO 8601) for a Dataset's attributes."""
    created = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return {"balanskonto_version": __version__, "created": created}


def _provenance(config: Config, model: CompiledModel, **extra: Any) -> dict[str, Any]:
    return {
        "title": model.title,
        "municipality": config.meta.municipality,
        "start_year": model.start_year,
        "years": model.years,
        "opening_balance": model.opening,
        "units": "SEK",
        **extra,
        **version_stamp(),
        "config_sha256": config.sha256,
        "config_toml": config.toml,
    }


def _coords(model: CompiledModel) -> dict[str, Any]:
    return {
        "year": model.year_labels,
        "component": list(model.components),
        "group": list(model.groups),
        "state": list(STATES),
    }


def balance_from_net(opening: float, net: np.ndarray) -> np.ndarray:
    """``balance[..., y] = opening + Σ_{k ≤ y} net[..., k]``."""
    return opening + np.cumsum(net, axis=-1)


def simulation_dataset(
    config: Config,
    model: CompiledModel,
    *,
    revenue: np.ndarray,
    cost: np.ndarray,
    person_months: np.ndarray,
    arrivals: np.ndarray,
    seed: int,
    engine: str,
    factor: np.ndarray | None = None,
    factor_names: list[str] | None = None,
    yearly_factor: np.ndarray | None = None,
    yearly_factor_names: list[str] | None = None,
    share_pulled_back: np.ndarray | None = None,
) -> xr.Dataset:
    """Run-level arrays → the Dataset with quantiles, p_deficit and provenance.

    ``revenue``/``cost``: [run, year, component] SEK; ``person_months``: [run, year, group,
    state]; ``arrivals``: [run, year, group] persons; ``share_pulled_back``: [run, uncertain
    share] bool, summarised in the attrs ``shares_pulled_back`` (the share of runs with a
    drawn share pulled back) and ``shares_pulled_back_by_factor``.
    """
    runs = revenue.shape[0]
    net = revenue.sum(axis=-1) - cost.sum(axis=-1)
    balance = balance_from_net(model.opening, net)
    negative = balance < 0
    years = model.year_labels
    depletion = np.where(negative.any(axis=1), years[np.argmax(negative, axis=1)], np.nan)
    q = np.asarray(model.quantiles)
    ds = xr.Dataset(
        {
            "balance": (("run", "year"), balance),
            "net": (("run", "year"), net),
            "revenue": (("run", "year", "component"), revenue),
            "cost": (("run", "year", "component"), cost),
            "person_years": (("run", "year", "group", "state"), person_months / 12.0),
            "arrivals": (("run", "year", "group"), arrivals),
            "depletion_year": (("run",), depletion),
            "balance_quantile": (("quantile", "year"), np.quantile(balance, q, axis=0)),
            "deficit_quantile": (
                ("quantile", "year"),
                np.quantile(np.maximum(0.0, -balance), q, axis=0),
            ),
            "p_deficit": (("year",), negative.mean(axis=0)),
            "expected_balance": (("year",), balance.mean(axis=0)),
            "mc_standard_error": (
                ("year",),
                balance.std(axis=0, ddof=1) / np.sqrt(runs)
                if runs > 1
                else np.full(len(years), np.nan),
            ),
        },
        coords={"run": np.arange(runs), "quantile": q, **_coords(model)},
        attrs=_provenance(
            config, model, seed=seed, runs=runs, engine=engine,
            **_pulled_back(model, share_pulled_back),
        ),
    )  # fmt: skip
    ds = annotate(ds.merge(precision_and_path_risk(ds, model.opening)))
    if factor_names:
        ds["factor"] = (("run", "factor_name"), factor)
        ds = ds.assign_coords(factor_name=list(factor_names))
    if yearly_factor_names:
        ds["yearly_factor"] = (("run", "year", "yearly_factor_name"), yearly_factor)
        ds = ds.assign_coords(yearly_factor_name=list(yearly_factor_names))
    return annotate(ds)


def _pulled_back(model: CompiledModel, pulled: np.ndarray | None) -> dict[str, Any]:
    """Attrs saying how often the drawn shares over-filled a state and were pulled back."""
    if not model.shares or pulled is None:
        return {}
    by_factor = pulled.mean(axis=0) if len(pulled) else np.zeros(len(model.shares))
    return {
        "shares_pulled_back": float(pulled.any(axis=1).mean()) if len(pulled) else 0.0,
        "shares_pulled_back_by_factor": "; ".join(
            f"{f.name}: {x:.4g}" for f, x in zip(model.shares, by_factor, strict=True) if x > 0
        ),
    }


def precision_and_path_risk(ds: xr.Dataset, opening: float) -> xr.Dataset:
    """Monte Carlo standard errors of the quantiles and of p_deficit, the distribution of the
    depletion year and the reserve needed (DESIGN §6, extended; docs/output.md)."""
    balance = ds["balance"]
    runs = balance.sizes["run"]
    q = ds["quantile"].values
    deficit = np.maximum(0.0, -balance)
    se_b = np.stack([np.asarray(quantile_standard_error(balance.values, x)) for x in q])
    se_d = np.stack([np.asarray(quantile_standard_error(deficit.values, x)) for x in q])
    depletion = depletion_distribution(balance)
    reserve = reserve_needed(balance, opening, RESERVE_LEVELS)
    reserve_se = reserve_needed_standard_error(balance, opening, RESERVE_LEVELS)
    return xr.Dataset(
        {
            "balance_quantile_se": (("quantile", "year"), se_b),
            "deficit_quantile_se": (("quantile", "year"), se_d),
            "p_deficit_se": (
                ("year",),
                np.asarray(proportion_standard_error(ds["p_deficit"].values, runs)),
            ),
            "p_first_depletion": (("year",), np.asarray(depletion["p_first_depletion"].values)),
            "p_depleted_by": (("year",), np.asarray(depletion["p_depleted_by"].values)),
            "p_never_depleted": ((), float(depletion["p_never"])),
            "reserve_needed": (("level", "year"), np.asarray(reserve.transpose("level", "year"))),
            "reserve_needed_se": (("level", "year"), np.asarray(reserve_se)),
        },
        coords={"quantile": q, "year": ds["year"].values, "level": list(RESERVE_LEVELS)},
    )


def expected_dataset(
    config: Config,
    model: CompiledModel,
    *,
    revenue: np.ndarray,
    cost: np.ndarray,
    person_months: np.ndarray,
    arrivals: np.ndarray,
) -> xr.Dataset:
    """The expectation as a Dataset: the simulation's variables without ``run``.

    With uncertain factors (``[uncertainty]``, ``[[policy]]``) it is *the plan without
    uncertainty* (every factor at its mean), not the mean of the simulation: the attrs
    ``long_name``, ``description`` and ``plan_without_uncertainty`` (1 or 0) say which."""
    net = revenue.sum(axis=-1) - cost.sum(axis=-1)
    ds = xr.Dataset(
        {
            "balance": (("year",), balance_from_net(model.opening, net)),
            "net": (("year",), net),
            "revenue": (("year", "component"), revenue),
            "cost": (("year", "component"), cost),
            "person_years": (("year", "group", "state"), person_months / 12.0),
            "arrivals": (("year", "group"), arrivals),
        },
        coords=_coords(model),
        attrs=_provenance(config, model, engine="expected", **_expected_names(model)),
    )
    return annotate(ds)


#: What ``expected`` computes, without and with uncertain factors (long_name, description).
EXPECTED_NAMES = {
    False: (
        "the exact expectation",
        "the mean of the Monte Carlo model, computed exactly by propagating shares",
    ),
    True: (
        "the plan without uncertainty",
        "every uncertain factor ([uncertainty], [[policy]]) at its mean, the individual paths "
        "as exact shares: not the mean of the simulation, which the factors that act non-"
        "linearly (labour market, shares) move away from it",
    ),
}


def _expected_names(model: CompiledModel) -> dict[str, Any]:
    long_name, description = EXPECTED_NAMES[model.has_uncertainty]
    return {
        "long_name": long_name,
        "description": description,
        "plan_without_uncertainty": int(model.has_uncertainty),
    }


def write_netcdf(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` to ``path`` atomically: a temporary file in the same folder, then rename.

    A reader never sees a half-written file, and a failed write leaves nothing behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        ds.to_netcdf(tmp, engine="netcdf4", format="NETCDF4")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
