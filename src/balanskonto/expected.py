"""The exact expectation: a cohort Markov model over (state, duration) per group.

A unit cohort of each group is propagated through the folded transition tables for as many
months as the horizon has; because the core model's tables do not depend on the calendar,
the cohort arriving in month a occupies state s in month t with the unit cohort's share
``occupancy[t − a, s]``. Expected person-months and expected relocated dues then follow by
summing over arrival months, and are priced by the same :func:`balanskonto.money.price` as
the Monte Carlo counts. This is the deterministic calculation a municipality would do in a
spreadsheet, and the yardstick of the Monte Carlo mean.
"""

from __future__ import annotations

import numpy as np

from .arrivals import monthly_means
from .compile import N_STATES, RELOCATED, CompiledModel
from .money import price
from .uncertainty import Draws, Tables, central, chunk_tables, money_multipliers


def occupancy(model: CompiledModel, group: int, tables: Tables | None = None) -> np.ndarray:
    """Share of a group's unit cohort in each state, k months after arrival.

    Returns
    -------
    float64 [T, S]
        ``occupancy[k, s]``: probability of being in state s during month ``arrival + k``.
    """
    T, S = model.months, N_STATES
    if tables is None:
        stay, move = model.stay[group], model.move[group]  # [S, D], [S, D, S]
    else:  # a plan's tables are the same every year (the factors at their means)
        stay, move = tables.stay[0, 0, group], tables.move[0, 0, group]
    D = stay.shape[1]
    dist = np.zeros((S, D))
    dist[model.start_state[group], 0] = 1.0
    out = np.empty((T, S))
    for k in range(T):
        out[k] = dist.sum(axis=1)
        nxt = np.zeros_like(dist)
        kept = dist * stay
        nxt[:, 1:] += kept[:, :-1]
        nxt[:, D - 1] += kept[:, D - 1]  # durations beyond the table reuse its last row
        nxt[:, 0] += np.einsum("sd,sdt->t", dist, move)
        dist = nxt
    return out


def expected_counts(
    model: CompiledModel, draws: Draws | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expected arrivals ``[T, G]``, person-months ``[Y, G, S]`` and relocated dues
    ``[Y, Y, P]`` under the model, with the factors of ``draws`` (one run; default: every
    factor at its mean, :func:`balanskonto.uncertainty.central`)."""
    T, Y, G = model.months, model.years, len(model.groups)
    draws = central(model) if draws is None else draws
    tables = chunk_tables(model, draws)
    arrivals = monthly_means(model)
    if draws.arrivals is not None:
        arrivals = arrivals * np.repeat(draws.arrivals[0], 12)[:, None]
    pm = np.zeros((Y, G, N_STATES))
    reloc = np.zeros((Y, Y, len(model.part_group)))
    year_of = np.arange(T) // 12
    for g in range(G):
        occ = occupancy(model, g, tables)
        for a in np.flatnonzero(arrivals[:, g]):
            n = arrivals[a, g]
            share = occ[: T - a]  # months a … T − 1
            np.add.at(pm[:, g, :], year_of[a:], n * share)
        moved_in = np.diff(occ[:, RELOCATED], prepend=0.0)  # [m]: first month away is a + m
        for p in np.flatnonzero(model.part_group == g):
            arrived = np.flatnonzero(arrivals[:, g])
            due = model.due_month(p, arrived)
            if model.part_window[p] > 0:  # the whole-amount rule: by the month of the move
                for m in range(1, min(int(model.part_window[p]), T - 1) + 1):
                    booked = np.maximum(due, arrived + m)
                    ok = booked < T
                    np.add.at(
                        reloc[:, :, p],
                        (booked[ok] // 12, arrived[ok] // 12),
                        arrivals[arrived[ok], g] * moved_in[m],
                    )
                continue
            ok = due < T
            arrived, due = arrived[ok], due[ok]
            np.add.at(
                reloc[:, :, p],
                (due // 12, arrived // 12),
                arrivals[arrived, g] * occ[due - arrived, RELOCATED],
            )
    return arrivals, pm, reloc


def expected_money(model: CompiledModel) -> tuple[np.ndarray, ...]:
    """Expected arrivals, person-months and money of the plan: revenue and cost ``[Y, C]``."""
    draws = central(model)
    arrivals, pm, reloc = expected_counts(model, draws)
    revenue, cost = price(
        model, arrivals[None], pm[None], reloc[None], money_multipliers(model, draws)
    )
    return arrivals, pm, revenue[0], cost[0]
