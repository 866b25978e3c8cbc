"""A chunk's per-run transition tables before folding (:class:`TablePlan`): the drawn
shares' conditional tables and numpy's powers of the labour-market shift, computed once for
the chunk; :func:`._table_kernels.fold_run` folds a run's tables from them (the stepping
kernel, just before simulating the run) and :meth:`TablePlan.fold` a slice of runs'.

Only what can differ between runs is per run: the conditional tables of the states an
uncertain share acts on (``q_runs [R, K, D, S]``, state (g, s) at ``of[g, s]``, −1: the
model's own ``q``), and the powers of the shifted entries, one slot for each entry that can
be shifted (``slot [G, S, D]``, −1: none) and each run and year (``pw [n, Y, K]``). Only the
rows of :attr:`~.compiled.CompiledModel.rows` get slots: no kernel reads a power past them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import _table_kernels
from .factors import Draws
from .tables import (
    Tables,
    _q_with_shares,
    _state_q_runs,
    base_tables,
    share_states,
    share_values,
)

if TYPE_CHECKING:
    from .compiled import CompiledModel


def chunk_tables(model: CompiledModel, draws: Draws, move: bool = True) -> Tables:
    """Transition tables for the runs of ``draws`` (and the share values actually used,
    written back into ``draws.shares``), computed by the compiled kernels of
    :mod:`._table_kernels`; bit for bit :func:`~.tables.chunk_tables_numpy`. Without
    ``move`` the per-run ``move`` tables, which the engines do not read, are not made (None)."""
    plan = table_plan(model, draws)
    return plan if isinstance(plan, Tables) else plan.fold(0, plan.runs, move)


@dataclass
class TablePlan:
    """A chunk's per-run tables, not yet folded: the arguments of
    :func:`._table_kernels.fold_run` before the tables, computed once for the chunk (the drawn
    shares' conditional tables, numpy's powers). The stepping engine folds each run's tables
    in its kernel just before simulating the run (a chunk's tables are tens of MB, a run's
    fit in the cache); :meth:`fold` makes them for a slice of runs."""

    runs: int
    args: tuple  # fold_run's arguments between the run and the tables
    shape: tuple[int, int, int, int]  # Y, G, S, D

    def fold(self, lo: int, hi: int, move: bool = False, compact: bool = False) -> Tables:
        """The tables of runs ``lo … hi − 1``: every duration row (``[n, Y, G, S, D]``), or
        with ``compact`` the rows that differ only (``[n, Y, N]``, :func:`compact_tables`)."""
        n = hi - lo
        Y, G, S, D = self.shape
        args = list(self.args)
        if args[1].shape[0] > 1:  # q_runs by run
            args[1] = args[1][lo:hi]
        for k in (4, 7, 9, 12, 15):  # bz, pw_self, br, pw_relapse, pw_expiry: by run
            args[k] = args[k][lo:hi]
        rows = args[17]
        N = int(rows.sum()) if compact else G * S * D
        off = row_offsets(rows) if compact else np.arange(0, N, D).reshape(G, S)
        stay, cum = np.empty((n, Y, N)), np.empty((n, Y, N, S))
        absorbing_from = np.empty((n, G, S), dtype=np.int64)
        moves = np.empty((n, Y, N, S) if move else (1,) * 4)
        _table_kernels.fold_runs(*args, off, stay, cum, move, moves, absorbing_from, not compact)
        full = (n, Y, G, S, D)
        if not compact:
            stay, cum = stay.reshape(full), cum.reshape(*full, S)
        return Tables(stay, cum, absorbing_from, moves.reshape(*full, S) if move else None)


def row_offsets(rows: np.ndarray) -> np.ndarray:
    """``[G, S]``: where each state's rows start in compact tables (``rows [G, S]`` laid end
    to end, group by group)."""
    return (np.cumsum(rows) - rows.ravel()).reshape(rows.shape)


def compact_tables(tables: Tables, rows: np.ndarray) -> Tables:
    """Full tables ``[R', Y', G, S, D]`` in the kernels' compact form ``stay [R', Y', N]``,
    ``cum [R', Y', N, S]``: each state's first ``rows[g, s]`` duration rows, end to end
    (:func:`row_offsets`); ``move`` is dropped."""
    R, Y, G, S, D = tables.stay.shape
    keep = (np.arange(D) < rows[:, :, None]).ravel()
    stay = np.ascontiguousarray(tables.stay.reshape(R, Y, G * S * D)[:, :, keep])
    cum = np.ascontiguousarray(tables.cum.reshape(R, Y, G * S * D, S)[:, :, keep])
    return Tables(stay, cum, tables.absorbing_from, None)


def table_plan(model: CompiledModel, draws: Draws) -> TablePlan | Tables:
    """The :class:`TablePlan` of the runs of ``draws`` (pulled-back share values written back
    into ``draws.shares``), or the shared tables where no run has its own."""
    if not model.shares and draws.labour is None:
        return base_tables(model)
    n = draws.shares.shape[0]
    q_runs, of = share_q_runs(model, draws.shares)
    shock = draws.labour is not None and model.labour is not None
    Y = model.years if shock else 1
    z = draws.labour if shock else None
    return TablePlan(n, fold_args(model, q_runs, of, n, z), (Y, *model.q.shape[:3]))


def share_q_runs(model: CompiledModel, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The conditional tables of the states an uncertain share acts on, for every run of
    ``values [n, k]`` (the runs' share draws): ``q_runs [n, K, D, S]`` and ``of [G, S]``
    (state (g, s)'s index in K, −1 for the others, whose table is the model's). Bit for bit
    the rows of :func:`~.tables._q_with_shares_runs`: the few runs whose draws over-subscribe
    a state go through :func:`~.tables._q_with_shares` (which pulls them back and writes the
    values used into ``values``)."""
    G, S, D = model.q.shape[:3]
    of = np.full((G, S), -1, dtype=np.int64)
    states = share_states(model.shares, S)
    n = values.shape[0]
    q_runs = np.empty((n, len(states), D, S))
    infeasible = np.zeros(n, dtype=bool)
    for i, ((g, s), ks) in enumerate(states.items()):
        of[g, s] = i
        rows = model.exits[g, s]
        per_run = share_values(model, rows, ks, values)
        q_runs[:, i], ok = _state_q_runs(rows, per_run, int(model.max_months[g, s]), D, S)
        infeasible |= ~ok
    for r in np.flatnonzero(infeasible):
        q, values[r] = _q_with_shares(model, values[r])
        for i, (g, s) in enumerate(states):
            q_runs[r, i] = q[g, s]
    return q_runs, of


def fold_args(
    model: CompiledModel, q_runs: np.ndarray, of: np.ndarray, n: int, z: np.ndarray | None
) -> tuple:
    """:func:`._table_kernels.fold_run`'s arguments between the run and the tables, for n
    runs with the drawn shares' tables ``q_runs``, ``of`` (:func:`share_q_runs`) and the
    labour-market factor ``z [n, Y]`` (None: no shift)."""
    G, S, D = model.q.shape[:3]
    bz = br = np.zeros((n, 1))
    ones = np.ones((n, 1, 1))
    powers = [(np.full(shape, -1, dtype=np.int64), ones) for shape in ((G, S, D),) * 2 + ((G, S),)]
    relapse = False
    if z is not None:
        effect = model.labour.effect
        relapse = bool(model.labour.relapse_effect)
        bz, br = effect * z, -model.labour.relapse_effect * z
        # the entries with a destination, within the rows that differ (no power read past them)
        within = np.arange(D) < model.rows[:, :, None]  # [G, S, D]
        g, s = np.nonzero(model.work_to >= 0)  # the expiry splits' work shares
        powers = [
            _powers(_entries(model, q_runs, of, model.work_to, within), np.exp(bz)),
            _powers(_entries(model, q_runs, of, model.relapse_to, within), np.exp(br)),
            _powers((model.expiry[g, s, model.work_to[g, s]][None], (g, s), (G, S)), np.exp(bz)),
        ]
    (slot_self, pw_self), (slot_relapse, pw_relapse), (slot_expiry, pw_expiry) = powers
    return (
        model.q, q_runs, of, z is not None, np.ascontiguousarray(bz), model.work_to, slot_self,
        pw_self, relapse, np.ascontiguousarray(br), model.relapse_to, slot_relapse, pw_relapse,
        model.expiry, slot_expiry, pw_expiry, model.max_months, model.rows,
    )  # fmt: skip


def no_fold_args(model: CompiledModel) -> tuple:
    """Arguments of :func:`._table_kernels.fold_run`'s types for a kernel that folds nothing."""
    G, S, D = model.q.shape[:3]
    return fold_args(model, np.empty((1, 0, D, S)), np.full((G, S), -1, np.int64), 1, None)


def _entries(
    model: CompiledModel, q_runs: np.ndarray, of: np.ndarray, to: np.ndarray, within: np.ndarray
) -> tuple[np.ndarray, tuple[np.ndarray, ...], tuple[int, ...]]:
    """The entries ``p [R, E] = q[g, s, d, to[g, s]]`` of each run (R runs, or 1 when none is
    drawn) for every (g, s, d) of ``within`` whose state has a destination ``to [G, S]``
    (q_runs where ``of`` says, else the model's q), their (g, s, d) and the slots' shape."""
    g, s, d = np.nonzero(within & (to >= 0)[:, :, None])
    k = to[g, s]
    mine = of[g, s] >= 0
    p = np.empty((q_runs.shape[0] if mine.any() else 1, len(g)))
    p[:, ~mine] = model.q[g[~mine], s[~mine], d[~mine], k[~mine]]
    if mine.any():
        p[:, mine] = q_runs[:, of[g[mine], s[mine]], d[mine], k[mine]]
    return p, (g, s, d), within.shape


def _powers(
    entries: tuple[np.ndarray, tuple[np.ndarray, ...], tuple[int, ...]], e: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Slots (of the entries' shape) and powers ``[n, Y, K]``: ``(1 − p)^e[r, y]`` with numpy
    for the entries ``p [R, E]`` at ``index`` nonzero in some run (slot −1 elsewhere: the
    entry is 0 and stays 0). An entry that is 0 in one run but not in another gets the power
    1.0 there, and the kernel's 1 − 1.0 gives the same 0.0."""
    p, index, shape = entries
    used = (p != 0.0).any(axis=0)
    slot = np.full(shape, -1, dtype=np.int64)
    slot[tuple(i[used] for i in index)] = np.arange(int(used.sum()))
    base = 1.0 - p[:, used] if used.any() else np.ones((p.shape[0], 1))
    pw = base[:, None, :] ** e[:, :, None]
    return slot, np.ascontiguousarray(np.broadcast_to(pw, (*e.shape, pw.shape[2])))
