"""Numba kernels of the individual-level engine. Arrays in, arrays filled; no global state.

Every uniform is a pure function of ``(seed, run, person, month)``: a counter-based
generator built on the splitmix64 finaliser (a bijection on 64-bit words), so a run's
results do not depend on the thread count, the chunking or on the other runs. A person is
identified by its arrival month, group and number within that month and group, so that a
scenario with other arrivals in one month leaves every other person's draws unchanged
(common random numbers).

Codes that must match :mod:`balanskonto.compile`: states ``intro=0 … relocated=4``
(``RELOCATED``) and payment part kinds ``PART_CALENDAR_YEAR=0``, ``PART_MONTHS_AFTER=1``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .compile import PART_MONTHS_AFTER, RELOCATED

# All numba options live here (STYLE: one place).
_JIT = dict(cache=True, nogil=True, boundscheck=False, error_model="numpy")

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53
_RELOCATED = RELOCATED
_MONTHS_AFTER = PART_MONTHS_AFTER


@njit(inline="always", **_JIT)
def mix64(z):
    """The splitmix64 finaliser: a bijective scramble of a 64-bit word."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(inline="always", **_JIT)
def run_key(seed, run):
    """Key of one run: a scramble of (seed, run)."""
    return mix64(mix64(np.uint64(seed) + _GAMMA) + (np.uint64(run) + np.uint64(1)) * _GAMMA)


@njit(inline="always", **_JIT)
def cell_key(key_of_run, month, group):
    """Key of the persons arriving in one month and group of a run."""
    cell = np.uint64(month) * np.uint64(1 << 20) + np.uint64(group) + np.uint64(1)
    return mix64(key_of_run + cell * _GAMMA)


@njit(inline="always", **_JIT)
def person_key(key_of_cell, k):
    """Key of the k-th person (from 0) arriving in one month and group."""
    return mix64(key_of_cell + (np.uint64(k) + np.uint64(1)) * _GAMMA)


@njit(inline="always", **_JIT)
def uniform(key_of_person, month):
    """The uniform in [0, 1) of one person in one (absolute) month."""
    x = mix64(key_of_person + (np.uint64(month) + np.uint64(1)) * _GAMMA)
    return np.float64(x >> _S11) * _TO_UNIT


@njit(**_JIT)
def uniforms(seed, run, arrival, group, k, months):
    """Uniforms of one person for an array of months (for tests of the generator)."""
    key = person_key(cell_key(run_key(seed, run), arrival, group), k)
    out = np.empty(months.shape[0])
    for i in range(months.shape[0]):
        out[i] = uniform(key, months[i])
    return out


@njit(inline="always", **_JIT)
def _add_months(pm, g, s, t0, t1):
    """Add the months ``t0 … t1 − 1`` spent in state s to ``pm[year, g, s]``."""
    t = t0
    while t < t1:
        y = t // 12
        end = min(t1, 12 * (y + 1))
        pm[y, g, s] += end - t
        t = end


@njit(inline="always", **_JIT)
def _count_relocated_dues(reloc, g, arrival, t, T, group_parts, part_kind, part_k):
    """Count the payment parts of a person relocated from month t that fall due from t on."""
    for j in range(group_parts[g], group_parts[g + 1]):
        k = part_k[j]
        if part_kind[j] == _MONTHS_AFTER:
            due = arrival + k
        elif k == 0:
            due = arrival
        else:
            due = 12 * (arrival // 12 + k)
        if t <= due < T:
            reloc[due // 12, arrival // 12, j] += 1


@njit(**_JIT)
def _simulate_person(
    key, g, arrival, T, s, stay, cum, absorbing_from, group_parts, part_kind, part_k, pm, reloc
):
    """One person's path from the arrival month to the horizon; returns months drawn.

    ``stay`` [Y', G, S, D] and ``cum`` [Y', G, S, D, S] are this run's tables, by year when
    Y' > 1 (a labour-market factor) or for all years when Y' = 1.
    """
    D = stay.shape[3]
    by_year = stay.shape[0] > 1
    d = 1  # the current month is the d-th in state s (saturates at D, reusing the last row)
    t = arrival
    seg = arrival  # first month of the current stay in state s
    drawn = 0
    while True:
        if d >= absorbing_from[g, s]:
            _add_months(pm, g, s, seg, T)
            if s == _RELOCATED:
                _count_relocated_dues(reloc, g, arrival, seg, T, group_parts, part_kind, part_k)
            return drawn
        y = t // 12 if by_year else 0
        u = uniform(key, t)
        drawn += 1
        if u < stay[y, g, s, d - 1]:
            # the common outcome first: stay another month
            if d < D:
                d += 1
            t += 1
            if t == T:
                _add_months(pm, g, s, seg, T)
                return drawn
        else:
            to = 0
            while u >= cum[y, g, s, d - 1, to]:
                to += 1
            t += 1
            _add_months(pm, g, s, seg, t)
            if t == T:
                return drawn
            s = to
            d = 1
            seg = t


@njit(parallel=True, **_JIT)
def simulate_runs(
    seed,
    run_ids,
    arrivals,
    start_state,
    stay,
    cum,
    absorbing_from,
    group_parts,
    part_kind,
    part_k,
    out_pm,
    out_reloc,
    out_drawn,
):
    """Simulate every person of every run in ``run_ids`` (one run per thread at a time).

    Parameters
    ----------
    arrivals : int64 [n, T, G]
        Persons arriving per run, month and group.
    stay : float64 [R', Y', G, S, D], cum : float64 [R', Y', G, S, D, S]
        Transition tables (see :mod:`balanskonto.compile`), per run when R' = n (parameter
        uncertainty) or shared when R' = 1, and per year when Y' = years.
    absorbing_from : int64 [R', G, S]
        Duration from which a state is never left (in any year).
    out_pm : int64 [n, Y, G, S]
        Filled with person-months per year, group and state.
    out_reloc : int64 [n, Y, Y, P]
        Filled with counts of payment parts due (year due, year of arrival, part) to persons
        already relocated.
    out_drawn : int64 [n]
        Filled with the number of uniforms drawn (months actually stepped).
    """
    n, T, G = arrivals.shape
    per_run = stay.shape[0] > 1
    for i in prange(n):
        r = np.int64(i) if per_run else np.int64(0)
        rkey = run_key(seed, run_ids[i])
        pm = out_pm[i]
        reloc = out_reloc[i]
        drawn = 0
        for a in range(T):
            for g in range(G):
                ckey = cell_key(rkey, a, g)
                for k in range(arrivals[i, a, g]):
                    drawn += _simulate_person(
                        person_key(ckey, k),
                        g,
                        a,
                        T,
                        start_state[g],
                        stay[r],
                        cum[r],
                        absorbing_from[r],
                        group_parts,
                        part_kind,
                        part_k,
                        pm,
                        reloc,
                    )
        out_drawn[i] = drawn
