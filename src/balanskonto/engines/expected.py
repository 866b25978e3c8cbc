"""The exact expectation: a cohort Markov model over (state, duration)."""

from __future__ import annotations

import numpy as np

from ..model.compiled import CompiledModel
from ..model.factors import Draws
from ..model.folding import chunk_tables
from ..model.plan import monthly_means
from ..model.pricing import price, refused_claims
from ..model.tables import Tables, level_multipliers, money_multipliers
from .draws import central


def occupancy(
    model: CompiledModel,
    group: int,
    tables: Tables | None = None,
    state: int | None = None,
    months_in_state: int = 0,
    horizon: int | None = None,
    leave_at: int | None = None,
) -> np.ndarray:
    """Share of a group's unit cohort in each state, k months after it is first seen.

    By default the cohort arrives (its start state, first month); with ``state`` and
    ``months_in_state`` it is a person of the population (DESIGN §11) seen at the start in
    its ``months_in_state + 1``-th month in ``state``. Where the group leaves care by age
    (DESIGN §15), everyone in a care state at the end of month ``leave_at`` (counted like k;
    default: the arrival's, ``care_months − 1``) moves by the care split instead.

    Returns
    -------
    float64 [horizon, S]
        ``occupancy[k, s]``: probability of being in state s during month ``k`` from then
        (``horizon`` months, default the model's).
    """
    T, S = (model.months if horizon is None else horizon), len(model.states)
    if tables is None:
        stay, move = model.stay[group], model.move[group]  # [S, D], [S, D, S]
    else:  # a plan's tables are the same every year (the factors at their means)
        stay, move = tables.stay[0, 0, group], tables.move[0, 0, group]
    D = stay.shape[1]
    dist = np.zeros((S, D))
    if state is None:
        dist[model.start_state[group], 0] = 1.0
    else:
        dist[state, min(months_in_state, D - 1)] = 1.0
    out = np.empty((T, S))
    care = model.care_state[group]
    if leave_at is None:
        leave_at = model.care_months[group] - 1 if state is None else -1
    if not model.care_months[group]:
        leave_at = -1
    for k in range(T):
        out[k] = dist.sum(axis=1)
        forced = 0.0
        if k == leave_at:  # everyone still in care leaves it this month, by the care split
            forced = dist[care].sum()
            dist = np.where(care[:, None], 0.0, dist)
        nxt = np.zeros_like(dist)
        if forced:
            nxt[:, 0] += forced * np.diff(model.care_cum[group], prepend=0.0)
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
    cumulative = np.zeros((months, len(model.states)))
    still = np.zeros(months)
    left = np.zeros(len(model.states))
    alive = 1.0
    for d in range(1, months + 1):
        row = min(d, D) - 1
        left = left + alive * move[row]
        alive *= stay[row]
        cumulative[d - 1], still[d - 1] = left, alive
    return cumulative, still


def expected_counts(model: CompiledModel, draws: Draws | None = None) -> dict[str, np.ndarray]:
    """Expected counts under the model, with the factors of ``draws`` (one run; default:
    every factor at its mean, :func:`balanskonto.engines.draws.central`): ``arrivals [T, G]``,
    ``person_months [Y, G, S]``, ``persons [Y, G, S]`` (December), ``relocated_dues
    [Y, Y, P]`` and ``population_dues [Y, Y_pre, P]``."""
    T, Y, G, S = model.months, model.years, len(model.groups), len(model.states)
    away = model.relocated  # the code of relocated, the last state
    draws = central(model) if draws is None else draws
    tables = chunk_tables(model, draws)
    arrivals = monthly_means(model)
    if draws.arrivals is not None:
        arrivals = arrivals * np.repeat(draws.arrivals[0], 12)[:, None]
    P = len(model.part_group)
    by_month = np.zeros((T, G, S))  # expected persons in each month
    reloc = np.zeros((Y, Y, P))
    pop_reloc = np.zeros((Y, model.pre_years, P))
    for g in range(G):
        occ = occupancy(model, g, tables)
        for a in np.flatnonzero(arrivals[:, g]):
            by_month[a:, g] += arrivals[a, g] * occ[: T - a]
        moved_in = np.diff(occ[:, away], prepend=0.0)  # [m]: first month away is a + m
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
                arrivals[arrived, g] * occ[due - arrived, away],
            )
    for arrival, g, s, months, count in model.population:
        leave = arrival + model.care_months[g] - 1  # end of the month care ends (absolute)
        occ = occupancy(model, g, tables, state=s, months_in_state=months, leave_at=leave)
        by_month[:, g] += count * occ
        year = arrival // 12 + model.pre_years
        # the first month away, from the start on; a move before the start was month -months
        moved_in = np.diff(occ[:, away], prepend=float(s == away))
        for p in np.flatnonzero(model.part_group == g):
            due = int(model.due_month(p, np.array([arrival]))[0])
            window = int(model.part_window[p])
            if window > 0:  # the whole-amount rule, as for arrivals
                if s == away and -months - arrival <= window and 0 <= due < T:
                    pop_reloc[due // 12, year, p] += count
                for m in range(1, T):
                    booked = max(due, m)
                    if m - arrival <= window and booked < T and moved_in[m]:
                        pop_reloc[booked // 12, year, p] += count * moved_in[m]
            elif 0 <= due < T:
                pop_reloc[due // 12, year, p] += count * occ[due, away]
    return dict(
        arrivals=arrivals,
        person_months=by_month.reshape(Y, 12, G, S).sum(axis=1),
        persons=by_month[11::12],
        by_month=by_month,
        relocated_dues=reloc,
        population_dues=pop_reloc,
    )


def expected_money(model: CompiledModel) -> dict[str, np.ndarray]:
    """Expected counts of the plan and its money: ``revenue`` and ``cost`` ``[Y, C]``."""
    draws = central(model)
    counts = expected_counts(model, draws)
    revenue, cost = price(
        model,
        counts["arrivals"][None],
        counts["person_months"][None],
        counts["relocated_dues"][None],
        money_multipliers(model, draws),
        counts["population_dues"][None],
        level_multipliers(model, draws),
        by_month=counts["by_month"][None],
    )
    cost = cost + refused_claims(model, revenue, draws.claims)
    return {**counts, "revenue": revenue[0], "cost": cost[0]}
