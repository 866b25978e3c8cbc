"""Path risk and tail attribution, from the run-level arrays of the output Dataset.

A year-by-year ``p_deficit`` does not say when the account first runs dry, how large a reserve
would have kept it solvent, or what drives the bad runs. The functions here answer those
questions from ``balance(run, year)``, ``revenue(run, year, component)`` and
``cost(run, year, component)`` (DESIGN §3.5, §6), without re-simulating:

- `depletion_distribution`: the distribution of the depletion year (first year with a
  negative balance), and the probability of being depleted by each year.
- `reserve_needed`: the opening balance that keeps the account non-negative through a year
  with a given probability; `reserve_needed_standard_error`: its Monte Carlo standard error.
- `tail_attribution`: how much each component contributes to the gap between the bad runs and
  the typical (median) runs.

The functions are pure. They take xarray DataArrays (dims ``run``, ``year`` and, for revenue
and cost, ``component``, in any order) or numpy arrays with the axes in that order; for a numpy
array the year labels are 0 … Y − 1 and the component labels 0 … C − 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from .convergence import quantile_standard_error

__all__ = [
    "depletion_distribution",
    "reserve_needed",
    "reserve_needed_standard_error",
    "tail_attribution",
]


def _as_dataarray(x: Any, dims: tuple[str, ...], name: str) -> xr.DataArray:
    """``x`` as a DataArray with exactly ``dims``, in that order (float values)."""
    if isinstance(x, xr.DataArray):
        if set(x.dims) != set(dims):
            raise ValueError(f"{name}: dims must be {dims} (got {x.dims})")
        da = x.transpose(*dims)
        da = da.copy(data=np.asarray(da.values, dtype=float))
        missing = {d: np.arange(da.sizes[d]) for d in dims if d not in da.coords}
        return da.assign_coords(missing) if missing else da
    values = np.asarray(x, dtype=float)
    if values.ndim != len(dims):
        raise ValueError(f"{name}: expected a {len(dims)}-D array {dims} (got {values.ndim}-D)")
    coords = {d: np.arange(size) for d, size in zip(dims, values.shape, strict=True)}
    return xr.DataArray(values, dims=dims, coords=coords)


def _check_finite(da: xr.DataArray, name: str) -> None:
    if not np.isfinite(da.values).all():
        raise ValueError(f"{name}: contains NaN or infinite values")


def depletion_distribution(balance: Any, years: Sequence[Any] | None = None) -> xr.Dataset:
    """Distribution of the depletion year: the first year-end with ``balance < 0``.

    A balance of exactly 0 is not a deficit (DESIGN §3.5: ``deficit = max(0, −balance)``), as
    for ``depletion_year`` and ``p_deficit`` in the output Dataset. A run that dips below 0 and
    recovers counts once, at its first negative year.

    Parameters
    ----------
    balance : xarray.DataArray or array_like
        Balance at each year end, dims ``(run, year)``, SEK.
    years : sequence, optional
        Year labels; default the ``year`` coordinate of a DataArray, 0 … Y − 1 for an array.

    Returns
    -------
    xarray.Dataset
        With coordinate ``year`` and attrs ``runs`` (the number of runs):

        - ``p_first_depletion`` (year), units ``1``: probability that the year is the first
          with a negative balance;
        - ``p_never`` (scalar), units ``1``: probability that the balance is never negative
          over the horizon (``p_first_depletion.sum() + p_never == 1``);
        - ``p_depleted_by`` (year), units ``1``: probability that the balance has been
          negative at some year end up to and including the year (the cumulative sum of
          ``p_first_depletion``; its last value is ``1 − p_never``). It is at least
          ``p_deficit`` of the same year.

        Each is a share of runs: its Monte Carlo standard error is
        `balanskonto.results.convergence.proportion_standard_error` with ``n = runs``.
    """
    da = _as_dataarray(balance, ("run", "year"), "balance")
    _check_finite(da, "balance")
    if years is not None:
        years = np.asarray(years)
        if years.shape != (da.sizes["year"],):
            raise ValueError(f"years: expected {da.sizes['year']} labels (got {years.shape})")
        da = da.assign_coords(year=years)
    runs, n_years = da.shape
    if runs == 0:
        raise ValueError("balance: at least one run is needed")
    negative = da.values < 0
    ever = negative.any(axis=1)
    first = np.argmax(negative, axis=1)
    counts = np.bincount(first[ever], minlength=n_years)
    year = da["year"]
    ds = xr.Dataset(
        {
            "p_first_depletion": (
                ("year",),
                counts / runs,
                {
                    "units": "1",
                    "long_name": "probability that the year is the first with a negative balance",
                },
            ),
            "p_never": (
                (),
                float(np.count_nonzero(~ever)) / runs,
                {
                    "units": "1",
                    "long_name": "probability that the balance is never negative",
                    "description": "over the whole horizon",
                },
            ),
            "p_depleted_by": (
                ("year",),
                np.cumsum(counts) / runs,
                {
                    "units": "1",
                    "long_name": "probability that the balance has been negative by the year",
                    "description": "some year end up to and including this year has balance < 0",
                },
            ),
        },
        coords={"year": year},
        attrs={"runs": runs},
    )
    return ds


def _order_index(level: float, runs: int) -> int:
    """The smallest k (1-based) with ``k / runs ≥ level``, treating level·runs within 1e-9 of a
    whole number as that number (so 0.95 · 20 is 19, not 19 + rounding)."""
    return max(1, math.ceil(round(level * runs, 9)))


def reserve_needed(
    balance: Any,
    opening: float,
    levels: Sequence[float] | float = (0.90, 0.95),
    through: Any = None,
) -> xr.DataArray:
    """Opening balance that keeps the account non-negative through a year with a probability.

    From the simulated paths, without re-simulating: a run's path with opening ``R`` is
    ``R + (balance − opening)`` (the year results do not depend on the opening balance,
    DESIGN §3.5). It stays ``≥ 0`` at every year end up to ``Y`` exactly when ``R`` is at least
    the run's need::

        need_r(Y) = max(0, −min_{y ≤ Y} (balance_r[y] − opening))

    ``R(level, Y)`` is the ``k``-th smallest ``need_r(Y)`` over the ``n`` runs, with ``k`` the
    smallest whole number with ``k / n ≥ level``: an order statistic, not an interpolated
    quantile, so the guarantee holds on these very runs: with opening ``R``, at least a share
    ``level`` of the runs never has a negative year-end balance through ``Y`` (at most
    ``1 − level`` has), and ``R`` is the smallest opening that does this (any smaller one
    leaves at most ``k − 1 < level · n`` runs safe). ``R`` is 0 when at least ``k`` runs never
    fall below their opening balance, and at most ``opening`` when those runs' balance never
    goes negative.

    The guarantee is for the runs; as an estimate of the reserve for the model itself, ``R`` is
    a sample quantile of ``need`` and has the Monte Carlo error of one
    (`reserve_needed_standard_error`; `balanskonto.results.convergence.quantile_interval` applied to
    the need gives an interval).

    Parameters
    ----------
    balance : xarray.DataArray or array_like
        Balance at each year end, dims ``(run, year)``, SEK.
    opening : float
        The opening balance of the simulation (the Dataset's ``opening_balance`` attr), SEK.
    levels : float or sequence of float
        Probabilities in (0, 1] of staying non-negative.
    through : year label or sequence of year labels, optional
        The last year ``Y`` that must be covered (labels of the ``year`` coordinate; positions
        for a numpy array). ``None``: every year of the horizon.

    Returns
    -------
    xarray.DataArray
        ``reserve_needed``, SEK (≥ 0), dims ``(level, year)``; ``(level,)`` for a single year
        ``through``; no ``level`` dim when ``levels`` is a single number. Attrs: ``units``,
        ``long_name``, ``description``, ``runs``.
    """
    da = _as_dataarray(balance, ("run", "year"), "balance")
    _check_finite(da, "balance")
    runs = da.sizes["run"]
    if runs == 0:
        raise ValueError("balance: at least one run is needed")
    scalar_level = np.ndim(levels) == 0
    level_values = np.atleast_1d(np.asarray(levels, dtype=float))
    if not ((level_values > 0) & (level_values <= 1)).all():
        raise ValueError(f"levels must be in (0, 1] (got {levels!r})")
    need = np.sort(_need(da, opening), axis=0)
    k = np.array([_order_index(level, runs) for level in level_values])
    reserve = xr.DataArray(
        need[k - 1],
        dims=("level", "year"),
        coords={"level": level_values, "year": da["year"]},
        name="reserve_needed",
        attrs={
            "units": "SEK",
            "long_name": "opening balance needed to stay non-negative with probability level",
            "description": (
                "smallest opening balance with which at least a share `level` of the runs "
                "has no negative year-end balance up to and including the year"
            ),
            "runs": runs,
        },
    )
    if through is not None:
        reserve = reserve.sel(year=through)
    if scalar_level:
        reserve = reserve.isel(level=0)
    return reserve


def _need(da: xr.DataArray, opening: float) -> np.ndarray:
    """Each run's shortfall ``need_r(Y) = max(0, −min_{y ≤ Y} (balance_r[y] − opening))``."""
    path = da.values - float(opening)  # the cumulative net, the same for every opening
    return np.maximum(0.0, -np.minimum.accumulate(path, axis=1))


def reserve_needed_standard_error(
    balance: Any, opening: float, levels: Sequence[float] | float = (0.90, 0.95)
) -> xr.DataArray:
    """Monte Carlo standard error of `reserve_needed`, as an estimate of the model's reserve.

    ``reserve_needed(level, Y)`` is the ``level``-quantile of the runs' shortfalls
    ``need_r(Y)`` (the running minimum of the balance below its opening): its standard error
    is `balanskonto.convergence.quantile_standard_error` of ``need`` at ``q = level``, the
    order-statistic estimate the output uses for ``balance_quantile_se``. It is 0 where the
    order statistics around the level are all 0 (well over ``level`` of the runs need no
    reserve).

    Parameters
    ----------
    balance : xarray.DataArray or array_like
        Balance at each year end, dims ``(run, year)``, SEK.
    opening : float
        The opening balance of the simulation, SEK.
    levels : float or sequence of float
        Probabilities in (0, 1] of staying non-negative, as for `reserve_needed`.

    Returns
    -------
    xarray.DataArray
        ``reserve_needed_se``, SEK, dims ``(level, year)`` (no ``level`` dim for a single
        number); NaN with one run.
    """
    da = _as_dataarray(balance, ("run", "year"), "balance")
    _check_finite(da, "balance")
    if da.sizes["run"] == 0:
        raise ValueError("balance: at least one run is needed")
    scalar_level = np.ndim(levels) == 0
    level_values = np.atleast_1d(np.asarray(levels, dtype=float))
    if not ((level_values > 0) & (level_values <= 1)).all():
        raise ValueError(f"levels must be in (0, 1] (got {levels!r})")
    need = _need(da, opening)
    se = xr.DataArray(
        np.stack([np.asarray(quantile_standard_error(need, x)) for x in level_values]),
        dims=("level", "year"),
        coords={"level": level_values, "year": da["year"]},
        name="reserve_needed_se",
        attrs={
            "units": "SEK",
            "long_name": "Monte Carlo standard error of reserve_needed",
            "description": "order-statistic estimate for the quantile `level` of the runs' "
            "shortfalls (see balanskonto.convergence.quantile_standard_error)",
            "runs": da.sizes["run"],
        },
    )
    return se.isel(level=0) if scalar_level else se


def _linear_index(p: float, runs: int) -> float:
    """numpy's linear-method virtual index ``p (runs − 1)``, snapped to a whole number within
    1e-9 (so that 0.05 · 20 selects order statistic 1 whatever the rounding)."""
    return round(p * (runs - 1), 9)


def tail_attribution(
    balance: Any,
    revenue: Any,
    cost: Any,
    year: Any,
    tail: float = 0.05,
    median_band: float = 0.10,
) -> xr.DataArray:
    """Each component's contribution to the gap between the bad runs and the median runs.

    Two sets of runs, by their balance at the end of ``year`` (``b_(i)``: the order statistics,
    0-based; ``n`` runs):

    - tail runs: ``balance ≤ b_(⌊tail · (n−1)⌋)``, i.e. at or below numpy's linear
      ``tail``-quantile (the order statistic at or below it), with every run tied to it;
    - median runs: ``b_(⌈(½ − band/2)(n−1)⌉) ≤ balance ≤ b_(⌊(½ + band/2)(n−1)⌋)``, i.e.
      between the linear quantiles ``½ ∓ median_band/2`` (within ± band/2 of the median in
      rank), ties included. When the band is narrower than one rank step it is widened to the
      middle run(s), ``b_(⌊(n−1)/2⌋)`` … ``b_(⌈(n−1)/2⌉)``, so neither set is ever empty. (For
      tiny ``n`` or wide settings the sets can overlap; that only shrinks the gap.)

    For each component c, the cumulative net contribution through ``year`` is
    ``Σ_{y ≤ year} (revenue_c[y] − cost_c[y])``, and the attribution is its mean over the tail
    runs minus its mean over the median runs. Since ``balance[year] = opening + Σ_c`` (the
    cumulative contributions), the attributions sum to ``mean_tail(balance[year]) −
    mean_median(balance[year])`` (the ``balance_gap`` attr), up to float rounding, when
    ``balance`` is the Dataset's (built from the same revenue and cost).

    Parameters
    ----------
    balance : xarray.DataArray or array_like
        Balance at each year end, dims ``(run, year)``, SEK.
    revenue, cost : xarray.DataArray or array_like
        By component, dims ``(run, year, component)``, SEK (≥ 0 as in the Dataset; a component
        absent from one side is 0 there).
    year : year label
        The year whose balance ranks the runs and through which contributions accumulate (a
        position for numpy arrays).
    tail : float
        Tail probability in (0, 0.5), e.g. 0.05 for the worst 5 % of runs.
    median_band : float
        Width in [0, 1) of the band of rank positions around the median.

    Returns
    -------
    xarray.DataArray
        ``tail_attribution`` over ``component``, SEK: negative where the component makes the
        tail runs worse than the median runs. Attrs: ``units``, ``long_name``,
        ``description``, ``year``, ``tail``, ``median_band``, ``n_tail`` and ``n_median``
        (runs in each set), ``tail_threshold`` (SEK, the balance bounding the tail set),
        ``mean_balance_tail``, ``mean_balance_median`` and ``balance_gap`` (SEK, their
        difference, equal to the sum over components).
    """
    tail, median_band = float(tail), float(median_band)
    if not 0.0 < tail < 0.5:
        raise ValueError(f"tail must be in (0, 0.5) (got {tail!r})")
    if not 0.0 <= median_band < 1.0:
        raise ValueError(f"median_band must be in [0, 1) (got {median_band!r})")
    bal = _as_dataarray(balance, ("run", "year"), "balance")
    rev = _as_dataarray(revenue, ("run", "year", "component"), "revenue")
    cst = _as_dataarray(cost, ("run", "year", "component"), "cost")
    for name, da in (("balance", bal), ("revenue", rev), ("cost", cst)):
        _check_finite(da, name)
    if rev.shape != cst.shape:
        raise ValueError(f"revenue and cost differ in shape ({rev.shape} vs {cst.shape})")
    if rev.shape[:2] != bal.shape:
        raise ValueError(
            f"revenue/cost {rev.shape[:2]} and balance {bal.shape} differ in runs/years"
        )
    if not (np.array_equal(rev["year"], bal["year"]) and np.array_equal(cst["year"], bal["year"])):
        raise ValueError("revenue, cost and balance must have the same years")
    if not np.array_equal(rev["component"], cst["component"]):
        raise ValueError("revenue and cost must have the same components, in the same order")
    runs = bal.sizes["run"]
    if runs == 0:
        raise ValueError("balance: at least one run is needed")

    position = int(bal.indexes["year"].get_loc(year))
    b = bal.values[:, position]
    contribution = (rev.values[:, : position + 1] - cst.values[:, : position + 1]).sum(axis=1)

    ordered = np.sort(b)
    threshold = ordered[math.floor(_linear_index(tail, runs))]
    in_tail = b <= threshold
    middle = (runs - 1) / 2
    lo = min(math.ceil(_linear_index(0.5 - median_band / 2, runs)), math.floor(middle))
    hi = max(math.floor(_linear_index(0.5 + median_band / 2, runs)), math.ceil(middle))
    in_median = (b >= ordered[lo]) & (b <= ordered[hi])

    mean_tail = contribution[in_tail].mean(axis=0)
    mean_median = contribution[in_median].mean(axis=0)
    balance_tail = float(b[in_tail].mean())
    balance_median = float(b[in_median].mean())
    year_label = bal["year"].values[position]
    return xr.DataArray(
        mean_tail - mean_median,
        dims=("component",),
        coords={"component": rev["component"].values},
        name="tail_attribution",
        attrs={
            "units": "SEK",
            "long_name": "contribution to the gap between tail and median runs",
            "description": (
                "mean over the tail runs minus mean over the median runs of the cumulative "
                "revenue minus cost of the component through the year; negative = makes the "
                "tail worse"
            ),
            "year": year_label.item() if hasattr(year_label, "item") else year_label,
            "tail": tail,
            "median_band": median_band,
            "n_tail": int(in_tail.sum()),
            "n_median": int(in_median.sum()),
            "tail_threshold": float(threshold),
            "mean_balance_tail": balance_tail,
            "mean_balance_median": balance_median,
            "balance_gap": balance_tail - balance_median,
        },
    )
