"""Filling the catalogues' templates with named quantities (:class:`Writer`), and the
levels the text quotes (the lowest, middle and highest percentile, the reserve level)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .data import ReportData
from .document import Sentence
from .i18n import text
from .quantities import Quantity, format_quantity, quantity_name


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


def levels(data: ReportData) -> _Levels:
    q = data.ds["quantile"].values
    lv = data.ds["level"].values
    return _Levels(float(q.min()), _nearest(q, 0.5), float(q.max()), _nearest(lv, 0.95))


def median(data: ReportData, w: Writer, year: int) -> Sentence:
    lv = levels(data)
    return w(
        "median",
        year=n("year", year=year),
        median=n("balance_quantile", quantile=lv.mid, year=year),
        low=n("balance_quantile", quantile=lv.low, year=year),
        qlow=n("quantile", quantile=lv.low),
        high=n("balance_quantile", quantile=lv.high, year=year),
        qhigh=n("quantile", complement=True, quantile=lv.high),
    )
