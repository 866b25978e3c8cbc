"""The worked example's synthetic actuals (configs/exempel_2026_utfall.csv): marked as
synthetic, made by the recipe in its comment, and accepted by ``balanskonto uppfoljning``."""

from __future__ import annotations

from pathlib import Path

import pytest

import balanskonto as bk
from balanskonto.analysis.followup import followup, forecast_values, scope_of
from balanskonto.config.actuals_files import read_actuals

from actuals_cases import example_result

ROOT = Path(__file__).resolve().parents[1]
ACTUALS = ROOT / "configs" / "exempel_2026_utfall.csv"


def test_the_file_says_it_is_synthetic():
    first = ACTUALS.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("#") and "SYNTETISKA" in first and "Synthetic" in first


def test_the_recipe_in_its_comment_gives_its_numbers():
    """One run, seed 4711, of the example with uncertainty.labour_market.mean = −1.0;
    amounts rounded to whole kronor, person-years to one decimal."""
    config = bk.load_config(ROOT / "configs" / "exempel_2026.toml")
    weak = config.with_overrides({"uncertainty.labour_market.mean": -1.0})
    truth = bk.simulate(weak, runs=1, seed=4711)
    actuals = read_actuals(ACTUALS, scope_of(truth))
    assert len(actuals) == 15 and actuals.periods == ("2026",)
    for a in actuals.rows:
        tolerance = 0.05 if a.variable == "person_years" else 0.5
        assert a.value == pytest.approx(forecast_values(truth, a)[0], abs=tolerance), a


def test_the_follow_up_of_the_example():
    """2 000 runs (the weighting needs about a thousand to read the labour market from 15
    actuals): the weak 2026 shows as a lower weighted z, by more than 3 standard errors."""
    ds = example_result(2000, 2026)
    fu = followup(ds, read_actuals(ACTUALS, scope_of(ds)))
    assert fu.sizes["actual"] == 15
    assert fu.attrs["factors_stored"] == 1
    at = {"year": 2026, "yearly_factor_name": "labour_market"}
    shift = fu["yearly_factor_weighted_mean"].sel(at) - fu["yearly_factor_prior_mean"].sel(at)
    assert shift.item() < -3 * fu["yearly_factor_weighted_se"].sel(at).item()
