"""Numba helpers of the individual-level kernels (:mod:`._kernels`) that count what the
persons do: months in a state as a difference array, its sums by period, and the payment
parts due to persons who moved away. Payment part kinds ``PART_CALENDAR_YEAR=0``,
``PART_MONTHS_AFTER=1`` (:mod:`balanskonto.model.codes`)."""

from __future__ import annotations

import numpy as np
from numba import njit

from ..model._jit import JIT as _JIT
from ..model.codes import PART_MONTHS_AFTER

_MONTHS_AFTER = PART_MONTHS_AFTER


@njit(inline="always", **_JIT)
def _add_months(months, g, s, t0, t1):
    """Record the months ``t0 … t1 − 1`` spent in state s: +1 at t0, −1 at t1 in a per-run
    difference array ``months[T + 1, G, S]`` (summed into years by :func:`_to_years`)."""
    months[t0, g, s] += 1
    months[t1, g, s] -= 1


@njit(inline="always", **_JIT)
def _to_periods(months, pm, persons):
    """Person-months per period ``pm[P, G, S]`` (P = years, or months when ``pm`` has a row
    per month) and persons in December ``persons[Y, G, S]`` from the difference array of a
    run."""
    T = months.shape[0] - 1
    G, S = months.shape[1], months.shape[2]
    period = T // pm.shape[0]
    running = np.zeros((G, S), dtype=np.int64)
    for t in range(T):
        december = t % 12 == 11
        for g in range(G):
            for s in range(S):
                running[g, s] += months[t, g, s]
                pm[t // period, g, s] += running[g, s]
                if december:
                    persons[t // 12, g, s] = running[g, s]


@njit(inline="always", **_JIT)
def _count_relocated_dues(
    reloc, g, arrival, moved, T, group_parts, part_kind, part_k, part_window, offset
):  # fmt: skip
    """Count the payment parts lost (in part) to a person who moved away in month ``moved``
    (negative: before the start): a part that falls due from the move on
    (``part_window = 0``), or, for a move within ``part_window`` months of arrival, every
    part, booked at the later of its due month and the move. Counted from month 0 on in
    ``reloc[period, arrival year + offset, part]`` (a period is a year, or a month when
    ``reloc`` has a row per month; arrival months before the start are negative); with one
    column of arrival years (monthly periods, no window) the month and the part give the
    arrival year, and every count goes in column 0."""
    period = T // reloc.shape[0]
    column = arrival // 12 + offset if reloc.shape[1] > 1 else 0
    for j in range(group_parts[g], group_parts[g + 1]):
        k = part_k[j]
        if part_kind[j] == _MONTHS_AFTER:
            due = arrival + k
        elif k == 0:
            due = arrival
        else:
            due = 12 * (arrival // 12 + k)
        if part_window[j] > 0:
            if moved - arrival <= part_window[j]:
                booked = max(due, moved)
                if 0 <= booked < T:
                    reloc[booked // period, column, j] += 1
        elif max(moved, 0) <= due < T:
            reloc[due // period, column, j] += 1
