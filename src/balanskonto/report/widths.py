"""Column widths that fit a table's words: no word is ever broken inside a cell.

Word and LibreOffice break a word that is wider than its cell ("P(unde/rskott)"). Here every
column is at least as wide as its longest word (in the header too) and, where the page has
room, as wide as its longest text, so that numbers and short labels stay on one line. Widths
are estimated from a conservative table of character widths (DejaVu Sans, the widest of the
fonts a reader's Word or LibreOffice falls back to), in points.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Space a cell needs besides its text: Word's default cell margins (0.19 cm on each side)
#: and a little slack for the renderer's rounding, in points.
CELL_PADDING_PT = 13.0
#: Bold text is wider.
BOLD_FACTOR = 1.1
#: Glyph widths in em (DejaVu Sans, rounded up); any other character counts as "other".
_NARROW = set("iljtfrI.,:;'|!()[]{} ")
_WIDE = set("mwMW%@—")
_UPPER = set("ABCDEFGHJKLNOPQRSTUVXYZÅÄÖÉ")
_DIGIT = set("0123456789+−-=<>")
_EM = {"narrow": 0.40, "wide": 1.0, "upper": 0.78, "digit": 0.66, "other": 0.64}


def _em(c: str) -> float:
    if c in _NARROW:
        return _EM["narrow"]
    if c in _WIDE:
        return _EM["wide"]
    if c in _UPPER:
        return _EM["upper"]
    if c in _DIGIT:
        return _EM["digit"]
    return _EM["other"]


def text_width(text: str, size_pt: float, bold: bool = False) -> float:
    """The width of ``text`` on one line, in points (an overestimate)."""
    return sum(_em(c) for c in text) * size_pt * (BOLD_FACTOR if bold else 1.0)


def words(text: str) -> list[str]:
    """The pieces a renderer may not break: ``text`` split at spaces (a no-break space
    joins, as in ``12 345`` or ``23 %``)."""
    return [w for w in text.replace("\n", " ").split(" ") if w]


def _column_needs(
    header: str, cells: Sequence[str], size_pt: float, header_pt: float
) -> tuple[float, float]:
    """(the width of the longest word, the width of the longest text) of one column, pt."""
    items = [(header, header_pt, True), *((c, size_pt, False) for c in cells)]
    longest_word = max((text_width(w, s, b) for t, s, b in items for w in words(t)), default=0.0)
    longest_text = max((text_width(t, s, b) for t, s, b in items), default=0.0)
    return longest_word + CELL_PADDING_PT, longest_text + CELL_PADDING_PT


def fit(
    headers: Sequence[str],
    columns: Sequence[Sequence[str]],
    available_pt: float,
    size_pt: float,
    header_pt: float | None = None,
    max_share: float = 0.55,
    breakable: Sequence[bool] | None = None,
) -> list[float] | None:
    """Column widths (pt) for a table whose column ``j`` has ``headers[j]`` and the cell
    texts ``columns[j]``; None if even the longest words do not fit in ``available_pt``.

    Every column gets at least its longest word. If the longest texts fit too, each column
    gets its longest text (no line breaks; the table is as narrow as it can be). Otherwise
    the room left after the longest words is shared in proportion to what each column
    lacks of its longest text, a long text column taking at most ``max_share`` of the page
    (it wraps between words). A ``breakable`` column (identifiers such as dotted config keys
    or a checksum, which a reader does not read as words) may break its words: it needs at
    most a quarter of the page.
    """
    header_pt = size_pt if header_pt is None else header_pt
    needs = [_column_needs(h, c, size_pt, header_pt) for h, c in zip(headers, columns, strict=True)]
    if breakable is not None:
        cap = 0.25 * available_pt
        needs = [
            (min(a, cap), b) if brk else (a, b)
            for (a, b), brk in zip(needs, breakable, strict=True)
        ]
    least = [a for a, _ in needs]
    want = [max(a, min(b, max_share * available_pt)) for a, b in needs]
    if sum(least) > available_pt:
        return None
    if sum(want) <= available_pt:
        return want
    spare = available_pt - sum(least)
    lacks = [w - a for a, w in zip(least, want, strict=True)]
    total = sum(lacks)
    return [a + spare * d / total for a, d in zip(least, lacks, strict=True)]


def fits(widths: Sequence[float], headers: Sequence[str], columns, size_pt: float, header_pt=None):
    """The (column, word) pairs whose word is wider than its column (empty: none)."""
    header_pt = size_pt if header_pt is None else header_pt
    bad = []
    for j, (w, h) in enumerate(zip(widths, headers, strict=True)):
        items = [(h, header_pt, True), *((c, size_pt, False) for c in columns[j])]
        for text, size, bold in items:
            for word in words(text):
                if text_width(word, size, bold) + CELL_PADDING_PT > w + 1e-6:
                    bad.append((j, word))
    return bad
