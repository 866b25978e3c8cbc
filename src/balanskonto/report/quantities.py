"""The one table of named quantities from which every number in the appendix's text comes.

A :class:`Quantity` names its source: a variable of the Dataset and a selection
(``p_deficit[year=2029]``), an attribute (``attrs.runs``), a coordinate (``level[level=0.95]``),
the deterministic plan (``plan.balance[year=2033]``), the tail attribution
(``tail.tail_attribution[component=sfi]``, ``tail.attrs.balance_gap``) or the tornado
(``tornado.rank_correlation[factor=…,year=2033]``), the swing of a one-at-a-time run
(``swing.swing[factor=…,year=2033]``) or ``reserve_gap[level=0.95,year=2033]``:
``|reserve_needed − attrs.opening_balance|``, the one derived number. Its ``value`` is that
number exactly, so a test can look each one up in the Dataset; :func:`format_quantity` writes
it in a language.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import i18n
from .data import ReportData

#: How a quantity is written (see :func:`format_quantity`).
KINDS = ("share", "points", "level", "percentile", "amount", "count", "year", "id", "ratio")


@dataclass(frozen=True)
class Quantity:
    """One named number: ``value`` is ``source`` at ``selection`` (1 − that if ``complement``),
    written as ``kind``."""

    name: str
    value: float
    kind: str
    source: str
    selection: tuple[tuple[str, Any], ...] = ()
    complement: bool = False


def quantity_name(source: str, kind: str = "", complement: bool = False, **selection: Any) -> str:
    """The name of a quantity: ``p_deficit[year=2029]``, ``1-quantile[quantile=0.95]``,
    ``percentile:quantile[quantile=0.05]`` (a kind other than the source's usual one)."""
    where = ",".join(f"{k}={_label(v)}" for k, v in selection.items())
    name = f"{source}[{where}]" if where else source
    if complement:
        name = f"1-{name}"
    return f"{kind}:{name}" if kind else name


def _label(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):g}"
    return str(value.item() if hasattr(value, "item") else value)


def format_quantity(q: Quantity, lang: str) -> str:
    """``q`` written the language's way (``23 %``, ``14,2 Mkr``, ``2 000``, ``+0,45``, ``P5``)."""
    v = q.value
    if q.kind == "share":
        return i18n.percent(v, lang)
    if q.kind == "points":
        return i18n.points(v, lang)
    if q.kind == "level":
        return i18n.level(v, lang)
    if q.kind == "percentile":
        return i18n.percentile(v, lang)
    if q.kind == "amount":
        return i18n.amount(v, lang)
    if q.kind == "count":
        return i18n.number(v, 0, lang)
    if q.kind in ("year", "id"):
        return str(int(v))
    if q.kind == "ratio":
        return i18n.number(v, 2, lang, signed=True)
    raise ValueError(f"unknown kind {q.kind!r}")


def _q(
    source: str, value: Any, kind: str, *, name_kind: str = "", complement: bool = False, **sel
) -> Quantity:
    return Quantity(
        name=quantity_name(source, name_kind, complement, **sel),
        value=float(value) if kind not in ("year", "id") else int(value),
        kind=kind,
        source=source,
        selection=tuple(sel.items()),
        complement=complement,
    )


def collect_quantities(data: ReportData) -> dict[str, Quantity]:
    """Every number the text may quote, by name."""
    out: dict[str, Quantity] = {}
    for q in _all(data):
        out[q.name] = q
    return out


def _all(data: ReportData) -> Iterator[Quantity]:
    yield from _attrs(data)
    yield from _coords(data)
    yield from _per_year(data)
    yield from _plan(data)
    yield from _tail(data)
    yield from _tornado(data)
    yield from _swing(data)


def _attrs(data: ReportData) -> Iterator[Quantity]:
    a = data.ds.attrs
    yield _q("attrs.runs", a.get("runs", data.ds.sizes["run"]), "count")
    yield _q("attrs.seed", a.get("seed", 0), "id")
    yield _q("attrs.opening_balance", a.get("opening_balance", 0.0), "amount")
    yield _q("p_never_depleted", data.ds["p_never_depleted"].item(), "share")


def _coords(data: ReportData) -> Iterator[Quantity]:
    ds = data.ds
    for y in ds["year"].values:
        yield _q("year", y, "year", year=int(y))
    for x in ds["quantile"].values:
        yield _q("quantile", x, "level", quantile=float(x))
        yield _q("quantile", 1 - x, "level", complement=True, quantile=float(x))
        yield _q("quantile", x, "percentile", name_kind="percentile", quantile=float(x))
    for x in ds["level"].values:
        yield _q("level", x, "level", level=float(x))
        yield _q("level", 1 - x, "level", complement=True, level=float(x))


_PER_YEAR = (
    ("p_deficit", "share"),
    ("p_deficit_se", "points"),
    ("expected_balance", "amount"),
    ("mc_standard_error", "amount"),
    ("p_first_depletion", "share"),
    ("p_depleted_by", "share"),
)


def _per_year(data: ReportData) -> Iterator[Quantity]:
    ds = data.ds
    for i, y in enumerate(ds["year"].values):
        y = int(y)
        for var, kind in _PER_YEAR:
            yield _q(var, ds[var].values[i], kind, year=y)
        opening = float(ds.attrs.get("opening_balance", 0.0))
        for x in ds["level"].values:
            value = ds["reserve_needed"].sel(level=x, year=y).item()
            yield _q("reserve_needed", value, "amount", level=float(x), year=y)
            # how much the reserve exceeds the config's opening balance (negative: margin)
            yield _q("reserve_gap", abs(value - opening), "amount", level=float(x), year=y)
        for x in ds["quantile"].values:
            for var in ("balance_quantile", "balance_quantile_se"):
                value = ds[var].sel(quantile=x, year=y).item()
                yield _q(var, value, "amount", quantile=float(x), year=y)


def _plan(data: ReportData) -> Iterator[Quantity]:
    if data.plan is None:
        return
    for y, value in zip(data.plan["year"].values, data.plan["balance"].values, strict=True):
        yield _q("plan.balance", value, "amount", year=int(y))


def _tail(data: ReportData) -> Iterator[Quantity]:
    t = data.tail
    yield _q("tail.attrs.tail", t.attrs["tail"], "level")
    yield _q("tail.attrs.balance_gap", t.attrs["balance_gap"], "amount")
    for c, value in zip(t["component"].values, t.values, strict=True):
        yield _q("tail.tail_attribution", value, "amount", component=str(c))


def _tornado(data: ReportData) -> Iterator[Quantity]:
    if data.tornado is None:
        return
    rho = data.tornado["rank_correlation"].sel(year=data.last_year)
    for f, value in zip(rho["factor"].values, rho.values, strict=True):
        if np.isfinite(value):
            yield _q("tornado.rank_correlation", value, "ratio", factor=str(f), year=data.last_year)


def _swing(data: ReportData) -> Iterator[Quantity]:
    if data.swing is None:
        return
    sw = data.swing.sel(year=data.last_year)
    yield _q("swing.attrs.low_quantile", data.swing.attrs["low_quantile"], "percentile")
    yield _q("swing.attrs.high_quantile", data.swing.attrs["high_quantile"], "percentile")
    rows = zip(sw["factor"].values, sw["swing"].values, sw["effect"].values, strict=True)
    for f, swing, effect in rows:
        yield _q("swing.swing", swing, "amount", factor=str(f), year=data.last_year)
        if np.isfinite(effect):
            yield _q("swing.effect", effect, "amount", factor=str(f), year=data.last_year)
