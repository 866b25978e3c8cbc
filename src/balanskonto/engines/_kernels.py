"""Numba kernels of the individual-level engine. Arrays in, arrays filled; no global state.

The random numbers are counter-based (:mod:`._random`): a run's results do not depend on
the thread count, the chunking or on the other runs. The stepping engine's person is here,
the event engine's in :mod:`._events`.

Codes that must match :mod:`balanskonto.model`: the states are the model's, their number
taken from the tables' shapes and ``relocated`` the last; payment part kinds
``PART_CALENDAR_YEAR=0``, ``PART_MONTHS_AFTER=1`` (counted in :mod:`._counting`).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..model._jit import JIT as _JIT  # all numba options live there (STYLE: one place)
from ..model._table_kernels import fold_run
from ._counting import _add_months, _count_relocated_dues, _to_periods
from ._events import _person_events
from ._random import _GAMMA, cell_key, mix64, person_key, run_key, uniform


@njit(inline="always", **_JIT)
def _simulate_person(
    key, g, arrival, t0, d0, entered, T, s, stay, cum, absorbing_from, rows, off, group_parts,
    part_kind, part_k, part_window, pm, reloc, offset, leave_at, care, care_cum,
):  # fmt: skip
    """One person's path from month ``t0`` (its arrival, or 0 for the population) to the
    horizon, entering ``t0`` as its ``d0``-th month in state s, which it entered in month
    ``entered`` (negative for the population); returns months drawn.

    ``stay`` [Y', N] and ``cum`` [Y', N, S] are this run's compact tables (state (g, s)'s
    ``rows[g, s]`` duration rows from ``off[g, s]`` on), by year when Y' > 1 (a labour-market
    factor) or for all years when Y' = 1. At the end of month
    ``leave_at`` (−1: never) a person in a care state (``care [G, S]``) leaves it by the
    split ``care_cum [G, S]`` instead of its exits (leaving care by age, DESIGN §15).
    The rows after a state's ``rows[g, s]`` equal its last
    (:attr:`~balanskonto.model.compiled.CompiledModel.rows`).
    """
    relocated = cum.shape[2] - 1  # the last state
    by_year = stay.shape[0] > 1
    # the row of the current month, the d-th in state s: o + d, saturating at the state's
    # last row (reused), stop; the state is never left from row absorb on
    o = off[g, s] - 1
    i, stop, absorb = o + min(d0, rows[g, s]), o + rows[g, s], o + absorbing_from[g, s]
    t = t0
    seg = t0  # first month of the current stay in state s counted here
    y = t0 // 12 if by_year else 0  # the table's year, moved on as t reaches next_year
    next_year = 12 * (y + 1) if by_year else T
    drawn = 0
    while True:
        if i >= absorb and not (t <= leave_at < T - 1 and care[g, s]):
            _add_months(pm, g, s, seg, T)
            if s == relocated:
                _count_relocated_dues(
                    reloc, g, arrival, entered, T, group_parts, part_kind, part_k, part_window,
                    offset,
                )  # fmt: skip
            return drawn
        if t == next_year:
            y += 1
            next_year += 12
        u = uniform(key, t)
        drawn += 1
        leaves_care = t == leave_at and care[g, s]
        if u < stay[y, i] and not leaves_care:
            # the common outcome first: stay another month
            if i < stop:
                i += 1
            t += 1
            if t == T:
                _add_months(pm, g, s, seg, T)
                return drawn
        else:
            to = 0
            if leaves_care:
                while u >= care_cum[g, to]:
                    to += 1
            else:
                while u >= cum[y, i, to]:
                    to += 1
            t += 1
            _add_months(pm, g, s, seg, t)
            if t == T:
                return drawn
            s = to
            o = off[g, s] - 1
            i, stop, absorb = o + 1, o + rows[g, s], o + absorbing_from[g, s]
            seg = t
            entered = t


@njit(parallel=True, **_JIT)
def simulate_runs(
    events,
    seed,
    run_ids,
    arrivals,
    start_state,
    stay,
    cum,
    log_stay,
    flat_from,
    varies,
    absorbing_from,
    rows,
    off,
    folding,
    fold,
    group_parts,
    part_kind,
    part_k,
    part_window,
    population,
    pop_code,
    care_months,
    care_state,
    care_cum,
    out_pm,
    out_persons,
    out_reloc,
    out_pop_reloc,
    out_drawn,
):
    """Simulate every person of every run in ``run_ids`` (one run per thread at a time).

    Parameters
    ----------
    events : bool
        False: step every person month by month (:func:`_simulate_person`); True: draw the
        month of each move (:func:`_person_events`), with its own stream of uniforms, so the
        two agree in distribution, not run by run.
    arrivals : int64 [n, T, G]
        Persons arriving per run, month and group.
    stay : float64 [R', Y', N], cum : float64 [R', Y', N, S]
        Transition tables (see :mod:`balanskonto.model`), per run when R' = n (parameter
        uncertainty) or shared when R' = 1, and per year when Y' = years; compact: state
        (g, s)'s first ``rows[g, s]`` duration rows from ``off[g, s]`` on (every later row
        equals the last of them; :func:`~balanskonto.model.folding.compact_tables`).
    log_stay : float64 [R', Y', N], flat_from : int64 [R', Y', G, S]
        For ``events``: ``log(stay)`` (−inf where stay is 0) and the first row from which
        every row equals the last (unused when stepping).
    varies : bool [R', G, S]
        For ``events`` with tables by year: whether a state's rows change between years (a
        stay in a state whose rows do not is drawn to the horizon at once).
    absorbing_from : int64 [R', G, S]
        Duration from which a state is never left (in any year).
    rows, off : int64 [G, S]
        The duration rows of each state that can differ, and where they start in the tables.
    folding : bool, fold : tuple
        With ``folding`` (the stepping engine only), each run's tables are built by
        :func:`~balanskonto.model._table_kernels.fold_run` from ``fold`` (its arguments before
        the tables, by run ``i`` of the chunk) just before its persons are simulated, while
        they are in the cache, and ``stay``, ``cum``, ``absorbing_from`` give only their shape.
    part_window : int64 [P]
        0: a part due after the move is lost (in part); W > 0: every part of a person who
        moves within W months of arrival is, booked at the later of its due month and the move.
    population : int64 [K, 5]
        The population already received (DESIGN §11), a row per (arrival month < 0, group,
        state, completed months in the state, count); ``pop_code`` uint64 [K] keys their
        random numbers apart from arrivals'.
    care_months : int64 [G], care_state : bool [G, S], care_cum : float64 [G, S]
        Leaving care by age (DESIGN §15): months in care since arrival (0: none), the care
        states, and the cumulative split of their destinations.
    out_pm : int64 [n, P, G, S]
        Filled with person-months per period (P = Y years, or T months), group and state.
    out_persons : int64 [n, Y, G, S]
        Filled with the persons in each state in December of each year.
    out_reloc : int64 [n, P, Y, P_parts], out_pop_reloc : int64 [n, P, Y_pre, P_parts]
        Filled with counts of payment parts due (period due, year of arrival, part) to
        persons already relocated: arrivals, and the population (arrived Y_pre years before).
    out_drawn : int64 [n]
        Filled with the number of uniforms drawn.
    """
    n, T, G = arrivals.shape
    pre = out_pop_reloc.shape[2]
    per_run = stay.shape[0] > 1
    stream = np.int64(0x5EED) if events else np.int64(0)
    for i in prange(n):
        r = np.int64(i) if per_run else np.int64(0)
        if folding:
            st, cu = np.empty(stay.shape[1:]), np.empty(cum.shape[1:])
            ab = np.empty(absorbing_from.shape[1:], dtype=np.int64)
            fold_run(
                i, fold[0], fold[1], fold[2], fold[3], fold[4], fold[5], fold[6], fold[7],
                fold[8], fold[9], fold[10], fold[11], fold[12], fold[13], fold[14], fold[15],
                fold[16], rows, off, st, cu, False, cu, ab, False,
            )  # fmt: skip
        else:
            st, cu, ab = stay[r], cum[r], absorbing_from[r]
        rkey = run_key(seed ^ stream, run_ids[i])
        months = np.zeros((T + 1, G, out_pm.shape[3]), dtype=np.int64)
        reloc, pop_reloc = out_reloc[i], out_pop_reloc[i]
        drawn = 0
        for a in range(T):
            for g in range(G):
                ckey = cell_key(rkey, a, g)
                leave = a + care_months[g] - 1 if care_months[g] > 0 else -1
                for k in range(arrivals[i, a, g]):
                    key = person_key(ckey, k)
                    if events:
                        drawn += _person_events(
                            key, g, a, a, 1, a, T, start_state[g], stay[r], cum[r],
                            log_stay[r], flat_from[r], varies[r], absorbing_from[r], rows, off,
                            group_parts,
                            part_kind, part_k, part_window, months, reloc, 0, leave,
                            care_state, care_cum,
                        )  # fmt: skip
                    else:
                        drawn += _simulate_person(
                            key, g, a, a, 1, a, T, start_state[g], st, cu, ab, rows, off,
                            group_parts, part_kind, part_k, part_window, months, reloc, 0, leave,
                            care_state, care_cum,
                        )  # fmt: skip
        for c in range(population.shape[0]):
            a, g, s = population[c, 0], population[c, 1], population[c, 2]
            done, count = population[c, 3], population[c, 4]
            ckey = mix64(rkey + pop_code[c] * _GAMMA)
            d0 = done + 1  # the person functions saturate it at the state's last row
            leave = a + care_months[g] - 1 if care_months[g] > 0 else -1
            for k in range(count):
                key = person_key(ckey, k)
                if events:
                    drawn += _person_events(
                        key, g, a, 0, d0, -done, T, s, stay[r], cum[r], log_stay[r],
                        flat_from[r], varies[r], absorbing_from[r], rows, off, group_parts,
                        part_kind, part_k, part_window, months, pop_reloc, pre, leave,
                        care_state, care_cum,
                    )  # fmt: skip
                else:
                    drawn += _simulate_person(
                        key, g, a, 0, d0, -done, T, s, st, cu, ab, rows, off,
                        group_parts, part_kind, part_k, part_window, months, pop_reloc, pre,
                        leave, care_state, care_cum,
                    )  # fmt: skip
        _to_periods(months, out_pm[i], out_persons[i])
        out_drawn[i] = drawn
