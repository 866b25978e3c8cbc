"""Exits → conditional monthly transition tables ``q[group, from, duration, to]`` (DESIGN §3.3)."""

from __future__ import annotations

import numpy as np

from ..config.errors import ConfigError
from ..config.groups import Exit, Group
from ..config.schema import Config
from ..config.states import labour_destinations
from .codes import NEVER

_SUM_TOLERANCE = 1e-12
#: Exit kinds in the primitive exit arrays (columns: to, kind, months, value).
EXIT_AT, EXIT_WITHIN, EXIT_HAZARD = 0, 1, 2


# --------------------------------------------------------------------------------------
# Transitions
# --------------------------------------------------------------------------------------
def monthly_hazard(annual_probability: float) -> float:
    """Monthly probability of a constant hazard with the given annual probability."""
    return 1.0 - (1.0 - annual_probability) ** (1.0 / 12.0)


def exit_row(exits: list[Exit], i: int) -> int:
    """The first row of exit ``i`` of a state's ``exits`` in its compiled exit array (a
    ``monthly_shares`` curve takes one row per month)."""
    return sum(e.rows for e in exits[:i])


def _exit_rows(group: Group, state: str, states: tuple[str, ...]) -> np.ndarray:
    """The exits of one state as rows ``[to, kind, months, value]``; a ``monthly_shares``
    curve is one ``at_month`` row per month (mass mk after k months), in order; the group's
    relocation hazard, if any, is the last row."""
    spec = group.states.get(state)
    exits: list[Exit] = list(spec.exits) if spec is not None else []
    if group.relocation is not None:
        exits.append(group.relocation)
    rows = []
    for e in exits:
        to = states.index(e.to)
        if e.annual_probability is not None:
            rows.append((to, EXIT_HAZARD, 0, e.annual_probability))
        elif e.monthly_shares is not None:
            rows += [(to, EXIT_AT, k, m) for k, m in enumerate(e.monthly_shares, start=1)]
        elif e.at_month is not None:
            rows.append((to, EXIT_AT, e.at_month, e.share))
        else:
            rows.append((to, EXIT_WITHIN, e.within_months, e.share))
    return np.array(rows, dtype=np.float64).reshape(len(rows), 4)


def state_q(
    exits: np.ndarray, max_months: int, n_rows: int, gname: str, state: str, n_states: int
) -> np.ndarray:
    """Conditional table ``q[d − 1, to]`` of one state from its exit rows (DESIGN §3.3), for
    a config of ``n_states`` states.

    Raises
    ------
    ConfigError
        If in some month the exits need more than is still in the state.
    """
    mass = np.zeros((n_rows, n_states))
    hazard = np.zeros(n_states)
    for to, kind, months, value in exits:
        to, months = int(to), int(months)
        if kind == EXIT_HAZARD:
            hazard[to] += monthly_hazard(value)
        elif kind == EXIT_AT:
            mass[months - 1, to] += value
        else:
            mass[:months, to] += value / months
    q = np.zeros((n_rows, n_states))
    alive = 1.0
    for row in range(n_rows):
        month = row + 1
        need = mass[row].sum() + alive * hazard.sum()  # share of all who entered
        if need > alive * (1.0 + _SUM_TOLERANCE) + _SUM_TOLERANCE:
            raise ConfigError(
                f"groups.{gname}.states.{state}.exits: in month {month} since entering "
                f"{state!r} the exits need {100 * need:.6g} % of everyone who entered, but only "
                f"{100 * alive:.6g} % is still there, so the conditional probabilities sum above 1 "
                f"(group {gname!r}, state {state!r}, month {month}); lower a share, or "
                "time an exit earlier"
            )
        q[row] = hazard + (mass[row] / alive if alive > 0.0 else 0.0)
        total = q[row].sum()
        if total > 1.0:  # rounding only
            q[row] /= total
            total = 1.0
        alive = 0.0 if month == max_months else alive * (1.0 - total)
    return q


def state_q_runs(
    exits: np.ndarray, values: np.ndarray, max_months: int, n_rows: int, n_states: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`state_q` for many runs at once: ``exits`` gives each exit's kind and timing,
    ``values [n, k]`` each run's share or annual probability of every exit.

    Returns
    -------
    q : float64 [n, n_rows, S]
    feasible : bool [n]
        False for a run whose exits need more than is left in some month (its q is then not
        to be used).
    """
    n = values.shape[0]
    mass = np.zeros((n, n_rows, n_states))
    hazard = np.zeros((n, n_states))
    for e, (to, kind, months, _) in enumerate(exits):
        to, months, v = int(to), int(months), values[:, e]
        if kind == EXIT_HAZARD:
            hazard[:, to] += 1.0 - (1.0 - v) ** (1.0 / 12.0)
        elif kind == EXIT_AT:
            mass[:, months - 1, to] += v
        else:
            mass[:, :months, to] += (v / months)[:, None]
    q = np.zeros((n, n_rows, n_states))
    alive = np.ones(n)
    feasible = np.ones(n, dtype=bool)
    hazard_total = hazard.sum(axis=1)
    for row in range(n_rows):
        need = mass[:, row].sum(axis=1) + alive * hazard_total
        feasible &= need <= alive * (1.0 + _SUM_TOLERANCE) + _SUM_TOLERANCE
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(alive[:, None] > 0.0, mass[:, row] / alive[:, None], 0.0)
        q[:, row] = hazard + share
        total = q[:, row].sum(axis=1)
        over = total > 1.0  # rounding only, where feasible
        q[over, row] /= total[over, None]
        total = np.minimum(total, 1.0)
        alive = np.zeros(n) if row + 1 == max_months else alive * (1.0 - total)
    return q, feasible


def fold_tables(q: np.ndarray, max_months: np.ndarray, expiry: np.ndarray) -> dict[str, np.ndarray]:
    """The kernel's form of conditional tables ``q[..., G, S, D, S]`` (any leading dims,
    the last leading dim being years when there is one), with the on_expiry splits
    ``expiry[..., G, S, S]`` (the same leading dims as q, or none: one split for all).

    Returns ``move`` (q with the stayers at ``max_months`` split by ``on_expiry``), ``stay``
    (1 − Σ move), ``cum`` (stay + cumulative move, the last reachable destination closing at
    exactly 1.0 so that rounding can never let a uniform fall past it) and
    ``absorbing_from[..., G, S]`` (the duration from which ``stay`` is 1 in every row and
    every year, over the leading dims except the first).
    """
    G, S, D = q.shape[-4], q.shape[-3], q.shape[-2]
    move = q.copy()
    for g in range(G):
        for s in range(S):
            mm = int(max_months[g, s])
            if mm:
                row = q[..., g, s, mm - 1, :]
                left = np.clip(1.0 - row.sum(axis=-1), 0.0, None)
                move[..., g, s, mm - 1, :] = row + left[..., None] * expiry[..., g, s, :]
    stay = np.clip(1.0 - move.sum(axis=-1), 0.0, 1.0)
    cum = stay[..., None] + np.cumsum(move, axis=-1)
    reachable = move > 0.0
    last = np.where(reachable.any(axis=-1), S - 1 - np.argmax(reachable[..., ::-1], axis=-1), -1)
    idx = np.arange(S)
    cum = np.where((last[..., None] >= 0) & (idx >= last[..., None]), 1.0, cum)
    cum = np.minimum(cum, 1.0)
    # absorbing: stay == 1 from duration d on, in every year (leading dims after the first)
    still = stay == 1.0  # [..., G, S, D]
    if still.ndim > 4:
        still = still.all(axis=tuple(range(1, still.ndim - 3)))
    suffix = np.flip(np.logical_and.accumulate(np.flip(still, axis=-1), axis=-1), axis=-1)
    # first index from which every later row is still; D if none
    first = np.where(suffix.any(axis=-1), np.argmax(suffix, axis=-1), D)
    absorbing_from = np.where(suffix[..., -1], first + 1, NEVER).astype(np.int64)
    absorbing_from[..., S - 1] = 1  # relocated, the last state
    return dict(move=move, stay=stay, cum=cum, absorbing_from=absorbing_from)


def compile_transitions(config: Config) -> dict:
    """The transition arrays of :class:`~.compiled.CompiledModel` over the config's states
    (``relocated`` last), with ``work_to`` and ``relapse_to [G, S]``: the destination code of
    each state's moves that the labour-market factor shifts (−1: none), and ``rows [G, S]``:
    the duration rows of each state that can differ: its longest exit timing (or
    ``max_months``) plus one; from there on a row holds the hazards only, the same in every
    later row whatever the run's draws (``relocated``: 1)."""
    groups = list(config.groups.items())
    states = config.state_names
    G, S = len(groups), len(states)
    exits = {}
    max_months = np.zeros((G, S), dtype=np.int64)
    expiry = np.zeros((G, S, S))
    work_to = np.full((G, S), -1, dtype=np.int64)
    relapse_to = np.full((G, S), -1, dtype=np.int64)
    rows = np.ones((G, S), dtype=np.int64)
    n_rows = 1
    for g, (gname, group) in enumerate(groups):
        for s, state in enumerate(states[:-1]):
            exits[g, s] = _exit_rows(group, state, states)
            spec = group.states.get(state)
            if spec is not None and spec.max_months:
                max_months[g, s] = spec.max_months
                for to, share in spec.expiry_shares.items():
                    expiry[g, s, states.index(to)] = share
            work, relapse = labour_destinations(config, gname, state)
            work_to[g, s] = -1 if work is None else states.index(work)
            relapse_to[g, s] = -1 if relapse is None else states.index(relapse)
            longest = max([int(m) for m in exits[g, s][:, 2]] + [int(max_months[g, s])])
            rows[g, s] = longest + 1
            n_rows = max(n_rows, longest + 1)
    q = np.zeros((G, S, n_rows, S))
    for g, (gname, _) in enumerate(groups):
        for s, state in enumerate(states[:-1]):
            q[g, s] = state_q(exits[g, s], int(max_months[g, s]), n_rows, gname, state, S)
    tables = fold_tables(q, max_months, expiry)
    return dict(
        q=q,
        max_months=max_months,
        expiry=expiry,
        exits=exits,
        work_to=work_to,
        relapse_to=relapse_to,
        rows=rows,
        **tables,
    )
