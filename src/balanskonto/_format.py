"""Numbers for people, the one place that formats them: the command line, the risk appendix
(text, Word, HTML, Markdown, figures) and the notebook all call these functions.

Swedish (``sv``, the default) follows Babel's ``sv_SE`` locale: a no-break space groups the
thousands, a comma is the decimal sign, ``23 %`` has a no-break space before the sign:
``−1 234,5``. English (``en``) follows ``en_GB``: ``−1,234.5``, ``23%``. Both languages write
a negative number with a real minus sign (U+2212), and never ``−0``. A missing value (NaN,
None) is a dash, ``–``, so a table of one run (no standard error) prints instead of failing.
Excel keeps its own number formats (``#,##0``) and shows them with the reader's separators.

Babel is imported on first use, so that ``balanskonto --help`` stays fast.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

#: Babel locale of each language.
LOCALES = {"sv": "sv_SE", "en": "en_GB"}
NBSP = "\u00a0"
MINUS = "\u2212"
#: What a missing value is shown as.
MISSING = "–"


_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """``text`` safe for a terminal: every control character but the line break written as
    an escape (``\\x1b``), so that ESC, BEL or NUL from a file never reach the terminal."""
    return _CONTROL.sub(lambda m: ascii(m.group())[1:-1], text)


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def number(x: float, decimals: int = 0, lang: str = "sv", *, signed: bool = False) -> str:
    """``x`` with ``decimals`` decimals, grouped by thousands the language's way (Babel).

    No ``−0``: a value that rounds to zero is shown without a sign. ``signed`` adds ``+``
    before a positive value.
    """
    if _missing(x):
        return MISSING
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    text = format_decimal(abs(x), format=pattern, locale=LOCALES[lang], decimal_quantization=True)
    zero = not any(c in "123456789" for c in text)
    if x < 0 and not zero:
        return MINUS + text
    return ("+" + text) if signed and x > 0 and not zero else text


def percent_sign(text: str, lang: str = "sv") -> str:
    """``text`` (a number) with the language's percent sign: ``23 %`` / ``23%``."""
    return f"{text}{NBSP}%" if lang == "sv" else f"{text}%"


def tkr(x: float, lang: str = "sv") -> str:
    """SEK as whole tkr: ``12 345`` (sv), ``12,345`` (en); ``–`` for a missing or infinite
    amount (no ``∞`` without its sign in a table of tkr)."""
    return MISSING if _missing(x) or math.isinf(x) else number(x / 1000, 0, lang)


def pct(x: float, lang: str = "sv", decimals: int = 1) -> str:
    """A share as a percentage with ``decimals`` decimals: ``12,3 %`` (sv), ``12.3%`` (en)."""
    return MISSING if _missing(x) else percent_sign(number(100 * x, decimals, lang), lang)


def table(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 0) -> str:
    """A plain-text table; the first ``left`` columns aligned left, the rest right."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])
