"""Names, units and long names of every output variable, declared once and applied in one place."""

from __future__ import annotations

from datetime import UTC, datetime

import xarray as xr

from .._version import __version__

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
    "person_years": ("1", "time spent in each state", "person-months / 12, in person-years"),
    "arrivals": ("1", "persons arriving in the year", "a count of persons"),
    "persons": (
        "1",
        "persons in each state in December",
        "head count in the last month of the year (a move at the end of December counts from "
        "January)",
    ),
    "households": (
        "1",
        "households in each state in December",
        "head count of the households of each household group (hushåll) in the last month of "
        "the year; 0 for a group of single persons, whose persons are in persons",
    ),
    "revenue_month": ("SEK", "revenue by component in the month", "simulation.resolution = month"),
    "cost_month": ("SEK", "cost by component in the month", "simulation.resolution = month"),
    "net_month": ("SEK", "net result of the month", "revenue minus cost, all components"),
    "balance_month": (
        "SEK",
        "balance account at the end of the month",
        "opening balance plus the net of every month up to and including this one",
    ),
    "persons_month": (
        "1",
        "persons in each state during the month",
        "equals the person-months of the month",
    ),
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
        "order-statistic estimate, see balanskonto.results.convergence",
    ),
    "deficit_quantile_se": (
        "SEK",
        "Monte Carlo standard error of deficit_quantile",
        "order-statistic estimate, see balanskonto.results.convergence",
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
        "minimum of the balance below its opening), see balanskonto.results.convergence",
    ),
    "year": (None, "calendar year", "a label, not a time: CF has no unit for it"),
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
    # follow-up (balanskonto.analysis.followup; docs/followup.md)
    "actual": (None, "actual (row of the actuals file, in file order)", ""),
    "actual_value": ("", "the actual", "in the unit of the actual (coordinate unit)"),
    "forecast_quantile": (
        "",
        "quantiles of the forecast of the actual over runs",
        "numpy's default (linear) quantile method; in the unit of the actual",
    ),
    "forecast_mean": ("", "mean of the forecast of the actual over runs", ""),
    "deviation": ("", "actual minus the forecast's median", "in the unit of the actual"),
    "percentile_rank": (
        "1",
        "percentile rank of the actual among the runs",
        "share of runs below the actual plus half the share equal to it (mid-rank)",
    ),
    "inside_band": (
        None,
        "the actual lies in the central band of the runs",
        "between the (1 - band)/2 and (1 + band)/2 quantiles, limits included",
    ),
    "band": ("1", "central band of the runs (0.5: P25-P75, 0.9: P5-P95)", ""),
    "crps": (
        "",
        "continuous ranked probability score of the forecast",
        "fair ensemble CRPS (scoringrules, estimator pwm); in the unit of the actual; lower "
        "is better",
    ),
    "crps_mean": ("", "mean CRPS of the actuals of a variable", "in the variable's unit"),
    "weight": (
        "1",
        "weight of the run given the actuals",
        "Gaussian kernel on the whitened distance to the actuals, Scott bandwidth; sums to 1",
    ),
    "weight_used": (None, "the actual enters the weights", "false where every run agrees"),
    "effective_sample_size": ("1", "effective sample size of the weights", "1 / sum(w^2)"),
    "actuals_distance2": (
        "1",
        "squared Mahalanobis distance of the actuals from the runs' mean",
        "about chi-squared with kernel_dimension degrees of freedom for a run of the model",
    ),
    "actuals_p_distance": ("1", "P(chi2 >= actuals_distance2)", ""),
    "coverage": ("1", "share of the actuals inside the band", ""),
    "coverage_count": ("1", "actuals inside the band", ""),
    "coverage_n": ("1", "actuals", ""),
    "coverage_low": (
        "1",
        "lower end of the binomial range of the share for a calibrated fan",
        "binom.interval(band_range_level, n, band) / n; assumes independent actuals",
    ),
    "coverage_high": ("1", "upper end of that range", ""),
    "coverage_by_period": ("1", "share of the period's actuals inside the band", ""),
}
for _var in ("factor", "yearly_factor"):
    for _stat, _text in (
        ("prior_mean", "mean over runs, every run the same weight"),
        ("prior_sd", "standard deviation over runs"),
        ("prior_se", "Monte Carlo standard error of the prior mean"),
        ("weighted_mean", "mean over runs weighted by closeness to the actuals"),
        ("weighted_se", "standard error of the weighted mean, sqrt(sum w^2 (x - m)^2)"),
        ("prior_quantile", "quantiles over runs (midpoint weighted CDF)"),
        ("weighted_quantile", "weighted quantiles over runs (midpoint weighted CDF)"),
    ):
        METADATA[f"{_var}_{_stat}"] = ("1", f"{_var}: {_text}", "")


#: What a count variable counts: CF's unit of a count is ``1``, so the quantity (the words
#: "personer", "personår" of the report and the follow-up) is kept in its own attribute,
#: ``quantity``, as money keeps its currency in ``currency``.
QUANTITY: dict[str, str] = {
    "person_years": "person_years",
    "arrivals": "persons",
    "persons": "persons",
    "persons_month": "persons",
    "households": "households",
}


def quantity_of(name: str) -> str:
    """``money`` for a variable in SEK, else what the count variable ``name`` counts
    (:data:`QUANTITY`); ``""`` for anything else."""
    if name in QUANTITY:
        return QUANTITY[name]
    return "money" if name in METADATA and METADATA[name][0] == "SEK" else ""


#: The CF version the files follow (docs/output.md: where they depart from it, and why).
CONVENTIONS = "CF-1.10"


def annotate(ds: xr.Dataset) -> xr.Dataset:
    """Set units, long names and descriptions from :data:`METADATA` and ``Conventions``
    (in place). Money keeps ``units = "SEK"`` (DESIGN §6; UDUNITS has no currencies) and
    says so again in ``currency = "SEK"``; counts have CF's ``units = "1"`` and say what
    they count in ``quantity`` (:data:`QUANTITY`)."""
    ds.attrs["Conventions"] = CONVENTIONS
    for name, (units, long_name, description) in METADATA.items():
        if name in ds.variables:
            ds[name].attrs["long_name"] = long_name
            if units is None:  # text, or a label such as the calendar year
                ds[name].attrs.pop("units", None)
            elif units:  # "": the unit of each actual (coordinate unit)
                ds[name].attrs["units"] = units
            if units == "SEK":
                ds[name].attrs["currency"] = "SEK"
            if name in QUANTITY:
                ds[name].attrs["quantity"] = QUANTITY[name]
            if description:
                ds[name].attrs["description"] = description
    return ds


def version_stamp() -> dict[str, str]:
    """``balanskonto_version`` and ``created`` (UTC, ISO 8601) for a Dataset's attributes."""
    created = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return {"balanskonto_version": __version__, "created": created}
