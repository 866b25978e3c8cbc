"""A self-contained HTML page: figures embedded as base64 PNG, styles inline, no external
reference of any kind; readable on a phone (viewport, fluid layout, tables that scroll) and
printable (print CSS, A4). Every string is escaped with :func:`html.escape`."""

from __future__ import annotations

import base64
from html import escape
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

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial,
  sans-serif; color: #1d1d1d; background: #fff; }
main { max-width: 58rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 0.6rem; border-bottom: 1px solid #ccd; }
p.lead { font-size: 1.05rem; }
p.note { color: #555; font-size: 0.92rem; }
ul.summary { padding-left: 1.3rem; }
ul.summary li { margin: 0 0 0.5rem; }
figure { margin: 1rem 0 1.5rem; }
figure img, figure picture { display: block; width: 100%; height: auto; }
figcaption, caption, p.caption { font-size: 0.9rem; color: #444; text-align: left;
  padding: 0.3rem 0; }
p.caption { margin: 1rem 0 0; }
.table-wrap { overflow-x: auto; margin: 0.2rem 0 1.5rem; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.88rem; min-width: 60%; }
th, td { padding: 0.25rem 0.55rem; border-bottom: 1px solid #e1e1e8; vertical-align: top; }
th { background: #eef2f7; text-align: left; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.8rem;
  overflow-wrap: break-word; }
p.table-note { font-size: 0.85rem; color: #555; margin-top: -1rem; }
@media (max-width: 40rem) { body { font-size: 15px; } main { padding: 0.6rem; } }
@media print {
  @page { size: A4; margin: 18mm 16mm; }
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h2.new-page { break-before: page; page-break-before: always; }
  figure, tr { break-inside: avoid; page-break-inside: avoid; }
  .table-wrap { overflow: visible; }
  thead { display: table-header-group; }
}
"""
#: Screens narrower than this get the phone variant of each figure.
NARROW_BELOW = "40rem"
#: Nothing may be fetched from anywhere: images come as data: URLs, styles inline.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _table(t: Table, number: int, lang: str) -> str:
    head = "".join(
        f'<th class="{"num" if is_numeric_kind(c.kind) else c.kind}" scope="col">'
        f"{escape(c.label)}</th>"
        for c in t.columns
    )
    body = []
    for row in t.rows:
        cells = []
        for c, v in zip(t.columns, row, strict=True):
            css = "num" if is_numeric_kind(c.kind) and not isinstance(v, str) else c.kind
            shown = escape(cell_text(v, c.kind, lang))
            if c.kind == "code":  # a dotted key breaks after its dots, never inside a name
                shown = shown.replace(".", ".<wbr>")
            cells.append(f'<td class="{css}">{shown}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    caption = f"{i18n.text('table', lang)} {number}. {t.caption}"
    note = f'<p class="table-note">{escape(t.note)}</p>' if t.note else ""
    return (
        f'<p class="caption">{escape(caption)}</p>'  # outside the scrolling box: it wraps
        f'<div class="table-wrap" tabindex="0"><table>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>{note}"
    )


def _data_url(png: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")


def _figure(f: Figure, number: int, png: Path, lang: str, narrow: Path | None = None) -> str:
    """The figure; with a ``narrow`` variant, a ``<picture>`` that shows it on a phone."""
    caption = f"{i18n.text('figure', lang)} {number}. {f.caption}"
    img = f'<img src="{_data_url(png)}" alt="{escape(f.alt)}">'
    if narrow is not None and narrow.is_file():
        source = f'<source media="(max-width: {NARROW_BELOW})" srcset="{_data_url(narrow)}">'
        img = f"<picture>{source}{img}</picture>"
    return f"<figure>{img}<figcaption>{escape(caption)}</figcaption></figure>"


def render(doc: Document, figures: dict[str, tuple[Path, Path]], narrow: Path | None = None) -> str:
    """The page as text (UTF-8); ``narrow``: the folder of the figures' phone variants."""
    parts, tables, figs = [], 0, 0
    for block in doc.blocks:
        if isinstance(block, Heading):
            page = ' class="new-page"' if block.new_page else ""
            parts.append(f"<h{block.level}{page}>{escape(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            parts.append(f'<p class="{block.style}">{escape(block.text)}</p>')
        elif isinstance(block, Bullets):
            items = "".join(f"<li>{escape(t)}</li>" for t in block.texts)
            parts.append(f'<ul class="summary">{items}</ul>')
        elif isinstance(block, Table) and block.in_document:
            tables += 1
            parts.append(_table(block, tables, doc.lang))
        elif isinstance(block, Figure):
            figs += 1
            variant = narrow / f"{block.key}.png" if narrow is not None else None
            parts.append(_figure(block, figs, figures[block.key][0], doc.lang, variant))
    return (
        f'<!DOCTYPE html>\n<html lang="{doc.lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        f"<title>{escape(doc.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(parts)
        + "\n</main>\n</body>\n</html>\n"
    )


def write(
    doc: Document, figures: dict[str, tuple[Path, Path]], path: Path, narrow: Path | None = None
) -> Path:
    path.write_text(render(doc, figures, narrow), encoding="utf-8")
    return path
