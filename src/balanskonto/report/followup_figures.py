"""The figures of the follow-up and change-of-forecast sections, in the appendix's style.

- ``followup_fan``: the balance fan (P5–P95, P25–P75, median) with the balance actuals marked
  (a year's at its end; a year to date at the end of its month).
- ``reforecast_fan``: the earlier forecast's median and P5–P95 (grey) beside the new one's
  (blue).
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from . import i18n
from .data import ReportData, balance_quantiles
from .figures import (
    BLACK,
    BLUE,
    BLUE_LIGHT,
    BLUE_MID,
    GREY,
    RED,
    STYLE,
    _amount_axis,
    _legend_below,
    _new,
    _title,
    _year_axis,
    word,
)
from .tables import FAN_QUANTILES


def actual_positions(fu: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """The balance actuals as (x, SEK): a year at the year (its end), a year to date at the
    end of its month (``year − 1 + month / 12``)."""
    xs, ys = [], []
    for period, variable, value in zip(
        fu["period"].values, fu["variable"].values, fu["actual_value"].values, strict=True
    ):
        if variable != "balance":
            continue
        year = int(str(period)[:4])
        month = int(str(period)[5:7]) if len(str(period)) == 7 else 12
        xs.append(year - 1 + month / 12)
        ys.append(float(value))
    return np.array(xs), np.array(ys)


def followup_fan(ds: xr.Dataset, fu: xr.Dataset, lang: str = "sv") -> Figure:
    """The forecast's balance fan with the balance actuals as points."""
    with mpl.rc_context(STYLE):
        fig, ax = _new()
        years = ds["year"].values
        q = balance_quantiles(ds, FAN_QUANTILES).values
        xs, ys = actual_positions(fu)
        s = _amount_axis(ax, np.concatenate([q.ravel(), ys]), lang)
        p = [i18n.percentile(x, lang) for x in FAN_QUANTILES]
        ax.fill_between(years, q[0] / s, q[4] / s, color=BLUE_LIGHT, lw=0, label=f"{p[0]}–{p[4]}")
        ax.fill_between(years, q[1] / s, q[3] / s, color=BLUE_MID, lw=0, label=f"{p[1]}–{p[3]}")
        ax.plot(years, q[2] / s, color=BLUE, lw=2.2, label=word("median", lang))
        if xs.size:
            ax.plot(
                xs, ys / s, "o", color=RED, ms=6, mec=BLACK, mew=0.8, label=word("actual", lang)
            )
        ax.axhline(0, color=RED, lw=1.0)
        _year_axis(ax, years)
        _title(fig, word("g_followup", lang))
        _legend_below(fig, ax, 4)
    return fig


def reforecast_fan(ds: xr.Dataset, earlier: xr.Dataset, lang: str = "sv") -> Figure:
    """The earlier forecast (grey) and the new one (blue): median and P5–P95."""
    qs = (0.05, 0.5, 0.95)
    with mpl.rc_context(STYLE):
        fig, ax = _new()
        old, new = balance_quantiles(earlier, qs), balance_quantiles(ds, qs)
        s = _amount_axis(ax, np.concatenate([old.values.ravel(), new.values.ravel()]), lang)
        for q, colour, light, key in (
            (old, GREY, "#dddddd", "earlier"),
            (new, BLUE, BLUE_LIGHT, "new"),
        ):
            x = q["year"].values
            ax.fill_between(x, q.values[0] / s, q.values[2] / s, color=light, alpha=0.7, lw=0)
            ax.plot(x, q.values[1] / s, color=colour, lw=2.0, label=word(key, lang))
        ax.axhline(0, color=RED, lw=1.0)
        years = np.union1d(old["year"].values, new["year"].values)
        _year_axis(ax, years)
        _title(fig, word("g_reforecast", lang))
        _legend_below(fig, ax, 2)
    return fig


def chart(key: str, data: ReportData, lang: str) -> Figure:
    """The figure ``key`` of :data:`balanskonto.report.followup.FIGURES`."""
    if key == "followup_fan":
        return followup_fan(data.ds, data.followup, lang)
    if key == "reforecast_fan":
        return reforecast_fan(data.ds, data.earlier, lang)
    raise KeyError(key)
