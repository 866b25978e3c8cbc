"""Per-run transition tables: drawn shares and the labour-market shift applied to the
compiled tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..config.errors import ConfigError, config_error
from ..config.types import STATES
from . import _table_kernels
from .factors import Draws, ShareFactor
from .transitions import EXIT_HAZARD, fold_tables, state_q, state_q_runs

if TYPE_CHECKING:
    from .compiled import CompiledModel

#: The default states' work and relapse destinations (``_shock`` without markings).
SELF, SUPPORT = STATES.index("self_sufficient"), STATES.index("income_support")


# --------------------------------------------------------------------------------------
# Effects on the transition tables and on money
# --------------------------------------------------------------------------------------
def share_states(
    shares: tuple[ShareFactor, ...], n_states: int
) -> dict[tuple[int, int], list[int]]:
    """The states each uncertain share acts on, ``{(group, state): [factor indices]}``: an
    exit's share acts on its state, a group's relocation hazard on every state but relocated
    (the last of ``n_states``)."""
    states: dict[tuple[int, int], list[int]] = {}
    for k, f in enumerate(shares):
        for s in range(n_states - 1) if f.state < 0 else [f.state]:
            states.setdefault((f.group, s), []).append(k)
    return states


def share_rows(model: CompiledModel, g: int, s: int, values: np.ndarray) -> np.ndarray:
    """The exit rows of state s of group g with every uncertain share on it at ``values[k]``."""
    rows = model.exits[g, s].copy()
    for k in share_states(model.shares, len(model.states)).get((g, s), []):
        f = model.shares[k]
        rows[f.columns(len(rows)), 3] = values[k] * np.asarray(f.weights)
    return rows


def check_share_ranges(model: CompiledModel) -> None:
    """Refuse an uncertain share whose range no draw can honour: even at its lowest value,
    with every other uncertain share at its lowest (the least any run asks of a state), some
    state's exits would need more than is left."""
    lowest = np.array([0.0 if f.mean is not None else f.low for f in model.shares])

    def fits(g: int, s: int, values: np.ndarray) -> bool:
        try:
            _state_q(model, g, s, share_rows(model, g, s, values))
        except ConfigError:
            return False
        return True

    for (g, s), ks in share_states(model.shares, len(model.states)).items():
        if fits(g, s, lowest):
            continue
        k = next((k for k in ks if lowest[k] > model.shares[k].base), ks[0])
        f = model.shares[k]
        rule = (
            f"no run can draw a value that fits: even the range's lowest value {lowest[k]:g} "
            "(with every other uncertain share at its lowest) makes the exits of group "
            f"{model.groups[g]!r}, state {model.states[s]!r} need more than is still in the state "
            "in some month"
        )
        values = lowest.copy()
        values[k] = 0.0
        if fits(g, s, values):  # the largest value that fits, for the message
            lo, hi = 0.0, float(lowest[k])
            for _ in range(40):
                values[k] = (lo + hi) / 2
                lo, hi = (values[k], hi) if fits(g, s, values) else (lo, values[k])
            rule += f"; values above about {lo:.3g} never fit: lower min and max"
        raise config_error(
            f'uncertainty.shares."{f.name.removeprefix("share:")}"',
            {"min": f.low, "max": f.high},
            rule,
        )


def _q_with_shares(model: CompiledModel, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Conditional tables of one run with its share draws, and the values used.

    Where the draws would over-subscribe a state (its exits needing more than is left), the
    draws of the factors acting on it are pulled back towards the config's own values just
    enough to fit (bisection on the fraction of the deviation kept). A factor acting on several
    states (a group's relocation hazard) ends with one value, used in all of them: the states
    are gone through until no draw changes, then every table is built from the final values."""
    used = values.copy()
    states = share_states(model.shares, len(model.states))
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
    by numpy for all runs at once (the reference of the compiled plan); the few runs whose
    draws over-subscribe a state go through :func:`_q_with_shares` (which pulls them back and
    writes the values used into ``values``)."""
    n = values.shape[0]
    q = np.broadcast_to(model.q, (n, *model.q.shape)).copy()
    infeasible = np.zeros(n, dtype=bool)
    for (g, s), ks in share_states(model.shares, len(model.states)).items():
        rows = model.exits[g, s]
        q_gs, ok = state_q_runs(
            rows, share_values(model, rows, ks, values), int(model.max_months[g, s]),
            model.q.shape[2], len(model.states),
        )  # fmt: skip
        q[:, g, s] = q_gs
        infeasible |= ~ok
    for r in np.flatnonzero(infeasible):
        q[r], values[r] = _q_with_shares(model, values[r])
    return q


def share_values(
    model: CompiledModel, rows: np.ndarray, ks: list[int], values: np.ndarray
) -> np.ndarray:
    """``[n, k]``: each run's value of every exit row of a state (``rows``, its compiled exit
    rows), with the uncertain shares ``ks`` acting on it at the runs' draws ``values``."""
    per_run = np.broadcast_to(rows[:, 3], (values.shape[0], len(rows))).copy()
    for k in ks:
        f = model.shares[k]
        per_run[:, f.columns(len(rows))] = values[:, k, None] * np.asarray(f.weights)
    return per_run


def _state_q_runs(
    exits: np.ndarray, values: np.ndarray, max_months: int, n_rows: int, n_states: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~.transitions.state_q_runs` by the kernel (the hazards' powers by numpy)."""
    kind = exits[:, 1].astype(np.int64)
    hazard_of = np.zeros_like(values)
    hazard = kind == EXIT_HAZARD
    hazard_of[:, hazard] = 1.0 - (1.0 - values[:, hazard]) ** (1.0 / 12.0)
    q = np.empty((values.shape[0], n_rows, n_states))
    feasible = np.ones(values.shape[0], dtype=bool)
    _table_kernels.state_q_runs(
        kind, exits[:, 0].astype(np.int64), exits[:, 2].astype(np.int64),
        np.ascontiguousarray(values), hazard_of, max_months, q, feasible,
    )  # fmt: skip
    return q, feasible


def _state_q(model: CompiledModel, g: int, s: int, rows: np.ndarray) -> np.ndarray:
    return state_q(
        rows, int(model.max_months[g, s]), model.q.shape[2], model.groups[g], model.states[s],
        len(model.states),
    )  # fmt: skip


def _destinations(
    to: np.ndarray | None, G: int, S: int, default: tuple[int | None, int]
) -> np.ndarray:
    """``[G, S, S]`` true at each state's destination code ``to [G, S]`` (−1: none); without
    ``to``, the default states' ``(from, to)`` (from None: every state)."""
    if to is None:
        out = np.zeros((G, S, S), dtype=bool)
        out[:, slice(None) if default[0] is None else default[0], default[1]] = True
        return out
    return (to[:, :, None] == np.arange(S)) & (to[:, :, None] >= 0)


def _shock(
    q: np.ndarray,
    z: np.ndarray,
    effect: float,
    relapse: float,
    work_to: np.ndarray | None = None,
    relapse_to: np.ndarray | None = None,
) -> np.ndarray:
    """Tables by run and year: ``q [R, G, S, D, S]``, ``z [n, Y]`` → ``[n, Y, G, S, D, S]``.
    Each state's move to its work destination ``work_to [G, S]`` shifts with ``effect · z``,
    the one to its relapse destination ``relapse_to`` with ``−relapse · z`` (default: the
    default states' moves to self_sufficient, and from it to income_support)."""
    n, Y = z.shape
    G, S = q.shape[1], q.shape[2]
    work = _destinations(work_to, G, S, (None, SELF))[:, :, None, :]  # [G, S, 1, S]
    back = _destinations(relapse_to, G, S, (SELF, SUPPORT))[:, :, None, :]
    out = np.broadcast_to(q[:, None], (n, Y, *q.shape[1:])).copy()
    z6 = z[:, :, None, None, None, None]

    def cloglog(p: np.ndarray, beta_z: np.ndarray) -> np.ndarray:
        return np.where(beta_z == 0.0, p, 1.0 - (1.0 - p) ** np.exp(beta_z))

    out = np.where(work, cloglog(out, effect * z6), out)
    if relapse:
        out = np.where(back, cloglog(out, -relapse * z6), out)
    # a strong year may ask for more than is left: the shifted exit gets at most the rest
    total = out.sum(axis=-1)
    excess = np.clip(total - 1.0, 0.0, None)
    if excess.any():
        out -= np.where(work, np.minimum(excess[..., None], out), 0.0)
        excess = np.clip(out.sum(axis=-1) - 1.0, 0.0, None)
        out -= np.where(back, np.minimum(excess[..., None], out), 0.0)
    return out


def _shift_expiry(
    expiry: np.ndarray, z: np.ndarray, effect: float, work_to: np.ndarray | None = None
) -> np.ndarray:
    """On-expiry splits by run and year: ``expiry [G, S, S]``, ``z [n, Y]`` → ``[n, Y, G, S,
    S]``. The share x to a state's work destination (``work_to [G, S]``; default
    ``self_sufficient``) moves on the scale of the exits, ``x' = 1 − (1 − x)^exp(effect · z)``,
    and the other destinations share the rest in their config proportions."""
    n, Y = z.shape
    G, S = expiry.shape[0], expiry.shape[1]
    work = _destinations(work_to, G, S, (None, SELF))
    out = np.broadcast_to(expiry, (n, Y, *expiry.shape)).copy()
    beta_z = effect * z[:, :, None, None]
    x = np.where(work, out, 0.0).sum(axis=-1)  # [n, Y, G, S]: the one work share (or 0)
    shifted = np.where(beta_z == 0.0, x, 1.0 - (1.0 - x) ** np.exp(beta_z))
    with np.errstate(divide="ignore", invalid="ignore"):
        rest = np.where(x < 1.0, (1.0 - shifted) / (1.0 - x), 1.0)
    out *= rest[..., None]
    return np.where(work, shifted[..., None], out)


@dataclass
class Tables:
    """The kernel's transition tables for a chunk of runs."""

    stay: np.ndarray  # [R', Y', G, S, D]; R' = runs or 1, Y' = years or 1
    cum: np.ndarray  # [R', Y', G, S, D, S]
    absorbing_from: np.ndarray  # [R', G, S]
    move: np.ndarray | None  # [R', Y', G, S, D, S]; None where not asked for (the engines)


def base_tables(model: CompiledModel) -> Tables:
    return Tables(
        model.stay[None, None],
        model.cum[None, None],
        model.absorbing_from[None],
        model.move[None, None],
    )


def chunk_tables_numpy(model: CompiledModel, draws: Draws) -> Tables:
    """The numpy reference of :func:`.folding.chunk_tables`, array by array (tests)."""
    if not model.shares and draws.labour is None:
        return base_tables(model)
    q = _q_with_shares_runs(model, draws.shares) if model.shares else model.q[None]
    expiry = model.expiry
    if draws.labour is not None and model.labour is not None:
        labour = model.labour
        q = _shock(
            q, draws.labour, labour.effect, labour.relapse_effect, model.work_to, model.relapse_to
        )
        expiry = _shift_expiry(expiry, draws.labour, labour.effect, model.work_to)
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


def level_multipliers(model: CompiledModel, draws: Draws) -> np.ndarray | None:
    """Multipliers ``[n, C]`` on the payments of the population already received: the level
    factors only (a policy acts on arrivals from its year, all after the population's)."""
    if not model.levels or not len(model.population):
        return None
    out = np.ones((draws.levels.shape[0], len(model.components)))
    for k, f in enumerate(model.levels):
        out[:, f.component] *= draws.levels[:, k]
    return out
