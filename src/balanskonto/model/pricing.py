"""Pricing: person-months, arrivals and relocated dues → revenue and cost in SEK (DESIGN §3.4).

The same function serves the Monte Carlo engines (integer counts per run) and ``expected``
(expected counts, one "run"), so both price their counts identically. Money is priced per
period: per calendar year, or per month with ``simulation.resolution = "month"`` (§12), where
fixed yearly items fall a twelfth in each month and a payment part in the month it is due.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from . import _pricing_kernels as kernels
from .codes import PART_MONTHS_AFTER

if TYPE_CHECKING:
    from .compiled import CompiledModel


def payment_weights(model: CompiledModel, part: int, period: int = 12) -> np.ndarray:
    """``W[a, p]``: SEK of ``part`` due in period p (a year, or a month with ``period = 1``)
    per person arriving in month a (gross)."""
    T = model.months
    arrival = np.arange(T)
    due = model.due_month(part, arrival)
    ok = due < T  # parts due after the horizon are not reported
    W = np.zeros((T, T // period))
    W[arrival[ok], due[ok] // period] = (
        model.part_amount[part, arrival[ok] // 12] * model.part_share[part]
    )
    return W


@lru_cache(maxsize=16)
def _weights(model: CompiledModel, period: int) -> tuple[np.ndarray, ...]:
    return tuple(payment_weights(model, p, period) for p in range(len(model.part_group)))


@lru_cache(maxsize=16)
def population_payments(model: CompiledModel, period: int = 12, cost: bool = False) -> np.ndarray:
    """``[periods, C]``: SEK due to the population already received (DESIGN §11), gross:
    every part due at or after month 0, at the amount of its arrival year; of the scheduled
    payments, or with ``cost`` of the scheduled costs."""
    T, C = model.months, len(model.components)
    out = np.zeros((T // period, C))
    for arrival, g, _s, _m, count in model.population:
        for p in np.flatnonzero((model.part_group == g) & (model.part_cost == cost)):
            due = int(model.due_month(p, np.array([arrival]))[0])
            if 0 <= due < T:
                amount = model.pop_part_amount[p, arrival // 12 + model.pre_years]
                out[due // period, model.part_component[p]] += count * amount * model.part_share[p]
    return out


def _per_period(x: np.ndarray, axis: int, period: int, divide: bool = False) -> np.ndarray:
    """A yearly array repeated for each month of its year (``period = 1``), a twelfth each
    when ``divide``; unchanged for yearly periods."""
    if period == 12:
        return x
    return np.repeat(x / 12.0 if divide else x, 12, axis=axis)


def price(
    model: CompiledModel,
    arrivals: np.ndarray,
    person_months: np.ndarray,
    relocated_dues: np.ndarray,
    multipliers: np.ndarray | None = None,
    population_dues: np.ndarray | None = None,
    pre_multipliers: np.ndarray | None = None,
    by_month: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Revenue and cost per run, period and component.

    Priced by one kernel a chunk (:mod:`._pricing_kernels`), which adds the products in the
    order of the ``np.einsum`` formulas below it (kept for one-component models, whose
    einsums add in another order): the money is theirs bit for bit (tested), and a run's
    money is computed the same way whatever other runs share its chunk (no BLAS, whose
    matrix products round by block sizes).

    Parameters
    ----------
    arrivals : [n, T, G]
        Persons arriving per month and group (counts, or expectations).
    person_months : [n, P, G, S]
        Per period: P = Y years, or T months.
    relocated_dues : [n, P, Y_arrival, P_parts]
        Payment parts due to persons already relocated.
    multipliers : [n, Y, C], optional
        Level and policy factors: by calendar year on per-month and fixed amounts, by year of
        arrival on scheduled payments.
    population_dues : [n, P, Y_pre, P_parts], optional
        Parts due to persons of the population who have relocated (arrival years before the
        start).
    pre_multipliers : [n, C], optional
        Level factors on the population's payments (no policy reaches arrivals before the
        start).
    by_month : [n, T, G, S], optional
        Person-months by month for the per-day amounts (DESIGN §15) when ``person_months``
        are by year (``expected``); by default ``person_months``, which must then be by month.

    Returns
    -------
    revenue, cost : float64 [n, P, C]
        SEK per period and component.
    """
    period = model.months // person_months.shape[1]
    days = person_months if by_month is None else by_month
    if _compiled(model, person_months, days, relocated_dues, population_dues):
        args = (arrivals, relocated_dues, multipliers, population_dues, pre_multipliers)
        return _price_compiled(model, period, person_months, days, *args)
    pm = person_months.astype(np.float64, copy=False)
    revenue = np.einsum("nygs,ygsc->nyc", pm, _per_period(model.revenue_rate, 0, period))
    cost = np.einsum("nygs,ygsc->nyc", pm, _per_period(model.cost_rate, 0, period))
    revenue += _per_period(model.fixed_revenue, 0, period, divide=True)[None]
    cost += _per_period(model.fixed_cost, 0, period, divide=True)[None]
    if model.per_day or model.fixed_day_cost.any():
        day_revenue, day_cost = day_money(model, pm if by_month is None else by_month, period)
        revenue += day_revenue
        cost += day_cost
    if multipliers is not None:
        calendar = _per_period(multipliers, 1, period)
        revenue *= calendar
        cost *= calendar
    arrivals = arrivals.astype(np.float64, copy=False)
    for p, W in enumerate(_weights(model, period)):
        g, c = model.part_group[p], model.part_component[p]
        lost = (1.0 - model.part_relocated_share[p]) * model.part_share[p] * model.part_amount[p]
        if multipliers is None:
            gross = np.einsum("na,ay->ny", arrivals[:, :, g], W)  # [n, P]
            lost_n = lost[None, :]  # [1, Y_arrival]
        else:
            by_arrival = np.repeat(multipliers[:, :, c], 12, axis=1)  # [n, T]
            gross = np.einsum("na,ay->ny", arrivals[:, :, g] * by_arrival, W)
            lost_n = lost[None, :] * multipliers[:, :, c]  # [n, Y_arrival]
        dues = relocated_dues[:, :, :, p]
        side = cost if model.part_cost[p] else revenue  # a scheduled cost, or a payment
        side[:, :, c] += gross - _lost(model, p, dues, lost_n, 0)
    if len(model.population):
        revenue += _population_money(model, period, population_dues, pre_multipliers, False)
        if model.part_cost.any():
            cost += _population_money(model, period, population_dues, pre_multipliers, True)
    return revenue, cost


def period_days(model: CompiledModel, period: int) -> np.ndarray:
    """``[P]`` days of each period: a month's own days, or a year's (365 or 366)."""
    return model.month_days.reshape(-1, period).sum(axis=1)


def day_money(
    model: CompiledModel, by_month: np.ndarray, period: int
) -> tuple[np.ndarray, np.ndarray]:
    """Revenue and cost ``[n, P, C]`` of the per-day amounts: person-months by month
    ``[n, T, G, S]`` times the rate per person-day times the days of each month, summed
    into periods; and contracted places per day times the days of each period."""
    n, C = by_month.shape[0], len(model.components)
    revenue, cost = np.zeros((n, model.months, C)), np.zeros((n, model.months, C))
    if model.per_day:
        if by_month.shape[1] != model.months:
            raise ValueError("per-day amounts are priced by month: give the months' counts")
        days = model.month_days.astype(np.float64)[:, None, None, None]
        if C > 1 and by_month.flags.c_contiguous:  # the kernel adds as the einsum does (C > 1)
            revenue, cost = np.empty((n, model.months, C)), np.empty((n, model.months, C))
            day_revenue_rate, day_cost_rate = _day_rates(model)
            kernels.rate_money(by_month, day_revenue_rate, revenue)
            kernels.rate_money(by_month, day_cost_rate, cost)
        else:
            pm = by_month.astype(np.float64, copy=False)
            revenue = np.einsum(
                "ntgs,tgsc->ntc", pm, np.repeat(model.day_revenue_rate, 12, 0) * days
            )
            cost = np.einsum("ntgs,tgsc->ntc", pm, np.repeat(model.day_cost_rate, 12, 0) * days)
    if period != 1:
        revenue = revenue.reshape(n, -1, period, C).sum(axis=2)
        cost = cost.reshape(n, -1, period, C).sum(axis=2)
    places = _per_period(model.fixed_day_cost, 0, period) * period_days(model, period)[:, None]
    return revenue, cost + places[None]


def refused_claims(
    model: CompiledModel, revenue: np.ndarray, refused: np.ndarray | None
) -> np.ndarray:
    """``[n, P, C]`` SEK: the cost of refused claims (DESIGN §15). ``revenue [n, P, C]`` is
    the runs' revenue by period (its claim year's revenue gives a ``share``); ``refused
    [n, Y, K]`` the per-run, per-claim-year indicators (or, for ``expected``, the
    probabilities): claim year j's loss is booked in year j + lag, in its month."""
    n, P, C = revenue.shape
    out = np.zeros((n, P, C))
    if refused is None:
        return out
    period = model.months // P
    Y = model.years
    by_year = revenue.reshape(n, Y, 12 // period, C).sum(axis=2)
    for k, claim in enumerate(model.claims):
        if claim.of >= 0:
            size = claim.share * by_year[:, :, claim.of]  # [n, Y]
        else:
            size = np.broadcast_to(claim.amount[None, :], (n, Y))
        for j in range(Y - claim.lag):
            booked = j + claim.lag
            at = booked if period == 12 else 12 * booked + claim.month - 1
            out[:, at, claim.component] += refused[:, j, k] * size[:, j]
    return out


def _population_money(
    model: CompiledModel,
    period: int,
    population_dues: np.ndarray | None,
    pre_multipliers: np.ndarray | None,
    is_cost: bool,
) -> np.ndarray:
    """``[n, P, C]`` (or ``[1, P, C]``): the population's payments (or with ``is_cost`` its
    scheduled costs) less those lost to its relocated persons, times the level factors of
    each run."""
    gross = population_payments(model, period, is_cost)[None]  # [1, P, C]
    lost = np.zeros_like(gross) if population_dues is None else None
    if population_dues is not None:
        n = population_dues.shape[0]
        lost = np.zeros((n, *gross.shape[1:]))
        for p in np.flatnonzero(model.part_cost == is_cost):
            c = model.part_component[p]
            per_person = (
                (1.0 - model.part_relocated_share[p])
                * model.part_share[p]
                * model.pop_part_amount[p]
            )  # [Y_pre]
            dues = population_dues[:, :, :, p]
            lost[:, :, c] += _lost(model, p, dues, per_person[None, :], model.pre_years)
    net = gross - lost
    if pre_multipliers is not None:
        net = net * pre_multipliers[:, None, :]
    return net


def _lost(
    model: CompiledModel, part: int, dues: np.ndarray, per_year: np.ndarray, offset: int
) -> np.ndarray:
    """``[n, P]`` SEK of ``part`` lost to relocated persons: ``dues [n, P, A]`` counts by
    period due and arrival year (A years from ``offset`` years before the start), or with
    ``A = 1`` by month due alone, whose arrival year follows from the part; ``per_year
    [1 or n, Y_arrival]`` SEK lost per count by arrival year."""
    if dues.shape[2] > 1 or dues.shape[1] == model.years:
        rows = np.broadcast_to(per_year, (dues.shape[0], per_year.shape[1]))
        return np.einsum("nda,na->nd", dues, rows)
    column = _columns(model, part, dues.shape[1], offset, per_year.shape[1])
    if per_year.shape[1] == 0:
        return np.zeros(dues.shape[:2])
    return dues[:, :, 0] * per_year[:, column]


@lru_cache(maxsize=16)
def _has_day_money(model: CompiledModel) -> bool:
    return bool(model.per_day or model.fixed_day_cost.any())


@lru_cache(maxsize=16)
def _population_both(model: CompiledModel, period: int) -> np.ndarray:
    """``[2, P, C]`` (``[0, 0, 0]`` without a population): the population's payments and
    scheduled costs (``population_payments``)."""
    if not len(model.population):
        return np.zeros((0, 0, 0))
    return np.stack(
        [population_payments(model, period, False), population_payments(model, period, True)]
    )


@lru_cache(maxsize=16)
def _day_rates(model: CompiledModel) -> tuple[np.ndarray, np.ndarray]:
    """``[T, G, S, C]`` SEK per person-month of the per-day amounts (rate times days)."""
    days = model.month_days.astype(np.float64)[:, None, None, None]
    return (
        np.repeat(model.day_revenue_rate, 12, 0) * days,
        np.repeat(model.day_cost_rate, 12, 0) * days,
    )


@lru_cache(maxsize=16)
def _per_period_money(model: CompiledModel, period: int) -> tuple[np.ndarray, ...]:
    """The rates ``[P, G, S, C]`` and fixed amounts ``[P, C]`` of each period."""
    return (
        np.ascontiguousarray(_per_period(model.revenue_rate, 0, period)),
        np.ascontiguousarray(_per_period(model.cost_rate, 0, period)),
        np.ascontiguousarray(_per_period(model.fixed_revenue, 0, period, divide=True)),
        np.ascontiguousarray(_per_period(model.fixed_cost, 0, period, divide=True)),
    )


def _columns(model: CompiledModel, part: int, periods: int, offset: int, years: int) -> np.ndarray:
    """``[P]`` the arrival-year column (of ``years`` from ``offset`` years before the
    start) of the dues of each period (a month) when they are by period alone."""
    due = np.arange(periods)
    k = int(model.part_k[part])
    after_months = model.part_kind[part] == PART_MONTHS_AFTER
    year = (due - k) // 12 if after_months else due // 12 - k
    return np.clip(year + offset, 0, max(years - 1, 0)).astype(np.int64)


@lru_cache(maxsize=16)
def _sparse_parts(model: CompiledModel, period: int) -> tuple[np.ndarray, ...]:
    """The payment parts for the kernel: the period each arrival month's part is due in
    (``[T, parts]``, −1: none) and its SEK (``W[a, due]`` of ``payment_weights``); SEK lost
    per relocated count by arrival year, of arrivals ``[parts, Y]`` and of the population
    ``[parts, Y_pre]``, with their columns ``[parts, P]`` for dues by month alone."""
    T, P, parts = model.months, model.months // period, len(model.part_group)
    due, weight = np.full((parts, T), -1, dtype=np.int64), np.zeros((parts, T))
    for p, W in enumerate(_weights(model, period)):  # one period a row (payment_weights)
        nonzero = W != 0.0
        at = np.flatnonzero(nonzero.any(axis=1))
        due[p, at] = nonzero[at].argmax(axis=1)
        weight[p, at] = W[at, due[p, at]]
    lost = np.zeros((parts, model.years))
    pop_lost = np.zeros((parts, model.pop_part_amount.shape[1]))
    column, pop_column = np.zeros((parts, P), np.int64), np.zeros((parts, P), np.int64)
    for p in range(parts):
        lost[p] = (1.0 - model.part_relocated_share[p]) * model.part_share[p] * model.part_amount[p]
        pop_lost[p] = (
            (1.0 - model.part_relocated_share[p]) * model.part_share[p] * model.pop_part_amount[p]
        )
        column[p] = _columns(model, p, P, 0, lost.shape[1])
        pop_column[p] = _columns(model, p, P, model.pre_years, pop_lost.shape[1])
    return due.T.copy(), weight.T.copy(), lost, pop_lost, column, pop_column


def _compiled(
    model: CompiledModel,
    pm: np.ndarray,
    days: np.ndarray,
    relocated_dues: np.ndarray,
    population_dues: np.ndarray | None,
) -> bool:
    """Whether the kernel adds as the einsums do: the output's last axis (components,
    periods) longer than 1, C-ordered arrays."""
    arrays = [pm, days, relocated_dues, model.revenue_rate, model.cost_rate]
    if population_dues is not None:
        arrays.append(population_dues)
    return (
        len(model.components) > 1 and pm.shape[1] > 1 and all(a.flags.c_contiguous for a in arrays)
    )


def _paired(model: CompiledModel, dues: np.ndarray) -> bool:
    """Whether ``np.einsum("nda,na->nd")`` sums ``dues[..., part]`` in SIMD lanes: where
    the arrival years lie contiguous, as integer dues cast into its buffer or as the dues
    of the only part (``_pricing_kernels.lost_money``)."""
    return dues.dtype != np.float64 or len(model.part_group) == 1


def _price_compiled(
    model: CompiledModel,
    period: int,
    pm: np.ndarray,
    days: np.ndarray,
    arrivals: np.ndarray,
    relocated_dues: np.ndarray,
    multipliers: np.ndarray | None,
    population_dues: np.ndarray | None,
    pre_multipliers: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """``price`` by the kernel (:mod:`._pricing_kernels`), bit for bit the einsums'."""
    n, P, C = pm.shape[0], pm.shape[1], len(model.components)
    none2, none3 = np.zeros((0, 0)), np.zeros((0, 0, 0))
    revenue_rate, cost_rate, fixed_revenue, fixed_cost = _per_period_money(model, period)
    day_revenue = day_cost = none3
    if _has_day_money(model):
        day_revenue, day_cost = day_money(model, days, period)
        day_revenue = np.ascontiguousarray(np.broadcast_to(day_revenue, (n, P, C)))
        day_cost = np.ascontiguousarray(np.broadcast_to(day_cost, (n, P, C)))
    due, weight, lost, pop_lost, column, pop_column = _sparse_parts(model, period)
    population, pop_dues = _population_both(model, period), np.zeros((0, 0, 0, 0))
    if len(model.population) and population_dues is not None:
        pop_dues = population_dues
    revenue, cost = np.empty((n, P, C)), np.empty((n, P, C))
    kernels.price_runs(
        pm,
        revenue_rate,
        cost_rate,
        fixed_revenue,
        fixed_cost,
        day_revenue,
        day_cost,
        none3 if multipliers is None else np.ascontiguousarray(multipliers, dtype=np.float64),
        12 // period,
        np.ascontiguousarray(arrivals),
        none3 if multipliers is None else np.ascontiguousarray(multipliers, dtype=np.float64),
        model.part_group,
        model.part_component,
        model.part_cost,
        due,
        weight,
        lost,
        relocated_dues,
        not (relocated_dues.shape[2] > 1 or model.years == P),
        _paired(model, relocated_dues),
        column,
        population,
        pop_dues,
        pop_lost,
        not (pop_dues.shape[2] > 1 or model.years == P) if pop_dues.shape[0] else False,
        _paired(model, pop_dues),
        pop_column,
        none2 if pre_multipliers is None else pre_multipliers,
        revenue,
        cost,
    )
    return revenue, cost
