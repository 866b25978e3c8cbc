"""The risk appendix (balanskonto.report): every number in its text traced back to the
Dataset in both languages, the Word, Excel, HTML and Markdown outputs, the figures, the
assumptions table, and the command line."""

from __future__ import annotations

import hashlib
import re
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import xarray as xr
from docx import Document as read_docx

import balanskonto as bk
from balanskonto.analysis.sensitivity import one_at_a_time, tornado
from balanskonto.cli import report as report_cli
from balanskonto.config import parse_config
from balanskonto.report import ReportError, build, content, figures, i18n, report, word
from balanskonto.report.assumptions import opening_comment, parse_assumptions, split_comment
from balanskonto.report.data import collect
from balanskonto.report.document import Bullets, Figure, Paragraph, Table
from balanskonto.report.quantities import Quantity
from balanskonto.results.files import write_netcdf
from balanskonto.results.risk import tail_attribution

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "configs"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RUNS = 200


# --------------------------------------------------------------------------------------
# Fixtures: two small simulations (with and without uncertainty factors), their reports
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def with_factors() -> xr.Dataset:
    return bk.simulate(bk.load_config(CONFIGS / "exempel_2026.toml"), runs=RUNS)


@pytest.fixture(scope="module")
def without_factors() -> xr.Dataset:
    return bk.simulate(bk.load_config(CONFIGS / "sodertalje_2008.toml"), runs=RUNS)


@pytest.fixture(scope="module")
def written(with_factors, tmp_path_factory) -> dict[str, dict[str, Path]]:
    """The full report of the example in Swedish and in English."""
    out = {}
    for lang in ("sv", "en"):
        folder = tmp_path_factory.mktemp(f"report_{lang}")
        out[lang] = report(with_factors, folder / "rapport", lang=lang)
    return out


@pytest.fixture(scope="module")
def written_no_factors(without_factors, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("report_nofactors")
    return report(without_factors, folder / "rapport", formats=("html", "md"))


# --------------------------------------------------------------------------------------
# Every number in the text, back to its source
# --------------------------------------------------------------------------------------
def _sources(ds: xr.Dataset) -> dict:
    """The sources a quantity may name, recomputed here independently of the report."""
    year = ds["year"].values[-1]
    return {
        "plan": bk.expected(parse_config(ds.attrs["config_toml"])),
        "tail": tail_attribution(ds["balance"], ds["revenue"], ds["cost"], year, tail=0.05),
        "tornado": tornado(ds),  # None without factors: then no quantity names it
    }


def source_value(q: Quantity, ds: xr.Dataset, sources: dict) -> float:
    sel = dict(q.selection)
    if q.source.startswith("attrs."):
        value = ds.attrs[q.source.removeprefix("attrs.")]
    elif q.source == "plan.balance":
        value = sources["plan"]["balance"].sel(sel).item()
    elif q.source.startswith("tail.attrs."):
        value = sources["tail"].attrs[q.source.removeprefix("tail.attrs.")]
    elif q.source == "tail.tail_attribution":
        value = sources["tail"].sel(sel).item()
    elif q.source == "reserve_gap":
        opening = ds.attrs["opening_balance"]
        value = abs(ds["reserve_needed"].sel(sel).item() - opening)
    elif q.source == "swing.swing":
        value = sources["swing"]["swing"].sel(sel).item()
    elif q.source == "swing.effect":
        oat = sources["swing"].sel(sel)
        value = oat["balance_low"].item() - oat["balance_high"].item()
    elif q.source.startswith("swing.attrs."):
        value = sources["swing"].attrs[q.source.removeprefix("swing.attrs.")]
    elif q.source.startswith("tornado."):
        value = sources["tornado"][q.source.removeprefix("tornado.")].sel(sel).item()
    else:
        value = ds[q.source].sel(sel).item()
    return 1 - float(value) if q.complement else float(value)


_NUMBER = {
    "sv": r"[−+]?\d+(?:\u00a0\d{3})*(?:,\d+)?",
    "en": r"[−+]?\d+(?:,\d{3})*(?:\.\d+)?",
}
_UNITS = {  # unit text after the number → factor to the quantity's own unit
    "sv": [("\u00a0Mkr", 1e6), ("\u00a0tkr", 1e3), ("\u00a0%", 0.01), ("\u00a0procent", 0.01)],
    "en": [("\u00a0million", 1e6), ("\u00a0thousand", 1e3), ("%", 0.01), ("\u00a0percent", 0.01)],
}


def parse_number(shown: str, lang: str) -> tuple[float, float]:
    """(value, tolerance) of a number as the report writes it: ``2,0 %`` → (0.02, 0.0005);
    the tolerance is half a unit of the last digit shown."""
    percentile = shown.startswith("P")
    m = re.search(_NUMBER[lang], shown)
    assert m, f"no number in {shown!r}"
    digits = m.group().replace("−", "-").replace("\u00a0", "")
    digits = digits.replace(",", ".") if lang == "sv" else digits.replace(",", "")
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    rest = shown[m.end() :]
    factor = 0.01 if percentile else next((f for u, f in _UNITS[lang] if rest.startswith(u)), 1)
    return float(digits) * factor, 0.5 * 10**-decimals * factor * (1 + 1e-9)


def _sentences(doc):
    for p in doc.blocks:
        if isinstance(p, Paragraph | Bullets):
            yield from p.sentences


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("which", ["with_factors", "without_factors"])
def test_every_number_in_the_text_is_its_dataset_value(request, which, lang):
    ds = request.getfixturevalue(which)
    assert check_numbers(build(ds, lang), ds, _sources(ds), lang) > 20


def check_numbers(doc, ds, sources, lang) -> int:
    """Check every quoted number of ``doc`` against its source; the count of numbers."""
    quoted = 0
    for sentence in _sentences(doc):
        rest = sentence.text
        for name, shown in sentence.quoted:
            q = doc.quantities[name]
            assert q.value == pytest.approx(source_value(q, ds, sources), rel=1e-12)
            value, tol = parse_number(shown, lang)
            assert abs(value - q.value) <= tol, (name, shown, q.value)
            assert shown in rest
            rest = rest.replace(shown, "", 1)
            quoted += 1
        for label in sentence.labels:
            rest = rest.replace(label, "")
        assert not re.search(r"\d", rest), f"a number typed by hand: {sentence.text!r}"
    return quoted


@pytest.fixture(scope="module")
def swing() -> xr.Dataset:
    config = bk.load_config(CONFIGS / "exempel_2026.toml")
    return one_at_a_time(config, runs=20, seed=1)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_drivers_in_kronor_from_a_sensitivity_result(with_factors, swing, lang):
    doc = build(with_factors, lang, sensitivity=swing)
    sources = {**_sources(with_factors), "swing": swing}
    assert check_numbers(doc, with_factors, sources, lang) > 20
    quoted = {name for s in _sentences(doc) for name, _ in s.quoted}
    assert any(name.startswith("swing.swing[") for name in quoted)
    # the yes/no policy (schablon cut, probability 30 %) reads as its effect if carried out
    (effect,) = [name for name in quoted if name.startswith("swing.effect[")]
    assert doc.quantities[effect].value < 0
    words = "Om policyändringen genomförs" if lang == "sv" else "If the policy change"
    assert words in " ".join(s.text for s in _sentences(doc))
    (table,) = [t for t in doc.of_type(Table) if t.key == "tornado"]
    assert table.columns[-1].kind == "tkr"
    assert "rangkorrelation" not in " ".join(Bullets.texts.fget(next(doc.of_type(Bullets))))


def test_the_tornado_figure_shows_kronor_with_a_swing(with_factors, swing, tmp_path):
    written = report(with_factors, tmp_path / "r", formats=("md",), sensitivity=swing)
    svg = written["figure:tornado.svg"].read_text(encoding="utf-8")
    assert "P10 → P90" in svg or "P10" in svg
    bad = swing.assign_attrs(config_sha256="0" * 64)
    with pytest.raises(ReportError, match="another config"):
        build(with_factors, "sv", sensitivity=bad)


def test_the_languages_quote_the_same_numbers(with_factors):
    names = {
        lang: [n for s in _sentences(build(with_factors, lang)) for n, _ in s.quoted]
        for lang in ("sv", "en")
    }
    assert names["sv"] == names["en"]


def test_key_sentences(with_factors):
    doc = build(with_factors, "sv")
    text = " ".join(p.text for p in doc.of_type(Paragraph))
    last = int(with_factors["year"][-1])
    p = with_factors["p_deficit"].sel(year=last).item()
    if p > 0:
        assert f"negativt vid utgången av {last} bedöms till" in text
    reserve = with_factors["reserve_needed"].sel(level=0.95, year=last).item()
    assert f"Med 95\u00a0% säkerhet räcker en reservering på {i18n.amount(reserve)}" in text
    assert f"till och med {last}" in text


@pytest.mark.parametrize("which", ["with_factors", "without_factors"])
def test_the_summary_draws_the_conclusions_in_points(request, which):
    ds = request.getfixturevalue(which)
    doc = build(ds, "sv")
    (summary,) = doc.of_type(Bullets)
    assert 3 <= len(summary.items) <= 5
    points = summary.texts
    last = int(ds["year"][-1])
    reserve = ds["reserve_needed"].sel(level=0.95, year=last).item()
    opening = ds.attrs["opening_balance"]
    if reserve > opening:
        assert (
            f"behövs {i18n.amount(reserve)}, alltså {i18n.amount(reserve - opening)} mer"
            in points[0]
        )
    elif reserve > 0:
        assert f"marginalen är {i18n.amount(opening - reserve)}" in points[0]
    # the first year with a material deficit risk (P(deficit) ≥ 5 %), not the modal first year
    p = ds["p_deficit"].values
    material = [int(y) for y, x in zip(ds["year"].values, p, strict=True) if x >= 0.05]
    if material:
        assert f"blir påtaglig {material[0]}" in points[1]
    elif ds["p_depleted_by"].values[-1] > 0:
        assert "når inte 5\u00a0%" in points[1]
    assert "mest sannolika första underskottsåret" not in " ".join(points)
    assert "medianen" in points[-1] and "P5" in points[-1]
    if which == "with_factors":
        assert len(summary.items) == 4


def test_the_summary_is_in_every_format(written, with_factors):
    doc = build(with_factors, "sv")
    (summary,) = doc.of_type(Bullets)
    first = summary.texts[0]
    page = written["sv"]["html"].read_text(encoding="utf-8")
    assert '<ul class="summary"><li>' in page
    md = written["sv"]["md"].read_text(encoding="utf-8")
    assert "\n- " in md
    words = [p.text for p in read_docx(str(written["sv"]["docx"])).paragraphs]
    assert any(first.split(":")[0] in t for t in words)
    book = openpyxl.load_workbook(written["sv"]["xlsx"])
    assert book.sheetnames[0] == "Sammanfattning"
    cells = [c.value for row in book["Sammanfattning"].iter_rows() for c in row]
    assert any(first.split(":")[0] in str(v) for v in cells)


@pytest.mark.parametrize(
    ("which", "sentence", "caption", "legend"),
    [
        ("with_factors", "Planen utan osäkerhet", "planen utan osäkerhet", "Planen utan osäkerhet"),
        (
            "without_factors",
            "Den deterministiska kalkylen",
            "den deterministiska kalkylen",
            "Plan (deterministisk kalkyl)",
        ),
    ],
)
def test_the_plan_line_is_named_for_what_it_is(request, which, sentence, caption, legend):
    """With uncertain factors the dashed line is the plan without uncertainty (every factor
    at its mean), not the mean of the simulation; without them, the exact calculation."""
    ds = request.getfixturevalue(which)
    doc = build(ds, "sv")
    assert sentence in " ".join(p.text for p in doc.of_type(Paragraph))
    fan = next(f for f in doc.of_type(Figure) if f.key == "balance_fan")
    assert f"streckad: {caption}" in fan.caption
    quantiles = next(t for t in doc.of_type(Table) if t.key == "quantiles")
    assert caption in quantiles.caption
    fig = figures.chart("balance_fan", collect(ds), "sv")
    assert legend in [line.get_label() for line in fig.axes[0].get_lines()]


def test_number_formats():
    assert i18n.number(1234567.25, 1, "sv") == "1\u00a0234\u00a0567,2"
    assert i18n.number(1234567.25, 1, "en") == "1,234,567.2"
    assert i18n.number(-0.004, 2, "sv") == "0,00"  # no minus zero
    assert i18n.number(-12.5, 1, "sv") == "−12,5"
    assert i18n.amount(14_249_000) == "14,2\u00a0Mkr"
    assert i18n.amount(948_000) == "948\u00a0tkr"
    assert i18n.amount(948_000, "en") == "SEK\u00a0948\u00a0thousand"
    assert i18n.amount(0) == "0\u00a0kr"
    assert i18n.percent(0.23) == "23\u00a0%"
    assert i18n.percent(0.02) == "2,0\u00a0%"
    assert i18n.percent(0.23, "en") == "23%"
    assert i18n.points(0.0097) == "1\u00a0procentenhet"
    assert i18n.points(0.0093) == "0,9\u00a0procentenheter"
    assert i18n.points(0.003, "en") == "0.3\u00a0percentage points"


# --------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------
def test_docx_has_the_headings_tables_and_figures(with_factors, written):
    doc = build(with_factors, "sv")
    word_doc = read_docx(str(written["sv"]["docx"]))
    styles = ("Heading", "Title")
    headings = [p.text for p in word_doc.paragraphs if p.style.name.startswith(styles)]
    assert headings == [h.text for h in doc.of_type(content.Heading)]
    tables = [t for t in doc.of_type(Table) if t.in_document]
    assert len(word_doc.tables) == len(tables)
    assert len(word_doc.inline_shapes) == len(doc.figures) == len(content.FIGURES)
    texts = {p.text for p in word_doc.paragraphs}
    assert all(p.text in texts for p in doc.of_type(Paragraph))
    first = word_doc.tables[0].rows[1].cells  # the balance table, first year: P5 in tkr
    p5 = with_factors["balance_quantile"].sel(quantile=0.05).values[0] / 1000
    value, tol = parse_number(first[1].text, "sv")
    assert int(first[0].text) == int(with_factors["year"][0])
    assert abs(value - p5) <= tol


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not on PATH")
def test_docx_converts_to_pdf(written, tmp_path):
    docx = str(written["sv"]["docx"])
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), docx],
        check=True,
        timeout=120,
        capture_output=True,
    )
    assert (tmp_path / "riskbilaga.pdf").stat().st_size > 0


def _sheet_rows(ws) -> list[tuple]:
    return list(ws.iter_rows(min_row=3, values_only=True))


def test_xlsx_holds_the_datasets_numbers(with_factors, written):
    ds = with_factors
    wb = openpyxl.load_workbook(written["sv"]["xlsx"])
    assert wb.sheetnames[:2] == ["Sammanfattning", "Percentiler"]
    years = ds["year"].values
    rows = _sheet_rows(wb["Percentiler"])
    for i, row in enumerate(rows):
        assert row[0] == years[i]
        for k in range(ds.sizes["quantile"]):
            assert isinstance(row[1 + 2 * k], float)
            assert row[1 + 2 * k] * 1000 == pytest.approx(ds["balance_quantile"].values[k, i])
            assert row[2 + 2 * k] * 1000 == pytest.approx(ds["balance_quantile_se"].values[k, i])
    assert wb["Percentiler"]["B3"].number_format == "#,##0"
    deficit = _sheet_rows(wb["Underskott"])
    got = np.array([r[1:3] for r in deficit[:-1]], dtype=float).T  # to 1e-12 (no float noise)
    np.testing.assert_allclose(got[0], ds["p_deficit"].values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got[1], ds["p_deficit_se"].values, rtol=0, atol=1e-12)
    assert deficit[-1][3] == ds["p_never_depleted"].item()
    assert wb["Underskott"]["B3"].number_format == "0.0%"
    reserve = np.array([r[1:] for r in _sheet_rows(wb["Reservering"])], dtype=float)
    np.testing.assert_allclose(reserve.T * 1000, ds["reserve_needed"].values, rtol=1e-9, atol=1e-3)
    persons = [r for r in _sheet_rows(wb["Personer"]) if r[2] == "income_support"]
    median = ds["person_years"].sum("group").sel(state="income_support").median("run")
    np.testing.assert_allclose([r[3] for r in persons], median.values, rtol=1e-12)
    sheet = wb["Komponenter"]
    header = [c.value for c in sheet[2]]
    column = header.index("Intäkter: Schablonersättning")
    schablon = ds["revenue"].sel(component="schablon").mean("run").values
    got = [r[column] for r in _sheet_rows(sheet)]
    np.testing.assert_allclose(np.array(got) * 1000, schablon, rtol=1e-9)
    assumptions = {r[1]: r[2] for r in _sheet_rows(wb["Antaganden"])}
    assert assumptions["balance.opening"] == 6_000_000
    assert assumptions["uncertainty.labour_market.sd"] == 0.35


def test_html_is_self_contained(written):
    page = written["sv"]["html"].read_text(encoding="utf-8")
    for needle in ('src="http', "src='http", 'href="http', "href='http", "@import", "url(http"):
        assert needle not in page
    assert '<meta name="viewport"' in page and "@media print" in page
    assert page.count('src="data:image/png;base64,') == len(content.FIGURES)


def test_markdown_references_the_png_files(written):
    md = written["en"]["md"].read_text(encoding="utf-8")
    for key in content.FIGURES:
        assert f"](figures/{key}.png)" in md
        assert (written["en"]["md"].parent / "figures" / f"{key}.png").is_file()


def test_each_language_keeps_its_own_figures(with_factors, tmp_path):
    """An English report into the folder of the Swedish one leaves the Swedish figures that
    the Swedish Markdown links as they were (issue 14, item 4)."""
    folder = tmp_path / "rapport"
    sv = report(with_factors, folder, lang="sv", formats=("md",))
    before = {k: p.read_bytes() for k, p in sv.items() if k.endswith(".png")}
    en = report(with_factors, folder, lang="en", formats=("md",))
    md = sv["md"].read_text(encoding="utf-8")
    for key in content.FIGURES:
        link = re.search(rf"\]\(([^)]*{key}\.png)\)", md).group(1)
        assert (folder / link).read_bytes() == before[f"figure:{key}.png"]
        assert (folder / link) != en[f"figure:{key}.png"]
    assert (
        en[f"figure:{content.FIGURES[0]}.png"].read_bytes()
        != before[f"figure:{content.FIGURES[0]}.png"]
    )  # the English figure has English words


def test_user_text_is_escaped(tmp_path):
    text = (CONFIGS / "sodertalje_2008.toml").read_text(encoding="utf-8")
    text = text.replace("opening = 0", "opening = 0  # <img src=x onerror=alert(2)> & more")
    ds = bk.simulate(parse_config(text), runs=20)
    ds.attrs["title"] = "<script>alert(1)</script> & Co"
    ds.attrs["municipality"] = "<b>Kommun</b>"
    paths = report(ds, tmp_path / "out", formats=("html", "md"))
    page = paths["html"].read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page
    assert "&lt;img src=x onerror=alert(2)&gt; &amp; more" in page
    assert "<script" not in page and "<img src=x" not in page and "<b>" not in page
    md = paths["md"].read_text(encoding="utf-8")
    assert "<script" not in md and "<img src=x" not in md


def test_a_long_title_is_written_in_every_format(tmp_path):
    """A title of 244 characters or more was valid, then failed the report (the 255-character
    limit of Excel's and Word's title property: exit 1); so did a long municipality (Word's
    subject and author)."""
    title = ", ".join(["Flyktingmottagandet och balanskontot 2026–2030"] * 6)  # 286 characters
    municipality = "Södertälje kommun, " * 20  # 380 characters
    text = (CONFIGS / "sodertalje_2008.toml").read_text(encoding="utf-8")
    text = re.sub(r'(?m)^title = ".*"$', f'title = "{title}"', text)
    text = text.replace('municipality = "Södertälje"', f'municipality = "{municipality}"')
    ds = bk.simulate(parse_config(text), runs=20)
    paths = report(ds, tmp_path / "out")
    whole = f"Riskbilaga: {title}"
    cut = whole[:254] + "…"
    assert openpyxl.load_workbook(paths["xlsx"]).properties.title == cut
    properties = read_docx(paths["docx"]).core_properties
    assert properties.title == cut
    assert properties.subject == properties.author == municipality[:254] + "…"
    assert any(p.text == whole for p in read_docx(paths["docx"]).paragraphs)
    assert whole in paths["md"].read_text(encoding="utf-8")


def test_a_result_whose_title_has_a_control_character_is_refused(without_factors, tmp_path):
    ds = without_factors.copy()
    ds.attrs["title"] = "Budget\x1b[2J"
    with pytest.raises(ReportError, match=r"attribute title: .*U\+001B"):
        report(ds, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_a_changed_config_text_is_refused(without_factors, tmp_path, capsys, monkeypatch):
    """The assumptions of one config were shown beside the numbers of another."""
    monkeypatch.setenv("BALANSKONTO_LANG", "en")  # reads the English message
    ds = without_factors.copy()
    ds.attrs["config_toml"] = ds.attrs["config_toml"].replace("amount = 188300", "amount = 1")
    result = write_netcdf(ds, tmp_path / "tampered.nc")
    assert report_cli.main([str(result), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "config_toml: its SHA-256 is not the config_sha256 stored with the results" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tampered.nc"]


def test_a_config_text_that_does_not_parse_is_refused(without_factors, tmp_path):
    """It gave exit 0 and an empty assumptions table."""
    ds = without_factors.copy()
    ds.attrs["config_toml"] = "[simulation\nyears = 10\n"
    ds.attrs["config_sha256"] = hashlib.sha256(ds.attrs["config_toml"].encode()).hexdigest()
    with pytest.raises(ReportError, match=r"config_toml: not a config .* not valid TOML"):
        report(ds, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_a_result_of_zeros_is_drawn_without_warnings(tmp_path):
    """No arrivals: every tail contribution is 0, and matplotlib warned of identical axis
    limits (a UserWarning on the terminal)."""
    text = (CONFIGS / "sodertalje_2008.toml").read_text(encoding="utf-8")
    text = text.replace("per_year = [1300, 1300, 1300]", "per_year = 0")
    ds = bk.simulate(parse_config(text), runs=20)
    assert (report(ds, tmp_path / "out", formats=("md",))["md"]).is_file()


def test_a_figure_for_every_section(written, written_no_factors):
    for paths, keys in (
        (written["sv"], content.FIGURES),
        (written_no_factors, [k for k in content.FIGURES if k != "tornado"]),
    ):
        assert {k.removeprefix("figure:") for k in paths if k.startswith("figure:")} == {
            f"{k}.{suffix}" for k in keys for suffix in ("png", "svg")
        }
        for key in keys:
            png = paths[f"figure:{key}.png"].read_bytes()
            assert png.startswith(PNG_SIGNATURE)
            width = struct.unpack(">I", png[16:20])[0]
            assert width >= 1400  # 7 inches at 200 dpi
            assert paths[f"figure:{key}.svg"].read_text(encoding="utf-8").lstrip().startswith("<")


def test_without_factors_the_sensitivity_section_says_it_is_absent(
    without_factors, written_no_factors
):
    page = written_no_factors["html"].read_text(encoding="utf-8")
    assert "Känslighetsavsnittet saknas" in page
    assert "inga osäkerhetsfaktorer" in page
    english = " ".join(p.text for p in build(without_factors, "en").of_type(Paragraph))
    assert "The sensitivity section is absent" in english


def test_refuses_what_it_cannot_report(with_factors, tmp_path):
    with pytest.raises(ReportError, match="unknown format 'pdf'"):
        report(with_factors, tmp_path / "a", formats=("html", "pdf"))
    with pytest.raises(ReportError, match="unknown language"):
        report(with_factors, tmp_path / "b", lang="de")
    with pytest.raises(ReportError, match="batch"):
        report(with_factors.expand_dims(scenario=["bas"]), tmp_path / "c")
    with pytest.raises(ReportError, match="not a balanskonto simulation result"):
        report(bk.expected(bk.load_config(CONFIGS / "sodertalje_2008.toml")), tmp_path / "d")
    assert list(tmp_path.iterdir()) == []


def test_a_failure_leaves_nothing_behind(with_factors, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(word, "write", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        report(with_factors, tmp_path / "out", formats=("html", "docx"))
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------
# The assumptions table: values and their source comments
# --------------------------------------------------------------------------------------
def test_assumptions_take_the_comment_above_or_on_the_line():
    text = """# opening words
# of the file

[meta]
title = "A # not a comment"

[balance]
# the balance at the start
# (two lines)
opening = 6_000_000   # and the line's own

[arrivals]
per_year = [
  100,  # first year
  200,
]
mix = { adult = 1.0 }
# a comment above a table is no key's

[uncertainty.shares]
"groups.adult.relocation.annual_probability" = { min = 0.1, max = 0.2 }  # quoted key

[[policy]]
factor = 0.9
[[policy]]
factor = 0.8   # second
"""
    rows = {a.key: a for a in parse_assumptions(text)}
    assert rows["meta.title"].value == "A # not a comment"
    assert rows["meta.title"].source == ""
    assert rows["balance.opening"].value == 6_000_000
    both = "the balance at the start (two lines) and the line's own"
    assert rows["balance.opening"].source == both
    assert rows["arrivals.per_year"].value == [100, 200]
    assert rows["arrivals.per_year"].source == "first year"
    assert rows["arrivals.mix"].source == ""
    key = 'uncertainty.shares."groups.adult.relocation.annual_probability"'
    assert rows[key].value == {"min": 0.1, "max": 0.2} and rows[key].source == "quoted key"
    assert rows["policy[0].factor"].value == 0.9
    assert rows["policy[1].factor"].source == "second"
    assert opening_comment(text) == "opening words of the file"
    assert split_comment("a = 'x#y' # z") == ("a = 'x#y' ", "z")


def test_the_example_configs_every_key_is_in_the_table(with_factors):
    doc = build(with_factors, "sv")
    table = next(t for t in doc.of_type(Table) if t.key == "assumptions")
    keys = {row[1]: row for row in table.rows}
    written = parse_assumptions(with_factors.attrs["config_toml"])
    # every key but where the population's rows came from; the rows summed up in one line
    assert set(keys) == {a.key for a in written} - {"population.source_file"}
    assert keys["population.rows"][2].startswith("180 personer i ")
    assert keys["balance.opening"][3].startswith("ASSUMPTION: the balance account")
    assert keys["indexation.costs"][2] == 0.02
    assert keys["simulation.runs"][3].endswith(f"(körningen använde {RUNS})")


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------
def test_cli_missing_file_exit_2_nothing_written(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BALANSKONTO_LANG", "en")  # reads the English message
    out = tmp_path / "out"
    assert report_cli.main([str(tmp_path / "missing.nc"), "--out", str(out)]) == 2
    assert "no such result file" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_cli_unreadable_file_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BALANSKONTO_LANG", "en")  # reads the English message
    bad = tmp_path / "bad.nc"
    bad.write_text("not netcdf", encoding="utf-8")
    assert report_cli.main([str(bad)]) == 2
    assert "cannot read it as a NetCDF result" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.nc"]


@pytest.mark.parametrize("args", [["--format", "html,pdf"], ["--format", ""], ["--lang", "de"]])
def test_cli_bad_arguments_exit_2(tmp_path, capsys, args):
    with pytest.raises(SystemExit) as exit_info:
        report_cli.main([str(tmp_path / "r.nc"), *args])
    assert exit_info.value.code == 2
    assert "fel:" in capsys.readouterr().err  # Swedish by default
    assert list(tmp_path.iterdir()) == []


def test_cli_writes_next_to_the_result(without_factors, tmp_path, capsys):
    result = write_netcdf(without_factors, tmp_path / "sodertalje.nc")
    assert report_cli.main([str(result), "--format", "xlsx,md", "--lang", "en"]) == 0
    out = tmp_path / "sodertalje_rapport"
    assert (out / "risk_appendix.xlsx").is_file() and (out / "risk_appendix.md").is_file()
    assert not (out / "risk_appendix.html").exists()
    assert f"wrote {out / 'risk_appendix.xlsx'}" in capsys.readouterr().out
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_cli_as_a_balanskonto_subcommand(tmp_path):
    from balanskonto import cli

    if "report" not in cli._parser().format_help():
        pytest.skip("balanskonto.cli does not wire the report command yet")
    assert cli.main(["report", str(tmp_path / "missing.nc")]) == 2


def test_main_assumptions_in_words_and_the_listing_in_the_annex(with_factors):
    doc = build(with_factors, "sv")
    blocks = list(doc.blocks)
    main = next(b for b in blocks if isinstance(b, Table) and b.key == "main_assumptions")
    full = next(b for b in blocks if isinstance(b, Table) and b.key == "assumptions")
    annex = next(i for i, b in enumerate(blocks) if getattr(b, "text", "").startswith("Bilaga"))
    provenance = next(i for i, b in enumerate(blocks) if getattr(b, "text", "") == "Ursprung")
    assert blocks.index(main) < provenance < annex < blocks.index(full)
    assert [c.label for c in main.columns] == ["Antagande", "Värde", "Källa"]
    sources = parse_config(with_factors.attrs["config_toml"]).meta.sources
    assert len(main.rows) == len(sources) >= 5
    for (label, value, source), key in zip(main.rows, sources, strict=True):
        assert "." not in label.replace("Antagande:", "") or " " in label
        assert key not in label and "{" not in value and "_" not in value
        assert source == sources[key]
    rows = {r[0]: r[1] for r in main.rows}
    assert rows["Ingående saldo"] == "6,0\u00a0Mkr"
    assert rows["Övergångar från etablering, vuxna"].startswith("→ egen försörjning, andel 35")
    assert any(r[1].startswith("meta.sources") for r in full.rows)  # the annex lists every key


def test_without_meta_sources_the_main_table_takes_the_usual_keys(without_factors):
    doc = build(without_factors, "en")
    main = next(b for b in doc.of_type(Table) if b.key == "main_assumptions")
    assert main.rows and main.rows[0][0] == "Opening balance"


def test_the_page_has_a_phone_variant_of_every_figure(written):
    page = written["sv"]["html"].read_text(encoding="utf-8")
    figures_shown = page.count("<figure>")
    assert figures_shown >= 7
    assert page.count('<picture><source media="(max-width: 40rem)" srcset="data:image/png') == (
        figures_shown
    )
    assert not any(".narrow" in str(p) for p in written["sv"].values())


def test_the_output_of_balanskonto_sensitivity_gives_the_swings(with_factors, tmp_path):
    from balanskonto.analysis.sensitivity import report as sensitivity_report

    config = bk.load_config(CONFIGS / "exempel_2026.toml")
    sens = sensitivity_report(config, runs=20, seed=1, swing_runs=20)
    write_netcdf(sens, tmp_path / "sens.nc")
    result = tmp_path / "r.nc"
    write_netcdf(with_factors, result)
    code = report_cli.main([str(result), "--sensitivity", str(tmp_path / "sens.nc"),
                            "--format", "md", "--out", str(tmp_path / "out")])  # fmt: skip
    assert code == 0
    text = (tmp_path / "out" / "riskbilaga.md").read_text(encoding="utf-8")
    assert "flyttas mest av" in text and "Om policyändringen genomförs" in text


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_contracted_places_are_a_count_not_kronor(lang):
    """configs/nacka_2018.toml's flats in the main assumptions: the places are a number of
    places (they read "213 kr; 510 kr" before), the price per place is in kronor."""
    from balanskonto.report.main_assumptions import words

    value = {"places": [213, 510], "per_month": 3500}
    shown = words("fixed.contracted.genomgangsbostader", value, lang).replace("\u00a0", " ")
    places, price = shown.split(", ")
    assert places.endswith(" 213; 510"), shown
    assert price.endswith("3 500 kr" if lang == "sv" else "SEK 3,500"), shown
