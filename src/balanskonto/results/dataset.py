"""Counts → the output Dataset (DESIGN §6)."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import xarray as xr

from ..config.errors import ConfigError
from ..config.schema import Config
from ..model.compiled import CompiledModel
from .convergence import proportion_standard_error, quantile_standard_error
from .metadata import annotate, version_stamp
from .risk import depletion_distribution, reserve_needed, reserve_needed_standard_error

#: Probability levels of ``reserve_needed``.
RESERVE_LEVELS = (0.90, 0.95)


def _provenance(
    config: Config, model: CompiledModel, text: str | None = None, **extra: Any
) -> dict[str, Any]:
    if text is None:
        text = config.toml  # once: a changed config's canonical dump takes about 10 ms
    return {
        "title": model.title,
        "municipality": config.meta.municipality,
        "start_year": model.start_year,
        "years": model.years,
        "opening_balance": model.opening,
        "units": "SEK",
        **extra,
        **version_stamp(),
        "config_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),  # = config.sha256
        "config_toml": text,
    }


def check_text_sha256(where: str, text: Any, digest: Any, digest_name: str) -> str:
    """``text`` if its SHA-256 is ``digest``: the check that a result's config text
    (``config_toml`` against ``config_sha256``, as :func:`_provenance` stored them) is the
    one its numbers were made with.

    Raises
    ------
    ConfigError
        Naming ``where``: no text, no digest, or a digest that differs (the text was
        changed after the results were made).
    """
    if not isinstance(text, str):
        raise ConfigError(f"{where}: is not the text of a config (got {type(text).__name__})")
    if not isinstance(digest, str):
        raise ConfigError(
            f"{where}: there is no {digest_name} to check it against, so the numbers cannot "
            "be traced to this config text"
        )
    actual = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    if actual != digest:
        raise ConfigError(
            f"{where}: its SHA-256 is not the {digest_name} stored with the results "
            f"({actual[:12]}… against {digest[:12]}…): the config text was changed after the "
            "numbers were made with another one"
        )
    return text


def _coords(model: CompiledModel) -> dict[str, Any]:
    return {
        "year": model.year_labels,
        "component": list(model.components),
        "group": list(model.groups),
        "state": list(model.states),
    }


def _as_persons(model: CompiledModel, units: np.ndarray, group_axis: int) -> np.ndarray:
    """Counts of units (DESIGN §15: households of a household group) as persons: times the
    members of each group; unchanged without household groups."""
    if not model.household.any():
        return units
    shape = [1] * units.ndim
    shape[group_axis] = -1
    return units * model.members.reshape(shape)


def _households(model: CompiledModel, units: np.ndarray, dims: tuple[str, ...]) -> dict:
    """The ``households`` variable (December head counts of the household groups' units,
    0 for groups of single persons), present only where the config has household groups."""
    if not model.household.any():
        return {}
    shape = [1] * units.ndim
    shape[-2] = -1
    return {"households": (dims, units * model.household.reshape(shape))}


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
    persons: np.ndarray,
    seed: int,
    engine: str,
    revenue_month: np.ndarray | None = None,
    cost_month: np.ndarray | None = None,
    persons_month: np.ndarray | None = None,
    share_pulled_back: np.ndarray | None = None,
    factor: np.ndarray | None = None,
    factor_names: list[str] | None = None,
    yearly_factor: np.ndarray | None = None,
    yearly_factor_names: list[str] | None = None,
    config_text: str | None = None,
) -> xr.Dataset:
    """Run-level arrays → the Dataset with quantiles, p_deficit and provenance.

    ``revenue``/``cost``: [run, year, component] SEK; ``person_months``, ``persons``: [run,
    year, group, state]; ``arrivals``: [run, year, group]; counts in units (a household of
    a household group, whose members they are multiplied by here; DESIGN §15); with monthly
    resolution ``revenue_month``/``cost_month`` [run, month, component] and
    ``persons_month`` [run, month, group, state] (DESIGN §12); ``share_pulled_back``: [run,
    uncertain share] bool, summarised in the attrs ``shares_pulled_back`` (the share of runs
    with a drawn share pulled back) and ``shares_pulled_back_by_factor``; ``config_text``:
    ``config.toml`` where the caller has it (a changed config's dump takes about 10 ms).
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
            "person_years": (
                ("run", "year", "group", "state"),
                _as_persons(model, person_months, 2) / 12.0,
            ),
            "arrivals": (("run", "year", "group"), _as_persons(model, arrivals, 2)),
            "persons": (("run", "year", "group", "state"), _as_persons(model, persons, 2)),
            **_households(model, persons, ("run", "year", "group", "state")),
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
            config, model, config_text, seed=seed, runs=runs, engine=engine,
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
    if revenue_month is not None:
        ds = ds.merge(monthly_variables(model, revenue_month, cost_month, persons_month))
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


def month_labels(model: CompiledModel) -> np.ndarray:
    """The first day of each month of the horizon (datetime64[ns])."""
    first = np.datetime64(f"{model.start_year}-01", "M")
    return (first + np.arange(model.months)).astype("datetime64[ns]")


def monthly_variables(
    model: CompiledModel, revenue: np.ndarray, cost: np.ndarray, persons: np.ndarray
) -> xr.Dataset:
    """The monthly variables of DESIGN §12 over a ``month`` coordinate."""
    net = revenue.sum(axis=-1) - cost.sum(axis=-1)
    dims = ("run", "month")
    return xr.Dataset(
        {
            "revenue_month": ((*dims, "component"), revenue),
            "cost_month": ((*dims, "component"), cost),
            "net_month": (dims, net),
            "balance_month": (dims, balance_from_net(model.opening, net)),
            "persons_month": ((*dims, "group", "state"), _as_persons(model, persons, 2)),
        },
        coords={"month": month_labels(model), **_coords(model)},
    )


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
    persons: np.ndarray,
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
            "person_years": (
                ("year", "group", "state"),
                _as_persons(model, person_months, 1) / 12.0,
            ),
            "arrivals": (("year", "group"), _as_persons(model, arrivals, 1)),
            "persons": (("year", "group", "state"), _as_persons(model, persons, 1)),
            **_households(model, persons, ("year", "group", "state")),
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
