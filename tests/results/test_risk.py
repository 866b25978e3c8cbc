"""Path risk and tail attribution (balanskonto.results.risk): depletion-year distribution, reserve
needed, and each component's share of the gap between the bad runs and the median runs."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from balanskonto.results.convergence import quantile_standard_error
from balanskonto.results.risk import (
    depletion_distribution,
    reserve_needed,
    reserve_needed_standard_error,
    tail_attribution,
)

YEARS = [2026, 2027, 2028]
EPS = np.finfo(float).eps


def random_paths(runs: int, years: int, components: int, seed: int, opening: float = 2e6):
    """Dataset-like run-level arrays (SEK): revenue and cost by component, and the balance
    built from them as in `balanskonto.results` (opening + cumulative net)."""
    rng = np.random.default_rng(seed)
    revenue = rng.lognormal(np.log(1e6), 0.3, size=(runs, years, components))
    cost = rng.lognormal(np.log(1e6), 0.35, size=(runs, years, components))
    revenue[..., 0] = 0.0  # a cost-only component
    cost[..., -1] = 0.0  # a revenue-only component
    net = revenue.sum(axis=-1) - cost.sum(axis=-1)
    balance = opening + np.cumsum(net, axis=-1)
    return balance, revenue, cost


# --- depletion distribution --------------------------------------------------------------


def test_depletion_distribution_by_hand():
    balance = xr.DataArray(
        [
            [10.0, 0.0, 5.0],  # never negative (0 is not a deficit)
            [-1.0, -2.0, -3.0],  # first negative in 2026
            [5.0, -1.0, 4.0],  # negative in 2027, recovers: counts once, in 2027
            [3.0, 2.0, -0.5],  # first negative in 2028
            [1.0, 1.0, 1.0],  # never
        ],
        dims=("run", "year"),
        coords={"year": YEARS},
    )
    ds = depletion_distribution(balance)
    assert ds.attrs["runs"] == 5
    assert ds["year"].values.tolist() == YEARS
    np.testing.assert_array_equal(ds["p_first_depletion"].values, [0.2, 0.2, 0.2])
    np.testing.assert_array_equal(ds["p_depleted_by"].values, [0.2, 0.4, 0.6])
    assert float(ds["p_never"]) == 0.4
    for name in ("p_first_depletion", "p_never", "p_depleted_by"):
        assert ds[name].attrs["units"] == "1"
    # the same from a numpy array, with the years given, and with the dims in another order
    from_numpy = depletion_distribution(balance.values, YEARS)
    xr.testing.assert_identical(from_numpy, ds)
    xr.testing.assert_identical(depletion_distribution(balance.T), ds)


def test_depletion_distribution_identities_on_random_paths():
    balance, _, _ = random_paths(runs=400, years=8, components=4, seed=21, opening=1e6)
    ds = depletion_distribution(balance)
    assert ds["year"].values.tolist() == list(range(8))  # positions for a numpy array
    total = float(ds["p_first_depletion"].sum() + ds["p_never"])
    assert total == pytest.approx(1.0, abs=1e-12)  # shares of 400 runs: rounding only
    # the first negative year as results.py computes `depletion_year`
    negative = balance < 0
    first = np.where(negative.any(axis=1), np.argmax(negative, axis=1), -1)
    for y in range(8):
        assert ds["p_first_depletion"].values[y] == np.mean(first == y)
        assert ds["p_depleted_by"].values[y] == np.mean((first >= 0) & (first <= y))
    # depleted by a year is at least in deficit in that year (p_deficit), and some paths
    # recover, so here it is strictly more in a later year
    p_deficit = negative.mean(axis=0)
    assert np.all(ds["p_depleted_by"].values >= p_deficit)
    assert ds["p_depleted_by"].values[-1] > p_deficit[-1]
    assert ds["p_depleted_by"].values[-1] == pytest.approx(1 - float(ds["p_never"]), abs=1e-12)


# --- reserve needed ----------------------------------------------------------------------


def constructed_balance(opening: float = 100.0) -> np.ndarray:
    """10 runs, 2 years. Run r falls d_r = 10 r below the opening in year 0; in year 1 odd
    runs fall to 2 d_r below it and even runs recover to 50 above it. Needs (R per run):
    year 0: d = 0, 10, …, 90; through year 1: 2 d for odd runs, d for even runs, i.e. sorted
    0, 20, 20, 40, 60, 60, 80, 100, 140, 180."""
    d = 10.0 * np.arange(10)
    year1 = np.where(np.arange(10) % 2 == 1, -2 * d, 50.0)
    return opening + np.column_stack([-d, year1])


def safe_runs(balance, opening, reserve, through):
    """Runs with no negative year-end balance up to position `through` with opening `reserve`."""
    shifted = balance - opening + reserve
    return int((shifted[:, : through + 1] >= 0).all(axis=1).sum())


def test_reserve_needed_by_hand():
    balance = constructed_balance()
    reserve = reserve_needed(balance, 100.0, levels=(0.5, 0.9, 0.95))
    assert reserve.dims == ("level", "year")
    assert reserve.attrs["units"] == "SEK"
    assert reserve.attrs["runs"] == 10
    # k = ceil(level · 10) = 5, 9, 10 → the 5th, 9th and 10th smallest needs
    np.testing.assert_array_equal(reserve.sel(year=0).values, [40.0, 80.0, 90.0])
    np.testing.assert_array_equal(reserve.sel(year=1).values, [60.0, 140.0, 180.0])
    # with 140 kr, the one run needing 180 is the 10 % that goes negative through year 1
    assert safe_runs(balance, 100.0, 140.0, through=1) == 9
    assert safe_runs(balance, 100.0, 139.0, through=1) == 8
    # one level and one year: no level or year dim
    assert float(reserve_needed(balance, 100.0, levels=0.9, through=1)) == 140.0
    # the reserve does not depend on the opening the paths were simulated with
    shifted = constructed_balance(opening=-3e5)
    xr.testing.assert_identical(reserve_needed(shifted, -3e5, levels=(0.5, 0.9, 0.95)), reserve)


def test_reserve_standard_error_is_that_of_a_quantile_of_the_running_shortfall():
    """The reserve is the level-quantile of each run's shortfall below its opening, with the
    running minimum: an even run that recovers in year 1 still needs its year-0 amount."""
    balance = constructed_balance()
    se = reserve_needed_standard_error(balance, 100.0, levels=(0.5, 0.9, 0.95))
    assert se.dims == ("level", "year") and se.attrs["units"] == "SEK"
    d = 10.0 * np.arange(10)
    need = np.column_stack([d, np.where(np.arange(10) % 2 == 1, 2 * d, d)])
    for i, level in enumerate((0.5, 0.9, 0.95)):
        np.testing.assert_array_equal(se.values[i], quantile_standard_error(need, level))
    assert (se.values > 0).all()
    # one level: no level dim; the opening the paths were simulated with does not matter
    np.testing.assert_array_equal(
        reserve_needed_standard_error(constructed_balance(-3e5), -3e5, levels=0.9).values,
        se.sel(level=0.9).values,
    )


def test_reserve_is_zero_when_no_path_falls_below_its_opening():
    rng = np.random.default_rng(22)
    # opening 0 and only surpluses: no run ever goes negative
    balance = np.cumsum(rng.uniform(0.0, 1e5, size=(50, 5)), axis=1)
    reserve = reserve_needed(balance, 0.0, levels=(0.5, 0.9, 0.99, 1.0))
    np.testing.assert_array_equal(reserve.values, 0.0)
    # ties at zero: 7 of 10 runs never dip, so any level up to 0.7 needs no reserve
    balance = 100.0 + np.array([[0.0, 5, 10, 15, 20, 25, 30, -10, -20, -30]]).T  # needs 0 ×7, 10…
    reserve = reserve_needed(balance, 100.0, levels=(0.7, 0.8), through=0)
    np.testing.assert_array_equal(reserve.values, [0.0, 10.0])


def test_reserve_at_most_opening_when_balance_never_negative():
    rng = np.random.default_rng(23)
    opening = 5e5
    net = rng.normal(0.0, 1e5, size=(200, 6))
    balance = opening + np.cumsum(net, axis=1)
    keep = (balance >= 0).all(axis=1)
    reserve = reserve_needed(balance[keep], opening, levels=(0.9, 1.0))
    assert keep.sum() > 100  # the check below is about many runs
    assert (reserve.values <= opening).all()


@pytest.mark.parametrize(("runs", "seed"), [(37, 24), (1000, 25)])
def test_reserve_guarantee_and_minimality_on_random_paths(runs, seed):
    opening = 1e6
    rng = np.random.default_rng(seed)
    balance = opening + np.cumsum(rng.normal(-1e5, 4e5, size=(runs, 10)), axis=1)
    levels = (0.5, 0.8, 0.9, 0.95, 0.99, 1.0)
    reserve = reserve_needed(balance, opening, levels=levels)
    assert reserve.shape == (len(levels), 10)
    # more years and a higher level never need less
    assert (np.diff(reserve.values, axis=1) >= 0).all()
    assert (np.diff(reserve.values, axis=0) >= 0).all()
    for i, level in enumerate(levels):
        for y in range(10):
            r = float(reserve.values[i, y])
            # at most a share 1 − level of the runs has a negative year end through y; the
            # 1e-9 only absorbs the float rounding of level · runs (0.95 · 20 = 19 − 1 ulp)
            bad = runs - safe_runs(balance, opening, r, through=y)
            assert bad <= (1 - level) * runs + 1e-9
            if r > 0:  # minimal: one krona less leaves fewer than level · runs safe
                assert safe_runs(balance, opening, r - 1.0, through=y) < level * runs - 1e-9


def test_reserve_with_dataarray_and_through():
    balance = xr.DataArray(
        constructed_balance(), dims=("run", "year"), coords={"year": [2026, 2027]}
    ).T  # dims in the other order
    reserve = reserve_needed(balance, 100.0, through=2027)
    assert reserve.dims == ("level",)
    np.testing.assert_array_equal(reserve["level"].values, [0.9, 0.95])
    np.testing.assert_array_equal(reserve.values, [140.0, 180.0])
    both = reserve_needed(balance, 100.0, levels=0.5, through=[2026, 2027])
    assert both.dims == ("year",)
    np.testing.assert_array_equal(both.values, [40.0, 60.0])
    with pytest.raises(ValueError, match="levels"):
        reserve_needed(balance, 100.0, levels=(0.0, 0.9))


# --- tail attribution --------------------------------------------------------------------


def constructed_components():
    """21 runs, 2 years, components a (revenue), b (cost), c (cost).

    2026: a = 1000 for every run, b = 50 (20 − r), c = 7 for runs 0 and 1 only, so the balance
    rises with r: the 5 % tail (order statistic ⌊0.05 · 20⌋ = 1) is runs 0 and 1, and the
    median band (ranks 0.45 · 20 = 9 to 0.55 · 20 = 11) is runs 9, 10 and 11.
    2027: a = 10⁶ r, which keeps the order and must not count for 2026.
    """
    runs = np.arange(21)
    revenue = np.zeros((21, 2, 3))
    cost = np.zeros((21, 2, 3))
    revenue[:, 0, 0] = 1000.0
    cost[:, 0, 1] = 50.0 * (20 - runs)
    cost[:2, 0, 2] = 7.0
    revenue[:, 1, 0] = 1e6 * runs
    coords = {"year": [2026, 2027], "component": ["a", "b", "c"]}
    revenue = xr.DataArray(revenue, dims=("run", "year", "component"), coords=coords)
    cost = xr.DataArray(cost, dims=("run", "year", "component"), coords=coords)
    net = revenue.sum("component") - cost.sum("component")
    balance = 500.0 + net.cumsum("year")
    return balance, revenue, cost


def test_tail_attribution_by_hand():
    balance, revenue, cost = constructed_components()
    attribution = tail_attribution(balance, revenue, cost, 2026)
    assert attribution.dims == ("component",)
    assert attribution["component"].values.tolist() == ["a", "b", "c"]
    # b: tail −(1000 + 950)/2 = −975, median −(550 + 500 + 450)/3 = −500; c: −7 in the tail only
    np.testing.assert_array_equal(attribution.values, [0.0, -475.0, -7.0])
    assert attribution.attrs["n_tail"] == 2
    assert attribution.attrs["n_median"] == 3
    assert attribution.attrs["units"] == "SEK"
    assert attribution.attrs["year"] == 2026
    assert attribution.attrs["tail_threshold"] == 500.0 + 1000.0 - 950.0 - 7.0
    # balances: tail 500 + 1000 − 975 − 7 = 518, median 500 + 1000 − 500 = 1000
    assert attribution.attrs["balance_gap"] == 518.0 - 1000.0 == attribution.values.sum()
    # through 2027, a's 10⁶ r counts: tail mean 0.5 · 10⁶, median mean 10 · 10⁶
    later = tail_attribution(balance, revenue, cost, 2027)
    np.testing.assert_array_equal(later.values, [-9.5e6, -475.0, -7.0])
    # numpy arrays: the same numbers, with positions for year and component
    plain = tail_attribution(balance.values, revenue.values, cost.values, 0)
    np.testing.assert_array_equal(plain.values, attribution.values)
    assert plain["component"].values.tolist() == [0, 1, 2]


def test_tail_attribution_ties_and_small_samples():
    # constant runs: every run is in both sets and nothing is attributed
    revenue = np.full((30, 3, 2), 100.0)
    cost = np.full((30, 3, 2), 80.0)
    balance = 10.0 + np.cumsum((revenue - cost).sum(axis=-1), axis=1)
    flat = tail_attribution(balance, revenue, cost, 2)
    assert flat.attrs["n_tail"] == flat.attrs["n_median"] == 30
    np.testing.assert_array_equal(flat.values, 0.0)
    # 4 runs: the 10 % band (ranks 1.35 … 1.65) holds no rank, so it widens to ranks 1 and 2
    cost = np.zeros((4, 1, 1))
    cost[:, 0, 0] = [40.0, 10.0, 30.0, 20.0]
    balance = -cost.sum(axis=-1)
    small = tail_attribution(balance, np.zeros_like(cost), cost, 0)
    assert small.attrs["n_tail"] == 1 and small.attrs["n_median"] == 2
    assert small.values.tolist() == [-40.0 + 25.0]
    with pytest.raises(ValueError, match="tail"):
        tail_attribution(balance, np.zeros_like(cost), cost, 0, tail=0.5)


@pytest.mark.parametrize("seed", [31, 32])
def test_tail_attribution_sums_to_the_balance_gap(seed):
    balance, revenue, cost = random_paths(runs=500, years=6, components=5, seed=seed)
    # rounding bound: the sums behind each side add fewer than 1000 terms, none larger than
    # the largest cumulative amount M, so they agree to 1000 ulps of M (about 2e-5 SEK here)
    scale = np.abs(balance).max() + np.abs(np.cumsum(revenue + cost, axis=1)).max()
    for year in range(6):
        for tail in (0.05, 0.1, 0.25):
            attribution = tail_attribution(balance, revenue, cost, year, tail=tail)
            gap = attribution.attrs["balance_gap"]
            assert attribution.values.sum() == pytest.approx(gap, abs=1000 * EPS * scale)
            assert gap < 0  # the tail is below the median
            # the sets are those of numpy's linear quantiles (continuous data: no ties)
            b = balance[:, year]
            assert attribution.attrs["n_tail"] == np.sum(b <= np.quantile(b, tail))
            in_band = (b >= np.quantile(b, 0.45)) & (b <= np.quantile(b, 0.55))
            assert attribution.attrs["n_median"] == in_band.sum()
            tail_mean = b[b <= np.quantile(b, tail)].mean()
            assert attribution.attrs["mean_balance_tail"] == pytest.approx(tail_mean, rel=1e-12)


def test_tail_attribution_dataarray_dims_in_any_order():
    balance, revenue, cost = random_paths(runs=200, years=4, components=3, seed=33)
    coords = {"year": [2026, 2027, 2028, 2029], "component": ["x", "y", "z"]}
    rev = xr.DataArray(revenue, dims=("run", "year", "component"), coords=coords)
    cst = xr.DataArray(cost, dims=("run", "year", "component"), coords=coords)
    bal = xr.DataArray(balance, dims=("run", "year"), coords={"year": coords["year"]})
    expected = tail_attribution(balance, revenue, cost, 2)
    got = tail_attribution(bal.T, rev.transpose("component", "run", "year"), cst, 2028)
    assert got["component"].values.tolist() == ["x", "y", "z"]
    np.testing.assert_array_equal(got.values, expected.values)
    with pytest.raises(ValueError, match="same years"):
        tail_attribution(bal, rev, cst.assign_coords(year=[2030, 2031, 2032, 2033]), 2028)
