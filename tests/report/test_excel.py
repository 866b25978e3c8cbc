"""The workbook as an Excel user wants it (issue 14, item 11): years as numbers, one term
(percentiler), no floating-point noise, every sheet an Excel table with a print set-up; and
the components that add up (item 7)."""

from __future__ import annotations

import numbers

import numpy as np
import openpyxl
import pytest

import balanskonto as bk
from balanskonto.report import build, report, tables
from balanskonto.report.data import collect
from balanskonto.report.document import Table, cell_text

from conftest import CONFIGS

#: The total rows of the components table.
SUMS = ("Summa intäkter", "Summa kostnader", "Netto (intäkter − kostnader)")


@pytest.fixture(scope="module")
def ds():
    return bk.simulate(bk.load_config(CONFIGS / "exempel_2026.toml"), runs=60)


@pytest.fixture(scope="module")
def workbook(ds, tmp_path_factory):
    path = report(ds, tmp_path_factory.mktemp("xlsx") / "r", formats=("xlsx",))["xlsx"]
    return openpyxl.load_workbook(path)


def test_years_are_numbers_in_every_sheet(workbook):
    for ws in workbook.worksheets:
        header = [c.value for c in ws[2]]
        for c in header:
            assert not (isinstance(c, str) and c.isdigit()), (ws.title, c)  # no "2026" as text
        if header[0] in ("År", "Year"):
            years = [r[0] for r in ws.iter_rows(min_row=3, values_only=True) if r[0] != "aldrig"]
            assert years and all(isinstance(y, int) for y in years), ws.title


def test_one_term_for_percentiles(workbook):
    assert "Percentiler" in workbook.sheetnames
    assert not any("vantil" in name for name in workbook.sheetnames)


def test_no_floating_point_noise(workbook):
    for ws in workbook.worksheets:
        for row in ws.iter_rows(min_row=3, values_only=True):
            for v in row:
                if isinstance(v, float):
                    assert v == 0 or abs(v) >= 1e-9, (ws.title, v)


def test_every_sheet_is_an_excel_table_printed_landscape_on_one_width(workbook):
    names = set()
    for ws in workbook.worksheets:
        assert len(ws.tables) == 1, ws.title
        table = next(iter(ws.tables.values()))
        assert table.ref.startswith("A2:")
        names.add(table.displayName)
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
        header = [c.value for c in ws[2]]
        assert all(isinstance(h, str) and h for h in header)
        assert len({h.lower() for h in header}) == len(header)
    assert len(names) == len(workbook.worksheets)


def test_the_components_add_up(ds):
    """Each side's rows add up to its total row, and revenue − cost to the net (means)."""
    doc = build(ds, "sv")
    table = next(t for t in doc.of_type(Table) if t.key == "components")
    rows = table.rows
    for side in ("Intäkter", "Kostnader"):
        parts = [r for r in rows if r[0] == side]
        *items, total = parts
        np.testing.assert_allclose(np.sum([r[2:] for r in items], axis=0), total[2:], rtol=1e-9)
    revenue = next(r for r in rows if r[1] == "Summa intäkter")
    cost = next(r for r in rows if r[1] == "Summa kostnader")
    net = rows[-1]
    np.testing.assert_allclose(np.subtract(revenue[2:], cost[2:]), net[2:], rtol=1e-9, atol=1e-6)
    assert "medelvärde" in table.caption and "summerar" in table.note
    assert all(isinstance(v, numbers.Real) for v in net[2:])


def test_the_components_add_up_as_shown(ds):
    """The whole tkr the reader sees add up: each side's rows to its total, the totals to the
    net; and no shown number is a whole tkr or more from the mean it stands for."""
    table = next(t for t in build(ds, "sv").of_type(Table) if t.key == "components")
    kinds = [c.kind for c in table.columns]

    def shown(row):
        cells = [cell_text(v, k, "sv") for v, k in zip(row, kinds, strict=True)][2:]
        return np.array([float(c.replace("\u2212", "-").replace("\u00a0", "")) for c in cells])

    rows = table.rows
    for side in ("Intäkter", "Kostnader"):
        *items, total = [r for r in rows if r[0] == side]
        np.testing.assert_array_equal(np.sum([shown(r) for r in items], axis=0), shown(total))
    revenue, cost, net = (next(r for r in rows if r[1] == k) for k in SUMS)
    np.testing.assert_array_equal(shown(revenue) - shown(cost), shown(net))
    exact = {r[1]: np.array(r[2:]) for r in tables._component_rows(collect(ds), "sv")}
    for row in rows:
        assert np.all(np.abs(shown(row) - exact[row[1]] / 1000) < 1), row[1]
    assert "hela tkr" in table.note
