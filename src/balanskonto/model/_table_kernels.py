"""Numba kernels of the per-run transition tables (:func:`balanskonto.model.tables.chunk_tables`).

They compute, for a chunk of runs at once and one table row at a time, exactly what the numpy
reference computes array by array — :func:`~balanskonto.model.transitions.state_q_runs` (drawn
shares), ``_shock`` and ``_shift_expiry`` (the labour-market shift) in
:mod:`~balanskonto.model.tables` and :func:`~balanskonto.model.transitions.fold_tables` —
bit for bit (tested): the same operations in the same order (numpy sums a row of S numbers
from the first to the last, and so do these loops). S, the config's states with relocated
last, comes from the arrays' shapes.

No transcendental function is evaluated here: numpy's ``exp`` and ``**`` (SIMD, SVML) and
libm's, which numba calls, differ in the last bit for a few per cent of arguments, so the
callers evaluate every ``exp`` and power with numpy, on the few table entries that need one,
and pass them in (``pw`` arrays, addressed by ``slot`` arrays; slot −1: no power needed,
because the entry is 0 and stays 0).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._jit import JIT
from .codes import NEVER

_NEVER = NEVER
_EXIT_AT, _EXIT_HAZARD = 0, 2  # as in transitions.py (EXIT_WITHIN otherwise)
_TOLERANCE = 1e-12  # transitions._SUM_TOLERANCE


@njit(inline="always", **JIT)
def _sum(row):
    """``row.sum()`` as numpy does it for a row of at most 128 numbers: first to last below
    8, else numpy's pairwise scheme (eight running sums, combined pairwise, then the rest)."""
    n = row.shape[0]
    if n < 8:
        total = row[0]
        for k in range(1, n):
            total += row[k]
        return total
    r0, r1, r2, r3 = row[0], row[1], row[2], row[3]
    r4, r5, r6, r7 = row[4], row[5], row[6], row[7]
    i = 8
    while i < n - n % 8:
        r0 += row[i]
        r1 += row[i + 1]
        r2 += row[i + 2]
        r3 += row[i + 3]
        r4 += row[i + 4]
        r5 += row[i + 5]
        r6 += row[i + 6]
        r7 += row[i + 7]
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        total += row[i]
        i += 1
    return total


@njit(**JIT)
def state_q_runs(kind, to, months, values, hazard_of, max_months, q, feasible):
    """The conditional table ``q[n, D, S]`` of one state for every run (``values [n, k]``,
    the runs' value of each exit ``k``; ``hazard_of [n, k]`` its monthly hazard, where the exit
    is a hazard); ``feasible[n]`` is and-ed with whether the exits fit in every month."""
    n, D, S = q.shape
    for r in range(n):  # a few microseconds a run: not worth threads
        mass = np.zeros((D, S))
        hazard = np.zeros(S)
        for e in range(kind.shape[0]):
            if kind[e] == _EXIT_HAZARD:
                hazard[to[e]] += hazard_of[r, e]
            elif kind[e] == _EXIT_AT:
                mass[months[e] - 1, to[e]] += values[r, e]
            else:
                v = values[r, e] / months[e]
                for row in range(months[e]):
                    mass[row, to[e]] += v
        hazard_total = _sum(hazard)
        alive = 1.0
        ok = True
        for row in range(D):
            need = _sum(mass[row]) + alive * hazard_total
            ok &= need <= alive * (1.0 + _TOLERANCE) + _TOLERANCE
            for k in range(S):
                q[r, row, k] = hazard[k] + (mass[row, k] / alive if alive > 0.0 else 0.0)
            total = _sum(q[r, row])
            if total > 1.0:  # rounding only, where feasible
                for k in range(S):
                    q[r, row, k] /= total
            total = min(total, 1.0)
            alive = 0.0 if row + 1 == max_months else alive * (1.0 - total)
        feasible[r] &= ok


@njit(parallel=True, **JIT)
def fold_runs(
    q, q_runs, of, shock, bz, work_to, slot_self, pw_self, relapse, br, relapse_to,
    slot_relapse, pw_relapse, expiry, slot_expiry, pw_expiry, max_months, rows, off, stay,
    cum, with_move, move, absorbing_from, full,
):  # fmt: skip
    """Fill the kernel's tables ``stay [n, Y, N]``, ``cum [n, Y, N, S]``, ``move`` (like cum;
    with ``with_move``) and ``absorbing_from [n, G, S]`` of a chunk of n runs (one run per
    thread at a time, :func:`fold_run`)."""
    for r in prange(stay.shape[0]):
        fold_run(
            r, q, q_runs, of, shock, bz, work_to, slot_self, pw_self, relapse, br, relapse_to,
            slot_relapse, pw_relapse, expiry, slot_expiry, pw_expiry, max_months, rows, off,
            stay[r], cum[r], with_move, move[r] if with_move else move[0], absorbing_from[r],
            full,
        )  # fmt: skip


@njit(inline="always", **JIT)
def fold_run(
    r, q, q_runs, of, shock, bz, work_to, slot_self, pw_self, relapse, br, relapse_to,
    slot_relapse, pw_relapse, expiry, slot_expiry, pw_expiry, max_months, rows, off, stay,
    cum, with_move, move, absorbing_from, full,
):  # fmt: skip
    """Fill the tables ``stay [Y, N]``, ``cum [Y, N, S]``, ``move`` (like cum; with
    ``with_move``) and ``absorbing_from [G, S]`` of run r of a chunk from the
    conditional tables ``q [G, S, D, S]``, or for a state with drawn shares ``q_runs [R, K,
    D, S]`` at ``of[g, s]`` >= 0 (R = runs, or 1 for all runs). The engine's kernel calls it
    for each run just before simulating it (the tables still in the cache).

    With ``shock`` the labour-market shift of run r and year y, ``bz[r, y] = effect · z``:
    the move of state s to its work destination ``w = work_to[g, s]`` (−1: none) becomes
    ``1 − pw_self[r, y, slot_self[g, s, d]]`` (the power ``(1 − p)^exp(bz)``), the move to
    its relapse destination ``relapse_to[g, s]`` (with ``relapse``, ``br = −relapse_effect ·
    z``) ``1 − pw_relapse[r, y, slot_relapse[g, s, d]]``, a row asking for more than is
    left gives up the excess (the work move first, then the relapse), and the work share x
    of an on_expiry split becomes ``1 − pw_expiry[r, y, slot_expiry[g, s]]``,
    the other destinations sharing the rest in their proportions. Then the stayers at
    ``max_months`` are split by on_expiry (``expiry [G, S, S]``) and the tables folded as
    :func:`~balanskonto.model.transitions.fold_tables` does.

    A table's row axis N holds the duration rows of state (g, s) from ``off[g, s]`` on. Only
    the first ``rows[g, s]`` rows of a state are folded
    (:attr:`~balanskonto.model.compiled.CompiledModel.rows`: every later row holds the same
    hazards, and the same powers of them). Compact tables (the engines' kernels) hold those
    rows only (``off``: :func:`~balanskonto.model.folding.row_offsets`); full
    tables (``full``, N = G·S·D, ``off[g, s] = (g·S + s)·D``) get the last of them copied into
    the D − rows[g, s] rows after it. ``absorbing_from`` is the same either way.
    """
    Y = stay.shape[0]
    G, S, D = q.shape[0], q.shape[1], q.shape[2]
    rr = np.int64(r) if q_runs.shape[0] > 1 else np.int64(0)
    row = np.empty(S)
    split = np.empty(S)
    still = np.ones((G, S, D), dtype=np.bool_)
    for y in range(Y):
        shifted = shock and bz[r, y] != 0.0
        shifted_relapse = shock and relapse and br[r, y] != 0.0
        for g in range(G):
            for s in range(S):
                w, back = work_to[g, s], relapse_to[g, s]
                mm = max_months[g, s]
                if mm > 0:  # the on_expiry split of this run and year
                    for k in range(S):
                        split[k] = expiry[g, s, k]
                    if shock and w >= 0:
                        x = expiry[g, s, w]
                        work = x
                        if shifted and slot_expiry[g, s] >= 0:
                            work = 1.0 - pw_expiry[r, y, slot_expiry[g, s]]
                        rest = (1.0 - work) / (1.0 - x) if x < 1.0 else 1.0
                        for k in range(S):
                            split[k] *= rest
                        split[w] = work
                L = rows[g, s]
                src = q_runs[rr, of[g, s]] if of[g, s] >= 0 else q[g, s]
                for d in range(L):
                    for k in range(S):
                        row[k] = src[d, k]
                    if shock:
                        if w >= 0 and shifted and slot_self[g, s, d] >= 0:
                            row[w] = 1.0 - pw_self[r, y, slot_self[g, s, d]]
                        if back >= 0 and shifted_relapse and slot_relapse[g, s, d] >= 0:
                            row[back] = 1.0 - pw_relapse[r, y, slot_relapse[g, s, d]]
                        # a strong year may ask for more than is left
                        excess = max(_sum(row) - 1.0, 0.0)
                        if excess > 0.0:
                            if w >= 0:
                                row[w] -= min(excess, row[w])
                            if back >= 0:
                                excess = max(_sum(row) - 1.0, 0.0)
                                row[back] -= min(excess, row[back])
                    if mm > 0 and d == mm - 1:
                        left = max(1.0 - _sum(row), 0.0)
                        for k in range(S):
                            row[k] = row[k] + left * split[k]
                    st = min(max(1.0 - _sum(row), 0.0), 1.0)
                    i = off[g, s] + d
                    stay[y, i] = st
                    still[g, s, d] &= st == 1.0
                    last = -1
                    acc = 0.0
                    for k in range(S):
                        if with_move:
                            move[y, i, k] = row[k]
                        acc = row[k] if k == 0 else acc + row[k]
                        cum[y, i, k] = min(st + acc, 1.0)
                        if row[k] > 0.0:
                            last = k
                    if last >= 0:
                        for k in range(last, S):
                            cum[y, i, k] = 1.0
                if full:  # the rows after L − 1 equal it
                    i = off[g, s] + L - 1
                    for d in range(L, D):
                        stay[y, i - L + 1 + d] = stay[y, i]
                        for k in range(S):
                            cum[y, i - L + 1 + d, k] = cum[y, i, k]
                            if with_move:
                                move[y, i - L + 1 + d, k] = move[y, i, k]
    for g in range(G):
        for s in range(S):
            L = rows[g, s]  # rows from L − 1 on are equal: their stillness is row L − 1's
            first = L
            while first > 0 and still[g, s, first - 1]:
                first -= 1
            absorbing_from[g, s] = first + 1 if first < L else _NEVER
        absorbing_from[g, S - 1] = 1  # relocated, the last state


@njit(**JIT)
def flat_from_rows(stay, cum, off, rows, out):
    """``out [K, G, S]``: for tables ``stay [K, N]`` and ``cum [K, N, S]`` (leading axes
    flattened to one; state (g, s)'s ``rows[g, s]`` duration rows from ``off[g, s]`` on), the
    first of a state's rows from which every row equals its last (stay and every cum entry
    equal, as numpy's ``==``); 0 where the last row is not equal to itself (a NaN), as numpy's
    ``argmax`` of an all-false suffix gives."""
    K = stay.shape[0]
    G, S = rows.shape
    for i in range(K):
        for g in range(G):
            for s in range(S):
                o, L = off[g, s], rows[g, s]
                first = L
                while first > 0:
                    d = first - 1
                    same = stay[i, o + d] == stay[i, o + L - 1]
                    for k in range(cum.shape[2]):
                        same = same and cum[i, o + d, k] == cum[i, o + L - 1, k]
                    if not same:
                        break
                    first = d
                out[i, g, s] = 0 if first == L else first
