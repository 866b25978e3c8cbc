"""Second-stage uncertainty: the factors shared by everyone in a run, drawn per run."""

from __future__ import annotations

import zlib

import numpy as np
from scipy import special

from ..model.compiled import CompiledModel
from ..model.factors import Draws

_GAMMA, _M1, _M2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB


_FACTOR_STREAM = 3


def _mix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_M1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_M2)
    return z ^ (z >> np.uint64(31))


def factor_uniforms(seed: int, name: str, run_ids: np.ndarray, columns: int) -> np.ndarray:
    """Uniforms in (0, 1), ``[len(run_ids), columns]``, keyed by (seed, name, run, column)."""
    g = np.uint64(_GAMMA)
    with np.errstate(over="ignore"):
        key = _mix(np.uint64(seed) + np.uint64(_FACTOR_STREAM) * g)
        key = _mix(key + np.uint64(zlib.crc32(name.encode()) + 1) * g)
        runs = _mix(key + (np.asarray(run_ids, dtype=np.uint64) + np.uint64(1)) * g)
        cols = (np.arange(columns, dtype=np.uint64) + np.uint64(1)) * g
        x = _mix(runs[:, None] + cols[None, :])
    return ((x >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53


# --------------------------------------------------------------------------------------
# Inverse distribution functions
# --------------------------------------------------------------------------------------
def level_quantile(dist: str, params: dict[str, float], u: np.ndarray) -> np.ndarray:
    """The level factor at probability u (inverse CDF)."""
    if dist == "lognormal":
        sd, mean = params["sd"], params.get("mean", 1.0)
        return mean * np.exp(-0.5 * sd**2 + sd * special.ndtri(u))
    if dist == "normal":
        return params.get("mean", 1.0) + params["sd"] * special.ndtri(u)
    lo, hi = params["min"], params["max"]
    if dist == "uniform":
        return lo + u * (hi - lo)
    mode = params["mode"]
    if dist == "triangular":
        cut = (mode - lo) / (hi - lo)
        return np.where(
            u < cut,
            lo + np.sqrt(u * (hi - lo) * (mode - lo)),
            hi - np.sqrt((1 - u) * (hi - lo) * (hi - mode)),
        )
    # beta-PERT with the usual weight 4 on the mode
    a = 1 + 4 * (mode - lo) / (hi - lo)
    b = 1 + 4 * (hi - mode) / (hi - lo)
    return lo + (hi - lo) * special.betaincinv(a, b, u)


def level_mean(dist: str, params: dict[str, float]) -> float:
    """The mean of a level factor's distribution."""
    if dist in ("lognormal", "normal"):
        return params.get("mean", 1.0)
    if dist == "uniform":
        return (params["min"] + params["max"]) / 2
    lo, mode, hi = params["min"], params["mode"], params["max"]
    return (lo + mode + hi) / 3 if dist == "triangular" else (lo + 4 * mode + hi) / 6


def share_quantile(f, u: np.ndarray) -> np.ndarray:
    """An uncertain share at probability u: beta(mean, sd) or uniform(min, max)."""
    if f.mean is not None:
        kappa = f.mean * (1 - f.mean) / f.sd**2 - 1
        return special.betaincinv(f.mean * kappa, (1 - f.mean) * kappa, u)
    return f.low + u * (f.high - f.low)


def _ar1(mean: float, sd: float, rho: float, eps: np.ndarray) -> np.ndarray:
    """A stationary AR(1) path per row from standard normal innovations ``eps[n, Y]``."""
    z = np.empty_like(eps)
    z[:, 0] = sd * eps[:, 0]
    for y in range(1, eps.shape[1]):
        z[:, y] = rho * z[:, y - 1] + sd * np.sqrt(1 - rho**2) * eps[:, y]
    return mean + z


def draw(
    model: CompiledModel, seed: int, run_ids: np.ndarray, at: dict[str, float] | None = None
) -> Draws:
    """Draw every factor for the given runs.

    ``at`` fixes factors at a quantile for every run: ``{name: q}``, with ``"*"`` for all
    factors not named. A yearly factor at quantile q is the constant path at its marginal
    q-quantile (a persistent downturn, for a one-at-a-time swing).
    """
    n, Y = len(run_ids), model.years
    at = at or {}

    def u(name: str, columns: int = 1) -> np.ndarray | float:
        q = at.get(name, at.get("*"))
        return q if q is not None else factor_uniforms(seed, name, run_ids, columns)

    labour = None
    if model.labour is not None:
        lm = model.labour
        uu = u("labour_market", Y)
        if np.isscalar(uu):
            labour = np.full((n, Y), lm.mean + lm.sd * special.ndtri(uu))
        else:
            labour = _ar1(lm.mean, lm.sd, lm.autocorrelation, special.ndtri(uu))
    arrivals = None
    if model.arrival_factor is not None:
        af = model.arrival_factor
        if af.scenario_factors:
            uu = np.broadcast_to(u("arrivals"), (n, 1))[:, 0]
            idx = np.searchsorted(np.cumsum(af.scenario_weights), uu, side="right")
            idx = np.minimum(idx, len(af.scenario_factors) - 1)
            arrivals = np.repeat(np.asarray(af.scenario_factors)[idx][:, None], Y, axis=1)
        else:
            uu = u("arrivals", Y)
            if np.isscalar(uu):
                log = np.full((n, Y), af.sd * special.ndtri(uu))
            else:
                log = _ar1(0.0, af.sd, af.autocorrelation, special.ndtri(uu))
            arrivals = np.exp(log - 0.5 * af.sd**2)
    levels = np.ones((n, len(model.levels)))
    for k, f in enumerate(model.levels):
        levels[:, k] = level_quantile(
            f.dist, dict(f.params), np.broadcast_to(u(f.name), (n, 1))[:, 0]
        )
    shares = np.empty((n, len(model.shares)))
    for k, f in enumerate(model.shares):
        shares[:, k] = share_quantile(f, np.broadcast_to(u(f.name), (n, 1))[:, 0])
    policies = np.ones((n, len(model.policies)))
    for k, f in enumerate(model.policies):
        happens = np.broadcast_to(u(f.name), (n, 1))[:, 0] < f.probability
        policies[:, k] = np.where(happens, f.factor, 1.0)
    claims = None
    if model.claims:  # refused claims: one draw per run and claim year (DESIGN §15)
        claims = np.empty((n, Y, len(model.claims)))
        for k, c in enumerate(model.claims):
            claims[:, :, k] = np.broadcast_to(u(c.name, Y), (n, Y)) < c.probability
    return Draws(labour, arrivals, levels, shares, policies, claims)


def central(model: CompiledModel) -> Draws:
    """Every factor at its mean (one 'run'): the plan that ``expected`` evaluates. Exact for
    the factors that act linearly (arrivals, levels, policies); a plug-in value for the
    labour market and shares."""
    Y = model.years
    labour = None if model.labour is None else np.full((1, Y), model.labour.mean)
    arrivals = None
    if model.arrival_factor is not None:
        af = model.arrival_factor
        mean = (
            float(np.dot(af.scenario_factors, af.scenario_weights)) if af.scenario_factors else 1.0
        )
        arrivals = np.full((1, Y), mean)
    levels = np.array([[level_mean(f.dist, dict(f.params)) for f in model.levels]]).reshape(1, -1)
    shares = np.array(
        [[f.mean if f.mean is not None else (f.low + f.high) / 2 for f in model.shares]]
    ).reshape(1, -1)
    policies = np.array(
        [[1 - f.probability + f.probability * f.factor for f in model.policies]]
    ).reshape(1, -1)
    claims = None
    if model.claims:  # the expected loss: the probability times the amount
        claims = np.array([[[c.probability for c in model.claims]] * Y])
    return Draws(labour, arrivals, levels, shares, policies, claims)
