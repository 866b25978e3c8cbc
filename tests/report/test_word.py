"""The Word appendix as a controller pastes it: columns wide enough for every word, heading
levels, captions as Word fields, page numbers, the municipality's template, metadata; and,
where LibreOffice is installed, the PDF it makes has no word broken inside a table cell."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from docx import Document as read_docx
from docx.oxml.ns import qn
from docx.shared import Cm

import balanskonto as bk
from balanskonto.report import build, report, widths
from balanskonto.report.document import Heading, Table

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "configs"


@pytest.fixture(scope="module")
def ds():
    return bk.simulate(bk.load_config(CONFIGS / "exempel_2026.toml"), runs=120)


@pytest.fixture(scope="module")
def docx_path(ds, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("word")
    return report(ds, folder / "rapport", formats=("docx",))["docx"]


def _grid(table) -> list[float]:
    """The column widths of a Word table's grid, in points."""
    cols = table._tbl.tblGrid.findall(qn("w:gridCol"))
    return [int(c.get(qn("w:w"))) / 20 for c in cols]


def _is_code(cell) -> bool:
    """A cell of identifiers (dotted keys, a checksum; grey), whose words may break."""
    runs = [r for p in cell.paragraphs for r in p.runs if r.text]
    return any(r.font.color.rgb is not None and str(r.font.color.rgb) == "444444" for r in runs)


def _size(cell) -> float:
    runs = [r for p in cell.paragraphs for r in p.runs if r.text]
    return max((r.font.size.pt for r in runs if r.font.size), default=10.5)


def test_every_word_fits_its_column(docx_path):
    """The words of every cell (and header) fit the grid width of their column, with the
    cell's margins: the renderer has no reason to break one."""
    doc = read_docx(str(docx_path))
    assert doc.tables
    for t in doc.tables:
        grid = _grid(t)
        assert len(grid) == len(t.columns)
        for i, row in enumerate(t.rows):
            for j, cell in enumerate(row.cells):
                if _is_code(cell):
                    continue
                for word in widths.words(cell.text):
                    need = widths.text_width(word, _size(cell), bold=i == 0)
                    assert need + widths.CELL_PADDING_PT <= grid[j] + 1e-6, (word, grid[j])


def test_columns_are_fitted_to_their_content(docx_path):
    """Not one width for every column: the year column is narrower than a text column."""
    doc = read_docx(str(docx_path))
    for t in doc.tables:
        grid = _grid(t)
        if len(grid) > 2:
            assert len({round(w) for w in grid}) > 1, grid
    text_width = (21.0 - 2 * 2.2) / 2.54 * 72
    assert all(sum(_grid(t)) <= text_width + 1 for t in doc.tables)


def test_fit_gives_the_longest_words_room_and_refuses_the_impossible():
    headers = ["År", "P(underskott)", "Källa"]
    columns = [["2026", "2027"], ["1,7 %"], ["Nacka 2018 och Vingåker 2017, mycket lång text " * 4]]
    fitted = widths.fit(headers, columns, 400, 8.5)
    assert fitted is not None and sum(fitted) <= 400 + 1e-9
    assert widths.fits(fitted, headers, columns, 8.5) == []
    assert fitted[0] < fitted[1] < fitted[2]
    assert widths.fit(["Schablonersättningsutbetalningar"], [[]], 60, 8.5) is None


def test_heading_levels(ds, docx_path):
    """The title is Heading 1, the sections Heading 2, their parts Heading 3."""
    doc = read_docx(str(docx_path))
    built = build(ds, "sv")
    expected = [(h.text, f"Heading {h.level}") for h in built.of_type(Heading)]
    found = [(p.text, p.style.name) for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert found == expected
    assert found[0][1] == "Heading 1" and found[1][1] == "Heading 2"


def test_captions_are_word_fields(ds, docx_path):
    doc = read_docx(str(docx_path))
    instructions = [el.text.strip() for p in doc.paragraphs for el in p._p.iter(qn("w:instrText"))]
    built = build(ds, "sv")
    n_tables = sum(1 for t in built.of_type(Table) if t.in_document)
    assert instructions.count("SEQ Tabell \\* ARABIC") == n_tables
    assert instructions.count("SEQ Figur \\* ARABIC") == len(built.figures)
    captions = [p for p in doc.paragraphs if p.style.name == "Caption"]
    assert captions[0].text.startswith("Figur 1. ")


def test_page_numbers_in_the_footer(docx_path):
    footer = read_docx(str(docx_path)).sections[0].footer
    instructions = [el.text.strip() for el in footer._element.iter(qn("w:instrText"))]
    assert instructions == ["PAGE", "NUMPAGES"]
    assert footer.paragraphs[0].text.startswith("Sida ")


def test_core_properties(ds, docx_path):
    props = read_docx(str(docx_path)).core_properties
    assert props.title == f"Riskbilaga: {ds.attrs['title']}"
    assert props.subject == ds.attrs["municipality"] == props.author
    assert "python-docx" not in (props.author, props.last_modified_by)
    created = props.created.replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - created) < timedelta(hours=1)
    assert props.language == "sv-SE"


def _template(path: Path, dotx: bool = False) -> Path:
    """A municipality's template: its own font, margins, a header, and body text to drop."""
    word = read_docx()
    word.styles["Normal"].font.name = "Garamond"
    section = word.sections[0]
    section.left_margin = section.right_margin = Cm(3.0)
    section.header.paragraphs[0].text = "Exempelkommun – Mål och budget"
    word.add_paragraph("MALLTEXT som ska bort")
    word.save(str(path))
    if dotx:
        data = io.BytesIO()
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(data, "w") as dst:
            for item in src.infolist():
                content = src.read(item.filename)
                if item.filename == "[Content_Types].xml":
                    content = content.replace(b"document.main+xml", b"template.main+xml")
                dst.writestr(item, content)
        path = path.with_suffix(".dotx")
        path.write_bytes(data.getvalue())
    return path


@pytest.mark.parametrize("dotx", [False, True], ids=["docx", "dotx"])
def test_the_municipalitys_template(ds, tmp_path, dotx):
    template = _template(tmp_path / "mall.docx", dotx)
    path = report(ds, tmp_path / "out", formats=("docx",), template=template)["docx"]
    doc = read_docx(str(path))
    assert doc.styles["Normal"].font.name == "Garamond"
    assert abs(doc.sections[0].left_margin - Cm(3.0)) < Cm(0.01)  # twips
    assert doc.sections[0].header.paragraphs[0].text == "Exempelkommun – Mål och budget"
    assert not any("MALLTEXT" in p.text for p in doc.paragraphs)
    text_width = (21.59 - 6.0) / 2.54 * 72  # python-docx's template is US Letter
    assert all(sum(_grid(t)) <= text_width + 1 for t in doc.tables)
    assert doc.paragraphs[0].style.name == "Heading 1"


def test_a_template_that_is_missing_is_refused(ds, tmp_path):
    with pytest.raises(bk.ConfigError, match="template"):
        report(ds, tmp_path / "out", formats=("docx",), template=tmp_path / "none.docx")
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def libreoffice_text(docx_path, tmp_path_factory) -> str:
    """The Word file through LibreOffice → PDF → text (pages separated by form feeds)."""
    if shutil.which("soffice") is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice (soffice) and pdftotext (poppler-utils) not on PATH")
    folder = tmp_path_factory.mktemp("pdf")
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(folder), docx_path],
        check=True,
        timeout=180,
        capture_output=True,
    )
    pdf = folder / docx_path.with_suffix(".pdf").name
    return subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_the_annex_starts_a_new_page(docx_path, libreoffice_text):
    """The technical annex begins on a page of its own, in Word and as LibreOffice prints it."""
    doc = read_docx(str(docx_path))
    breaks = [p.text for p in doc.paragraphs if p.paragraph_format.page_break_before]
    assert breaks == ["Bilaga: konfigurationsfilens alla värden"]
    pages = libreoffice_text.split("\f")
    starts = [next((line for line in page.splitlines() if line.strip()), "") for page in pages]
    assert breaks[0] in starts


def test_libreoffice_breaks_no_word_in_a_table(docx_path, libreoffice_text):
    """LibreOffice → PDF → text: every word of every table cell comes out whole (a word
    broken across lines would come out as two pieces, "P(unde" and "rskott)")."""
    text = libreoffice_text
    tokens = set(text.split())
    doc = read_docx(str(docx_path))
    checked = 0
    for t in doc.tables:
        for row in t.rows:
            for cell in row.cells:
                if _is_code(cell):
                    continue
                for word in cell.text.split():
                    if len(word) < 4 or any(c.isdigit() or c in "-–/" for c in word):
                        continue  # a number, or a line may end after a hyphen or slash
                    assert word in tokens, f"{word!r} is broken in the PDF"
                    checked += 1
    assert checked > 30
    assert "underskott" in tokens and "Schablonersättning" in tokens
