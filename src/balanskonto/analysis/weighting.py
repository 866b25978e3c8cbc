"""What an outcome says about the assumptions: the runs weighted by how close they come to
the actuals, and the weighted distribution of every stored factor beside its prior.

The weight of run ``i`` is a Gaussian kernel of the distance between its outcomes ``x_i``
and the actuals ``y``, each actual scaled by the runs' spread:

    w_i ∝ exp(−‖x̃_i − ỹ‖² / (2 h²)),

where ``x̃``/``ỹ`` are the outcomes standardised by the runs' standard deviations and then
decorrelated (whitened with the runs' correlation matrix over its numerical rank ``d``), so
that actuals that say the same thing — revenue, cost and net of one year — count once, not
three times. With uncorrelated actuals this is the product of one Gaussian kernel per actual,
scaled by the runs' standard deviation of that actual.

The bandwidth ``h`` (in units of the runs' spread) is Scott's rule for a ``d``-dimensional
Gaussian kernel, ``h = runs^(−1/(d + 4))`` (Scott 1992, §6.3), the rule of thumb that
balances the bias of a wide kernel against the variance of a narrow one — unless that leaves
less than :data:`MIN_ESS_SHARE` of the runs' worth of weight (effective sample size), or
fewer than :data:`ESS_PER_DIMENSION` runs per coefficient of the regression below, as it does
with many actuals (ten actuals and 2 000 runs: a handful of runs would carry all the weight);
then ``h`` is the narrowest kernel that keeps that much (found by bisection).

The factors are then read with the local-linear regression adjustment of approximate
Bayesian computation (Beaumont, Zhang & Balding 2002): each run's factor is moved by a
weighted least-squares regression of the factor on the whitened outcomes to where it would
be had the run's outcomes equalled the actuals, ``θ_i − β·(x̃_i − ỹ)``. The weighted mean of
the adjusted factors estimates the factor's expectation given the actuals; the adjustment
removes the first-order bias of the kernel's width, so the answer hardly depends on ``h``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy import stats

#: Relative size below which an eigenvalue of the actuals' correlation matrix is taken as an
#: exact redundancy (net = revenue − cost) and dropped.
RANK_TOLERANCE = 1e-8
#: Below this effective sample size the weighted factors are reported as uncertain.
MIN_EFFECTIVE_SAMPLE_SIZE = 30
#: The kernel is widened where Scott's rule would leave less weight than this share of runs,
#: or than this many runs per coefficient of the regression adjustment (d + 1), whichever is
#: more (at most half the runs): a regression on d outcomes needs some runs per coefficient.
MIN_ESS_SHARE = 0.10
ESS_PER_DIMENSION = 10


@dataclass(frozen=True)
class Weights:
    """Run weights (summing to 1) and what they rest on.

    Attributes
    ----------
    weights : (runs,), dimensionless, sum 1.
    effective_sample_size : ``1 / Σ w²`` (Kish): the number of equally weighted runs that
        would estimate a weighted mean as precisely.
    bandwidth : ``h`` in units of the runs' spread.
    dimension : ``d``, the number of independent directions among the actuals used.
    used : (actuals,) bool: the actuals that carry information (the runs differ on them).
    distance2 : the squared Mahalanobis distance of the actuals from the runs' mean; about
        χ²(d) if the actuals were a run of the same model.
    offsets : (runs, d): the whitened outcomes minus the whitened actuals, ``x̃_i − ỹ`` (for
        the regression adjustment).
    scott : whether ``bandwidth`` is Scott's rule (False: widened to keep the ESS).
    """

    weights: np.ndarray
    effective_sample_size: float
    bandwidth: float
    dimension: int
    used: np.ndarray
    distance2: float
    offsets: np.ndarray
    scott: bool = True

    @property
    def p_distance(self) -> float:
        """P(χ²(d) ≥ distance²): how unusual the actuals are, taken together."""
        if self.dimension == 0:
            return float("nan")
        return float(stats.chi2.sf(self.distance2, self.dimension))


def scott_bandwidth(runs: int, dimension: int) -> float:
    """Scott's rule for a Gaussian kernel in ``dimension`` dimensions: ``runs^(−1/(d+4))``."""
    return float(runs ** (-1.0 / (dimension + 4)))


def kernel_weights(
    outcomes: np.ndarray, actual: np.ndarray, bandwidth: float | None = None
) -> Weights:
    """Weights of the runs by closeness of their ``outcomes`` (runs, actuals) to ``actual``.

    ``bandwidth``: ``h`` in units of the runs' spread; default Scott's rule, widened to keep
    an effective sample size of :data:`MIN_ESS_SHARE` of the runs and
    :data:`ESS_PER_DIMENSION` per regression coefficient (at most half the runs). Actuals on
    which every run agrees say nothing about which run is right and are left out (``used``);
    with none left every run weighs the same.
    """
    x = np.asarray(outcomes, dtype=float)
    y = np.asarray(actual, dtype=float)
    runs = x.shape[0]
    mean, sd = x.mean(axis=0), x.std(axis=0)
    used = sd > 1e-9 * np.maximum(1.0, np.abs(mean))
    if runs < 2 or not used.any():
        w = np.full(runs, 1.0 / runs)
        nothing = np.zeros((runs, 0))
        return Weights(w, float(runs), float("nan"), 0, used & False, float("nan"), nothing)
    z = (x[:, used] - mean[used]) / sd[used]
    zy = (y[used] - mean[used]) / sd[used]
    corr = np.atleast_2d(np.cov(z, rowvar=False))
    values, vectors = np.linalg.eigh(corr)
    keep = values > RANK_TOLERANCE * values.max()
    scale = vectors[:, keep] / np.sqrt(values[keep])
    white_y = zy @ scale
    offsets = z @ scale - white_y
    d2 = (offsets**2).sum(axis=1)
    d = int(keep.sum())
    scott = bandwidth is None
    h = scott_bandwidth(runs, d) if bandwidth is None else float(bandwidth)
    target = min(max(MIN_ESS_SHARE * runs, ESS_PER_DIMENSION * (d + 1)), 0.5 * runs)
    if bandwidth is None and _ess(d2, h) < target:
        h, scott = _widen(d2, h, target), False
    w = _kernel(d2, h)
    ess = float(1.0 / np.sum(w * w))
    return Weights(w, ess, h, d, used, float(white_y @ white_y), offsets, scott)


def _kernel(d2: np.ndarray, h: float) -> np.ndarray:
    log_w = -d2 / (2 * h * h)
    w = np.exp(log_w - log_w.max())
    return w / w.sum()


def _ess(d2: np.ndarray, h: float) -> float:
    w = _kernel(d2, h)
    return float(1.0 / np.sum(w * w))


def _widen(d2: np.ndarray, h: float, target: float) -> float:
    """The narrowest ``h`` at or above ``h`` with ESS ≥ ``target`` (bisection on log h; the
    ESS grows with h towards the number of runs)."""
    low, high = h, h
    while _ess(d2, high) < target:
        low, high = high, high * 2
    for _ in range(40):
        mid = np.sqrt(low * high)
        low, high = (mid, high) if _ess(d2, mid) < target else (low, mid)
    return float(high)


def adjust(values: np.ndarray, weights: Weights) -> np.ndarray:
    """``values`` (runs, …) moved by the local-linear regression adjustment: the weighted
    least-squares slope of the values on the whitened outcomes, times each run's offset from
    the actuals, taken off (Beaumont, Zhang & Balding 2002). Unchanged without offsets."""
    x = np.asarray(values, dtype=float)
    if weights.offsets.shape[1] == 0:
        return x
    flat = x.reshape(x.shape[0], -1)
    design = np.column_stack([np.ones(x.shape[0]), weights.offsets])
    weighted = design * weights.weights[:, None]
    # The normal equations are small ((d+1)²) and well conditioned (whitened offsets);
    # lstsq on them copes with a singular one (all weight on one run).
    beta, *_ = np.linalg.lstsq(weighted.T @ design, weighted.T @ flat, rcond=None)
    return (flat - weights.offsets @ beta[1:]).reshape(x.shape)


# --------------------------------------------------------------------------------------
# Weighted summaries
# --------------------------------------------------------------------------------------
def weighted_mean_se(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The weighted mean over runs (axis 0) and its standard error, ``sqrt(Σ w² (x − m)²)``
    (the delta-method error of a self-normalised importance-sampling mean; ``sd/√runs`` for
    equal weights)."""
    x = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float).reshape((-1,) + (1,) * (x.ndim - 1))
    m = (w * x).sum(axis=0)
    se = np.sqrt((w * w * (x - m) ** 2).sum(axis=0))
    return m, se


def weighted_quantile(values: np.ndarray, weights: np.ndarray, qs) -> np.ndarray:
    """Quantiles over runs (axis 0) of the weighted runs: the weighted empirical CDF with each
    run at the middle of its step, linearly interpolated (with equal weights, the 'hazen'
    method). Returns (quantile, …)."""
    x = np.asarray(values, dtype=float)
    flat = x.reshape(x.shape[0], -1)
    w = np.asarray(weights, dtype=float)
    out = np.empty((len(qs), flat.shape[1]))
    for j in range(flat.shape[1]):
        order = np.argsort(flat[:, j], kind="stable")
        sw = w[order]
        cdf = np.cumsum(sw) - sw / 2
        out[:, j] = np.interp(qs, cdf / sw.sum(), flat[order, j])
    return out.reshape((len(qs), *x.shape[1:]))


def _summary(values: np.ndarray, weights: Weights, qs) -> dict[str, np.ndarray]:
    runs = values.shape[0]
    equal = np.full(runs, 1.0 / runs)
    prior_mean, prior_se = weighted_mean_se(values, equal)
    w = weights.weights
    adjusted = adjust(values, weights)
    mean, se = weighted_mean_se(adjusted, w)
    return {
        "prior_mean": prior_mean,
        "prior_sd": values.std(axis=0),
        "prior_se": prior_se,
        "weighted_mean": mean,
        "weighted_se": se,
        "prior_quantile": weighted_quantile(values, equal, qs),
        "weighted_quantile": weighted_quantile(adjusted, w, qs),
    }


def factor_update(ds: xr.Dataset, weights: Weights, qs) -> xr.Dataset:
    """Every stored factor of the forecast ``ds`` (``factor``, ``yearly_factor``), before
    (the prior: every run the same weight) and after weighting the runs by ``weights`` and
    the regression adjustment (:func:`adjust`).

    Returns
    -------
    xarray.Dataset
        ``factor_<stat>(factor_name[, quantile])`` and ``yearly_factor_<stat>(year,
        yearly_factor_name[, quantile])`` for the stats ``prior_mean``, ``prior_sd``,
        ``prior_se``, ``weighted_mean``, ``weighted_se``, ``prior_quantile`` and
        ``weighted_quantile``, in the factors' own units; empty without factors.
    """
    out = xr.Dataset(coords={"quantile": list(qs)})
    for var, dims in (
        ("factor", ("factor_name",)),
        ("yearly_factor", ("year", "yearly_factor_name")),
    ):
        if var not in ds:
            continue
        values = ds[var].transpose("run", *dims).values.astype(float)
        for stat, array in _summary(values, weights, qs).items():
            sdims = ("quantile", *dims) if stat.endswith("quantile") else dims
            out[f"{var}_{stat}"] = (sdims, array)
        out = out.assign_coords({d: ds[d].values for d in dims})
    return out
