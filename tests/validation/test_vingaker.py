"""Vingåker 2017 (seed 002): the integration unit's budget table (section 3.4), in tkr.

"Summa intäkter", "Summa kostnader" and "Netto" come from fixed items and the schablon of
50 arrivals a year, and must match to the table's rounding (± 1 tkr). "Netto inkl. effekt
statsbidr. vuxna" adds 9 tkr a year per resident adult; the table counts an arrival year as
half a year, the model counts months, so it is matched within 10 %.
"""

from __future__ import annotations

import numpy as np
import pytest

import balanskonto as bk

TKR = 1000.0
SUMMA_INTAKTER = [9094, 8494, 6894, 6794, 6794, 6794, 6794, 6794]
SUMMA_KOSTNADER = [8886] * 8
NETTO = [208, -391, -1991, -2091, -2091, -2091, -2091, -2091]
NETTO_INKL_STATSBIDRAG = [343, -51, -1446, -1341, -1136, -930, -725, -520]
ANTAL_KVARBOENDE = [25, 63, 101, 139, 177, 215, 253, 291]


@pytest.fixture(scope="module")
def budget(vingaker):
    return bk.expected(vingaker)


def test_years_are_the_budget_years(budget):
    assert budget["year"].values.tolist() == list(range(2018, 2026))


def test_summa_intakter(budget):
    revenue = budget["revenue"].drop_sel(component="statsbidrag").sum("component") / TKR
    np.testing.assert_allclose(revenue, SUMMA_INTAKTER, atol=1.0)
    # the schablon line: 50 arrivals × 126 400 kr = 6 320 tkr every year (OCR "6 20" in year 8)
    np.testing.assert_allclose(budget["revenue"].sel(component="schablon") / TKR, 6320, atol=1e-9)


def test_summa_kostnader(budget):
    np.testing.assert_allclose(budget["cost"].sum("component") / TKR, SUMMA_KOSTNADER, atol=1.0)


def test_netto(budget):
    netto = budget["net"] - budget["revenue"].sel(component="statsbidrag")
    np.testing.assert_allclose(netto / TKR, NETTO, atol=1.0)


def test_netto_including_general_grants_within_10_percent(budget):
    np.testing.assert_allclose(budget["net"] / TKR, NETTO_INKL_STATSBIDRAG, rtol=0.10)


def test_residents_follow_antal_kvarboende(budget):
    """The relocation window was chosen to reproduce this row (see the config); like the
    grants effect it rests on the half-year convention, so it is held to the same 10 %."""
    py = budget["person_years"]
    residents = (py.sum("state") - py.sel(state="relocated")).sum("group")
    np.testing.assert_allclose(residents, ANTAL_KVARBOENDE, rtol=0.10)


def test_opening_balance_covers_the_eight_years(budget):
    # the document: funds for 8 years with the present balance (an assumption in the config)
    assert float(budget["balance"].min()) > 0
