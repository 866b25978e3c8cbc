"""The appendix as a Word document (python-docx): A4, headings, captioned tables whose header
row repeats on every page, and the figures as inline PNG pictures, ready to paste into Mål
och budget. The document language is set, so Word checks the spelling in Swedish (or
English)."""

from __future__ import annotations

import re
from pathlib import Path

from docx import Document as new_docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from . import i18n
from .document import Document, Figure, Heading, Paragraph, Table, cell_text, is_numeric_kind

LANGUAGE_TAGS = {"sv": "sv-SE", "en": "en-GB"}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    """``text`` without the control characters XML cannot hold."""
    return _NOT_XML.sub("", text)


def _setup(doc, lang: str, title: str) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin = section.bottom_margin = Cm(2.0)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    rpr = normal.element.get_or_add_rPr()
    lang_el = OxmlElement("w:lang")
    lang_el.set(qn("w:val"), LANGUAGE_TAGS[lang])
    rpr.append(lang_el)
    doc.core_properties.title = clean(title)
    doc.core_properties.language = LANGUAGE_TAGS[lang]


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _cell(cell, text: str, *, bold: bool = False, right: bool = False, small: bool = False):
    p = cell.paragraphs[0]
    run = p.add_run(clean(text))
    run.bold = bold
    run.font.size = Pt(7.5 if small else 8.5)
    if small:
        run.font.color.rgb = RGBColor(0x44, 0x44, 0x44)
    if right:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _table(doc, t: Table, number: int, lang: str) -> None:
    caption = doc.add_paragraph(clean(f"{i18n.text('table', lang)} {number}. {t.caption}"))
    caption.style = doc.styles["Caption"]
    table = doc.add_table(rows=1, cols=len(t.columns))
    table.style = doc.styles["Light List Accent 1"]
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    for cell, col in zip(table.rows[0].cells, t.columns, strict=True):
        _cell(cell, col.label, bold=True, right=is_numeric_kind(col.kind))
    _repeat_header(table.rows[0])
    for row in t.rows:
        cells = table.add_row().cells
        for cell, col, value in zip(cells, t.columns, row, strict=True):
            numeric = is_numeric_kind(col.kind) and not isinstance(value, str)
            text = cell_text(value, col.kind, lang)
            _cell(cell, text, right=numeric, small=col.kind == "code")
    if t.note:
        note = doc.add_paragraph(clean(t.note))
        note.runs[0].font.size = Pt(8.5)
        note.runs[0].italic = True


def _figure(doc, f: Figure, number: int, png: Path, lang: str) -> None:
    doc.add_picture(str(png), width=Cm(16.0))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.LEFT
    caption = doc.add_paragraph(clean(f"{i18n.text('figure', lang)} {number}. {f.caption}"))
    caption.style = doc.styles["Caption"]


def _paragraph(doc, p: Paragraph) -> None:
    para = doc.add_paragraph(clean(p.text))
    if p.style == "note":
        for run in para.runs:
            run.italic = True
            run.font.size = Pt(9.5)


def write(doc: Document, figures: dict[str, tuple[Path, Path]], path: Path) -> Path:
    """Write the appendix as ``.docx`` to ``path``."""
    word = new_docx()
    _setup(word, doc.lang, doc.title)
    tables = figs = 0
    for block in doc.blocks:
        if isinstance(block, Heading):
            word.add_heading(clean(block.text), level=0 if block.level == 1 else block.level - 1)
        elif isinstance(block, Paragraph):
            _paragraph(word, block)
        elif isinstance(block, Table) and block.in_document:
            tables += 1
            _table(word, block, tables, doc.lang)
        elif isinstance(block, Figure):
            figs += 1
            _figure(word, block, figs, figures[block.key][0], doc.lang)
    word.save(str(path))
    return path
