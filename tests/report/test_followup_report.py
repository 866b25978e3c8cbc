"""The appendix's follow-up and change-of-forecast sections (report/followup.py): every number
in their sentences is a named quantity whose value is the Dataset's, written the language's
way; no digit is left once the quoted numbers and labels are taken out; a result without
factors says so; the files carry the new figures and sheets."""

from __future__ import annotations

import re

import numpy as np
import pytest

from balanskonto.analysis.followup import followup
from balanskonto.report import build, report
from balanskonto.report.document import Heading, Paragraph
from balanskonto.report.followup import _format
from balanskonto.report.i18n import text

from actuals_cases import actual_rows, as_actuals, example_result, specs_for


@pytest.fixture(scope="module")
def results():
    ds = example_result(400, 1, monthly=True)
    earlier = example_result(400, 5)
    actuals = as_actuals(ds, actual_rows(ds, 3, specs_for("2026", "2027")))
    return ds, earlier, followup(ds, actuals)


def _section(doc, first: str, last: str | None):
    """The blocks from the heading ``first`` up to (not including) the heading ``last``."""
    texts = [b.text if isinstance(b, Heading) and b.level == 2 else None for b in doc.blocks]
    start = texts.index(first)
    end = texts.index(last) if last in texts else len(texts)
    return doc.blocks[start:end]


def _parse(name: str) -> tuple[str, dict]:
    m = re.fullmatch(r"(?P<src>[^\[]+)(?:\[(?P<sel>.*)\])?", name)
    sel = {}
    for part in filter(None, (m["sel"] or "").split(",")):
        key, value = part.split("=")
        sel[key] = float(value) if "." in value else int(value) if value.isdigit() else value
    return m["src"], sel


def _look_up(name: str, ds, earlier, fu) -> float:
    """The value of the quantity ``name``, looked up in the Datasets by its name alone."""
    source, sel = _parse(name)
    sel.pop("nominal", None)
    if source.startswith("followup.attrs."):
        key = source.removeprefix("followup.attrs.")
        return fu.sizes["actual"] if key == "actuals" else fu.attrs[key]
    if source == "followup.band":
        return sel["band"]
    if source == "followup.outside_band":
        return int((~fu["inside_band"].sel(band=sel["band"])).sum())
    if source == "change.balance_quantile":
        return _look_up(name.replace("change.", ""), ds, earlier, fu) - _look_up(
            name.replace("change.", "earlier."), ds, earlier, fu
        )
    if source == "year":
        return sel["year"]
    where = {"followup": fu, "earlier": earlier}.get(source.split(".")[0], ds)
    var = source.split(".", 1)[1] if "." in source else source
    return float(where[var].sel(**sel).item())


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_number_in_the_sections_is_its_named_quantity(results, lang):
    ds, earlier, fu = results
    doc = build(ds, lang, followup=fu, earlier=earlier)
    blocks = _section(doc, text("h_followup", lang), text("h_assumptions", lang))
    headings = [b.text for b in blocks if isinstance(b, Heading)]
    assert text("h_reforecast", lang) in headings
    sentences = [s for b in blocks if isinstance(b, Paragraph) for s in b.sentences]
    quoted = [q for s in sentences for q in s.quoted]
    assert len(quoted) > 15
    for name, shown in quoted:
        q = doc.quantities[name]
        assert _format(q, lang) == shown
        assert q.value == pytest.approx(_look_up(name, ds, earlier, fu), rel=1e-12, abs=1e-9), name
    for s in sentences:
        rest = s.text
        for _, shown in s.quoted:
            rest = rest.replace(shown, "", 1)
        for label in s.labels:
            rest = rest.replace(label, "")
        assert not any(c.isdigit() for c in rest), s.text


def test_the_labour_market_sentence_and_the_backtest(results):
    ds, _, fu = results
    doc = build(ds, "sv", followup=fu)
    words = " ".join(b.text for b in doc.blocks if isinstance(b, Paragraph))
    assert "arbetsmarknaden (z) 2026" in words
    assert "Inom 90\u00a0%-bandet ligger" in words
    keys = {t.key for t in doc.sheets}
    assert {"followup_money", "followup_counts", "followup_factors", "followup_backtest"} <= keys
    assert [f.key for f in doc.figures][-1] == "followup_fan"


def test_without_factors_the_section_says_so(sodertalje):
    import balanskonto as bk

    ds = bk.simulate(sodertalje, runs=100, seed=2)
    fu = followup(
        ds, as_actuals(ds, actual_rows(ds, 1, specs_for("2009", kinds=[("balance", "", "", "")])))
    )
    doc = build(ds, "en", followup=fu)
    words = " ".join(b.text for b in doc.blocks if isinstance(b, Paragraph))
    assert "stores no uncertainty factors" in words


def test_the_files_have_the_new_figures_and_sheets(results, tmp_path):
    import openpyxl

    ds, earlier, fu = results
    written = report(ds, tmp_path / "r", formats=("xlsx", "md"), followup=fu, earlier=earlier)
    assert {"figure:followup_fan.png", "figure:reforecast_fan.png"} <= set(written)
    book = openpyxl.load_workbook(written["xlsx"], read_only=True)
    assert {"Uppföljning", "Bakåttest", "Prognosförändring"} <= set(book.sheetnames)
    book.close()
    md = written["md"].read_text(encoding="utf-8")
    assert md.index("## Uppföljning mot utfall") < md.index("## Antaganden")
    assert np.isfinite(fu["crps"].values).all()
