"""Figures of a calibration: per group and state, the observed cumulative incidence of
each exit with its band against what the fitted config implies (``expected``)."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from ..analysis.fitting import FittedState
from ..engines.expected import cumulative_exits
from ..model.compiled import CompiledModel
from .figures import DPI, STYLE, _new, _title, png_bytes, state_colour


def state_chart(fs: FittedState, model: CompiledModel) -> Figure:
    """One state's exits: the Aalen–Johansen estimate (steps) and its pointwise band
    (shaded), and the fitted config's cumulative incidence (dashed), by month in the state;
    a dotted line where the estimate stops being used (fewer than 10 at risk after it)."""
    inc = fs.incidence
    assert inc is not None
    K = inc.months
    fig, ax = _new((7.0, 4.2))
    g, s = model.groups.index(fs.group), model.states.index(fs.state)
    implied, _ = cumulative_exits(model, g, s, K)
    months = np.arange(0, K + 1)
    for j, name in enumerate(model.states):
        if inc.events[:, j].sum() == 0 and implied[:, j].max() == 0:
            continue
        colour = state_colour(name, j)
        est = np.r_[0.0, inc.cumulative[:, j]]
        ax.fill_between(
            months, np.r_[0.0, inc.lower[:, j]], np.r_[0.0, inc.upper[:, j]],
            step="post", color=colour, alpha=0.18, linewidth=0,
        )  # fmt: skip
        ax.step(months, est, where="post", color=colour, linewidth=1.4, label=f"→ {name}")
        ax.step(months, np.r_[0.0, implied[:, j]], where="post", color=colour, linestyle="--",
                linewidth=1.1)  # fmt: skip
        if fs.joint_level and fs.checked:
            lo, hi = inc.band(fs.joint_level)
            k = np.arange(1, fs.checked + 1)
            for edge in (lo, hi):
                ax.step(k, edge[k - 1, j], where="post", color=colour, linestyle=":",
                        linewidth=0.8)  # fmt: skip
    if fs.covered and fs.covered < K:
        ax.axvline(fs.covered, color="#888888", linestyle=":", linewidth=1)
    ax.set_xlim(0, K)
    ax.set_ylim(0, min(1.0, max(0.05, float(inc.upper.max()) * 1.05)))
    ax.set_xlabel("months in the state")
    ax.set_ylabel("share of those entering it")
    ax.yaxis.set_major_formatter(mpl.ticker.PercentFormatter(1.0, decimals=0))
    flag = "" if fs.status == "fitted" else f" [{fs.status}]"
    _title(
        fig,
        f"{fs.group} / {fs.state}{flag}: {inc.entered} entries, {inc.persons} persons",
    )
    ax.set_title(
        f"solid: observed (Aalen–Johansen), shaded {inc.level:.0%} pointwise,\n dotted "
        f"simultaneous band; dashed: the fitted config",
        fontsize=8.5, fontweight="normal",
    )  # fmt: skip
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", ncol=2)
    return fig


def state_figures(states: list[FittedState], model: CompiledModel) -> dict[str, bytes]:
    """``<group>_<state>.png`` → PNG bytes for every fitted or pooled state."""
    out = {}
    with mpl.rc_context(STYLE):
        for fs in states:
            if fs.incidence is not None and fs.status != "kept":
                out[f"{fs.group}_{fs.state}.png"] = png_bytes(state_chart(fs, model))
    return out


__all__ = ["DPI", "state_chart", "state_figures"]
