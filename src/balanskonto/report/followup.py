"""The appendix's follow-up section (uppföljning mot utfall) and the change of forecast
(prognosförändring), added to the document that :mod:`.content` builds.

:func:`extend` inserts, before the assumptions, a section on the follow-up Dataset
(:func:`balanskonto.analysis.followup.followup`) — the fan with the actuals marked, the
actuals against the fan, what the outcome says about the assumptions, the backtest — and a
section that sets the forecast beside an earlier one. As in the rest of the appendix, every
number in a sentence is a named quantity (``followup.<variable>[…]``,
``earlier.<variable>[…]``) recorded in the sentence, and the words are the catalogues'.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import xarray as xr

from . import i18n
from .data import ReportData, balance_quantiles, exit_targets
from .document import Block, Column, Document, Figure, Heading, Paragraph, Sentence, Table
from .followup_text import factor_rows, quantities, variable_label
from .i18n import text
from .quantities import Quantity, format_quantity, quantity_name

#: Figures of the sections (file names without suffix) and the catalogue's captions.
FIGURES = {"followup_fan": "f_followup_fan", "reforecast_fan": "f_reforecast_fan"}
#: The bands of the reforecast's table and figure.
REFORECAST_QUANTILES = (0.05, 0.5, 0.95)


class _Writer:
    """Fills a template of the catalogue with named quantities (recorded in the sentence)
    and labels (words taken as they are)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.quantities: dict[str, Quantity] = {}

    def q(self, source: str, value: Any, kind: str, **sel: Any) -> Quantity:
        name = quantity_name(source, "", False, **sel)
        quantity = Quantity(name, float(value), kind, source, tuple(sel.items()))
        self.quantities[name] = quantity
        return quantity

    def __call__(self, key: str, **slots: Quantity | str) -> Sentence:
        values, quoted, labels = {}, [], []
        for slot, value in slots.items():
            if isinstance(value, Quantity):
                shown = _format(value, self.lang)
                quoted.append((value.name, shown))
            else:
                shown = value
                labels.append(value)
            values[slot] = shown
        return Sentence(text(key, self.lang).format(**values), tuple(quoted), tuple(labels))


def _format(q: Quantity, lang: str) -> str:
    if q.kind == "decimal":  # a factor: two decimals, a real minus sign
        return i18n.number(q.value, 2, lang)
    return format_quantity(q, lang)


def extend(doc: Document, data: ReportData) -> Document:
    """``doc`` with the follow-up and change-of-forecast sections of ``data`` (the same
    document where ``data`` has neither)."""
    w = _Writer(doc.lang)
    blocks: list[Block] = []
    if data.followup is not None:
        blocks += followup_blocks(data, w)
    if data.earlier is not None:
        blocks += reforecast_blocks(data, w)
    if not blocks:
        return doc
    at = next(
        (
            i
            for i, b in enumerate(doc.blocks)
            if isinstance(b, Heading) and b.text == text("h_assumptions", doc.lang)
        ),
        len(doc.blocks),
    )
    sheets = tuple(b for b in blocks if isinstance(b, Table) and b.sheet)
    return replace(
        doc,
        blocks=(*doc.blocks[:at], *blocks, *doc.blocks[at:]),
        workbook=(*doc.workbook, *sheets) if doc.workbook else doc.workbook,
        quantities={**doc.quantities, **w.quantities},
    )


# --------------------------------------------------------------------------------------
# Follow-up
# --------------------------------------------------------------------------------------
def followup_blocks(data: ReportData, w: _Writer) -> list[Block]:
    fu = data.followup
    lang = w.lang
    n = fu.sizes["actual"]
    periods = ", ".join(dict.fromkeys(str(p) for p in fu["period"].values))
    outside = ~fu["inside_band"].sel(band=0.9).values
    band = w.q("followup.band", 0.9, "level", band=0.9)
    sentences = [
        w(
            "fu_intro",
            runs=w.q("followup.attrs.forecast_runs", fu.attrs["forecast_runs"], "count"),
            n=w.q("followup.attrs.actuals", n, "count"),
            periods=periods,
            file=str(fu.attrs.get("actuals_file", "")),
        )
    ]
    if outside.any():
        k = w.q("followup.outside_band", outside.sum(), "count", band=0.9)
        sentences.append(w("fu_outside", k=k, n=w.quantities["followup.attrs.actuals"], band=band))
    else:
        sentences.append(w("fu_outside_none", band=band))
    for i in np.flatnonzero(fu["variable"].values == "balance")[-1:]:
        sentences.append(_balance_sentence(fu, int(i), w))
    blocks: list[Block] = [
        Heading(text("h_followup", lang)),
        Paragraph(tuple(sentences)),
        _figure("followup_fan", lang),
        Paragraph((w("fu_rank_note"),), "note"),
    ]
    tables = (_actuals_table(fu, lang, money, data.labels) for money in (True, False))
    blocks += [t for t in tables if t]
    blocks += _assumption_blocks(data, w)
    blocks += _backtest_blocks(fu, w)
    return blocks


def _figure(key: str, lang: str) -> Figure:
    p = [i18n.percentile(x, lang) for x in (0.05, 0.25, 0.75, 0.95)]
    caption = text(FIGURES[key], lang).format(low=p[0], high=p[3], inner_low=p[1], inner_high=p[2])
    return Figure(key, caption, caption.split(". ")[0])


def _balance_sentence(fu: xr.Dataset, i: int, w: _Writer) -> Sentence:
    a = fu.isel(actual=i)
    return w(
        "fu_balance",
        actual=w.q("followup.actual_value", a["actual_value"].item(), "amount", actual=i),
        period=str(a["period"].item()),
        median=w.q(
            "followup.forecast_quantile",
            a["forecast_quantile"].sel(quantile=0.5).item(),
            "amount",
            actual=i,
            quantile=0.5,
        ),
        rank=w.q("followup.percentile_rank", a["percentile_rank"].item(), "share", actual=i),
    )


def _actuals_table(
    fu: xr.Dataset, lang: str, money: bool, labels: Mapping[str, str] | None
) -> Table | None:
    """The actuals in SEK (``money``) or the head counts, with the config's ``[labels]``."""
    rows_of = [i for i, q in enumerate(quantities(fu)) if (q == "money") == money]
    if not rows_of:
        return None
    kind = "tkr" if money else "persons"
    cols = [
        Column(text("c_period", lang)),
        Column(text("c_variable", lang)),
        Column(text("c_component", lang) if money else text("c_group", lang)),
    ]
    if not money:
        cols.append(Column(text("c_state", lang)))
    cols += [Column(text("c_actual", lang), kind)]
    cols += [Column(i18n.percentile(x, lang), kind) for x in (0.05, 0.5, 0.95)]
    cols += [
        Column(text("c_deviation", lang), kind),
        Column(text("c_pit", lang), "share"),
        Column(text("c_outside", lang).format(band=i18n.level(0.9, lang))),
        Column(text("c_crps", lang), kind),
    ]
    rows = []
    for i in rows_of:
        a = fu.isel(actual=i)
        comp, group, state = (str(a[k].item()) for k in ("component", "group", "state"))
        what = [i18n.component_label(comp, lang, labels) if comp else ""]
        if not money:
            what = [
                i18n.group_label(group, lang, labels) if group else "",
                i18n.state_label(state, lang, labels) if state and state != "resident" else "",
            ]
        q = a["forecast_quantile"]
        outside = not bool(a["inside_band"].sel(band=0.9).item())
        rows.append(
            (
                str(a["period"].item()),
                variable_label(str(a["variable"].item()), lang),
                *what,
                float(a["actual_value"]),
                *(float(q.sel(quantile=x)) for x in (0.05, 0.5, 0.95)),
                float(a["deviation"]),
                float(a["percentile_rank"]),
                text("yes", lang) if outside else "",
                float(a["crps"]),
            )
        )
    key, caption = (
        ("t_followup_money", "s_followup") if money else ("t_followup_counts", "s_followup_counts")
    )
    return Table(
        f"followup_{'money' if money else 'counts'}",
        text(key, lang),
        tuple(cols),
        tuple(rows),
        sheet=text(caption, lang),
    )


def _assumption_blocks(data: ReportData, w: _Writer) -> list[Block]:
    fu, lang = data.followup, w.lang
    head = Heading(text("h_followup_assumptions", lang), 3)
    rows = factor_rows(fu, lang, exit_targets(data.config), data.labels)
    if not rows:
        return [head, Paragraph((w("fu_no_factors"),))]
    ess = float(fu["effective_sample_size"])
    few = ess < fu.attrs.get("min_effective_sample_size", 30)
    sentences = [
        w(
            "fu_weights_few" if few else "fu_weights",
            ess=w.q("followup.effective_sample_size", ess, "count"),
            runs=w.q("followup.attrs.forecast_runs", fu.attrs["forecast_runs"], "count"),
        )
    ]
    for r in rows:
        if r["kind"] != "labour_market":
            continue
        sentences.append(
            _factor_sentence(r, w, "fu_factor_moved" if r["moved"] else "fu_factor_same")
        )
    others = [r for r in rows if r["kind"] != "labour_market" and r["moved"]]
    others.sort(key=lambda r: -abs(r["after"] - r["before"]) / max(r["se"], 1e-300))
    sentences += [_factor_sentence(r, w, "fu_factor_level") for r in others[:3]]
    cols = (
        Column(text("c_factor", lang)),
        Column(text("c_before", lang), "ratio"),
        Column(text("c_after", lang), "ratio"),
        Column(text("c_after_se", lang), "ratio"),
        Column("P5", "ratio"),
        Column("P95", "ratio"),
    )
    table_rows = tuple(
        (i18n.capital(r["name"]), r["before"], r["after"], r["se"], r["low"], r["high"])
        for r in rows
    )
    table = Table(
        "followup_factors",
        text("t_followup_factors", lang),
        cols,
        table_rows,
        sheet=text("s_followup_factors", lang),
    )
    return [head, Paragraph(tuple(sentences)), table]


def _factor_sentence(r: dict, w: _Writer, key: str) -> Sentence:
    var, sel = r["var"], r["sel"]
    before = w.q(f"followup.{var}_prior_mean", r["before"], "decimal", **sel)
    after = w.q(f"followup.{var}_weighted_mean", r["after"], "decimal", **sel)
    label = r["name"] if key != "fu_factor_level" else i18n.capital(r["name"])
    return w(key, factor=label, before=before, after=after)


def _backtest_blocks(fu: xr.Dataset, w: _Writer) -> list[Block]:
    lang = w.lang
    sentences, rows = [], []
    for band in (float(b) for b in fu["band"].values):
        c = fu.sel(band=band)
        sentences.append(
            w(
                "fu_backtest",
                band=w.q("followup.band", band, "level", band=band),
                k=w.q("followup.coverage_count", c["coverage_count"].item(), "count", band=band),
                n=w.q("followup.coverage_n", c["coverage_n"].item(), "count", band=band),
                share=w.q("followup.coverage", c["coverage"].item(), "share", band=band),
                nominal=w.q("followup.band", band, "share", band=band, nominal=True),
                low=w.q("followup.coverage_low", c["coverage_low"].item(), "share", band=band),
                high=w.q("followup.coverage_high", c["coverage_high"].item(), "share", band=band),
            )
        )
        low, high = (i18n.percent(float(c[k]), lang) for k in ("coverage_low", "coverage_high"))
        rows.append(
            (
                band,
                int(c["coverage_count"]),
                int(c["coverage_n"]),
                float(c["coverage"]),
                f"{low}–{high}",
            )
        )
    sentences.append(w("fu_backtest_note"))
    cols = (
        Column(text("c_band", lang), "share"),
        Column(text("c_inside", lang), "count"),
        Column("n", "count"),
        Column(text("c_share", lang), "share"),
        Column(text("c_range", lang)),
    )
    table = Table(
        "followup_backtest",
        text("t_followup_backtest", lang),
        cols,
        tuple(rows),
        sheet=text("s_followup_backtest", lang),
    )
    return [Heading(text("h_followup_backtest", lang), 3), Paragraph(tuple(sentences)), table]


# --------------------------------------------------------------------------------------
# Change of forecast (prognosförändring)
# --------------------------------------------------------------------------------------
def common_years(ds: xr.Dataset, earlier: xr.Dataset) -> list[int]:
    """The years both forecasts cover, in order."""
    mine = [int(y) for y in ds["year"].values]
    return [y for y in mine if y in set(int(x) for x in earlier["year"].values)]


def reforecast_blocks(data: ReportData, w: _Writer) -> list[Block]:
    ds, earlier, lang = data.ds, data.earlier, w.lang
    years = common_years(ds, earlier)
    head = Heading(text("h_reforecast", lang))
    created = str(earlier.attrs.get("created", "?"))
    sentences = [w("rf_intro", created=created)]
    qs = REFORECAST_QUANTILES
    old = balance_quantiles(earlier, qs)
    new = balance_quantiles(ds, qs)
    rows = []
    for y in years:
        o, m = old.sel(year=y).values, new.sel(year=y).values
        rows.append((y, *o, *m, m[1] - o[1]))
    if years:
        y = years[-1]
        before = w.q(
            "earlier.balance_quantile",
            old.sel(year=y, quantile=0.5).item(),
            "amount",
            quantile=0.5,
            year=y,
        )
        after = w.q(
            "balance_quantile", new.sel(year=y, quantile=0.5).item(), "amount", quantile=0.5, year=y
        )
        change = w.q(
            "change.balance_quantile", after.value - before.value, "amount", quantile=0.5, year=y
        )
        year = w.q("year", y, "year", year=y)
        sentences.append(w("rf_median", year=year, before=before, after=after, change=change))
        p_old = w.q("earlier.p_deficit", earlier["p_deficit"].sel(year=y).item(), "share", year=y)
        p_new = w.q("p_deficit", ds["p_deficit"].sel(year=y).item(), "share", year=y)
        sentences.append(w("rf_p_deficit", year=year, before=p_old, after=p_new))
    cols = [Column(text("c_year", lang), "year")]
    for key in ("c_earlier", "c_new"):
        cols += [Column(text(key, lang).format(q=i18n.percentile(x, lang)), "tkr") for x in qs]
    cols.append(Column(text("c_change", lang), "tkr"))
    table = Table(
        "reforecast",
        text("t_reforecast", lang),
        tuple(cols),
        tuple(rows),
        sheet=text("s_reforecast", lang),
    )
    return [head, Paragraph(tuple(sentences)), _figure("reforecast_fan", lang), table]
