"""Per-run transition tables: drawn shares and the labour-market shift applied to the
compiled tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..config.errors import ConfigError
from ..config.types import STATES
from .codes import N_STATES
from .factors import Draws
from .transitions import fold_tables, state_q, state_q_runs

if TYPE_CHECKING:
    from .compiled import CompiledModel

SELF, SUPPORT = STATES.index("self_sufficient"), STATES.index("income_support")


# --------------------------------------------------------------------------------------
# Effects on the transition tables and on money
# --------------------------------------------------------------------------------------
def _q_with_shares(model: CompiledModel, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Conditional tables of one run with its share draws, and the values used.

    Where the draws would over-subscribe a state (its exits needing more than is left), they
    are pulled back towards the config's own values just enough to fit (bisection on the
    fraction of the deviation kept)."""
    q = model.q.copy()
    used = values.copy()
    states: dict[tuple[int, int], list[int]] = {}
    for k, f in enumerate(model.shares):
        for s in range(N_STATES - 1) if f.state < 0 else [f.state]:
            states.setdefault((f.group, s), []).append(k)

    def rows_for(g: int, s: int, vals: np.ndarray) -> np.ndarray:
        rows = model.exits[g, s].copy()
        for k in states[g, s]:
            f = model.shares[k]
            rows[f.columns(len(rows)), 3] = vals[k] * np.asarray(f.weights)
        return rows

    base = np.array([f.base for f in model.shares])
    for (g, s), ks in states.items():
        try:
            q[g, s] = _state_q(model, g, s, rows_for(g, s, used))
        except ConfigError:
            lo, hi = 0.0, 1.0  # fraction of the deviation from the config's values kept
            for _ in range(50):
                mid = (lo + hi) / 2
                try:
                    _state_q(model, g, s, rows_for(g, s, base + mid * (used - base)))
                    lo = mid
                except ConfigError:
                    hi = mid
            used[ks] = base[ks] + lo * (used[ks] - base[ks])
            q[g, s] = _state_q(model, g, s, rows_for(g, s, used))
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
            per_run[:, f.columns(len(rows))] = values[:, k, None] * np.asarray(f.weights)
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
    if draws.labour is not None and model.labour is not None:
        q = _shock(q, draws.labour, model.labour.effect, model.labour.relapse_effect)
    else:
        q = q[:, None]
    t = fold_tables(q, model.max_months, model.expiry)
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


def level_multipliers(model: CompiledModel, draws: Draws) -> np.ndarray | None:
    """Multipliers ``[n, C]`` on the payments of the population already received: the level
    factors only (a policy acts on arrivals from its year, all after the population's)."""
    if not model.levels or not len(model.population):
        return None
    out = np.ones((draws.levels.shape[0], len(model.components)))
    for k, f in enumerate(model.levels):
        out[:, f.component] *= draws.levels[:, k]
    return out
