"""The exact expectation: a cohort Markov model over (state, duration)."""

from __future__ import annotations

import numpy as np

from ..model.codes import N_STATES, RELOCATED
from ..model.compiled import CompiledModel
from ..model.factors import Draws
from ..model.money import price
from ..model.plan import monthly_means
from ..model.tables import Tables, chunk_tables, money_multipliers
from .draws import central


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


def cumulative_exits(
    model: CompiledModel, group: int, state: int, months: int
) -> tuple[np.ndarray, np.ndarray]:
    """What the model implies for everyone entering ``state`` (a unit, group ``group``): the
    cumulative incidence of each exit by month in the state.

    Returns
    -------
    cumulative : float64 [months, S]
        ``cumulative[d − 1, to]``: share of the entrants gone to ``to`` after d months in the
        state (expiry included).
    still : float64 [months]
        Share still in the state after d months.
    """
    move, stay = model.move[group, state], model.stay[group, state]
    D = stay.shape[0]
    cumulative = np.zeros((months, N_STATES))
    still = np.zeros(months)
    left = np.zeros(N_STATES)
    alive = 1.0
    for d in range(1, months + 1):
        row = min(d, D) - 1
        left = left + alive * move[row]
        alive *= stay[row]
        cumulative[d - 1], still[d - 1] = left, alive
    return cumulative, still


def expected_counts(
    model: CompiledModel, draws: Draws | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expected arrivals ``[T, G]``, person-months ``[Y, G, S]`` and relocated dues
    ``[Y, Y, P]`` under the model, with the factors of ``draws`` (one run; default: every
    factor at its mean, :func:`balanskonto.engines.draws.central`)."""
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
        for p in np.flatnonzero(model.part_group == g):
            arrived = np.flatnonzero(arrivals[:, g])
            due = model.due_month(p, arrived)
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
