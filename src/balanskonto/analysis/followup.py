"""Follow-up (uppföljning): a forecast held against what happened (DESIGN §13).

:func:`followup` takes a simulation result and validated actuals
(:func:`balanskonto.config.actuals_files.read_actuals`, with :func:`scope_of` the result) and
returns one Dataset with, for every actual, the forecast's quantiles, the deviation from the
median, the percentile rank among the runs, the bands it falls in and its CRPS; the CRPS per
variable; the runs weighted by closeness to the actuals and every stored factor before and
after (:mod:`.weighting`); and the coverage of the bands over all actuals and per period (the
backtest). docs/followup.md describes every variable.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..config.actuals import VARIABLES, Actual, Actuals, ActualsScope
from ..config.errors import ConfigError
from ..config.types import RESIDENT
from ..results.metadata import annotate, quantity_of, version_stamp
from . import scores
from .weighting import MIN_EFFECTIVE_SAMPLE_SIZE, factor_update, kernel_weights

#: Quantiles of the forecast shown for every actual (the fan chart's: P5, P25, P50, P75, P95).
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: CF units of each variable (counts are ``1``; what they count is ``quantity_of``).
UNITS = {
    "revenue": "SEK",
    "cost": "SEK",
    "net": "SEK",
    "balance": "SEK",
    "persons": "1",
    "arrivals": "1",
    "person_years": "1",
}
#: The forecast's variables each actual variable needs (yearly; year to date).
NEEDS = {
    "revenue": ("revenue", "revenue_month"),
    "cost": ("cost", "cost_month"),
    "net": ("net", "net_month"),
    "balance": ("balance", "balance_month"),
    "persons": ("persons", "persons_month"),
    "arrivals": ("arrivals", None),
    "person_years": ("person_years", "persons_month"),
}


def check_forecast(ds: xr.Dataset) -> None:
    """ConfigError unless ``ds`` is one simulation result (a ``run`` dimension, no scenarios)."""
    if "scenario" in ds.dims:
        raise ConfigError(
            "result: a batch result (it has a scenario dimension); follow up one scenario: "
            "ds.sel(scenario=NAME) in Python"
        )
    if "run" not in ds.dims or "balance" not in ds:
        raise ConfigError(
            "result: not a balanskonto simulation result (no runs of the balance); make one "
            "with `balanskonto run`"
        )


def _months(ds: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
    m = ds["month"].values.astype("datetime64[M]").astype(int)
    return m // 12 + 1970, m % 12 + 1


def scope_of(ds: xr.Dataset) -> ActualsScope:
    """What the result ``ds`` can be compared with: its years, resolution and names."""
    check_forecast(ds)
    monthly = "month" in ds.dims
    last = None
    if monthly:
        years, months = _months(ds)
        last = (int(years[-1]), int(months[-1]))

    def sides(var: str) -> tuple[str, ...]:
        nonzero = (ds[var] != 0).any([d for d in ds[var].dims if d != "component"])
        return tuple(
            str(c) for c, x in zip(ds["component"].values, nonzero.values, strict=True) if x
        )

    have = tuple(v for v, (yearly, _) in NEEDS.items() if yearly in ds and yearly in ds.data_vars)
    return ActualsScope(
        years=tuple(int(y) for y in ds["year"].values),
        monthly=monthly,
        groups=tuple(str(g) for g in ds["group"].values),
        states=tuple(str(s) for s in ds["state"].values),
        revenue_components=sides("revenue"),
        cost_components=sides("cost"),
        variables=have,
        last_month=last,
    )


def _select(da: xr.DataArray, actual: Actual) -> xr.DataArray:
    """``da`` at the actual's group, state and component, summed over those left empty."""
    for dim in ("group", "state", "component"):
        if dim not in da.dims:
            continue
        value = getattr(actual, dim)
        if dim == "state" and value in ("", RESIDENT):  # residents: all but relocated
            da = da.sel(state=[s for s in da["state"].values if s != "relocated"]).sum("state")
        elif value:
            da = da.sel({dim: value})
        else:
            da = da.sum(dim)
    return da


def forecast_values(ds: xr.Dataset, actual: Actual) -> np.ndarray:
    """The forecast of ``actual`` in every run of ``ds``: (runs,), in the actual's units.

    A calendar year reads the yearly variables (``persons`` in December); a year to date sums
    the monthly ones from January to the month (``balance`` and ``persons`` at the month;
    ``person_years`` = person-months so far / 12).
    """
    v = actual.variable
    if v not in VARIABLES:
        raise ConfigError(f"variable: unknown variable (got {v!r})")
    if actual.month is None:
        da = ds[NEEDS[v][0]].sel(year=actual.year)
    else:
        name = NEEDS[v][1]
        if name is None or name not in ds:
            raise ConfigError(f"period {actual.period}: the result has no monthly {v}")
        years, months = _months(ds)
        if v in ("balance", "persons"):
            at = np.flatnonzero((years == actual.year) & (months == actual.month))
            da = ds[name].isel(month=int(at[0]))
        else:
            upto = np.flatnonzero((years == actual.year) & (months <= actual.month))
            da = ds[name].isel(month=upto).sum("month")
            if v == "person_years":
                da = da / 12.0
    return np.asarray(_select(da, actual).transpose("run").values, dtype=float)


def forecast_matrix(ds: xr.Dataset, actuals: Actuals) -> np.ndarray:
    """The forecasts of every actual: (runs, actuals)."""
    return np.stack([forecast_values(ds, a) for a in actuals.rows], axis=1)


# --------------------------------------------------------------------------------------
# The follow-up Dataset
# --------------------------------------------------------------------------------------
def followup(ds: xr.Dataset, actuals: Actuals, *, bandwidth: float | None = None) -> xr.Dataset:
    """Hold the forecast ``ds`` against ``actuals``.

    Parameters
    ----------
    ds : a simulation result (:func:`balanskonto.simulate` or its NetCDF file).
    actuals : validated against ``scope_of(ds)``.
    bandwidth : the kernel's ``h`` in units of the runs' spread; default Scott's rule
        (:mod:`.weighting`).

    Returns
    -------
    xarray.Dataset
        Over ``actual`` (coordinates ``period``, ``variable``, ``group``, ``state``,
        ``component``, ``line``, ``unit``, ``quantity``): ``actual_value``,
        ``forecast_quantile(actual, quantile)``, ``forecast_mean``, ``deviation`` (actual −
        median), ``percentile_rank``,
        ``inside_band(actual, band)``, ``crps``; ``crps_mean(scored_variable)``; ``weight(run)``,
        ``effective_sample_size``; the factors before and after (:func:`.factor_update`);
        ``coverage*(band)`` and ``coverage_by_period(period_label, band)``. Values in the
        units of each actual (``unit``: CF's, ``SEK`` or ``1``); what a count counts is its
        ``quantity`` (``money``, ``persons``, ``person_years``).
    """
    check_forecast(ds)
    if not len(actuals):
        raise ConfigError(f"{actuals.source}: no actuals to compare")
    x = forecast_matrix(ds, actuals)
    y = np.array([a.value for a in actuals.rows])
    runs = x.shape[0]
    q = np.quantile(x, QUANTILES, axis=0)
    median = np.quantile(x, 0.5, axis=0)
    inside = np.stack([scores.inside_band(x, y, b) for b in scores.BANDS], axis=1)
    crps = scores.crps(x, y)
    variables = [a.variable for a in actuals.rows]
    scored = list(dict.fromkeys(variables))
    crps_mean = [float(np.mean(crps[[v == s for v in variables]])) for s in scored]
    weights = kernel_weights(x, y, bandwidth)
    out = xr.Dataset(
        {
            "actual_value": (("actual",), y),
            "forecast_quantile": (("actual", "quantile"), q.T),
            "forecast_mean": (("actual",), x.mean(axis=0)),
            "deviation": (("actual",), y - median),
            "percentile_rank": (("actual",), scores.percentile_rank(x, y)),
            "inside_band": (("actual", "band"), inside),
            "crps": (("actual",), crps),
            "crps_mean": (("scored_variable",), np.array(crps_mean)),
            "weight": (("run",), weights.weights),
            "weight_used": (("actual",), weights.used),
            "effective_sample_size": ((), weights.effective_sample_size),
            "actuals_distance2": ((), weights.distance2),
            "actuals_p_distance": ((), weights.p_distance),
        },
        coords={
            "actual": np.arange(len(actuals)),
            "quantile": list(QUANTILES),
            "band": list(scores.BANDS),
            "run": ds["run"].values,
            "scored_variable": scored,
            **_actual_coords(actuals),
        },
    )
    out = out.merge(factor_update(ds, weights, QUANTILES))
    out = out.merge(_coverage(inside, [a.period for a in actuals.rows]))
    out.attrs.update(_attrs(ds, actuals, weights, runs))
    return annotate(out)


def _actual_coords(actuals: Actuals) -> dict[str, tuple[str, list]]:
    rows = actuals.rows
    return {
        "period": ("actual", [a.period for a in rows]),
        "variable": ("actual", [a.variable for a in rows]),
        "group": ("actual", [a.group for a in rows]),
        "state": ("actual", [a.state for a in rows]),
        "component": ("actual", [a.component for a in rows]),
        "line": ("actual", [a.line for a in rows]),
        "unit": ("actual", [UNITS[a.variable] for a in rows]),
        "quantity": ("actual", [quantity_of(a.variable) for a in rows]),
    }


def _coverage(inside: np.ndarray, periods: list[str]) -> xr.Dataset:
    """The backtest: the share of actuals in each band, overall and per period, against the
    nominal coverage with its binomial range."""
    labels = list(dict.fromkeys(periods))
    stats = {"count": [], "n": [], "share": [], "low": [], "high": []}
    by_period = np.full((len(labels), len(scores.BANDS)), np.nan)
    for j, band in enumerate(scores.BANDS):
        c = scores.coverage(inside[:, j], band)
        for key in stats:
            stats[key].append(c[key])
        for i, label in enumerate(labels):
            mask = np.array([p == label for p in periods])
            by_period[i, j] = inside[mask, j].mean()
    return xr.Dataset(
        {
            "coverage": (("band",), np.array(stats["share"], dtype=float)),
            "coverage_count": (("band",), np.array(stats["count"], dtype=np.int64)),
            "coverage_n": (("band",), np.array(stats["n"], dtype=np.int64)),
            "coverage_low": (("band",), np.array(stats["low"], dtype=float)),
            "coverage_high": (("band",), np.array(stats["high"], dtype=float)),
            "coverage_by_period": (("period_label", "band"), by_period),
        },
        coords={"band": list(scores.BANDS), "period_label": labels},
    )


def _attrs(ds: xr.Dataset, actuals: Actuals, weights, runs: int) -> dict:
    a = ds.attrs
    factors = "factor" in ds or "yearly_factor" in ds
    return {
        "title": str(a.get("title", "")),
        "municipality": str(a.get("municipality", "")),
        "forecast_config_sha256": str(a.get("config_sha256", "")),
        "forecast_seed": int(a.get("seed", 0)),
        "forecast_runs": int(runs),
        "forecast_created": str(a.get("created", "")),
        "forecast_balanskonto_version": str(a.get("balanskonto_version", "")),
        "actuals_file": actuals.source,
        "actuals_sha256": actuals.sha256,
        "kernel": "gaussian, whitened by the runs' correlation (docs/followup.md)",
        "bandwidth": float(weights.bandwidth),
        "bandwidth_rule": "scott" if weights.scott else "widened to keep the effective sample size",
        "kernel_dimension": int(weights.dimension),
        "min_effective_sample_size": MIN_EFFECTIVE_SAMPLE_SIZE,
        "factors_stored": int(factors),
        "band_range_level": scores.RANGE_LEVEL,
        **version_stamp(),
    }
