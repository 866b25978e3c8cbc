"""The appendix's tables as an Excel workbook (openpyxl), one sheet per table.

Numbers are stored as numbers with a number format, never as text: amounts in tkr (the
Dataset's SEK / 1000, unrounded, shown as whole tkr), shares as fractions shown as per cent,
years as integers. Excel shows them with the reader's own separators. A text that starts with
``=`` is stored as text, never as a formula.
"""

from __future__ import annotations

import numbers
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.table import Table as ExcelTable
from openpyxl.worksheet.table import TableStyleInfo

from .document import EXCEL_FORMATS, SEK_KINDS, Document, Table, is_missing
from .i18n import toml_value

HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
#: The most characters an Excel cell holds.
MAX_CELL = 32_767
#: Significant decimals kept: tkr to the thousandth of a krona, shares to 1e-12. Sums of
#: floating-point amounts leave noise such as 2.42e-11 where the value is zero.
TKR_DECIMALS = 6
SHARE_DECIMALS = 12
_BAD_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})


def sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique sheet name (at most 31 characters, none of ``[]:*?/\\``)."""
    base = name.translate(_BAD_SHEET_CHARS)[:31] or "Sheet"
    out, k = base, 2
    while out.lower() in taken:
        out = f"{base[: 31 - len(str(k)) - 1]} {k}"
        k += 1
    taken.add(out.lower())
    return out


def _value(value: Any, kind: str, lang: str) -> tuple[Any, str | None]:
    """(cell value, number format) of a raw table value."""
    if is_missing(value):
        return None, None
    if isinstance(value, bool):
        return value, None
    if isinstance(value, numbers.Real) and kind in SEK_KINDS:
        return _denoise(float(value) / 1000.0, TKR_DECIMALS), EXCEL_FORMATS[kind]
    if isinstance(value, numbers.Integral):
        return int(value), EXCEL_FORMATS.get(kind, "General")
    if isinstance(value, numbers.Real):
        return _denoise(float(value), SHARE_DECIMALS), EXCEL_FORMATS.get(kind, "General")
    if isinstance(value, str):
        return value[:MAX_CELL], None
    # a list or table of a config, as one line of text
    return toml_value(value, lang)[:MAX_CELL], None


def _denoise(x: float, decimals: int) -> float:
    """``x`` rounded to ``decimals`` decimals, and never ``-0.0``."""
    return round(x, decimals) + 0.0


def _headers(t: Table) -> list[str]:
    """The column headers as an Excel table needs them: text, unique, not empty."""
    out: list[str] = []
    for j, col in enumerate(t.columns, start=1):
        label = str(col.label).strip() or f"({j})"
        base, k = label, 2
        while label.lower() in (h.lower() for h in out):
            label, k = f"{base} {k}", k + 1
        out.append(label)
    return out


def _write_cell(ws, row: int, col: int, value: Any, kind: str, lang: str) -> None:
    cell_value, fmt = _value(value, kind, lang)
    cell = ws.cell(row=row, column=col, value=cell_value)
    if isinstance(cell_value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
        cell.alignment = Alignment(wrap_text=len(cell_value) > 60, vertical="top")
    if fmt:
        cell.number_format = fmt


def _sheet(wb: Workbook, t: Table, taken: set[str], lang: str) -> None:
    ws = wb.create_sheet(sheet_name(t.sheet or t.key, taken))
    ws.cell(row=1, column=1, value=t.caption[:MAX_CELL]).font = Font(bold=True)
    ws.cell(row=1, column=1).data_type = "s"
    for j, label in enumerate(_headers(t), start=1):
        cell = ws.cell(row=2, column=j, value=label)
        cell.data_type = "s"
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, row in enumerate(t.rows, start=3):
        for j, (col, value) in enumerate(zip(t.columns, row, strict=True), start=1):
            _write_cell(ws, i, j, value, col.kind, lang)
    if t.note:
        ws.cell(row=len(t.rows) + 4, column=1, value=t.note[:MAX_CELL]).data_type = "s"
    ws.freeze_panes = "B3"
    for j in range(len(t.columns)):
        ws.column_dimensions[get_column_letter(j + 1)].width = _width(t, j)
    if t.rows:  # an Excel table: filters, banded rows, a name for formulas
        ref = f"A2:{get_column_letter(len(t.columns))}{len(t.rows) + 2}"
        table = ExcelTable(displayName=f"T_{len(taken)}_{_ascii(t.key)}", ref=ref)
        table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
        ws.add_table(table)
    _print_setup(ws)


def _ascii(key: str) -> str:
    return "".join(c if c.isalnum() and c.isascii() else "_" for c in key)


def _print_setup(ws) -> None:
    """A4 landscape, every column on one page's width, the header rows on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = "1:2"


def _width(t: Table, j: int) -> float:
    kind = t.columns[j].kind
    if kind in ("text", "code", "value"):
        longest = max([len(str(r[j])) for r in t.rows] + [len(t.columns[j].label)])
        return float(min(max(longest + 2, 10), 60))
    return float(max(12, len(t.columns[j].label) + 2))


def write(doc: Document, path: Path) -> Path:
    """Write every table of ``doc`` that has a sheet name to an ``.xlsx`` at ``path``."""
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for table in doc.sheets:
        _sheet(wb, table, taken, doc.lang)
    wb.properties.title = doc.property_title
    wb.properties.language = {"sv": "sv-SE", "en": "en-GB"}[doc.lang]
    wb.save(str(path))
    return path
