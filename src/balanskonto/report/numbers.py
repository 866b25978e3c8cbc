"""Numbers the language's way: Swedish (default) and English.

The digits come from :func:`balanskonto._format.number` (Babel's ``sv_SE`` and ``en_GB``,
the one number format of the command line, the appendix and the notebook): Swedish
``12 345,6`` with a no-break space, English ``12,345.6``, a real minus sign (−) in both.
Amounts in running text are in tkr or Mkr by size; shares are per cent, standard errors of
shares percentage points. The conventions are code; the units' words are in the catalogues'
``[units]`` (:mod:`balanskonto.report.catalogue`).
"""

from __future__ import annotations

import math
from typing import Any

from .._format import MINUS, NBSP, number
from . import catalogue

__all__ = ["MINUS", "NBSP", "number"]  # re-exported: the one number format, from _format


def percent(p: float, lang: str = "sv", decimals: int | None = None) -> str:
    """A share as a percentage: ``23 %`` (sv), ``23%`` (en).

    Without ``decimals``: whole per cent from 10 % to 90 %, one decimal outside (where a whole
    number would hide the difference between, say, 0.4 % and 0 %), none for 0 % and 100 %.
    """
    value = 100 * p
    if decimals is None:
        decimals = 0 if value in (0.0, 100.0) or 10 <= value <= 90 else 1
    return _unit("percent", number(value, decimals, lang), lang)


def level(p: float, lang: str = "sv") -> str:
    """A probability level such as 0.95 as ``95 %``; decimals only where needed (97,5 %)."""
    value = 100 * p
    decimals = 0 if math.isclose(value, round(value), abs_tol=1e-9) else 1
    return percent(p, lang, decimals)


def percentile(q: float, lang: str = "sv") -> str:
    """The label of a quantile level: 0.05 → ``P5``, 0.025 → ``P2,5`` (sv)."""
    value = 100 * q
    decimals = 0 if math.isclose(value, round(value), abs_tol=1e-9) else 1
    return "P" + number(value, decimals, lang)


def points(se: float, lang: str = "sv") -> str:
    """A standard error of a share in percentage points: ``1 procentenhet``, ``0,3
    procentenheter``; one decimal below one point."""
    value = 100 * se
    text = number(value, 0 if value >= 0.95 else 1, lang)
    return _unit("point" if text == "1" else "points", text, lang)


def amount(sek: float, lang: str = "sv") -> str:
    """An amount in running text: Mkr with one decimal from 1 Mkr, else whole tkr (0 kr)."""
    if sek == 0:
        return _unit("kr", number(0, 0, lang), lang)
    if abs(sek) >= 999_950:
        return _unit("mkr", number(sek / 1e6, 1, lang), lang)
    return _unit("tkr", number(sek / 1e3, 0, lang), lang)


class Label(int):
    """A whole number that is a label, not a quantity (a year, a seed): never grouped."""


def plain(value: Any, lang: str = "sv") -> str:
    """A number from a config (an assumption) as written, the language's way: ``4 166,67``;
    a :class:`Label` as it is (``2026``)."""
    if isinstance(value, Label):
        return str(int(value))
    if isinstance(value, bool):
        return catalogue.entry("units", "true" if value else "false", lang)
    if isinstance(value, int):
        return number(value, 0, lang)
    if isinstance(value, float):
        text = f"{value:.10g}"
        decimals = len(text.split(".")[1]) if "." in text and "e" not in text else 0
        if "e" in text:
            return text.replace(".", ",") if lang == "sv" else text
        return number(value, decimals, lang)
    return str(value)


def toml_value(value: Any, lang: str = "sv") -> str:
    """A config value (number, text, list, table) in one line, numbers the language's way.

    Lists separate their items with ``;`` in Swedish (the comma is the decimal sign).
    """
    sep = "; " if lang == "sv" else ", "
    if isinstance(value, dict):
        return "{" + sep.join(f"{k} = {toml_value(v, lang)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + sep.join(toml_value(v, lang) for v in value) + "]"
    return plain(value, lang)


# --------------------------------------------------------------------------------------
# Units of amounts in figures and tables
# --------------------------------------------------------------------------------------
def amount_unit(max_abs: float, lang: str = "sv") -> tuple[float, str]:
    """(divisor, unit label) for amounts whose largest absolute value is ``max_abs`` SEK:
    Mkr from 1 Mkr, else tkr."""
    if max_abs >= 1e6:
        return 1e6, catalogue.entry("units", "mkr_unit", lang)
    return 1e3, catalogue.entry("units", "tkr_unit", lang)


def _unit(name: str, text: str, lang: str) -> str:
    """The number ``text`` with the unit ``name`` of the catalogue's ``[units]``."""
    return catalogue.entry("units", name, lang).format(x=text)
