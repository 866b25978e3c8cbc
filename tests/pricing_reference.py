"""The pricing as it was before its kernel (``model/pricing.py`` of commit 358c94e): every
product an ``np.einsum`` over dense payment weights. Kept unchanged as the reference that
``price`` must match bit for bit (tests/model/test_pricing.py); the helpers that did not
change are imported from model/pricing.py."""

from __future__ import annotations

import numpy as np

from balanskonto.model.codes import PART_MONTHS_AFTER
from balanskonto.model.compiled import CompiledModel
from balanskonto.model.pricing import (  # unchanged helpers: the same in the reference
    _per_period,
    _weights,
    period_days,
    population_payments,
)


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

    Every product is an ``np.einsum`` without BLAS, so a run's money is computed the same way
    whatever other runs share its chunk (a BLAS matrix product rounds by block sizes).

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
        pm = by_month.astype(np.float64, copy=False)
        revenue = np.einsum("ntgs,tgsc->ntc", pm, np.repeat(model.day_revenue_rate, 12, 0) * days)
        cost = np.einsum("ntgs,tgsc->ntc", pm, np.repeat(model.day_cost_rate, 12, 0) * days)
    if period != 1:
        revenue = revenue.reshape(n, -1, period, C).sum(axis=2)
        cost = cost.reshape(n, -1, period, C).sum(axis=2)
    places = _per_period(model.fixed_day_cost, 0, period) * period_days(model, period)[:, None]
    return revenue, cost + places[None]


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
    due = np.arange(dues.shape[1])
    k = int(model.part_k[part])
    after_months = model.part_kind[part] == PART_MONTHS_AFTER
    year = (due - k) // 12 if after_months else due // 12 - k
    column = np.clip(year + offset, 0, max(per_year.shape[1] - 1, 0))
    if per_year.shape[1] == 0:
        return np.zeros(dues.shape[:2])
    return dues[:, :, 0] * per_year[:, column]
