"""The appendix as a language-specific list of blocks, which every output format renders.

Tables hold raw values (SEK, shares, years) and a kind per column: HTML, Word and Markdown show
them formatted (:func:`cell_text`), Excel stores them as numbers with a number format
(:data:`EXCEL_FORMATS`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from . import i18n


@dataclass(frozen=True)
class Sentence:
    """A sentence, the quantities it quotes (quantity name, the text quoted) and the words
    it took as they are (labels: names of components and factors, user text)."""

    text: str
    quoted: tuple[tuple[str, str], ...] = ()
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Heading:
    """A heading; ``new_page``: it starts a new page in print (the annex)."""

    text: str
    level: int = 2
    new_page: bool = False


@dataclass(frozen=True)
class Paragraph:
    """Sentences shown as one paragraph; ``style`` is ``body``, ``lead`` or ``note``."""

    sentences: tuple[Sentence, ...]
    style: str = "body"

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)


@dataclass(frozen=True)
class Bullets:
    """A list of points, each one or more sentences (the summary)."""

    items: tuple[tuple[Sentence, ...], ...]

    @property
    def texts(self) -> list[str]:
        return [" ".join(s.text for s in item) for item in self.items]

    @property
    def sentences(self) -> tuple[Sentence, ...]:
        return tuple(s for item in self.items for s in item)


@dataclass(frozen=True)
class Column:
    """A table column: its header and the kind of its values (see :func:`cell_text`)."""

    label: str
    kind: str = "text"


@dataclass(frozen=True)
class Table:
    """A table of raw values. ``sheet``: the name of its Excel sheet (None: not in the
    workbook); ``in_document``: shown in HTML, Word and Markdown."""

    key: str
    caption: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    sheet: str | None = None
    in_document: bool = True
    note: str = ""


@dataclass(frozen=True)
class Figure:
    """A figure by its key (the file name without suffix), with caption and alt text."""

    key: str
    caption: str
    alt: str


Block = Heading | Paragraph | Bullets | Table | Figure
#: The longest document property (title, subject, author) a Word or Excel file may hold.
MAX_PROPERTY = 255


def property_text(text: str) -> str:
    """``text`` cut to the 255 characters a document property of a Word or Excel file holds
    (ending in "…" when cut)."""
    return text if len(text) <= MAX_PROPERTY else text[: MAX_PROPERTY - 1] + "…"


@dataclass(frozen=True)
class Document:
    """The appendix in one language: title, blocks in order, the workbook's tables in order
    (some only there), and the table of named quantities its sentences quote from."""

    lang: str
    title: str
    blocks: tuple[Block, ...]
    workbook: tuple[Table, ...] = field(default=())
    quantities: dict[str, Any] = field(default_factory=dict)
    municipality: str = ""

    def of_type(self, kind: type) -> Iterator[Any]:
        return (b for b in self.blocks if isinstance(b, kind))

    @property
    def figures(self) -> list[Figure]:
        return list(self.of_type(Figure))

    @property
    def property_title(self) -> str:
        """The title cut to the 255 characters that the document properties of a Word or
        Excel file hold (ending in "…" when cut); headings keep the whole title."""
        return property_text(self.title)

    @property
    def sheets(self) -> list[Table]:
        """The tables of the workbook, in order: ``workbook`` where given, else every table of
        the blocks that has a sheet name."""
        tables = self.workbook or tuple(self.of_type(Table))
        return [t for t in tables if t.sheet]


#: Excel number formats by column kind (shown with the reader's own separators).
EXCEL_FORMATS: dict[str, str] = {
    "tkr": "#,##0",
    "share": "0.0%",
    "persons": "#,##0.0",
    "ratio": "+0.00;-0.00;0.00",
    "count": "#,##0",
    "year": "0",
    "value": "General",
}
#: Column kinds whose values Excel stores in tkr (the raw values are SEK).
SEK_KINDS = ("tkr",)


class Shown(float):
    """A number that the documents show as a text of its own (P(deficit) = 0 as its Wilson
    bound "< 0,2 %"); the workbook stores the number."""

    text: str

    def __new__(cls, value: float, text: str) -> Shown:
        out = super().__new__(cls, value)
        out.text = text
        return out


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def cell_text(value: Any, kind: str, lang: str) -> str:
    """A table value as text: ``tkr`` whole thousands, ``share`` per cent with one decimal,
    ``persons`` whole persons, ``ratio`` signed with two decimals, ``value`` a config value."""
    if isinstance(value, Shown):
        return value.text
    if is_missing(value):
        return "–"
    if isinstance(value, str):
        return value
    if kind == "tkr":
        return i18n.number(value / 1000, 0, lang)
    if kind == "share":
        return i18n.percent(value, lang, 1)
    if kind in ("persons", "count"):
        return i18n.number(value, 0, lang)
    if kind == "ratio":
        return i18n.number(value, 2, lang, signed=True)
    if kind == "year":
        return str(int(value))
    if kind == "value":
        return i18n.toml_value(value, lang)
    return str(value)


def is_numeric_kind(kind: str) -> bool:
    return kind in ("tkr", "share", "persons", "ratio", "count", "year")
