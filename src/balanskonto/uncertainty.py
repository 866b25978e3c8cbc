"""Second-stage uncertainty: factors shared by everyone in a run, and what they change.

Every factor is drawn by inverting its distribution function at a uniform that is a pure
function of ``(seed, factor name, run, year)`` (the splitmix64 finaliser of a key, as in the
kernels). So a factor's draws do not depend on which other factors a config has, on the
chunking, or on the scenario (common random numbers), and fixing a factor at a quantile for
a one-at-a-time swing only means replacing its uniforms.

Factors (names as they appear in the output's ``factor`` / ``yearly_factor`` coordinates):

- ``labour_market`` (per run and year): z, stationary AR(1) with mean, sd, autocorrelation.
  Exits to ``self_sufficient`` get ``q' = 1 − (1 − q)^exp(effect · z)``, and so does the
  ``self_sufficient`` share of an ``on_expiry`` split (the rest of the split rescaled);
  relapses (``self_sufficient → income_support``) get ``1 − (1 − q)^exp(−relapse_effect · z)``.
- ``arrivals`` (per run and year): a multiplier on planned arrivals.
- ``level:<component>``: a multiplier on every amount of the component.
- ``share:<path>``: the value of an exit's share or annual probability.
- ``policy[i]:<component>``: the multiplier the policy applies (its factor, or 1 when it does
  not happen in that run).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from scipy import special

from .compile import (
    N_STATES,
    CompiledModel,
    ConfigError,
    fold_tables,
    share_rows,
    share_states,
    state_q,
    state_q_runs,
)
from .config import STATES

SELF, SUPPORT = STATES.index("self_sufficient"), STATES.index("income_support")
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


# --------------------------------------------------------------------------------------
@dataclass
class Draws:
    """The factors of a chunk of runs."""

    labour: np.ndarray | None  # [n, Y] z
    arrivals: np.ndarray | None  # [n, Y] multiplier on planned arrivals
    levels: np.ndarray  # [n, L] multipliers
    shares: np.ndarray  # [n, K] values (capped where infeasible, see chunk_tables)
    policies: np.ndarray  # [n, P] multipliers applied

    def per_run(self, model: CompiledModel) -> tuple[list[str], np.ndarray]:
        names = [f.name for f in (*model.levels, *model.shares, *model.policies)]
        values = np.concatenate([self.levels, self.shares, self.policies], axis=1)
        return names, values

    def per_year(self) -> tuple[list[str], np.ndarray | None]:
        names, arrays = [], []
        for name, a in (("labour_market", self.labour), ("arrivals", self.arrivals)):
            if a is not None:
                names.append(name)
                arrays.append(a)
        return names, (np.stack(arrays, axis=-1) if arrays else None)


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
    return Draws(labour, arrivals, levels, shares, policies)


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
    return Draws(labour, arrivals, levels, shares, policies)


# --------------------------------------------------------------------------------------
# Effects on the transition tables and on money
# --------------------------------------------------------------------------------------
def _q_with_shares(model: CompiledModel, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Conditional tables of one run with its share draws, and the values used.

    Where the draws would over-subscribe a state (its exits needing more than is left), the
    draws of the factors acting on it are pulled back towards the config's own values just
    enough to fit (bisection on the fraction of the deviation kept). A factor acting on several
    states (a group's relocation hazard) ends with one value, used in all of them: the states
    are gone through until no draw changes, then every table is built from the final values."""
    used = values.copy()
    states = share_states(model.shares)
    base = np.array([f.base for f in model.shares])

    def fits(g: int, s: int, vals: np.ndarray) -> bool:
        try:
            _state_q(model, g, s, share_rows(model, g, s, vals))
        except ConfigError:
            return False
        return True

    for _ in range(10 * len(states)):  # each pass only moves draws towards the config's values
        changed = False
        for (g, s), ks in states.items():
            if fits(g, s, used):
                continue
            lo, hi = 0.0, 1.0  # fraction of the deviation from the config's values kept
            for _ in range(50):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if fits(g, s, base + mid * (used - base)) else (lo, mid)
            used[ks] = base[ks] + lo * (used[ks] - base[ks])
            changed = True
        if not changed:
            break
    else:  # no fixed point found (never seen): the config's own values fit everywhere
        used = base.copy()
    q = model.q.copy()
    for g, s in states:
        q[g, s] = _state_q(model, g, s, share_rows(model, g, s, used))
    return q, used


def _q_with_shares_runs(model: CompiledModel, values: np.ndarray) -> np.ndarray:
    """Conditional tables ``[n, G, S, D, S]`` of many runs with their share draws, computed
    for all runs at once; the few runs whose draws over-subscribe a state go through
    :func:`_q_with_shares` (which pulls them back and writes the values used into
    ``values``)."""
    n = values.shape[0]
    q = np.broadcast_to(model.q, (n, *model.q.shape)).copy()
    states: dict[tuple[int, int], list[int]] = {}
    for k, f in enumerate(model.shares):
        for s in range(N_STATES - 1) if f.state < 0 else [f.state]:
            states.setdefault((f.group, s), []).append(k)
    infeasible = np.zeros(n, dtype=bool)
    for (g, s), ks in states.items():
        rows = model.exits[g, s]
        per_run = np.broadcast_to(rows[:, 3], (n, len(rows))).copy()
        for k in ks:
            f = model.shares[k]
            per_run[:, f.exit if f.exit >= 0 else len(rows) - 1] = values[:, k]
        q_gs, ok = state_q_runs(rows, per_run, int(model.max_months[g, s]), model.q.shape[2])
        q[:, g, s] = q_gs
        infeasible |= ~ok
    for r in np.flatnonzero(infeasible):
        q[r], values[r] = _q_with_shares(model, values[r])
    return q


def _state_q(model: CompiledModel, g: int, s: int, rows: np.ndarray) -> np.ndarray:
    return state_q(rows, int(model.max_months[g, s]), model.q.shape[2], model.groups[g], STATES[s])


def _shock(q: np.ndarray, z: np.ndarray, effect: float, relapse: float) -> np.ndarray:
    """Tables by run and year: ``q [R, G, S, D, S]``, ``z [n, Y]`` → ``[n, Y, G, S, D, S]``."""
    n, Y = z.shape
    out = np.broadcast_to(q[:, None], (n, Y, *q.shape[1:])).copy()
    z6 = z[:, :, None, None, None]

    def cloglog(p: np.ndarray, beta_z: np.ndarray) -> np.ndarray:
        return np.where(beta_z == 0.0, p, 1.0 - (1.0 - p) ** np.exp(beta_z))

    out[..., SELF] = cloglog(out[..., SELF], effect * z6)
    if relapse:
        zr = z[:, :, None, None]
        out[..., SELF, :, SUPPORT] = cloglog(out[..., SELF, :, SUPPORT], -relapse * zr)
    # a strong year may ask for more than is left: the shifted exit gets at most the rest
    total = out.sum(axis=-1)
    excess = np.clip(total - 1.0, 0.0, None)
    if excess.any():
        out[..., SELF] -= np.minimum(excess, out[..., SELF])
        excess = np.clip(out.sum(axis=-1) - 1.0, 0.0, None)
        out[..., SELF, :, SUPPORT] -= np.minimum(excess[..., SELF, :], out[..., SELF, :, SUPPORT])
    return out


def _shift_expiry(expiry: np.ndarray, z: np.ndarray, effect: float) -> np.ndarray:
    """On-expiry splits by run and year: ``expiry [G, S, S]``, ``z [n, Y]`` → ``[n, Y, G, S,
    S]``. The share to ``self_sufficient`` (work) moves on the scale of the exits,
    ``x' = 1 − (1 − x)^exp(effect · z)``, and the other destinations share the rest in their
    config proportions."""
    n, Y = z.shape
    out = np.broadcast_to(expiry, (n, Y, *expiry.shape)).copy()
    beta_z = effect * z[:, :, None, None]
    x = out[..., SELF]
    shifted = np.where(beta_z == 0.0, x, 1.0 - (1.0 - x) ** np.exp(beta_z))
    with np.errstate(divide="ignore", invalid="ignore"):
        rest = np.where(x < 1.0, (1.0 - shifted) / (1.0 - x), 1.0)
    out *= rest[..., None]
    out[..., SELF] = shifted
    return out


@dataclass
class Tables:
    """The kernel's transition tables for a chunk of runs."""

    stay: np.ndarray  # [R', Y', G, S, D]; R' = runs or 1, Y' = years or 1
    cum: np.ndarray  # [R', Y', G, S, D, S]
    absorbing_from: np.ndarray  # [R', G, S]
    move: np.ndarray  # [R', Y', G, S, D, S]


def base_tables(model: CompiledModel) -> Tables:
    return Tables(
        model.stay[None, None],
        model.cum[None, None],
        model.absorbing_from[None],
        model.move[None, None],
    )


def chunk_tables(model: CompiledModel, draws: Draws) -> Tables:
    """Transition tables for the runs of ``draws`` (and the share values actually used,
    written back into ``draws.shares``)."""
    if not model.shares and draws.labour is None:
        return base_tables(model)
    q = _q_with_shares_runs(model, draws.shares) if model.shares else model.q[None]
    expiry = model.expiry
    if draws.labour is not None and model.labour is not None:
        q = _shock(q, draws.labour, model.labour.effect, model.labour.relapse_effect)
        expiry = _shift_expiry(expiry, draws.labour, model.labour.effect)
    else:
        q = q[:, None]
    t = fold_tables(q, model.max_months, expiry)
    return Tables(t["stay"], t["cum"], t["absorbing_from"], t["move"])


def money_multipliers(model: CompiledModel, draws: Draws) -> np.ndarray | None:
    """Multipliers ``[n, Y, C]`` on amounts: indexed by calendar year for per-month and fixed
    amounts, by year of arrival for scheduled payments; None when no factor touches money."""
    if not model.levels and not model.policies:
        return None
    n, Y, C = draws.levels.shape[0], model.years, len(model.components)
    calendar = np.ones((n, Y, C))
    for k, f in enumerate(model.levels):
        calendar[:, :, f.component] *= draws.levels[:, k, None]
    for k, f in enumerate(model.policies):
        calendar[:, f.from_year :, f.component] *= draws.policies[:, k, None]
    return calendar
