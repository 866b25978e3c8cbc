"""The appendix as a Word document (python-docx), ready to paste into Mål och budget.

- The municipality's own template (``template=mall.docx`` or ``.dotx``): its styles, page
  set-up, headers and footers are kept, its body text is dropped. Without one, A4 with
  python-docx's default styles.
- Headings at their levels (the title Heading 1, sections Heading 2, parts Heading 3), so
  Word's navigation pane and table of contents see the structure.
- Captions with real Word fields (``SEQ Tabell``, ``SEQ Figur``): Word renumbers them and can
  list them; page numbers in the footer (``PAGE`` of ``NUMPAGES``).
- Table columns fitted to their words (:mod:`.widths`): no word is broken inside a cell; the
  header row repeats on every page.
- Core properties: title, municipality (subject and author), created and modified now, the
  document language (Word checks the spelling in Swedish or English).
"""

from __future__ import annotations

import io
import math
import re
import string
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from docx import Document as new_docx
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from .._version import __version__
from . import i18n, widths
from .document import (
    Bullets,
    Document,
    Figure,
    Heading,
    Paragraph,
    Table,
    cell_text,
    is_numeric_kind,
    property_text,
)

LANGUAGE_TAGS = {"sv": "sv-SE", "en": "en-GB"}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: Font sizes of table text, tried in order until the longest words fit the page.
TABLE_SIZES_PT = (8.5, 7.5, 6.5)
TABLE_STYLES = ("Light List Accent 1", "Table Grid")
_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_DOTX = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"


def clean(text: str) -> str:
    """``text`` without the control characters XML cannot hold."""
    return _NOT_XML.sub("", text)


# --------------------------------------------------------------------------------------
# The document: template, page, styles, metadata
# --------------------------------------------------------------------------------------
def open_template(template: str | Path | None):
    """A new document on ``template`` (``.docx`` or ``.dotx``) with its body emptied, or
    python-docx's default document (A4 set by :func:`_page`)."""
    if template is None:
        return new_docx()
    data = Path(template).read_bytes()
    if b"template.main+xml" in data[:4096] or str(template).lower().endswith(".dotx"):
        data = _dotx_as_docx(data)
    word = new_docx(io.BytesIO(data))
    body = word.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    return word


def _dotx_as_docx(data: bytes) -> bytes:
    """A Word template (``.dotx``) as a document: the same parts, the document's content
    type."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                content = content.replace(_DOTX.encode(), _DOCX.encode())
            dst.writestr(item, content)
    return out.getvalue()


def _page(word, templated: bool) -> None:
    if templated:
        return  # the template's page set-up
    section = word.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin = section.bottom_margin = Cm(2.0)
    word.styles["Normal"].font.size = Pt(10.5)


def _language(word, lang: str) -> None:
    rpr = word.styles["Normal"].element.get_or_add_rPr()
    for old in rpr.findall(qn("w:lang")):
        rpr.remove(old)
    lang_el = OxmlElement("w:lang")
    lang_el.set(qn("w:val"), LANGUAGE_TAGS[lang])
    rpr.append(lang_el)


def _properties(word, doc: Document, now: datetime) -> None:
    props = word.core_properties
    props.title = clean(doc.property_title)
    props.subject = clean(property_text(doc.municipality))
    props.author = clean(property_text(doc.municipality)) or "balanskonto"
    props.last_modified_by = f"balanskonto {__version__}"
    props.comments = f"balanskonto {__version__}"
    props.keywords = "balanskonto"
    props.category = ""
    props.language = LANGUAGE_TAGS[doc.lang]
    props.created = props.modified = now
    for old in props._element.findall(qn("cp:lastPrinted")):  # a template's, not ours
        props._element.remove(old)
    props.revision = 1


def _style(word, name: str, kind=WD_STYLE_TYPE.PARAGRAPH):
    """The style ``name``; added (on Normal) where a template lacks it."""
    try:
        return word.styles[name]
    except KeyError:
        style = word.styles.add_style(name, kind)
        if kind == WD_STYLE_TYPE.PARAGRAPH:
            style.base_style = word.styles["Normal"]
        return style


def _heading_style(word, level: int):
    style = _style(word, f"Heading {level}")
    if style.font.size is None and not style.element.findall(qn("w:pPr")):
        style.font.bold = True  # a template without heading styles: make it look like one
        style.font.size = Pt({1: 16, 2: 13}.get(level, 11))
        ppr = style.element.get_or_add_pPr()
        outline = OxmlElement("w:outlineLvl")
        outline.set(qn("w:val"), str(level - 1))
        ppr.append(outline)
    return style


def _caption_style(word):
    style = _style(word, "Caption")
    if style.font.size is None and style.font.italic is None:
        style.font.size, style.font.italic = Pt(9), True
    return style


# --------------------------------------------------------------------------------------
# Fields: captions and page numbers
# --------------------------------------------------------------------------------------
def _field(paragraph, instruction: str, shown: str) -> None:
    """A complex field (``begin``, instruction, ``separate``, its last value, ``end``)."""
    for kind, text in (("begin", None), (None, instruction), ("separate", None)):
        run = paragraph.add_run()
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {text} "
        run._r.append(el)
    paragraph.add_run(shown)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    paragraph.add_run()._r.append(end)


def _caption(word, kind: str, number: int, caption: str, lang: str):
    """``Tabell 3. …`` with the number as a ``SEQ Tabell`` field."""
    label = i18n.text(kind, lang)
    p = word.add_paragraph(style=_caption_style(word))
    p.add_run(f"{label} ")
    _field(p, f"SEQ {label} \\* ARABIC", str(number))
    p.add_run(clean(f". {caption}"))
    return p


def _page_numbers(word, lang: str) -> None:
    """``Sida 3 av 11`` in every section's footer, unless the template numbers its pages."""
    for section in word.sections:
        footer = section.footer
        if "PAGE" in footer._element.xml:
            continue
        p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        words = i18n.text("page_of", lang)
        for literal, slot, _, _ in string.Formatter().parse(words):
            if literal:
                p.add_run(literal)
            if slot:
                _field(p, {"page": "PAGE", "pages": "NUMPAGES"}[slot], "1")


# --------------------------------------------------------------------------------------
# Blocks
# --------------------------------------------------------------------------------------
def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _no_split(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))


def _cell(cell, text: str, size: float, *, bold=False, right=False, grey=False) -> None:
    p = cell.paragraphs[0]
    run = p.add_run(clean(text))
    run.bold = bold
    run.font.size = Pt(size)
    if grey:
        run.font.color.rgb = RGBColor(0x44, 0x44, 0x44)
    if right:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def text_width_pt(word) -> float:
    """The width between the margins of the document's last section, in points."""
    s = word.sections[-1]
    return (s.page_width - s.left_margin - s.right_margin) / 12700


def table_layout(t: Table, lang: str, available_pt: float) -> tuple[float, list[float]]:
    """(font size in pt, column widths in pt) for ``t``: the largest of
    :data:`TABLE_SIZES_PT` at which every word fits its column."""
    headers = [c.label for c in t.columns]
    texts = [[cell_text(r[j], c.kind, lang) for r in t.rows] for j, c in enumerate(t.columns)]
    breakable = [c.kind == "code" for c in t.columns]
    for size in TABLE_SIZES_PT:
        fitted = widths.fit(headers, texts, available_pt, size, breakable=breakable)
        if fitted is not None:
            return size, fitted
    size = TABLE_SIZES_PT[-1]  # words longer than the page: share the page by need
    least = [
        max(widths.text_width(w, size) for text in [h, *col] for w in widths.words(text) or [""])
        for h, col in zip(headers, texts, strict=True)
    ]
    return size, [available_pt * x / sum(least) for x in least]


def _table(word, t: Table, number: int, lang: str) -> None:
    _caption(word, "table", number, t.caption, lang).paragraph_format.keep_with_next = True
    size, cols = table_layout(t, lang, text_width_pt(word) - 0.05 * len(t.columns))
    cols = [math.ceil(w * 20) / 20 for w in cols]  # whole twips, rounded up
    table = word.add_table(rows=1, cols=len(t.columns))
    for name in TABLE_STYLES:
        try:
            table.style = word.styles[name]
            break
        except KeyError:
            continue
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False  # fixed layout: the widths below hold in Word and LibreOffice
    for j, w in enumerate(cols):
        table.columns[j].width = Pt(w)
    for cell, col, w in zip(table.rows[0].cells, t.columns, cols, strict=True):
        cell.width = Pt(w)
        _cell(cell, col.label, size, bold=True, right=is_numeric_kind(col.kind))
    _repeat_header(table.rows[0])
    for row in t.rows:
        new = table.add_row()
        _no_split(new)
        for cell, col, value, w in zip(new.cells, t.columns, row, cols, strict=True):
            cell.width = Pt(w)
            numeric = is_numeric_kind(col.kind) and not isinstance(value, str)
            text = cell_text(value, col.kind, lang)
            _cell(cell, text, size, right=numeric, grey=col.kind == "code")
    if t.note:
        note = word.add_paragraph(clean(t.note))
        note.runs[0].font.size = Pt(8.5)
        note.runs[0].italic = True


def _figure(word, f: Figure, number: int, png: Path, lang: str) -> None:
    word.add_picture(str(png), width=Cm(min(16.0, text_width_pt(word) / 28.35)))
    picture = word.paragraphs[-1]
    picture.alignment = WD_ALIGN_PARAGRAPH.LEFT
    picture.paragraph_format.keep_with_next = True
    _caption(word, "figure", number, f.caption, lang)


def _paragraph(word, p: Paragraph) -> None:
    para = word.add_paragraph(clean(p.text))
    if p.style == "note":
        for run in para.runs:
            run.italic = True
            run.font.size = Pt(9.5)


def _bullets(word, b: Bullets) -> None:
    try:
        style = word.styles["List Bullet"]
    except KeyError:
        style = None
    for text in b.texts:
        if style is not None:
            word.add_paragraph(clean(text), style=style)
        else:  # a template without a bullet list style
            word.add_paragraph(clean(f"•\t{text}"))


def write(
    doc: Document,
    figures: dict[str, tuple[Path, Path]],
    path: Path,
    template: str | Path | None = None,
) -> Path:
    """Write the appendix as ``.docx`` to ``path``, on the municipality's ``template``
    (a ``.docx`` or ``.dotx``) if given."""
    word = open_template(template)
    _page(word, template is not None)
    _language(word, doc.lang)
    _properties(word, doc, datetime.now(UTC).replace(microsecond=0, tzinfo=None))
    tables = figs = 0
    for block in doc.blocks:
        if isinstance(block, Heading):
            level = min(block.level, 9)
            heading = word.add_paragraph(clean(block.text), style=_heading_style(word, level))
            heading.paragraph_format.page_break_before = block.new_page or None
        elif isinstance(block, Paragraph):
            _paragraph(word, block)
        elif isinstance(block, Bullets):
            _bullets(word, block)
        elif isinstance(block, Table) and block.in_document:
            tables += 1
            _table(word, block, tables, doc.lang)
        elif isinstance(block, Figure):
            figs += 1
            _figure(word, block, figs, figures[block.key][0], doc.lang)
    _page_numbers(word, doc.lang)
    word.save(str(path))
    return path
