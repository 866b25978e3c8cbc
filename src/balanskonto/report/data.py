"""Everything the appendix shows, computed once from a simulation Dataset.

:func:`collect` checks the Dataset, recomputes the deterministic plan (``expected``) from its
``config_toml``, and computes the tail attribution and the tornado. The figures, the table of
named quantities and the tables of the appendix all read from the :class:`ReportData` it
returns, so nothing is computed twice or in two ways.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from ..analysis.sensitivity import tornado
from ..config import Config, ConfigError, parse_config
from ..config.types import control_character
from ..results.dataset import check_text_sha256
from ..results.risk import tail_attribution
from ..simulation.run import expected
from .assumptions import Assumption, opening_comment, parse_assumptions

#: Variables a simulation result must have for the appendix (docs/output.md).
REQUIRED = (
    "balance",
    "revenue",
    "cost",
    "person_years",
    "balance_quantile",
    "balance_quantile_se",
    "p_deficit",
    "p_deficit_se",
    "expected_balance",
    "mc_standard_error",
    "p_first_depletion",
    "p_depleted_by",
    "p_never_depleted",
    "reserve_needed",
)
#: Share of the worst runs in the tail attribution.
TAIL = 0.05


class ReportError(ConfigError):
    """A Dataset or an argument the appendix cannot be made from (exit code 2 on the CLI)."""


@dataclass(frozen=True)
class ReportData:
    """The inputs of every part of the appendix.

    Attributes
    ----------
    ds : the simulation Dataset (docs/output.md).
    config : the config parsed from ``ds.attrs["config_toml"]`` (checked against its
        ``config_sha256``; a text that differs or does not parse is refused).
    plan : ``balanskonto.expected(config)`` (None without a config): the deterministic path.
    tail : ``tail_attribution`` for the last year, SEK per component (P5 runs vs median runs).
    tornado : ``balanskonto.analysis.sensitivity.tornado(ds)``; None without uncertainty factors.
    assumptions : every key of the config text with its source comment.
    opening_comment : the comment block that opens the config file.
    labels : display texts of groups, states and components (the config's ``[labels]``);
        every label of the appendix goes through ``i18n.*_label(name, lang, labels)``.
    followup : the follow-up against actuals (:func:`balanskonto.analysis.followup.followup`).
    earlier : an earlier result to set beside this one (prognosförändring).
    swing : the drivers in kronor, (factor, year) SEK: ``swing`` (mean balance with the factor
        at its P90 minus at its P10, the others at their medians) and ``effect`` (a yes/no
        policy: the balance if it is carried out minus if not; NaN for other factors), from
        a sensitivity result (:func:`swing_of`); None: the appendix shows rank correlations.
    """

    ds: xr.Dataset
    config: Config | None
    plan: xr.Dataset | None
    tail: xr.DataArray
    tornado: xr.Dataset | None
    assumptions: tuple[Assumption, ...]
    opening_comment: str
    labels: dict[str, str] | None = None

    def __post_init__(self) -> None:
        if self.labels is None and self.config is not None:
            found = getattr(self.config, "labels", None)  # [labels] (DESIGN §15), when it comes
            object.__setattr__(self, "labels", dict(found) if found else None)

    followup: xr.Dataset | None = None
    earlier: xr.Dataset | None = None
    swing: xr.Dataset | None = None

    @property
    def years(self) -> np.ndarray:
        return self.ds["year"].values

    @property
    def plan_without_uncertainty(self) -> bool:
        """The plan is ``expected`` with uncertain factors at their means, not the exact mean."""
        return self.plan is not None and bool(self.plan.attrs.get("plan_without_uncertainty"))

    @property
    def last_year(self) -> int:
        return int(self.ds["year"].values[-1])


def check_dataset(ds: xr.Dataset) -> None:
    """Raise :class:`ReportError` unless ``ds`` is one simulation result (not a batch)."""
    if not isinstance(ds, xr.Dataset):
        raise ReportError(f"dataset: expected an xarray.Dataset (got {type(ds).__name__})")
    if "scenario" in ds.dims:
        raise ReportError(
            "dataset: a batch result (it has a scenario dimension); make the appendix for one "
            "scenario: ds.sel(scenario=NAME) in Python"
        )
    missing = [name for name in REQUIRED if name not in ds.variables]
    if missing or "run" not in ds.dims:
        raise ReportError(
            "dataset: not a balanskonto simulation result (missing "
            f"{', '.join(missing) or 'the run dimension'}); make one with `balanskonto run`"
        )
    if "config_toml" not in ds.attrs:
        raise ReportError("dataset: no config_toml attribute; make it with `balanskonto run`")
    for name in ("title", "municipality"):
        found = control_character(str(ds.attrs.get(name, "")))
        if found is not None:
            raise ReportError(
                f"dataset: attribute {name}: text is one line without control characters "
                f"(it has {found}); the file was not written by balanskonto run"
            )


def collect(
    ds: xr.Dataset,
    config: Config | None = None,
    *,
    followup: xr.Dataset | None = None,
    earlier: xr.Dataset | None = None,
    sensitivity: xr.Dataset | None = None,
) -> ReportData:
    """Check ``ds`` and compute the plan, the tail attribution and the tornado.

    Parameters
    ----------
    ds : a Dataset from :func:`balanskonto.simulate` (or read from its NetCDF file).
    config : the config that made it; default: parsed from ``ds.attrs["config_toml"]``.
        A config whose text differs from the Dataset's (another SHA-256) is refused.
    followup, earlier : see :class:`ReportData` (docs/followup.md).
    sensitivity : the output of ``balanskonto sensitivity`` (``analysis.sensitivity.report``)
        for the same config, or of ``one_at_a_time``: gives the drivers in kronor.
    """
    check_dataset(ds)
    try:
        text = check_text_sha256(
            "dataset: config_toml",
            ds.attrs["config_toml"],
            ds.attrs.get("config_sha256"),
            "config_sha256",
        )
    except ConfigError as err:
        raise ReportError(str(err)) from None
    if config is not None and config.sha256 != ds.attrs["config_sha256"]:
        raise ReportError(
            "config: it is not the config of this result (SHA-256 differs); leave config out "
            "to use the result's own config_toml"
        )
    if config is None:
        config = _parse(text)
    last = ds["year"].values[-1]
    tail = tail_attribution(ds["balance"], ds["revenue"], ds["cost"], last, tail=TAIL)
    return ReportData(
        ds=ds,
        config=config,
        plan=_plan(config, ds),
        tail=tail,
        tornado=_tornado(ds),
        assumptions=tuple(_assumptions(text)),
        opening_comment=opening_comment(text),
        followup=followup,
        earlier=_earlier(earlier),
        swing=swing_of(sensitivity, ds, config),
    )


def swing_of(sens: xr.Dataset | None, ds: xr.Dataset, config: Config | None) -> xr.Dataset | None:
    """The swings of a sensitivity result as (factor, year) SEK ``swing`` and ``effect``.

    A policy that happens with probability p is on at a draw u < p: it is on at P10 and off
    at P90 exactly when P10 < p ≤ P90, and then ``effect = balance_low − balance_high``."""
    if sens is None:
        return None
    if any(v not in sens for v in _SWING_VARS):
        raise ReportError("--sensitivity: no swing in it; make it with `balanskonto sensitivity`")
    sha = sens.attrs.get("config_sha256")
    if sha is not None and sha != ds.attrs.get("config_sha256"):
        raise ReportError("--sensitivity: made from another config (SHA-256 differs)")
    dim = "swing_factor" if "swing_factor" in sens["swing"].dims else "factor"
    sens = xr.Dataset(  # only the swings: a sensitivity result's own "factor" is the tornado's
        {v: (("factor", "year"), sens[v].transpose(dim, "year").values) for v in _SWING_VARS},
        coords={"factor": sens[dim].values, "year": sens["year"].values},
        attrs=sens.attrs,
    )
    if not np.array_equal(sens["year"].values, ds["year"].values):
        raise ReportError("--sensitivity: its years are not those of the result")
    low = float(sens.attrs.get("low_quantile", 0.10))
    high = float(sens.attrs.get("high_quantile", 0.90))
    names = [str(f) for f in sens["factor"].values]
    effect = np.full((len(names), sens.sizes["year"]), np.nan)
    policies = list(getattr(config, "policy", None) or [])
    for i, name in enumerate(names):
        k = _policy_index(name)
        if k is not None and k < len(policies) and low < policies[k].probability <= high:
            effect[i] = (sens["balance_low"][i] - sens["balance_high"][i]).values
    out = xr.Dataset(
        {
            "swing": sens["swing"].transpose("factor", "year"),
            "effect": (("factor", "year"), effect),
        },
        coords={"factor": names, "year": sens["year"].values},
        attrs={"low_quantile": low, "high_quantile": high},
    )
    return out


_SWING_VARS = ("swing", "balance_low", "balance_high")


def _policy_index(name: str) -> int | None:
    if not name.startswith("policy["):
        return None
    return int(name[len("policy[") : name.index("]")])


def _earlier(earlier: xr.Dataset | None) -> xr.Dataset | None:
    if earlier is not None:
        try:
            check_dataset(earlier)
        except ReportError as err:
            raise ReportError(f"--compare-with: {err}") from None
    return earlier


def _parse(text: str) -> Config:
    try:
        return parse_config(text)
    except ConfigError as err:
        raise ReportError(
            f"dataset: config_toml: not a config this version of balanskonto reads, so the "
            f"assumptions and the plan cannot be shown ({err})"
        ) from None


def _plan(config: Config | None, ds: xr.Dataset) -> xr.Dataset | None:
    if config is None:
        return None
    try:
        plan = expected(config)
    except ConfigError:
        return None
    if not np.array_equal(plan["year"].values, ds["year"].values):
        return None
    return plan


def _tornado(ds: xr.Dataset) -> xr.Dataset | None:
    out = tornado(ds)
    if out is None or np.isnan(out["rank_correlation"].values[:, -1]).all():
        return None
    return out


def _assumptions(text: str) -> list[Assumption]:
    try:
        return parse_assumptions(text)
    except ValueError:
        return []


def exit_targets(config: Config | None) -> dict[str, str]:
    """Share path → the state its exit leads to, for the factor labels of the tornado."""
    if config is None:
        return {}
    out = {}
    for gname, group in config.groups.items():
        for sname, spec in group.states.items():
            for i, ex in enumerate(spec.exits):
                for field in ("share", "monthly_shares", "annual_probability"):
                    out[f"groups.{gname}.states.{sname}.exits[{i}].{field}"] = ex.to
    return out


def persons_by_state(ds: xr.Dataset) -> xr.DataArray:
    """``person_years`` summed over groups: (run, year, state), persons (yearly average)."""
    return ds["person_years"].sum("group")


def balance_quantiles(ds: xr.Dataset, qs: tuple[float, ...]) -> xr.DataArray:
    """Quantiles of the balance over runs, (quantile, year) SEK: the Dataset's own
    ``balance_quantile`` where it has the level, else numpy's linear method on ``balance``
    (the method that made ``balance_quantile``)."""
    have = ds["quantile"].values
    rows = []
    for q in qs:
        hit = np.flatnonzero(np.isclose(have, q))
        if hit.size:
            rows.append(ds["balance_quantile"].isel(quantile=int(hit[0])).values)
        else:
            rows.append(np.quantile(ds["balance"].transpose("run", "year").values, q, axis=0))
    return xr.DataArray(
        np.array(rows), dims=("quantile", "year"), coords={"quantile": list(qs), "year": ds.year}
    )
