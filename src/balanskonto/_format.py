"""Plain-text formatting for the command line: amounts in tkr, shares in %, tables."""

from __future__ import annotations

from collections.abc import Sequence


def tkr(x: float) -> str:
    """SEK as whole tkr with a space as thousands separator, the Swedish way: 12 345."""
    value = round(x / 1000) or 0  # no "-0" for a tiny negative amount
    return f"{value:,d}".replace(",", " ")


def pct(x: float) -> str:
    """A share as a percentage with one decimal: 12.3 %."""
    return f"{100 * x:.1f} %"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 0) -> str:
    """A plain-text table; the first ``left`` columns aligned left, the rest right."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])
