"""The appendix's numbers and sentences, from the one table of named quantities.

:func:`build` turns :class:`~.data.ReportData` into a :class:`~.document.Document` in one
language. Every number in a sentence is a named :class:`~.quantities.Quantity`, put into a
template of the catalogues (:func:`~.i18n.text`) by :class:`Writer`, which records what it
quoted: a test can check each quoted number against the Dataset in both languages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import i18n, tables
from .data import ReportData, exit_targets
from .document import Block, Document, Figure, Heading, Paragraph, Sentence, Table
from .i18n import text
from .quantities import Quantity, collect_quantities, format_quantity, quantity_name

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


@dataclass(frozen=True)
class Label:
    """Words put into a template as they are (a title, a component's name)."""

    text: str


class Writer:
    """Fills templates: a slot given a quantity name gets the quantity's text; a
    :class:`Label` its words."""

    def __init__(self, quantities: dict[str, Quantity], lang: str) -> None:
        self.quantities = quantities
        self.lang = lang

    def has(self, source: str, kind: str = "", complement: bool = False, **sel: Any) -> bool:
        return quantity_name(source, kind, complement, **sel) in self.quantities

    def __call__(self, key: str, **slots: str | Label) -> Sentence:
        values, quoted, labels = {}, [], []
        for slot, value in slots.items():
            if isinstance(value, Label):
                values[slot] = value.text
                labels.append(value.text)
            else:
                shown = format_quantity(self.quantities[value], self.lang)
                values[slot] = shown
                quoted.append((value, shown))
        sentence = text(key, self.lang).format(**values)
        return Sentence(sentence, tuple(quoted), tuple(labels))


n = quantity_name


def _nearest(values: np.ndarray, x: float) -> float:
    return float(values[int(np.argmin(np.abs(values - x)))])


@dataclass(frozen=True)
class _Levels:
    low: float
    mid: float
    high: float
    reserve: float


def _levels(data: ReportData) -> _Levels:
    q = data.ds["quantile"].values
    lv = data.ds["level"].values
    return _Levels(float(q.min()), _nearest(q, 0.5), float(q.max()), _nearest(lv, 0.95))


def build(data: ReportData, lang: str = "sv") -> Document:
    """The appendix in ``lang`` ("sv" or "en") as a :class:`Document`."""
    lang = i18n.check_lang(lang)
    w = Writer(collect_quantities(data), lang)
    title = text("h_title", lang).format(title=str(data.ds.attrs.get("title", "")))
    blocks: list[Block] = [Heading(title, 1)]
    for part in (
        _opening,
        _summary,
        _balance,
        _deficit,
        _reserve,
        _persons,
        _money,
        _drivers,
        _assumptions,
        _precision,
        _provenance,
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
    lv = _levels(data)
    note = w(
        "percentile",
        plabel=n("quantile", "percentile", quantile=lv.low),
        q=n("quantile", quantile=lv.low),
        midlabel=n("quantile", "percentile", quantile=lv.mid),
    )
    return [Paragraph(tuple(lead), "lead"), Paragraph((note,), "note")]


def _summary(data: ReportData, w: Writer) -> list[Block]:
    year = data.last_year
    sentences = [_p_deficit(data, w, year), _median(data, w, year), _reserve_sentence(data, w)]
    sentences.append(w("reserve_meaning", opening=n("attrs.opening_balance")))
    sentences.append(_depletion(data, w))
    sentences.append(_plan(data, w, year))
    if data.tornado is not None:
        sentences += _driver_sentences(data, w)[:1]
    return [Heading(text("h_summary", w.lang)), Paragraph(tuple(sentences))]


def _p_deficit(data: ReportData, w: Writer, year: int) -> Sentence:
    p = n("p_deficit", year=year)
    if w.quantities[p].value in (0.0, 1.0):
        key = "p_deficit_none" if w.quantities[p].value == 0 else "p_deficit_all"
        return w(key, runs=n("attrs.runs"), year=n("year", year=year))
    se = n("p_deficit_se", year=year)
    return w("p_deficit", year=n("year", year=year), p=p, se=se)


def _median(data: ReportData, w: Writer, year: int) -> Sentence:
    lv = _levels(data)
    return w(
        "median",
        year=n("year", year=year),
        median=n("balance_quantile", quantile=lv.mid, year=year),
        low=n("balance_quantile", quantile=lv.low, year=year),
        qlow=n("quantile", quantile=lv.low),
        high=n("balance_quantile", quantile=lv.high, year=year),
        qhigh=n("quantile", complement=True, quantile=lv.high),
    )


def _reserve_sentence(data: ReportData, w: Writer, level: float | None = None) -> Sentence:
    year = data.last_year
    level = _levels(data).reserve if level is None else level
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
    return [
        Heading(text("h_balance", w.lang)),
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
    return [
        Heading(text("h_deficit", w.lang)),
        Paragraph(tuple(sentences)),
        _figure("p_deficit", w),
        _figure("depletion_year", w),
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


def _driver_sentences(data: ReportData, w: Writer) -> list[Sentence]:
    year = data.last_year
    rho = data.tornado["rank_correlation"].sel(year=year)
    finite = [i for i in np.argsort(-np.abs(np.nan_to_num(rho.values))) if np.isfinite(rho[i])]
    targets = exit_targets(data.config)
    slots: dict[str, str | Label] = {}
    for k, i in enumerate(finite[:3], start=1):
        name = str(rho["factor"].values[i])
        label = i18n.factor_label(name, w.lang, targets, data.labels)
        slots[f"f{k}"] = Label(label)
        slots[f"r{k}"] = n("tornado.rank_correlation", factor=name, year=year)
    out = [w("drivers", year=n("year", year=year), f1=slots["f1"], r1=slots["r1"])]
    if len(finite) >= 3:
        out.append(w("drivers_more", **{k: v for k, v in slots.items() if k[1] in "23"}))
    return out


def _drivers(data: ReportData, w: Writer) -> list[Block]:
    head = Heading(text("h_drivers", w.lang))
    if data.tornado is None:
        return [head, Paragraph((w("drivers_absent"),))]
    sentences = (*_driver_sentences(data, w), w("drivers_sign"))
    return [
        head,
        Paragraph(sentences),
        _figure("tornado", w, year=data.last_year),
        tables.tornado_table(data, w.lang),
    ]


def _assumptions(data: ReportData, w: Writer) -> list[Block]:
    blocks: list[Block] = [Heading(text("h_assumptions", w.lang)), Paragraph((w("assumptions"),))]
    if data.opening_comment:
        note = w("assumptions_header", text=Label(data.opening_comment))
        blocks.append(Paragraph((note,), "note"))
    blocks.append(tables.assumption_table(data, w.lang))
    return blocks


def _precision(data: ReportData, w: Writer) -> list[Block]:
    year = data.last_year
    low = _levels(data).low
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
