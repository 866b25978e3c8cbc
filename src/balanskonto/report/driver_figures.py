"""The figures of what drives the risk: the tornado of rank correlations, and the swing of
each factor in kronor from a sensitivity result (a module of its own beside ``figures``,
whose drawing helpers it uses)."""

from __future__ import annotations

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from . import i18n
from .figures import (
    STYLE,
    NumberFormatter,
    _amount_axis,
    _hbars,
    _new,
    _pad_x,
    _title,
    mpl,
    word,
)


def swing_chart(
    swing: xr.Dataset,
    year: int,
    lang: str = "sv",
    exit_targets: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
) -> Figure:
    """Each factor's swing (P10 → P90) of the balance of ``year`` in kronor, largest at the top;
    a yes/no policy as its effect if carried out."""
    with mpl.rc_context(STYLE):
        sw = swing.sel(year=year)
        effect = sw["effect"].values
        values = np.where(np.isfinite(effect), effect, sw["swing"].values)
        order = [i for i in np.argsort(-np.abs(values)) if values[i] != 0]
        values = values[order]
        fig, ax = _new((7.0, 1.2 + 0.42 * len(values)))
        s = _amount_axis(ax, values, lang, axis="x")
        names = [str(sw["factor"].values[i]) for i in order]
        texts = [i18n.capital(i18n.factor_label(f, lang, exit_targets, labels)) for f in names]
        decimals = 1 if s == 1e6 else 0
        _hbars(
            ax,
            texts,
            values / s,
            [i18n.number(v / s, decimals, lang, signed=True) for v in values],
        )
        _pad_x(ax, values, s)
        low = i18n.percentile(swing.attrs["low_quantile"], lang)
        high = i18n.percentile(swing.attrs["high_quantile"], lang)
        _title(fig, word("g_swing", lang).format(year=year, low=low, high=high))
    return fig


def tornado_chart(
    tornado: xr.Dataset,
    year: int,
    lang: str = "sv",
    exit_targets: dict[str, str] | None = None,
    labels=None,
) -> Figure:
    """Rank correlation of each factor with the balance of ``year``, strongest at the top."""
    with mpl.rc_context(STYLE):
        rho = tornado["rank_correlation"].sel(year=year)
        keep = np.isfinite(rho.values)
        order = np.argsort(-np.abs(np.where(keep, rho.values, 0)))
        order = [i for i in order if keep[i]]
        values = rho.values[order]
        names = [str(rho["factor"].values[i]) for i in order]
        fig, ax = _new((7.0, 1.2 + 0.42 * len(values)))
        labels = [i18n.capital(i18n.factor_label(f, lang, exit_targets, labels)) for f in names]
        _hbars(ax, labels, values, [i18n.number(v, 2, lang, signed=True) for v in values])
        ax.set_xlim(-1.15, 1.15)
        ax.xaxis.set_major_formatter(NumberFormatter(lang))
        ax.set_xlabel(word("rank", lang))
        _title(fig, word("g_tornado", lang).format(year=year))
    return fig
