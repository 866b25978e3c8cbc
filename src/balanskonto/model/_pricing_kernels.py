"""Numba kernels of the pricing (:func:`balanskonto.model.pricing.price`).

They compute, run by run, what the ``np.einsum`` calls of the pricing computed, bit for bit
(tested against those formulas): the same products, added in the same order. ``np.einsum``
(no BLAS, no FMA) walks a two-operand product with the output's last axis innermost where
that axis is longer than 1 (``nygs,ygsc->nyc``: for each (g, s) in order, ``out[c] += x ·
rate[c]``; ``na,ay->ny``: for each a in order, ``out[y] += x · W[a, y]``), so each output
element is the sum of its products from the first to the last, starting at 0. Where the
reduction itself is innermost (``nda,na->nd``, its operand strided: the payment parts are
the last axis of the dues), it sums the products from the first to the last too, then adds
the sum to the output's 0. Adding an exact 0 changes no sum, so the kernels skip the zero
products: a payment part is due in one period per arrival month, and most counts are 0.
The caller (``pricing._fast``) takes this path only where those walks hold.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._jit import JIT


@njit(**JIT)
def rate_money(pm, rate, out):
    """``out[n, p, c] = Σ_(g, s) pm[n, p, g, s] · rate[p, g, s, c]``, the (g, s) in order
    (``np.einsum("nygs,ygsc->nyc", pm, rate)``, ``pm`` counts or float64)."""
    n, P, G, S = pm.shape
    C = rate.shape[3]
    for i in range(n):
        for p in range(P):
            for c in range(C):
                out[i, p, c] = 0.0
            for g in range(G):
                for s in range(S):
                    x = float(pm[i, p, g, s])
                    if x != 0.0:
                        for c in range(C):
                            out[i, p, c] += x * rate[p, g, s, c]


@njit(**JIT)
def lost_money(dues, i, lost_rows, column, by_column, paired, out):
    """``out [parts, P]``: SEK of each part lost in each period of run i (``pricing._lost``):
    ``dues [n, P, A, parts]`` relocated counts by arrival year, ``lost_rows [parts, A]`` the
    SEK lost per count by arrival year; or with ``by_column`` (dues by period alone)
    ``column [parts, P]`` the arrival year of each period's dues. The einsum ``nda,na->nd``
    sums a strided float operand first to last; integer dues it casts into a contiguous
    buffer and sums in two lanes (SSE), ``paired``: eight products a step (the last pair
    first), then the rest a pair at a time, and the two lanes' sums added at the end."""
    P, A = dues.shape[1], dues.shape[2]
    for part in range(out.shape[0]):
        for p in range(P):
            if by_column:
                out[part, p] = 0.0
                if lost_rows.shape[1]:
                    out[part, p] = dues[i, p, 0, part] * lost_rows[part, column[part, p]]
            elif not paired:
                total = 0.0
                for a in range(A):
                    total += dues[i, p, a, part] * lost_rows[part, a]
                out[part, p] = total
            else:
                even = odd = 0.0
                a = 0
                while A - a >= 8:
                    for j in range(6, -2, -2):
                        even = dues[i, p, a + j, part] * lost_rows[part, a + j] + even
                        odd = dues[i, p, a + j + 1, part] * lost_rows[part, a + j + 1] + odd
                    a += 8
                while a < A:
                    even = dues[i, p, a, part] * lost_rows[part, a] + even
                    if a + 1 < A:
                        odd = dues[i, p, a + 1, part] * lost_rows[part, a + 1] + odd
                    a += 2
                out[part, p] = even + odd


@njit(**JIT)
def price_runs(
    pm,
    revenue_rate,
    cost_rate,
    base_revenue,
    base_cost,
    day_revenue,
    day_cost,
    calendar,
    periods_a_year,
    arrivals,
    multipliers,
    part_group,
    part_component,
    part_cost,
    due,
    weight,
    lost_per_year,
    relocated_dues,
    by_column,
    paired,
    lost_column,
    population,
    population_dues,
    pop_lost_per_year,
    pop_by_column,
    pop_paired,
    pop_column,
    pre_multipliers,
    revenue,
    cost,
):
    """Revenue and cost ``[n, P, C]`` of :func:`~balanskonto.model.pricing.price`, in its
    order, into ``revenue`` and ``cost``: per-period rates (``rate_money``), plus the fixed
    amounts ``base_* [P, C]``, plus the per-day money ``day_* [n or 0, P, C]``, times
    ``calendar [n or 0, Y, C]`` (of period p's year, ``periods_a_year`` periods a year);
    then each payment part in order: its gross payments (arrivals ``[n, T, G]`` times the
    arrival year's ``multipliers [n or 0, Y, C]`` times ``weight [T, parts]``, due in
    period ``due [T, parts]``, −1: never) less those lost to relocated persons
    (``lost_money``); then the population's payments and costs ``population [2 or 0, P,
    C]`` less its lost parts, times ``pre_multipliers [n or 0, C]``. A run's money reads
    only that run's rows."""
    n, P, C = revenue.shape
    T = arrivals.shape[1]
    rate_money(pm, revenue_rate, revenue)
    rate_money(pm, cost_rate, cost)
    parts = part_group.shape[0]
    gross = np.empty((parts, P))
    lost = np.empty((parts, P))
    lost_rows = np.empty((parts, lost_per_year.shape[1]))
    pop_lost = np.empty((2, P, C))
    G = arrivals.shape[2]
    months = np.empty((G, T), np.int64)  # the months with arrivals of each group, in order
    count = np.empty(G, np.int64)
    for i in range(n):
        for g in range(G):
            count[g] = 0
            for a in range(T):
                if arrivals[i, a, g] != 0:
                    months[g, count[g]] = a
                    count[g] += 1
        for p in range(P):
            for c in range(C):
                r = revenue[i, p, c] + base_revenue[p, c]
                k = cost[i, p, c] + base_cost[p, c]
                if day_revenue.shape[0]:
                    r += day_revenue[i, p, c]
                    k += day_cost[i, p, c]
                if calendar.shape[0]:
                    factor = calendar[i, p // periods_a_year, c]
                    r *= factor
                    k *= factor
                revenue[i, p, c] = r
                cost[i, p, c] = k
        for part in range(parts):
            for a in range(lost_rows.shape[1]):
                lost_rows[part, a] = lost_per_year[part, a]
                if multipliers.shape[0]:
                    lost_rows[part, a] *= multipliers[i, a, part_component[part]]
        lost_money(relocated_dues, i, lost_rows, lost_column, by_column, paired, lost)
        gross[:] = 0.0
        for g in range(G):
            for m in range(count[g]):
                a = months[g, m]
                x = float(arrivals[i, a, g])
                for part in range(parts):
                    d = due[a, part]
                    if d >= 0 and part_group[part] == g:
                        y = x
                        if multipliers.shape[0]:
                            y = x * multipliers[i, a // 12, part_component[part]]
                        gross[part, d] += y * weight[a, part]
        for part in range(parts):
            c = part_component[part]
            side = cost if part_cost[part] else revenue
            for p in range(P):
                side[i, p, c] += gross[part, p] - lost[part, p]
        if population.shape[0]:
            pop_lost[:] = 0.0
            if population_dues.shape[0]:
                lost_money(
                    population_dues,
                    i,
                    pop_lost_per_year,
                    pop_column,
                    pop_by_column,
                    pop_paired,
                    lost,
                )
                for part in range(parts):
                    c, k = part_component[part], 1 if part_cost[part] else 0
                    for p in range(P):
                        pop_lost[k, p, c] += lost[part, p]
            for k in range(2):
                out = cost if k else revenue
                for p in range(P):
                    for c in range(C):
                        net = population[k, p, c] - pop_lost[k, p, c]
                        if pre_multipliers.shape[0]:
                            net = net * pre_multipliers[i, c]
                        out[i, p, c] += net
