"""P(deficit) = 0 in the appendix (defect 5 of issue 10): where no run is in deficit the
tables show the 95 % Wilson bound ("< 1,9 %" for 200 runs), not "0,0 %" with a standard
error of 0; the workbook keeps the number."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import balanskonto as bk
from balanskonto.report import build
from balanskonto.report.document import Table, cell_text
from balanskonto.results.convergence import deficit_bound, wilson_interval

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.fixture(scope="module")
def never_in_deficit():
    ds = bk.simulate(bk.load_config(CONFIGS / "nacka_2018.toml"), runs=200, seed=3)
    assert float(ds["p_deficit"].max()) == 0.0  # the case under test
    return ds


@pytest.mark.parametrize(("lang", "shown"), [("sv", "< 1,9\u00a0%"), ("en", "< 1.9%")])
def test_no_run_in_deficit_shows_the_wilson_bound(never_in_deficit, lang, shown):
    upper = wilson_interval(0.0, 200)[1]  # 3.84 / 203.84 = 1.88 %, rounded up to 1.9 %
    assert deficit_bound(0.0, 200) == ("<", np.ceil(1000 * upper) / 10) == ("<", 1.9)
    tables = {t.key: t for t in build(never_in_deficit, lang).of_type(Table)}
    for key, p_col, se_col in (("quantiles", -1, None), ("deficit", 1, 2)):
        table = tables[key]
        for row in table.rows[: never_in_deficit.sizes["year"]]:
            assert cell_text(row[p_col], "share", lang) == shown
            assert float(row[p_col]) == 0.0  # the workbook stores the number
            if se_col is not None:
                assert cell_text(row[se_col], "share", lang) == "–"


def test_a_share_inside_zero_and_one_is_shown_as_it_is():
    assert deficit_bound(0.3, 200) is None
    assert deficit_bound(1.0, 2000) == (">", 99.8)
