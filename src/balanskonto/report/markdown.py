"""The appendix as Markdown, the figures referenced as PNG files in the language's figure
folder beside it (``figurer/`` in Swedish, ``figures/`` in English).

User-supplied text (title, municipality, config comments) is escaped: ``<``, ``>`` and ``&``
as HTML entities (a Markdown viewer passes raw HTML through), ``|`` in table cells, and the
characters that would start Markdown markup.
"""

from __future__ import annotations

import re
from pathlib import Path

from . import i18n
from .document import (
    Bullets,
    Document,
    Figure,
    Heading,
    Paragraph,
    Table,
    cell_text,
    is_numeric_kind,
)

_MARKUP = re.compile(r"([\\`*_\[\]#|])")


def escape(text: str) -> str:
    """``text`` safe as Markdown: entities for ``& < >``, backslashes before markup
    characters, line breaks as spaces."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKUP.sub(r"\\\1", " ".join(text.split()))


def _table(t: Table, number: int, lang: str) -> str:
    header = "| " + " | ".join(escape(c.label) for c in t.columns) + " |"
    rule = "|" + "|".join("---:" if is_numeric_kind(c.kind) else "---" for c in t.columns) + "|"
    rows = []
    for r in t.rows:
        cells = (escape(cell_text(v, c.kind, lang)) for c, v in zip(t.columns, r, strict=True))
        rows.append("| " + " | ".join(cells) + " |")
    caption = f"*{i18n.text('table', lang)} {number}. {escape(t.caption)}*"
    note = [f"\n*{escape(t.note)}*"] if t.note else []
    return "\n".join([caption, "", header, rule, *rows, *note])


def _figure(f: Figure, number: int, png: Path, lang: str) -> str:
    caption = f"{i18n.text('figure', lang)} {number}. {escape(f.caption)}"
    link = f"{png.parent.name}/{png.name}"  # the language's own figure folder
    return f"![{escape(f.alt)}]({link})\n\n*{caption}*"


def render(doc: Document, figures: dict[str, tuple[Path, Path]]) -> str:
    """The appendix as Markdown text."""
    parts, tables, figs = [], 0, 0
    for block in doc.blocks:
        if isinstance(block, Heading):
            parts.append(f"{'#' * block.level} {escape(block.text)}")
        elif isinstance(block, Paragraph):
            text = escape(block.text)
            parts.append(f"*{text}*" if block.style == "note" else text)
        elif isinstance(block, Bullets):
            parts.append("\n".join(f"- {escape(t)}" for t in block.texts))
        elif isinstance(block, Table) and block.in_document:
            tables += 1
            parts.append(_table(block, tables, doc.lang))
        elif isinstance(block, Figure):
            figs += 1
            parts.append(_figure(block, figs, figures[block.key][0], doc.lang))
    return "\n\n".join(parts) + "\n"


def write(doc: Document, figures: dict[str, tuple[Path, Path]], path: Path) -> Path:
    path.write_text(render(doc, figures), encoding="utf-8")
    return path
