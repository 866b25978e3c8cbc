"""Monte Carlo precision: how well the runs pin down a quantile or a probability.

Every result of `balanskonto.simulate` is an estimate from a finite number of runs. This module
says how precise those estimates are, and how many runs a target precision needs:

- `quantile_interval`: a distribution-free confidence interval for a quantile of the balance
  (for example the 5th percentile, the "bad year" a controller reports), from order statistics.
- `quantile_standard_error`: a standard error of numpy's (linear) sample quantile, the method
  of ``balance_quantile`` in the output Dataset.
- `proportion_standard_error` and `wilson_interval`: the same for a probability such as
  ``p_deficit``.
- `runs_needed`: the runs that bring a half-width down to a target (half-width ∝ 1/√runs).

The functions are pure. They take numpy arrays or xarray DataArrays; for a DataArray, the
sample runs along the dimension ``dim`` (default ``"run"``), and the result is a DataArray over
the remaining dimensions, with the input's ``units``. For a numpy array the sample runs along
axis 0 (so ``balance`` as a ``(run, year)`` array gives one result per year).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import xarray as xr
from scipy import special

__all__ = [
    "deficit_bound",
    "proportion_standard_error",
    "quantile_interval",
    "quantile_interval_ranks",
    "quantile_standard_error",
    "runs_needed",
    "wilson_interval",
]

#: Confidence level of the interval whose half-width defines `quantile_standard_error`.
_SE_LEVEL = 0.95


def _check_level(level: float) -> float:
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be strictly between 0 and 1 (got {level!r})")
    return level


def _check_q(q: float) -> float:
    q = float(q)
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be between 0 and 1 (got {q!r})")
    return q


def _sorted_sample(x: Any, dim: str) -> tuple[np.ndarray, xr.DataArray | None]:
    """The sample sorted along its first axis, and a template DataArray for the result."""
    if isinstance(x, xr.DataArray):
        if dim not in x.dims:
            raise ValueError(f"the DataArray has no dimension {dim!r} (dims: {x.dims})")
        da = x.transpose(dim, ...)
        values = np.asarray(da.values, dtype=float)
        template = da.isel({dim: 0}, drop=True)
    else:
        values = np.asarray(x, dtype=float)
        template = None
    if values.ndim == 0 or values.shape[0] == 0:
        raise ValueError("the sample is empty: at least one run is needed")
    if np.isnan(values).any():
        raise ValueError("the sample contains NaN")
    return np.sort(values, axis=0), template


def _wrap(values: np.ndarray, template: xr.DataArray | None, **attrs: Any) -> Any:
    if template is None:
        return values[()] if values.ndim == 0 else values
    units = template.attrs.get("units")
    if units is not None:
        attrs = {"units": units, **attrs}
    return xr.DataArray(values, coords=template.coords, dims=template.dims, attrs=attrs)


def quantile_interval_ranks(n: int, q: float, level: float = 0.95) -> tuple[int, int, float]:
    """Ranks of the order statistics that bound the q-quantile with confidence ``level``.

    With ``B ~ Binomial(n, q)`` (the number of runs at or below the true quantile ξ_q), the
    lower rank ``l`` is the largest with ``P(B ≤ l − 1) ≤ α/2`` and the upper rank ``u`` the
    smallest with ``P(B ≤ u − 1) ≥ 1 − α/2``, where ``α = 1 − level``. Then
    ``P(X_(l) ≤ ξ_q ≤ X_(u)) ≥ P(l ≤ B ≤ u − 1) ≥ level`` for any distribution (equality of the
    first inequality for a continuous one): the standard equal-tailed order-statistic interval,
    conservative because the ranks are whole numbers.

    Parameters
    ----------
    n : int
        Sample size (runs), at least 1.
    q : float
        Quantile level in [0, 1].
    level : float
        Confidence level in (0, 1).

    Returns
    -------
    l, u : int
        1-based ranks, ``0 ≤ l < u ≤ n + 1``. ``l = 0`` means that no order statistic is a
        lower bound at this level (the bound is −∞); ``u = n + 1`` likewise for the upper bound.
    coverage : float
        ``P(l ≤ B ≤ u − 1)``, the exact coverage of ``[X_(l), X_(u)]`` for a continuous
        distribution (with X_(0) = −∞, X_(n+1) = +∞), at least ``level`` up to float rounding.
    """
    n = int(n)
    if n < 1:
        raise ValueError(f"n must be at least 1 (got {n})")
    q, level = _check_q(q), _check_level(level)
    alpha = 1.0 - level
    cdf = binomial_cdf(n, q)  # cdf[k] = P(B ≤ k), nondecreasing
    lower = int(np.searchsorted(cdf, alpha / 2, side="right"))  # #{k: P(B ≤ k) ≤ α/2}
    upper = int(np.searchsorted(cdf, 1.0 - alpha / 2, side="left")) + 1
    upper = min(upper, n + 1)  # cdf[n] = 1 up to rounding
    coverage = (cdf[upper - 1] if upper <= n else 1.0) - (cdf[lower - 1] if lower >= 1 else 0.0)
    return lower, upper, float(coverage)


def binomial_cdf(n: int, q: float) -> np.ndarray:
    """``P(B ≤ k)`` for ``k = 0 … n``, ``B ~ Binomial(n, q)``: the values of
    ``scipy.stats.binom.cdf(np.arange(n + 1), n, q)`` bit for bit, from the ufunc behind it
    (``cdf[n] = 1`` exactly, as there) without importing ``scipy.stats``, which costs about
    0.6 s of every ``balanskonto run`` (docs/performance.md). Falls back to ``scipy.stats``
    where a scipy lacks that private ufunc."""
    try:
        from scipy.special._ufuncs import _binom_cdf
    except ImportError:  # pragma: no cover - another scipy
        from scipy import stats

        return stats.binom.cdf(np.arange(n + 1), n, q)
    return np.append(_binom_cdf(np.arange(n, dtype=float), n, q), 1.0)


def quantile_interval(
    x: Any, q: float, level: float = 0.95, *, dim: str = "run"
) -> tuple[Any, Any]:
    """Distribution-free confidence interval of the q-quantile, from order statistics.

    The interval is ``[X_(l), X_(u)]`` with the ranks of `quantile_interval_ranks`: it covers
    the true quantile ξ_q (the smallest x with F(x) ≥ q) with probability at least ``level``
    for any distribution, ties included, and needs no density estimate.

    Edge rule: when ``n`` is too small for ``level`` at this ``q`` (``l = 0`` or ``u = n + 1``,
    for example n ≤ 5 for the median at 95 %, or ``q`` within about ``1/n`` of 0 or 1), the
    missing bound is replaced by the sample minimum (maximum). The result stays finite, but
    that side no longer carries the guarantee; `quantile_interval_ranks` tells when this
    happens. ``q = 0`` gives ``[min, min]``, ``q = 1`` gives ``[max, max]``; constant data give
    ``[c, c]``; one run gives ``[x, x]``.

    Parameters
    ----------
    x : array_like or xarray.DataArray
        The sample: runs along axis 0 of an array (1-D, or e.g. ``(run, year)``), or along
        ``dim`` of a DataArray. NaN is refused.
    q : float
        Quantile level in [0, 1].
    level : float
        Confidence level in (0, 1).
    dim : str
        The sample dimension of a DataArray.

    Returns
    -------
    lower, upper : float, numpy.ndarray or xarray.DataArray
        Bounds in the units of ``x`` (SEK for ``balance``), with the shape of ``x`` without its
        first axis (a DataArray over the dims of ``x`` without ``dim``, e.g. ``(year,)``,
        carrying ``units``, ``q`` and ``level`` as attrs).
    """
    q, level = _check_q(q), _check_level(level)
    xs, template = _sorted_sample(x, dim)
    n = xs.shape[0]
    lo, hi, _ = quantile_interval_ranks(n, q, level)
    lo, hi = max(lo, 1), min(hi, n)  # the edge rule: fall back to the sample min / max
    attrs = {"q": q, "level": level}
    return _wrap(xs[lo - 1], template, **attrs), _wrap(xs[hi - 1], template, **attrs)


def quantile_standard_error(x: Any, q: float, *, dim: str = "run") -> Any:
    """Standard error of the linear-interpolation sample quantile (numpy's default method).

    Estimator: the spread of the 95 % order-statistic interval of `quantile_interval_ranks`,
    ``[X_(l), X_(u)]``, converted to a standard error by the ranks it spans::

        SE = (X_(u) − X_(l)) · sqrt(n q (1 − q)) / (u − l)

    This is "the interval's half-width divided by the normal quantile z = 1.96", with the rank
    distance actually spanned, ``u − l``, in place of its normal approximation
    ``2 z sqrt(n q (1 − q))``: whole-number ranks make the interval a little wider than
    nominal, and dividing by the ranks spanned removes that bias (it is the
    Siddiqui–Bloch–Gastwirth spacing estimate of ``sqrt(q(1−q)/n) / f(ξ_q)``, the asymptotic
    standard error of every sample-quantile method, with a window of ± 1.96 binomial standard
    deviations of rank).

    Why this and not Maritz–Jarrett: it is the same order-statistic machinery as
    `quantile_interval`, so the standard error and the interval reported next to it tell one
    story (SE ≈ half-width / 1.96 by construction); it is distribution-free, costs one sort, and
    is exactly reproducible from two order statistics. Maritz–Jarrett weights every order
    statistic by Beta probabilities around rank ``⌊nq + ½⌋``; it estimates the SE of a single
    order statistic rather than numpy's interpolated quantile, and its relative error shrinks
    no faster (both are O(n^(−1/4))). The estimate's own relative error is about
    ``1 / sqrt(u − l)`` (about 18 % for n = 1000 at q = 0.05, 8 % at q = 0.5): good enough to
    size the number of runs, not to quote to two digits. Checked against the spread of the
    sample quantile over repeated normal samples: unbiased within a few per cent from
    ``n q ≈ 50`` (n = 1000, q = 0.05); at ``n q ≈ 10`` (n = 200, q = 0.05) it overstates by
    about 15–20 %, on the safe side, because the window reaches into the sparser tail.

    Edge rule: ranks are clipped to [1, n] and kept at least one apart (``u ≥ l + 1``), so for
    ``n ≥ 2`` the result is finite and ≥ 0; for ``q`` so close to 0 or 1 that the 95 % interval
    is not bounded by the sample (see `quantile_interval`), it is then only a crude spacing
    estimate. Constant data give 0; one run gives NaN (no spread can be estimated).

    Parameters
    ----------
    x : array_like or xarray.DataArray
        The sample: runs along axis 0 of an array, or along ``dim`` of a DataArray.
    q : float
        Quantile level in [0, 1].
    dim : str
        The sample dimension of a DataArray.

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Standard error in the units of ``x`` (SEK for ``balance``), with the shape of ``x``
        without its first axis (a DataArray over the dims of ``x`` without ``dim``).
    """
    q = _check_q(q)
    xs, template = _sorted_sample(x, dim)
    n = xs.shape[0]
    attrs = {"q": q, "method": "order-statistic 95 % interval spacing"}
    if n < 2:
        return _wrap(np.full(xs.shape[1:], np.nan), template, **attrs)
    lo, hi, _ = quantile_interval_ranks(n, q, _SE_LEVEL)
    lo = max(lo, 1)
    hi = min(max(hi, lo + 1), n)
    lo = min(lo, hi - 1)
    se = (xs[hi - 1] - xs[lo - 1]) * math.sqrt(n * q * (1.0 - q)) / (hi - lo)
    return _wrap(np.asarray(se), template, **attrs)


def proportion_standard_error(p: Any, n: int) -> Any:
    """Standard error of a share of runs, ``sqrt(p (1 − p) / n)``.

    For ``p_deficit`` (the share of runs with a negative balance) of an ``n``-run simulation.
    It is 0 at ``p = 0`` or ``p = 1``, where it says nothing: use `wilson_interval` there.

    Parameters
    ----------
    p : float, array_like or xarray.DataArray
        Shares in [0, 1], e.g. ``ds.p_deficit`` (year).
    n : int
        Runs, at least 1.

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Standard error, a probability (units ``1``), with the shape (dims) of ``p``.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1 (got {n})")
    return np.sqrt(p * (1 - p) / n)


def wilson_interval(p: Any, n: int, level: float = 0.95) -> tuple[Any, Any]:
    """Wilson score interval of a probability estimated as a share ``p`` of ``n`` runs.

    The bounds are the two solutions π of ``(p − π)² = z² π (1 − π) / n``, with ``z`` the
    normal quantile for ``level``: unlike ``p ± z·SE`` they stay in [0, 1] and are informative
    at ``p = 0`` (no run in deficit: upper bound ``z² / (n + z²)``, about 3.8 / n at 95 %).

    Parameters
    ----------
    p : float, array_like or xarray.DataArray
        Shares in [0, 1], e.g. ``ds.p_deficit`` (year).
    n : int
        Runs, at least 1.
    level : float
        Confidence level in (0, 1).

    Returns
    -------
    lower, upper : float, numpy.ndarray or xarray.DataArray
        Probabilities (units ``1``) with the shape (dims) of ``p``.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1 (got {n})")
    level = _check_level(level)
    z = special.ndtri(0.5 + level / 2)  # scipy.stats.norm.ppf's value, bit for bit
    z2n = z * z / n
    centre = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * np.sqrt(p * (1 - p) / n + z2n / (4 * n))
    lower, upper = np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)
    # the exact end points at p = 0 and p = 1, which rounding can miss by an ulp
    if isinstance(p, xr.DataArray):
        return lower.where(p > 0, 0.0), upper.where(p < 1, 1.0)
    return np.where(p > 0, lower, 0.0)[()], np.where(p < 1, upper, 1.0)[()]


def deficit_bound(p: float, n: int) -> tuple[str, float] | None:
    """Where no run (``p = 0``) or every run (``p = 1``) is in deficit the standard error of
    ``p`` is 0 and says nothing: the 95 % Wilson bound instead, as ``("<", upper)`` or
    ``(">", lower)`` in per cent rounded outwards to 0.1 (``("<", 0.2)`` for 2 000 runs);
    ``None`` for ``0 < p < 1``."""
    if 0.0 < p < 1.0:
        return None
    lower, upper = wilson_interval(p, n)
    if p == 0.0:
        return "<", math.ceil(round(1000 * float(upper), 6)) / 10
    return ">", math.floor(round(1000 * float(lower), 6)) / 10


def runs_needed(current_runs: int, current_half_width: Any, target_half_width: Any) -> Any:
    """Runs needed to bring a confidence half-width (or standard error) down to a target.

    Monte Carlo half-widths shrink as ``1/√runs``, so ``runs = current_runs · (current /
    target)²``, rounded up (a product within 1e-12 relative of a whole number counts as that
    number, so float noise does not add a run), and at least 1. The projection is as good as
    the current half-width, itself an estimate: add a margin when it comes from few runs.

    Parameters
    ----------
    current_runs : int
        Runs of the current simulation, at least 1.
    current_half_width : float, array_like or xarray.DataArray
        Half-width (or standard error) now, ≥ 0, any unit (e.g. SEK).
    target_half_width : float, array_like or xarray.DataArray
        The wanted half-width (> 0), in the same unit.

    Returns
    -------
    int, numpy.ndarray or xarray.DataArray
        Runs (a count, int64), broadcast over the shapes (dims) of the half-widths; take the
        maximum over years for one simulation that meets the target every year.
    """
    if current_runs < 1:
        raise ValueError(f"current_runs must be at least 1 (got {current_runs})")
    current = np.asarray(current_half_width, dtype=float)
    target = np.asarray(target_half_width, dtype=float)
    if not (np.isfinite(current).all() and (current >= 0).all()):
        raise ValueError("current_half_width must be finite and ≥ 0")
    if not (np.isfinite(target).all() and (target > 0).all()):
        raise ValueError("target_half_width must be finite and > 0")
    if isinstance(current_half_width, xr.DataArray) or isinstance(target_half_width, xr.DataArray):
        current, target = current_half_width, target_half_width  # keep the dims
    exact = current_runs * (current / target) ** 2
    runs = np.maximum(np.ceil(exact * (1.0 - 1e-12)), 1).astype(np.int64)
    if isinstance(runs, np.ndarray) and runs.ndim == 0:
        return int(runs)
    if isinstance(runs, np.integer):
        return int(runs)
    return runs
