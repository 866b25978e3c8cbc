"""Reading an actuals file: CSV (``,``, ``;`` or tab; UTF-8 with or without BOM; a decimal
comma) or an Excel sheet (``.xlsx``) with the same columns.

Lines whose first character is ``#`` are comments and blank lines are skipped, in both; the
numbers in the errors are the line of the CSV file (as an editor shows it) or the row of the
sheet (as Excel shows it). The rows are validated by :mod:`.actuals`.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .actuals import COLUMNS, REQUIRED_COLUMNS, Actuals, ActualsScope, actuals_error, validate_rows
from .errors import ConfigError, shown
from .files import read_file_bytes

#: The largest actuals file read (a municipality's monthly actuals are a few hundred kB).
MAX_BYTES = 20_000_000
#: File suffixes read as CSV and as Excel.
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")

Row = tuple[int, dict[str, Any]]


def read_actuals(path: str | Path, scope: ActualsScope | None = None) -> Actuals:
    """Read and validate the actuals in ``path`` against a forecast's ``scope``.

    Parameters
    ----------
    path : a CSV file or an Excel workbook (its first sheet) in the long format of
        :mod:`balanskonto.config.actuals`.
    scope : the forecast's years, resolution and names
        (:func:`balanskonto.analysis.followup.scope_of`); None checks the format only.

    Raises
    ------
    ConfigError
        The file is missing, unreadable or of an unknown kind, its header is wrong, or a row
        breaks a rule: the message names the file, the line, the column, the value and the rule.
    """
    path = Path(path)
    data = _read_bytes(path)
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        raw, where = _excel_rows(path, data), "row"
    elif suffix in CSV_SUFFIXES:
        raw, where = _csv_rows(path, data), "line"
    else:
        raise ConfigError(
            f"{path}: an actuals file is CSV ({', '.join(CSV_SUFFIXES)}) or an Excel workbook "
            f"({', '.join(EXCEL_SUFFIXES)}) (got {path.suffix or 'no suffix'!r})"
        )
    rows = _with_header(path, raw, where)
    sha = hashlib.sha256(data).hexdigest()
    return validate_rows(rows, scope, source=str(path), sha256=sha, where=where)


def _read_bytes(path: Path) -> bytes:
    """A regular file of at most :data:`MAX_BYTES` (no FIFO opened, no device read)."""
    return read_file_bytes(path, "actuals", MAX_BYTES)


# --------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------
def _csv_rows(path: Path, data: bytes) -> list[tuple[int, list[Any]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"{path}: not UTF-8 text ({err.reason} at byte {err.start}); in Excel, save as "
            "'CSV UTF-8 (kommaavgränsad)'"
        ) from None
    lines = [
        (n, line)
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise ConfigError(
            f"{path}: the file is empty; the first line is the header {','.join(COLUMNS)}"
        )
    header = lines[0][1]
    delimiter = next((d for d in (";", "\t") if d in header), ",")
    out = []
    for n, line in lines:
        cells = next(csv.reader([line], delimiter=delimiter))
        out.append((n, cells))
    return out


# --------------------------------------------------------------------------------------
# Excel
# --------------------------------------------------------------------------------------
def _excel_rows(path: Path, data: bytes) -> list[tuple[int, list[Any]]]:
    import io
    from zipfile import BadZipFile

    import openpyxl  # only for Excel files
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as err:
        raise ConfigError(f"{path}: cannot read it as an Excel workbook ({err})") from None
    try:
        sheet = book.worksheets[0]
        out = []
        for n, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_excel_cell(v) for v in values]
            while cells and cells[-1] is None:
                cells.pop()
            if not cells or all(c is None or c == "" for c in cells):
                continue
            if isinstance(cells[0], str) and cells[0].lstrip().startswith("#"):
                continue
            out.append((n, cells))
    finally:
        book.close()
    if not out:
        raise ConfigError(
            f"{path}: the first sheet is empty; its first row is the header {', '.join(COLUMNS)}"
        )
    return out


def _excel_cell(value: Any) -> Any:
    """A cell as the CSV reader would see it: a whole float as an int (2026.0 → 2026), a date
    on the first of a month as ``YYYY-MM`` (Excel turns 2027-08 into a date)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, dt.datetime | dt.date):
        if value.day == 1 and not (isinstance(value, dt.datetime) and value.time() != dt.time()):
            return f"{value.year:04d}-{value.month:02d}"
        return value.isoformat()
    return value


# --------------------------------------------------------------------------------------
# Header and rows
# --------------------------------------------------------------------------------------
def _with_header(path: Path, raw: Sequence[tuple[int, list[Any]]], where: str) -> list[Row]:
    (first, header_cells), body = raw[0], raw[1:]
    header = [str(c or "").strip().lower() for c in header_cells]
    problems = []
    for i, name in enumerate(header):
        if name not in COLUMNS:
            problems.append(
                f"{where} {first}, column {i + 1}: unknown column (got {shown(header_cells[i])}); "
                f"the columns are {', '.join(COLUMNS)}"
            )
        elif header.index(name) != i:
            problems.append(f"{where} {first}, column {i + 1}: the column {name!r} twice")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        problems.append(
            f"{where} {first}: the header lacks {', '.join(missing)} (got "
            f"{', '.join(shown(c) for c in header_cells[:10])}"
            f"{', …' if len(header_cells) > 10 else ''}); the header is {','.join(COLUMNS)}"
        )
    if problems:
        raise actuals_error(str(path), problems)
    return list(_rows(path, header, body, where))


def _rows(
    path: Path, header: list[str], body: Sequence[tuple[int, list[Any]]], where: str
) -> Iterator[Row]:
    problems = []
    for n, cells in body:
        if where == "row" and len(cells) < len(header):  # Excel leaves trailing cells out
            cells = [*cells, *([None] * (len(header) - len(cells)))]
        if len(cells) != len(header):
            hint = (
                "; a decimal comma needs ; as the separator"
                if len(cells) > len(header) and where == "line"
                else ""
            )
            problems.append(
                f"{where} {n}: {len(cells)} fields where the header has {len(header)}{hint}"
            )
            continue
        yield n, dict(zip(header, cells, strict=True))
    if problems:
        raise actuals_error(str(path), problems)
