"""The follow-up as plain text for the command line, in Swedish (default) or English.

:func:`summary` turns the Dataset of :func:`balanskonto.analysis.followup.followup` into the
table that ``balanskonto uppfoljning`` prints: every actual against the forecast's P5, P50
and P95 (amounts in tkr), the deviation from the median, the percentile rank, whether it lies
outside the 90 % band and its CRPS; the CRPS per variable; the backtest of the bands; and what
the outcome says about the assumptions. The words are the catalogues' (``fu_*``, ``c_*``,
``v_*``); the numbers are formatted by :mod:`.numbers`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from .._format import table
from . import i18n
from .i18n import text

#: The catalogue's word for each variable of an actual.
VARIABLE_WORDS = {
    "revenue": "v_revenue",
    "cost": "v_cost",
    "net": "v_net",
    "balance": "v_balance",
    "persons": "v_persons",
    "arrivals": "v_arrivals",
    "person_years": "v_person_years",
}
#: The catalogue's word for the unit a value is shown in, by the actual's ``quantity``
#: (results.metadata.QUANTITY: the CF unit of a count is ``1``, so it cannot say which).
UNIT_WORDS = {"money": "u_tkr", "persons": "u_persons", "person_years": "u_person_years"}
#: ``quantity`` of a comparison written before it had one, from its ``unit``.
_OLD_UNITS = {"SEK": "money", "persons": "persons", "person-years": "person_years"}
#: Yearly factors: the catalogue's words, with the year as {year}.
YEARLY_FACTOR_WORDS = {"labour_market": "fu_factor_lm", "arrivals": "fu_factor_arrivals"}
#: A factor moved where its weighted mean is this many standard errors from the prior mean
#: and at least this share of a prior standard deviation (a shift too small to matter is not
#: news, however precisely it is known).
MOVED_SE = 3.0
MOVED_SD = 0.25


def variable_label(variable: str, lang: str) -> str:
    return text(VARIABLE_WORDS[variable], lang) if variable in VARIABLE_WORDS else variable


def value_text(value: float, quantity: str, lang: str, signed: bool = False) -> str:
    """An actual's value in the unit it is shown in, by its ``quantity``: money as whole tkr,
    persons whole, person-years with one decimal."""
    if not np.isfinite(value):
        return "–"
    if quantity == "money":
        return i18n.number(value / 1000, 0, lang, signed=signed)
    return i18n.number(value, 1 if quantity == "person_years" else 0, lang, signed=signed)


def quantities(fu: xr.Dataset) -> list[str]:
    """What each actual measures (``money``, ``persons``, ``person_years``), in actual order."""
    if "quantity" in fu.coords:
        return [str(q) for q in fu["quantity"].values]
    return [_OLD_UNITS[str(u)] for u in fu["unit"].values]


def what_label(
    fu: xr.Dataset, i: int, lang: str, labels: Mapping[str, str] | None = None
) -> tuple[str, str, str, str]:
    """(variable, group, state, component) of actual ``i`` in words ('' where summed), with
    the config's ``[labels]``."""
    a = fu.isel(actual=i)
    group, state, comp = (str(a[k].item()) for k in ("group", "state", "component"))
    return (
        variable_label(str(a["variable"].item()), lang),
        i18n.group_label(group, lang, labels) if group else "",
        i18n.state_label(state, lang, labels) if state and state != "resident" else "",
        i18n.component_label(comp, lang, labels) if comp else "",
    )


def factor_rows(
    fu: xr.Dataset,
    lang: str,
    targets: dict[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> list[dict]:
    """Every factor that the text and tables show: the per-run factors, then the yearly ones
    for the years up to the last actual's. Each a dict with ``name`` (words), ``kind``
    (``factor`` or the yearly factor's name), ``year``, ``before``, ``after``, ``se``,
    ``low``/``high`` (weighted P5/P95), ``moved`` (:data:`MOVED_SE`, :data:`MOVED_SD`),
    ``var`` and ``sel`` (the variable and selection in ``fu``)."""
    rows: list[dict[str, Any]] = []
    if "factor_prior_mean" in fu:
        for name in fu["factor_name"].values:
            sel = {"factor_name": str(name)}
            name_text = i18n.factor_label(str(name), lang, targets, labels)
            rows.append(_factor_row(fu, "factor", sel, name_text))
    if "yearly_factor_prior_mean" in fu:
        last = max(int(p[:4]) for p in fu["period"].values)
        for name in fu["yearly_factor_name"].values:
            words = YEARLY_FACTOR_WORDS.get(str(name))
            for y in fu["year"].values:
                if int(y) > last:
                    continue
                sel = {"year": int(y), "yearly_factor_name": str(name)}
                label = text(words, lang).format(year=int(y)) if words else f"{name} {int(y)}"
                rows.append(_factor_row(fu, "yearly_factor", sel, label))
    return rows


def _factor_row(fu: xr.Dataset, var: str, sel: dict, label: str) -> dict[str, Any]:
    def get(stat: str, **more: Any) -> float:
        return float(fu[f"{var}_{stat}"].sel(**sel, **more).item())

    before, after, se = get("prior_mean"), get("weighted_mean"), get("weighted_se")
    return {
        "name": label,
        "kind": str(sel.get("yearly_factor_name", "factor")),
        "factor_name": str(sel.get("factor_name", "")),
        "year": sel.get("year"),
        "before": before,
        "after": after,
        "se": se,
        "low": get("weighted_quantile", quantile=0.05),
        "high": get("weighted_quantile", quantile=0.95),
        "moved": bool(abs(after - before) > max(MOVED_SE * se, MOVED_SD * get("prior_sd"))),
        "var": var,
        "sel": sel,
    }


def summary(
    fu: xr.Dataset,
    lang: str = "sv",
    targets: dict[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> str:
    """The follow-up as the command line prints it (``targets``: share path → the state its
    exit leads to, for the names of drawn shares; ``labels``: the config's ``[labels]``)."""
    lang = i18n.check_lang(lang)
    a = fu.attrs
    lines = [
        text("fu_cli_title", lang).format(title=a.get("title", "")),
        text("fu_cli_source", lang).format(
            runs=a.get("forecast_runs", ""),
            seed=a.get("forecast_seed", ""),
            file=a.get("actuals_file", ""),
            n=fu.sizes["actual"],
        ),
        "",
        _actuals_table(fu, lang, labels),
        "",
        text("fu_cli_crps", lang),
    ]
    for v, value in zip(fu["scored_variable"].values, fu["crps_mean"].values, strict=True):
        quantity = _quantity_of(fu, str(v))
        lines.append(
            f"  {variable_label(str(v), lang)}: {value_text(value, quantity, lang)} "
            f"{text(UNIT_WORDS[quantity], lang)}"
        )
    lines += ["", *_backtest_lines(fu, lang), "", *_factor_lines(fu, lang, targets, labels)]
    return "\n".join(lines)


def _quantity_of(fu: xr.Dataset, variable: str) -> str:
    return quantities(fu)[list(fu["variable"].values).index(variable)]


def _actuals_table(fu: xr.Dataset, lang: str, labels: Mapping[str, str] | None) -> str:
    q = fu["forecast_quantile"]
    header = [
        text("c_period", lang),
        text("c_variable", lang),
        text("c_group", lang),
        text("c_state", lang),
        text("c_component", lang),
        text("c_unit", lang),
        text("c_actual", lang),
        "P5",
        "P50",
        "P95",
        text("c_deviation", lang),
        text("c_pit", lang),
        text("c_outside", lang).format(band=i18n.level(0.9, lang)),
        text("c_crps", lang),
    ]
    rows = []
    for i, unit in enumerate(quantities(fu)):
        a = fu.isel(actual=i)
        outside = not bool(a["inside_band"].sel(band=0.9).item())
        rows.append(
            [
                str(a["period"].item()),
                *what_label(fu, i, lang, labels),
                text(UNIT_WORDS[unit], lang),
                value_text(float(a["actual_value"]), unit, lang),
                *(
                    value_text(float(q.isel(actual=i).sel(quantile=x)), unit, lang)
                    for x in (0.05, 0.5, 0.95)
                ),
                value_text(float(a["deviation"]), unit, lang, signed=True),
                i18n.percent(float(a["percentile_rank"]), lang, 1),
                text("yes", lang) if outside else "",
                value_text(float(a["crps"]), unit, lang),
            ]
        )
    return table(header, rows, left=6)


def _backtest_lines(fu: xr.Dataset, lang: str) -> list[str]:
    out = []
    for band in fu["band"].values:
        c = fu.sel(band=band)
        out.append(
            text("fu_backtest", lang).format(
                band=i18n.level(float(band), lang),
                k=int(c["coverage_count"]),
                n=int(c["coverage_n"]),
                share=i18n.percent(float(c["coverage"]), lang),
                nominal=i18n.percent(float(band), lang),
                low=i18n.percent(float(c["coverage_low"]), lang),
                high=i18n.percent(float(c["coverage_high"]), lang),
            )
        )
    out.append(text("fu_backtest_note", lang))
    return out


def _factor_lines(
    fu: xr.Dataset,
    lang: str,
    targets: dict[str, str] | None,
    labels: Mapping[str, str] | None,
) -> list[str]:
    rows = factor_rows(fu, lang, targets, labels)
    if not rows:
        return [text("fu_no_factors", lang)]
    ess, runs = float(fu["effective_sample_size"]), int(fu.sizes["run"])
    key = "fu_weights" if ess >= fu.attrs.get("min_effective_sample_size", 30) else "fu_weights_few"
    lines = [
        text(key, lang).format(ess=i18n.number(ess, 0, lang), runs=i18n.number(runs, 0, lang)),
        text("fu_cli_factors", lang).format(band="P5–P95"),
    ]
    header = [
        text("c_factor", lang),
        text("c_before", lang),
        text("c_after", lang),
        text("c_after_se", lang),
        "P5–P95",
    ]
    body = [
        [
            i18n.capital(r["name"]),
            i18n.number(r["before"], 2, lang),
            i18n.number(r["after"], 2, lang) + (" *" if r["moved"] else ""),
            i18n.number(r["se"], 2, lang),
            f"{i18n.number(r['low'], 2, lang)}–{i18n.number(r['high'], 2, lang)}",
        ]
        for r in rows
    ]
    return [
        *lines,
        table(header, body, left=1),
        f"* |{text('c_after', lang)} − {text('c_before', lang)}| > "
        f"{MOVED_SE:g} s.e. {i18n.number(MOVED_SD, 2, lang)} sd",
    ]
