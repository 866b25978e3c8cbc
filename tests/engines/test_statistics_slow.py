"""Long statistical runs (marked slow; `make test-slow`): the fast suite's checks with ten
times the runs, so that a bias of a fraction of a standard error in CI would show here."""

from __future__ import annotations

import pytest
from scipy import stats

import balanskonto as bk

from test_engines import P_MIN, assert_mean_agrees_with_expected

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("engine", "runs"), [("numba", 50_000), ("numpy", 3000)])
@pytest.mark.parametrize("name", ["sodertalje", "vingaker", "example"])
def test_mean_agrees_with_expected_every_year_long(request, name, engine, runs):
    assert_mean_agrees_with_expected(request.getfixturevalue(name), runs, 20261122, engine)


@pytest.mark.parametrize("name", ["sodertalje", "example"])
def test_engines_agree_in_distribution_long(request, name):
    config = request.getfixturevalue(name)
    last = [
        bk.simulate(config, runs=5000, seed=99, engine=e)["balance"].isel(year=-1).values
        for e in ("numba", "numpy")
    ]
    assert stats.ks_2samp(*last).pvalue > P_MIN
    assert stats.levene(*last).pvalue > P_MIN
