"""The event-driven engine's person (:func:`_person_events`): one draw per stay instead of
one per month; :func:`._kernels.simulate_runs` calls it for every person of a run."""

from __future__ import annotations

import numpy as np
from numba import njit

from ..model._jit import JIT as _JIT  # all numba options live there (STYLE: one place)
from ._counting import _add_months, _count_relocated_dues
from ._random import uniform_open


@njit(inline="always", **_JIT)
def _person_events(
    key,
    g,
    arrival,
    t0,
    d0,
    entered,
    T,
    s,
    stay,
    cum,
    log_stay,
    flat_from,
    varies,
    absorbing_from,
    rows,
    off,
    group_parts,
    part_kind,
    part_k,
    part_window,
    pm,
    reloc,
    offset,
    leave_at,
    care,
    care_cum,
):
    """One person's path, drawing the month of each move directly; returns uniforms drawn.

    In a state entered with duration d, the person leaves at the end of the first month m
    whose cumulative survival ``Π stay`` falls to or below a uniform u, so that
    ``P(leave at m) = S(m − 1) · (1 − stay(m))``, exactly as month-by-month stepping; in the
    rows from ``flat_from`` on (all equal: the hazards only) the survival is geometric and
    the month is found in one division, on the log scale: from there on the search keeps
    ``rest = log(u / S)`` and subtracts ``log stay`` (``log_stay``, −inf where stay is 0), so
    that a stay takes at most one logarithm.
    Tables that change with the calendar year (a labour-market factor) hold to the end of
    the year; a stay that outlasts it goes on from there with the same u and the survival so
    far, under the next year's rows (inversion of the survival with hazards that change by
    year: one uniform per stay, however many years it lasts); in a state whose rows are the
    same every year (``varies`` false) the search runs to the horizon at once. The
    destination follows from a second uniform, given that the person leaves in that month's
    row.
    A person in a care state leaves it at the end of month ``leave_at`` (leaving care by
    age): the search for a move stops before that month, and whoever is still there moves
    by the care split, drawn from a uniform of its own.
    """
    relocated = cum.shape[2] - 1  # the last state
    by_year = stay.shape[0] > 1
    last, o = rows[g, s], off[g, s] - 1  # compact tables: row d of state s is o + d
    d = min(d0, last)
    t = t0
    seg = t0
    counter = 0
    fresh = True  # a new stay: draw its uniform
    u = survive = rest = 0.0  # the uniform, Π stay so far; on the log scale log(u / Π stay)
    logs = False  # the search is on the log scale
    while True:
        in_care = t <= leave_at < T - 1 and care[g, s]  # integers first: no load
        if d >= absorbing_from[g, s] and not in_care:
            _add_months(pm, g, s, seg, T)
            if s == relocated:
                _count_relocated_dues(
                    reloc, g, arrival, entered, T, group_parts, part_kind, part_k, part_window,
                    offset,
                )  # fmt: skip
            return counter
        y = t // 12 if by_year else 0
        end = min(T, 12 * (y + 1)) if by_year and varies[g, s] else T
        if in_care and leave_at < end:
            end = leave_at  # the months before; the month leave_at itself ends in a forced move
        flat = flat_from[y, g, s] + 1  # durations from here on use the last row
        if fresh:
            u = uniform_open(key, counter)
            counter += 1
            survive = 1.0
            fresh = logs = False
        m = t
        found = False
        while m < end:
            if d < flat:
                if logs:
                    rest -= log_stay[y, o + d]
                    found = rest >= 0.0
                else:
                    survive *= stay[y, o + d]
                    found = survive <= u
                if found:
                    break
                d += 1
                m += 1
            else:  # the flat rows, year by year while the next year's rows are flat here too
                while True:
                    ls = log_stay[y, o + last]
                    if ls != 0.0:
                        if not logs:
                            rest = np.log(u / survive)
                            logs = True
                        after = rest - (end - m) * ls  # at the year's end (or the horizon)
                        if after >= 0.0:  # leaves before it: the smallest n >= 1 with
                            x = rest / ls  # survive · stay^n <= u, i.e. n · log stay >= rest
                            n = 1
                            if x > 1.0:
                                n = min(np.int64(np.ceil(x)), end - m)  # (rounding)
                            m = m + n - 1
                            d = last
                            found = True
                            break
                        rest = after
                    d = min(last, d + (end - m))
                    m = end
                    if m == T or in_care or flat_from[y + 1, g, s] + 1 > d:
                        break
                    y += 1
                    end = min(T, end + 12)
                break
        to = 0
        if not found and in_care and end == leave_at:  # leaves care: the care split
            u = uniform_open(key, counter)
            counter += 1
            while u >= care_cum[g, to]:
                to += 1
            t = leave_at + 1  # before T - 1: a month is left
        elif not found:
            if end == T:
                _add_months(pm, g, s, seg, T)
                return counter
            t = end
            continue
        else:
            row = o + min(d, last)
            st = stay[y, row]
            threshold = st + uniform_open(key, counter) * (1.0 - st)
            counter += 1
            while threshold >= cum[y, row, to]:
                to += 1
            t = m + 1
        _add_months(pm, g, s, seg, t)
        if t == T:
            return counter
        s = to
        last, o = rows[g, s], off[g, s] - 1
        d = 1
        seg = t
        entered = t
        fresh = True
