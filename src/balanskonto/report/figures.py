"""The figures of the appendix: matplotlib, no pyplot (no global state, no GUI backend).

Each ``*_chart`` function returns a :class:`matplotlib.figure.Figure` drawn in the one style of
:data:`STYLE`, with labels in Swedish or English and numbers the language's way; amounts are in
tkr or Mkr by size. :func:`render` writes every figure of a report as PNG (200 dpi) and SVG.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, Formatter, MaxNLocator

from .._format import percent_sign
from . import i18n
from .data import ReportData, balance_quantiles, exit_targets, persons_by_state
from .tables import FAN_QUANTILES, moving_components

#: Resolution of the PNG files.
DPI = 200
#: One style for every figure (applied while a figure is drawn and saved).
STYLE: dict[str, Any] = {
    "figure.figsize": (7.0, 3.9),
    "figure.dpi": 100,
    "figure.constrained_layout.use": True,
    "font.family": "DejaVu Sans",
    "font.size": 9.5,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "legend.fontsize": 8.5,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.unicode_minus": True,
    "svg.hashsalt": "balanskonto",
    "svg.fonttype": "path",
}
BLUE, BLUE_MID, BLUE_LIGHT = "#1f4e79", "#7fa8cf", "#d3e2f0"
RED, GREY, BLACK = "#b8322a", "#555555", "#222222"
STATE_COLOURS = {
    "intro": "#1f77b4",
    "prolonged": "#8c6bb1",
    "self_sufficient": "#2e8b57",
    "income_support": "#d95f02",
    "relocated": "#999999",
}
#: Colours of a config's own states (DESIGN §15), in the order of its states.
OWN_STATE_COLOURS = ("#1f77b4", "#8c6bb1", "#2e8b57", "#d95f02", "#17becf", "#bcbd22", "#e377c2")


def state_colour(state: str, index: int) -> str:
    """A state's colour: the default states' own, a config's states' by their position."""
    if state in STATE_COLOURS:
        return STATE_COLOURS[state]
    return OWN_STATE_COLOURS[index % len(OWN_STATE_COLOURS)]


#: Colours of the components' stacks: blues and greens up, reds and browns down; enough for
#: the 10 cost lines of seed 002's budget without a colour used twice in one stack.
REVENUE_COLOURS = (
    *("#1f4e79", "#4a7fb0", "#7fa8cf", "#a9c6e3", "#2e8b57", "#7cc196"),
    *("#0f6e6e", "#5fb3b3", "#3d5a80", "#b5d8c2", "#246b3a", "#98c1d9"),
)
COST_COLOURS = (
    *("#b8322a", "#e0772f", "#f2a65a", "#c97b63", "#8c564b", "#f6c89f", "#d9a5a0"),
    *("#7b2d26", "#e8b04b", "#a0522d", "#d4604f", "#6d4c41", "#f4a3a3", "#9e6b3f"),
)


def word(key: str, lang: str) -> str:
    """The words ``key`` of the catalogue's ``[figure]`` (titles, legends, axes)."""
    return i18n.figure_text(key, lang)


# --------------------------------------------------------------------------------------
# Tick labels the language's way
# --------------------------------------------------------------------------------------
class NumberFormatter(Formatter):
    """Tick labels ``value / scale`` (× 100 with ``percent``), with as many decimals as the
    ticks need, in the language's number format."""

    def __init__(self, lang: str, scale: float = 1.0, percent: bool = False) -> None:
        self.lang, self.scale, self.percent = lang, scale, percent
        self.decimals = 0

    def _value(self, x: float) -> float:
        return x / self.scale * (100 if self.percent else 1)

    def set_locs(self, locs: Any) -> None:
        super().set_locs(locs)
        values = [self._value(x) for x in locs]
        self.decimals = next(
            (d for d in range(4) if all(abs(v * 10**d - round(v * 10**d)) < 1e-6 for v in values)),
            3,
        )

    def __call__(self, x: float, pos: int | None = None) -> str:
        text = i18n.number(self._value(x), self.decimals, self.lang)
        if self.percent:
            return percent_sign(text, self.lang)
        return text


def _year_axis(ax: Any, years: np.ndarray) -> None:
    step = 1 if len(years) <= 12 else 2
    ax.xaxis.set_major_locator(FixedLocator([float(y) for y in years[::step]]))
    ax.set_xticklabels([str(int(y)) for y in years[::step]])
    ax.set_xlim(years[0] - 0.6, years[-1] + 0.6)


def _amount_axis(ax: Any, values: np.ndarray, lang: str, axis: str = "y") -> float:
    """Label an amount axis in tkr or Mkr by size; returns the divisor the caller must apply
    to the SEK values it plots."""
    scale, unit = i18n.amount_unit(float(np.nanmax(np.abs(values))) if values.size else 0, lang)
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 2.5, 5, 10]))
    target.set_major_formatter(NumberFormatter(lang))
    (ax.set_ylabel if axis == "y" else ax.set_xlabel)(unit)
    return scale


def _percent_axis(ax: Any, lang: str, top: float) -> None:
    ax.set_ylim(0, top)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    ax.yaxis.set_major_formatter(NumberFormatter(lang, percent=True))


def _legend_below(fig: Figure, ax: Any, ncol: int) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncol=ncol)


def _new(size: tuple[float, float] | None = None) -> tuple[Figure, Any]:
    fig = Figure(figsize=size or STYLE["figure.figsize"], layout="constrained")
    return fig, fig.subplots()


def _title(fig: Figure, text: str) -> None:
    """The figure's title, flush with its left edge (not the axes', which long tick labels
    push to the right)."""
    fig.suptitle(text, x=0.01, ha="left", fontsize=11, fontweight="bold")


# --------------------------------------------------------------------------------------
# The charts
# --------------------------------------------------------------------------------------
def fan_chart(
    ds: xr.Dataset,
    lang: str = "sv",
    plan: xr.DataArray | None = None,
    plan_label: str = "plan",
) -> Figure:
    """The balance per year: P5–P95 and P25–P75 bands, the median, zero, and the plan.

    ``plan``: the deterministic balance per year (``balanskonto.expected(config)["balance"]``);
    ``plan_label``: its legend, ``"plan"`` or ``"plan_without_uncertainty"`` (``[figure]``
    names of the catalogue).
    """
    with mpl.rc_context(STYLE):
        fig, ax = _new()
        years = ds["year"].values
        q = balance_quantiles(ds, FAN_QUANTILES).values
        values = np.concatenate([q.ravel(), [] if plan is None else np.asarray(plan).ravel()])
        s = _amount_axis(ax, values, lang)
        p = [i18n.percentile(x, lang) for x in FAN_QUANTILES]
        outer = word("band", lang).format(a=p[0], b=p[4])
        inner = word("band", lang).format(a=p[1], b=p[3])
        ax.fill_between(years, q[0] / s, q[4] / s, color=BLUE_LIGHT, lw=0, label=outer)
        ax.fill_between(years, q[1] / s, q[3] / s, color=BLUE_MID, lw=0, label=inner)
        ax.plot(years, q[2] / s, color=BLUE, lw=2.2, label=word("median", lang))
        if plan is not None:
            dashed = {"color": BLACK, "lw": 1.4, "ls": (0, (5, 3))}
            ax.plot(years, np.asarray(plan) / s, **dashed, label=word(plan_label, lang))
        ax.axhline(0, color=RED, lw=1.0)
        _year_axis(ax, years)
        _title(fig, word("g_fan", lang))
        _legend_below(fig, ax, 4)
    return fig


def p_deficit_chart(ds: xr.Dataset, lang: str = "sv") -> Figure:
    """P(balance < 0) per year as bars with one standard error, and P(negative by the year)."""
    with mpl.rc_context(STYLE):
        fig, ax = _new()
        years = ds["year"].values
        p, se = ds["p_deficit"].values, ds["p_deficit_se"].values
        by = ds["p_depleted_by"].values
        ax.bar(years, p, width=0.6, color=RED, alpha=0.85, label=word("at_year_end", lang))
        ax.errorbar(years, p, yerr=se, fmt="none", ecolor=BLACK, elinewidth=0.9, capsize=3)
        ax.plot(years, by, color=BLACK, lw=1.4, marker="o", ms=3.5, label=word("by_year", lang))
        top = float(np.max(np.concatenate([p + se, by])))
        _percent_axis(ax, lang, min(1.06, top * 1.15) if top > 0 else 0.05)
        if top == 0:
            note = word("no_deficit", lang)
            ax.text(0.5, 0.5, note, transform=ax.transAxes, ha="center", color=GREY)
        _year_axis(ax, years)
        ax.set_ylabel(word("share_runs", lang))
        _title(fig, word("g_p_deficit", lang))
        _legend_below(fig, ax, 2)
    return fig


def depletion_chart(ds: xr.Dataset, lang: str = "sv") -> Figure:
    """The distribution of the first year with a negative balance; the share of runs that
    never go negative is written in the corner (as a bar it would dwarf the years)."""
    with mpl.rc_context(STYLE):
        fig, ax = _new()
        years = ds["year"].values
        first = ds["p_first_depletion"].values
        never = float(ds["p_never_depleted"].item())
        bars = ax.bar(years, first, width=0.6, color=RED, alpha=0.85)
        labels = [i18n.percent(v, lang) if v > 0 else "" for v in first]
        ax.bar_label(bars, labels=labels, padding=2, fontsize=8, color=BLACK)
        note = f"{word('never_long', lang)}: {i18n.percent(never, lang)}"
        ax.text(
            0.01,
            0.97,
            note,
            transform=ax.transAxes,
            va="top",
            ha="left",
            color=BLACK,
            bbox={"boxstyle": "round,pad=0.4", "fc": "#f2f2f2", "ec": "#cccccc"},
        )
        _percent_axis(ax, lang, min(1.0, max(float(first.max()) * 1.3, 0.05)))
        _year_axis(ax, years)
        ax.set_ylabel(word("share_runs", lang))
        _title(fig, word("g_depletion", lang))
    return fig


def persons_chart(ds: xr.Dataset, lang: str = "sv", labels=None) -> Figure:
    """Persons by state (summed over groups): median over runs with a P5–P95 band."""
    with mpl.rc_context(STYLE):
        fig, ax = _new()
        years = ds["year"].values
        persons = persons_by_state(ds)
        qs = persons.quantile([0.05, 0.5, 0.95], dim="run")
        for k, state in enumerate(persons["state"].values):
            if state == "relocated" or float(persons.sel(state=state).max()) == 0:
                continue
            lo, mid, hi = qs.sel(state=state).transpose("quantile", "year").values
            colour = state_colour(str(state), k)
            ax.fill_between(years, lo, hi, color=colour, alpha=0.18, lw=0)
            label = i18n.capital(i18n.state_label(str(state), lang, labels))
            ax.plot(years, mid, color=colour, lw=2, label=label)
        ax.yaxis.set_major_formatter(NumberFormatter(lang))
        ax.set_ylim(bottom=0)
        ax.set_ylabel(word("persons", lang))
        _year_axis(ax, years)
        _title(fig, word("g_persons", lang))
        _legend_below(fig, ax, 4)
    return fig


def _stack(ax: Any, years, medians: xr.DataArray, sign: int, colours, s, lang, labels=None) -> None:
    bottom = np.zeros(len(years))
    shown = [c for c in medians["component"].values if float(medians.sel(component=c).max()) > 0]
    for k, c in enumerate(shown):
        v = sign * medians.sel(component=c).values / s
        label = i18n.capital(i18n.component_label(str(c), lang, labels))
        ax.bar(
            years,
            v,
            width=0.7,
            bottom=bottom,
            color=colours[k % len(colours)],
            edgecolor="white",
            linewidth=0.4,  # a thin line between neighbours of similar colour
            label=label,
        )
        bottom = bottom + v


def components_chart(ds: xr.Dataset, lang: str = "sv", labels=None) -> Figure:
    """Revenue (up) and cost (down) per component and year: the median over runs of each
    component on its own, and the median of the net (a line)."""
    with mpl.rc_context(STYLE):
        fig, ax = _new((7.0, 4.6))
        years = ds["year"].values
        rev, cost = ds["revenue"].mean("run"), ds["cost"].mean("run")  # means add up
        net = (ds["revenue"].sum("component") - ds["cost"].sum("component")).mean("run")
        extent = np.concatenate([rev.sum("component").values, cost.sum("component").values])
        s = _amount_axis(ax, extent, lang)
        _stack(ax, years, rev, 1, REVENUE_COLOURS, s, lang, labels)
        _stack(ax, years, cost, -1, COST_COLOURS, s, lang, labels)
        line = {"color": BLACK, "lw": 1.6, "marker": "o", "ms": 3.5}
        ax.plot(years, net.values / s, **line, label=word("net", lang))
        ax.axhline(0, color=BLACK, lw=0.8)
        _year_axis(ax, years)
        _title(fig, word("g_components", lang))
        _legend_below(fig, ax, 3)
    return fig


def _hbars(ax: Any, labels: list[str], values: np.ndarray, text: list[str]) -> None:
    y = np.arange(len(values))[::-1]  # the first value at the top
    colours = [RED if v < 0 else BLUE for v in values]
    bars = ax.barh(y, values, height=0.6, color=colours, alpha=0.9)
    ax.bar_label(bars, labels=text, padding=3, fontsize=8)
    ax.set_yticks(y, labels)
    ax.axvline(0, color=BLACK, lw=0.8)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    ax.tick_params(axis="y", length=0)


def _pad_x(ax: Any, values: np.ndarray, scale: float = 1.0) -> None:
    lo, hi = min(0.0, float(values.min())), max(0.0, float(values.max()))
    pad = 0.22 * (hi - lo or 1.0)
    if lo == hi:  # every value 0: matplotlib warns of identical limits
        lo, hi = -pad, pad
    ax.set_xlim((lo - (pad if lo < 0 else 0)) / scale, (hi + (pad if hi > 0 else 0)) / scale)


def tail_chart(tail: xr.DataArray, lang: str = "sv", labels=None) -> Figure:
    """``tail_attribution`` per component as horizontal bars, most harmful first."""
    with mpl.rc_context(STYLE):
        tail = tail.isel(component=moving_components(tail))  # fixed items: 0, not drawn
        order = np.argsort(tail.values)
        values = tail.values[order]
        fig, ax = _new((7.0, 1.2 + 0.42 * len(values)))
        s = _amount_axis(ax, values, lang, axis="x")
        comps = tail["component"].values[order]
        names = [i18n.capital(i18n.component_label(str(c), lang, labels)) for c in comps]
        decimals = 1 if s == 1e6 else 0
        shown = [i18n.number(v / s, decimals, lang, signed=True) for v in values]
        _hbars(ax, names, values / s, shown)
        _pad_x(ax, values, s)
        _title(fig, word("g_tail", lang).format(year=tail.attrs.get("year", "")))
    return fig


# --------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------
def chart(key: str, data: ReportData, lang: str) -> Figure:
    """The figure ``key`` of :data:`balanskonto.report.content.FIGURES` for ``data``."""
    ds = data.ds
    plan = None if data.plan is None else data.plan["balance"].values
    from . import driver_figures  # it imports this module's drawing helpers

    makers: dict[str, Callable[[], Figure]] = {
        "balance_fan": lambda: fan_chart(
            ds, lang, plan, "plan_without_uncertainty" if data.plan_without_uncertainty else "plan"
        ),
        "p_deficit": lambda: p_deficit_chart(ds, lang),
        "depletion_year": lambda: depletion_chart(ds, lang),
        "persons": lambda: persons_chart(ds, lang, data.labels),
        "components": lambda: components_chart(ds, lang, data.labels),
        "tail_attribution": lambda: tail_chart(data.tail, lang, data.labels),
        "tornado": lambda: (
            driver_figures.tornado_chart(
                data.tornado, data.last_year, lang, exit_targets(data.config), data.labels
            )
            if data.swing is None
            else driver_figures.swing_chart(
                data.swing, data.last_year, lang, exit_targets(data.config), data.labels
            )
        ),
    }
    if key not in makers:  # the follow-up's figures (imported here: it imports this module)
        from .followup_figures import chart as followup_chart

        return followup_chart(key, data, lang)
    return makers[key]()


def save(fig: Figure, folder: Path, key: str) -> tuple[Path, Path]:
    """Write ``fig`` as ``key.png`` (200 dpi) and ``key.svg`` in ``folder``."""
    png, svg = folder / f"{key}.png", folder / f"{key}.svg"
    with mpl.rc_context(STYLE):
        fig.savefig(png, dpi=DPI, metadata={"Software": None})
        fig.savefig(svg, metadata={"Date": None})
    return png, svg


def png_bytes(fig: Figure) -> bytes:
    """``fig`` as PNG (200 dpi), e.g. for ``IPython.display.Image``."""
    buffer = io.BytesIO()
    with mpl.rc_context(STYLE):
        fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


#: Width (inches) of the phone variant of a figure: its text about 1.7 times larger on a
#: narrow screen than the 7-inch figure scaled down.
NARROW_WIDTH = 4.2


def render(
    data: ReportData, lang: str, folder: Path, keys: list[str], narrow: Path | None = None
) -> dict[str, tuple[Path, Path]]:
    """Draw and write the figures ``keys``; returns key → (PNG path, SVG path). With
    ``narrow``, also write there each figure redrawn at :data:`NARROW_WIDTH` (the HTML page's
    variant for phones) as ``key.png``."""
    out = {}
    for key in keys:
        fig = chart(key, data, lang)
        out[key] = save(fig, folder, key)
        if narrow is not None:
            _narrow(fig)
            with mpl.rc_context(STYLE):
                fig.savefig(narrow / f"{key}.png", dpi=DPI, metadata={"Software": None})
    return out


def _narrow(fig: Figure) -> None:
    """``fig`` at :data:`NARROW_WIDTH`, somewhat taller, its legends in one column."""
    width, height = fig.get_size_inches()
    fig.set_size_inches(NARROW_WIDTH, height * max(1.0, 0.85 * width / NARROW_WIDTH))
    for legend in list(fig.legends):
        handles, labels = legend.legend_handles, [t.get_text() for t in legend.get_texts()]
        legend.remove()
        fig.legend(handles, labels, loc="outside lower center", ncol=1)
    for ax in fig.axes:  # fewer amounts on a horizontal axis: "−12,5−10,0−7,5" ran together
        locator = ax.xaxis.get_major_locator()
        if isinstance(locator, MaxNLocator):
            locator.set_params(nbins=4)
    for ax in fig.axes:  # the long names of a bar chart's rows on two lines
        names = [t.get_text() for t in ax.get_yticklabels()]
        if any(len(name) > 20 and not name[-1:].isdigit() for name in names):
            wrapped = [
                textwrap.fill(name, 20, break_long_words=False, break_on_hyphens=False)
                for name in names
            ]  # at spaces only: a word is never cut ("Integrationsprojekte/t")
            ax.set_yticks(ax.get_yticks(), wrapped)
