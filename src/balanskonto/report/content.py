"""The appendix's numbers and sentences, from the one table of named quantities.

:func:`build` turns :class:`~.data.ReportData` into a :class:`~.document.Document` in one
language. Every number in a sentence is a named :class:`~.quantities.Quantity`, put into a
template of the catalogues (:func:`~.i18n.text`) by :class:`Writer`, which records what it
quoted: a test can check each quoted number against the Dataset in both languages.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import i18n, tables
from .data import ReportData
from .document import Block, Bullets, Column, Document, Figure, Heading, Paragraph, Sentence, Table
from .i18n import text
from .main_assumptions import main_assumption_table
from .quantities import collect_quantities
from .summary import driver_sentences, summary
from .writer import Label, Writer, levels, median, n

__all__ = ["FIGURES", "Label", "Writer", "build", "n"]

#: Figures in the order they appear (file names without suffix).
FIGURES = (
    "balance_fan",
    "p_deficit",
    "depletion_year",
    "persons",
    "components",
    "tail_attribution",
    "tornado",
)


def build(data: ReportData, lang: str = "sv") -> Document:
    """The appendix in ``lang`` ("sv" or "en") as a :class:`Document`."""
    lang = i18n.check_lang(lang)
    w = Writer(collect_quantities(data), lang)
    title = text("h_title", lang).format(title=str(data.ds.attrs.get("title", "")))
    blocks: list[Block] = [Heading(title, 1)]
    for part in (
        _opening,
        summary,
        _balance,
        _deficit,
        _reserve,
        _persons,
        _money,
        _drivers,
        _assumptions,
        _precision,
        _provenance,
        _annex,
    ):
        blocks += part(data, w)
    workbook = _workbook(data, blocks, lang)
    municipality = str(data.ds.attrs.get("municipality", "")).strip()
    return Document(
        lang, title, tuple(blocks), workbook, quantities=w.quantities, municipality=municipality
    )


def _workbook(data: ReportData, blocks: list[Block], lang: str) -> tuple[Table, ...]:
    """The workbook's sheets: every quantile first, then the document's tables in order, the
    persons per state with their band where the document has the medians."""
    sheets = [tables.quantile_sheet(data, lang)]
    for block in blocks:
        if isinstance(block, Bullets):  # the summary, one point a row, first
            head = text("h_summary", lang)
            rows = tuple((t,) for t in block.texts)
            summary = Table("summary", head, (Column(head),), rows, sheet=head, in_document=False)
            sheets.insert(0, summary)
        if isinstance(block, Table) and block.sheet:
            sheets.append(block)
        elif isinstance(block, Table) and block.key == "persons":
            sheets.append(tables.persons_sheet(data, lang))
        elif isinstance(block, Table) and block.key == "components":
            sheets.append(tables.component_sheet(data, lang))
    return tuple(sheets)


def _figure(key: str, w: Writer, **slots: Any) -> Figure:
    caption = text(f"f_{key}", w.lang).format(**slots)
    return Figure(key, caption, caption.split(". ")[0])


# --------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------
def _opening(data: ReportData, w: Writer) -> list[Block]:
    first, last = int(data.years[0]), data.last_year
    lead = []
    municipality = str(data.ds.attrs.get("municipality", "")).strip()
    if municipality:
        lead.append(Sentence(municipality.rstrip(".") + ".", labels=(municipality,)))
    lead.append(
        w("intro", first=n("year", year=first), last=n("year", year=last), runs=n("attrs.runs"))
    )
    return [Paragraph(tuple(lead), "lead")]


def _p_deficit(data: ReportData, w: Writer, year: int) -> Sentence:
    p = n("p_deficit", year=year)
    if w.quantities[p].value in (0.0, 1.0):
        key = "p_deficit_none" if w.quantities[p].value == 0 else "p_deficit_all"
        return w(key, runs=n("attrs.runs"), year=n("year", year=year))
    se = n("p_deficit_se", year=year)
    return w("p_deficit", year=n("year", year=year), p=p, se=se)


def _reserve_sentence(data: ReportData, w: Writer, level: float | None = None) -> Sentence:
    year = data.last_year
    level = levels(data).reserve if level is None else level
    reserve = n("reserve_needed", level=level, year=year)
    slots = {"level": n("level", level=level), "year": n("year", year=year)}
    if w.quantities[reserve].value == 0:
        return w("reserve_none", **slots)
    return w("reserve", reserve=reserve, **slots)


def _depletion(data: ReportData, w: Writer) -> Sentence:
    first, last = int(data.years[0]), data.last_year
    span = {"first": n("year", year=first), "last": n("year", year=last)}
    p_ever = n("p_depleted_by", year=last)
    if w.quantities[p_ever].value == 0:
        return w("depletion_none", **span)
    p_first = data.ds["p_first_depletion"].values
    mode = int(data.years[int(np.argmax(p_first))])
    return w(
        "depletion",
        p=p_ever,
        p_never=n("p_never_depleted"),
        year=n("year", year=mode),
        p_year=n("p_first_depletion", year=mode),
        **span,
    )


def _plan(data: ReportData, w: Writer, year: int) -> Sentence:
    if not w.has("plan.balance", year=year):
        return w("plan_missing")
    return w(
        "plan_without_uncertainty" if data.plan_without_uncertainty else "plan",
        plan=n("plan.balance", year=year),
        year=n("year", year=year),
        mean=n("expected_balance", year=year),
        se=n("mc_standard_error", year=year),
    )


def _balance(data: ReportData, w: Writer) -> list[Block]:
    fan = _figure(
        "balance_fan",
        w,
        low=i18n.percentile(tables.FAN_QUANTILES[0], w.lang),
        high=i18n.percentile(tables.FAN_QUANTILES[-1], w.lang),
        inner_low=i18n.percentile(tables.FAN_QUANTILES[1], w.lang),
        inner_high=i18n.percentile(tables.FAN_QUANTILES[-2], w.lang),
        plan=text(tables.plan_name(data), w.lang),
    )
    year = data.last_year
    sentences = (median(data, w, year), _plan(data, w, year))
    return [
        Heading(text("h_balance", w.lang)),
        Paragraph(sentences),
        fan,
        tables.quantile_table(data, w.lang),
    ]


def _deficit(data: ReportData, w: Writer) -> list[Block]:
    year = data.last_year
    p = data.ds["p_deficit"].values
    peak = int(data.years[int(np.argmax(p))])
    sentences = [_p_deficit(data, w, year)]
    if peak != year and p.max() > p[-1]:
        sentences.append(
            w(
                "p_deficit_peak",
                year=n("year", year=peak),
                p=n("p_deficit", year=peak),
                se=n("p_deficit_se", year=peak),
            )
        )
    sentences.append(_depletion(data, w))
    # two empty charts say no more than the sentence that no run goes negative
    never = float(data.ds["p_never_depleted"]) == 1.0
    figures = [] if never else [_figure("p_deficit", w), _figure("depletion_year", w)]
    return [
        Heading(text("h_deficit", w.lang)),
        Paragraph(tuple(sentences)),
        *figures,
        tables.deficit_table(data, w.lang),
    ]


def _reserve(data: ReportData, w: Writer) -> list[Block]:
    levels = [float(x) for x in data.ds["level"].values]
    sentences = (
        *(_reserve_sentence(data, w, x) for x in levels),
        w("reserve_meaning", opening=n("attrs.opening_balance")),
    )
    return [
        Heading(text("h_reserve", w.lang)),
        Paragraph(sentences),
        tables.reserve_table(data, w.lang),
    ]


def _persons(data: ReportData, w: Writer) -> list[Block]:
    return [
        Heading(text("h_persons", w.lang)),
        _figure("persons", w),
        tables.persons_table(data, w.lang),
    ]


def _money(data: ReportData, w: Writer) -> list[Block]:
    tail = data.tail
    return [
        Heading(text("h_money", w.lang)),
        _figure("components", w),
        tables.component_table(data, w.lang),
        Paragraph(tuple(_tail_sentences(data, w))),
        _figure(
            "tail_attribution", w, tail=i18n.level(tail.attrs["tail"], w.lang), year=data.last_year
        ),
        tables.tail_table(data, w.lang),
    ]


def _tail_sentences(data: ReportData, w: Writer) -> list[Sentence]:
    tail = data.tail
    out = [
        w(
            "tail",
            tail=n("tail.attrs.tail"),
            year=n("year", year=data.last_year),
            gap=n("tail.attrs.balance_gap"),
        )
    ]
    order = [int(i) for i in np.argsort(tail.values) if tail.values[i] < 0][:2]
    slots: dict[str, str | Label] = {}
    for k, i in enumerate(order, start=1):
        comp = str(tail["component"].values[i])
        slots[f"c{k}"] = Label(i18n.component_label(comp, w.lang, data.labels))
        slots[f"v{k}"] = n("tail.tail_attribution", component=comp)
    if order:
        out.append(w("tail_one" if len(order) == 1 else "tail_two", **slots))
        out.append(w("tail_sign"))
    return out


def _drivers(data: ReportData, w: Writer) -> list[Block]:
    head = Heading(text("h_drivers", w.lang))
    if data.tornado is None:
        return [head, Paragraph((w("drivers_absent"),))]
    sign = (
        w(
            "drivers_swing_sign",
            high=n("swing.attrs.high_quantile"),
            low=n("swing.attrs.low_quantile"),
        )
        if data.swing is not None
        else w("drivers_sign")
    )
    sentences = (*driver_sentences(data, w), sign)
    return [
        head,
        Paragraph(sentences),
        _tornado_figure(data, w),
        tables.tornado_table(data, w.lang),
    ]


def _tornado_figure(data: ReportData, w: Writer) -> Figure:
    if data.swing is None:
        return _figure("tornado", w, year=data.last_year)
    a = data.swing.attrs
    caption = text("f_tornado_swing", w.lang).format(
        year=data.last_year,
        low=i18n.percentile(a["low_quantile"], w.lang),
        high=i18n.percentile(a["high_quantile"], w.lang),
    )
    return Figure("tornado", caption, caption.split(". ")[0])


def _assumptions(data: ReportData, w: Writer) -> list[Block]:
    """The main assumptions in words; every key of the config is in the annex."""
    return [
        Heading(text("h_assumptions", w.lang)),
        Paragraph((w("assumptions_main"),)),
        main_assumption_table(data, w.lang),
    ]


def _annex(data: ReportData, w: Writer) -> list[Block]:
    blocks: list[Block] = [
        Heading(text("h_annex", w.lang), new_page=True),
        Paragraph((w("assumptions"),)),
    ]
    if data.opening_comment:
        note = w("assumptions_header", text=Label(data.opening_comment))
        blocks.append(Paragraph((note,), "note"))
    blocks.append(tables.assumption_table(data, w.lang))
    return blocks


def _precision(data: ReportData, w: Writer) -> list[Block]:
    year = data.last_year
    low = levels(data).low
    sentence = w(
        "precision",
        runs=n("attrs.runs"),
        year=n("year", year=year),
        se_mean=n("mc_standard_error", year=year),
        se_low=n("balance_quantile_se", quantile=low, year=year),
        plabel=n("quantile", "percentile", quantile=low),
        se_p=n("p_deficit_se", year=year),
    )
    return [
        Heading(text("h_precision", w.lang)),
        Paragraph((sentence, w("precision_more"))),
    ]


def _provenance(data: ReportData, w: Writer) -> list[Block]:
    return [
        Heading(text("h_provenance", w.lang)),
        Paragraph((w("provenance"),)),
        tables.provenance_table(data, w.lang),
    ]
