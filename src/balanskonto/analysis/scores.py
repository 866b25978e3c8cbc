"""How an actual fell in a forecast's fan: percentile rank, central bands, CRPS, coverage.

Pure functions on arrays: ``ensemble`` is ``(runs,)`` or ``(runs, actuals)`` — the runs of a
forecast for each actual — and ``actual`` a number or ``(actuals,)``.
"""

from __future__ import annotations

import numpy as np
import scoringrules
from scipy import stats

#: Central bands of the follow-up (the 50 % and 90 % of the fan chart).
BANDS = (0.5, 0.9)
#: Probability of the binomial range of a band's count.
RANGE_LEVEL = 0.95


def percentile_rank(ensemble: np.ndarray, actual: np.ndarray | float) -> np.ndarray:
    """Where ``actual`` falls among the runs: the share below it plus half the share equal to
    it (the mid-rank, so that an actual equal to every run is at 0.5, not at 0 or 1).

    Returns
    -------
    numpy.ndarray
        One share in [0, 1] per actual (dimensionless).
    """
    x = np.asarray(ensemble, dtype=float)
    y = np.asarray(actual, dtype=float)
    below = (x < y).sum(axis=0)
    equal = (x == y).sum(axis=0)
    return (below + 0.5 * equal) / x.shape[0]


def band_limits(ensemble: np.ndarray, band: float) -> tuple[np.ndarray, np.ndarray]:
    """The central ``band`` of the runs: its lower and upper quantiles (numpy's linear
    method, as the result's own quantiles)."""
    x = np.asarray(ensemble, dtype=float)
    low, high = np.quantile(x, [(1 - band) / 2, (1 + band) / 2], axis=0)
    return low, high


def inside_band(ensemble: np.ndarray, actual: np.ndarray | float, band: float) -> np.ndarray:
    """True where ``actual`` lies in the central ``band`` of the runs (limits included)."""
    low, high = band_limits(ensemble, band)
    y = np.asarray(actual, dtype=float)
    return (low <= y) & (y <= high)


def crps(ensemble: np.ndarray, actual: np.ndarray | float) -> np.ndarray:
    """The continuous ranked probability score of the runs as a forecast of ``actual``, in the
    actual's units (lower is better; 0 for a point forecast that hits).

    The ensemble CRPS of ``scoringrules`` with its probability-weighted-moment estimator,
    which is the *fair* CRPS (Ferro 2014; Zamo & Naveau 2018): an unbiased estimate of the
    CRPS of the distribution the runs were drawn from, so forecasts with different numbers
    of runs compare on an equal footing. It sorts each ensemble once (no runs × runs
    matrix), on the numpy backend (no compilation).
    """
    x = np.asarray(ensemble, dtype=float)
    y = np.asarray(actual, dtype=float)
    if x.shape[0] == 1:  # one run: a point forecast, CRPS = |x - y| (the estimator needs two)
        return np.abs(x[0] - y)
    out = scoringrules.crps_ensemble(y, x, m_axis=0, estimator="pwm", backend="numpy")
    return np.asarray(out, dtype=float)


def binomial_range(n: int, p: float, level: float = RANGE_LEVEL) -> tuple[float, float]:
    """The range of shares that holds the share of ``n`` independent hits with probability
    ``p`` with probability at least ``level`` (equal tails): ``binom.interval / n``."""
    if n == 0:
        return float("nan"), float("nan")
    low, high = stats.binom.interval(level, n, p)
    return float(low) / n, float(high) / n


def coverage(inside: np.ndarray, band: float) -> dict[str, float]:
    """The share of actuals inside a band against its nominal coverage.

    Returns
    -------
    dict
        ``count`` inside, ``n`` actuals, ``share`` = count / n, ``low``/``high``: the
        binomial range of the share if the fan were calibrated and the actuals independent
        (:func:`binomial_range`), and ``consistent``: whether the share lies in it.
    """
    inside = np.asarray(inside, dtype=bool)
    n = int(inside.size)
    count = int(inside.sum())
    low, high = binomial_range(n, band)
    share = count / n if n else float("nan")
    return {
        "count": count,
        "n": n,
        "share": share,
        "low": low,
        "high": high,
        "consistent": bool(n and low <= share <= high),
    }
