"""Money: person-months, arrivals and relocated dues → revenue and cost in SEK (DESIGN §3.4).

The same function serves the Monte Carlo engines (integer counts per run) and ``expected``
(expected counts, one "run"), so both price their counts identically.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .compile import CompiledModel


def payment_weights(model: CompiledModel, part: int) -> np.ndarray:
    """``W[a, y]``: SEK of ``part`` due in year y per person arriving in month a (gross)."""
    T, Y = model.months, model.years
    arrival = np.arange(T)
    due = model.due_month(part, arrival)
    ok = due < T  # parts due after the horizon are not reported
    W = np.zeros((T, Y))
    W[arrival[ok], due[ok] // 12] = (
        model.part_amount[part, arrival[ok] // 12] * model.part_share[part]
    )
    return W


@lru_cache(maxsize=16)
def _weights(model: CompiledModel) -> tuple[np.ndarray, ...]:
    return tuple(payment_weights(model, p) for p in range(len(model.part_group)))


def price(
    model: CompiledModel,
    arrivals: np.ndarray,
    person_months: np.ndarray,
    relocated_dues: np.ndarray,
    multipliers: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Revenue and cost per run, year and component.

    Every product is an ``np.einsum`` without BLAS, so a run's money is computed the same way
    whatever other runs share its chunk (a BLAS matrix product rounds by block sizes).

    Parameters
    ----------
    arrivals : [n, T, G]
        Persons arriving per month and group (counts, or expectations).
    person_months : [n, Y, G, S]
    relocated_dues : [n, Y_booked, Y_arrival, P]
        Payment parts lost (times ``1 − part_relocated_share``) to relocated persons, by the
        year the loss is booked (see ``CompiledModel.part_window``).
    multipliers : [n, Y, C], optional
        Level and policy factors: by calendar year on per-month and fixed amounts, by year of
        arrival on scheduled payments.

    Returns
    -------
    revenue, cost : float64 [n, Y, C]
        SEK per calendar year and component.
    """
    pm = person_months.astype(np.float64, copy=False)
    revenue = np.einsum("nygs,ygsc->nyc", pm, model.revenue_rate)
    cost = np.einsum("nygs,ygsc->nyc", pm, model.cost_rate)
    revenue += model.fixed_revenue[None]
    cost += model.fixed_cost[None]
    if multipliers is not None:
        revenue *= multipliers
        cost *= multipliers
    arrivals = arrivals.astype(np.float64, copy=False)
    for p, W in enumerate(_weights(model)):
        g, c = model.part_group[p], model.part_component[p]
        lost = (1.0 - model.part_relocated_share[p]) * model.part_share[p] * model.part_amount[p]
        if multipliers is None:
            gross = np.einsum("na,ay->ny", arrivals[:, :, g], W)  # [n, Y]
            revenue[:, :, c] += gross - np.einsum("nda,a->nd", relocated_dues[:, :, :, p], lost)
        else:
            by_arrival = np.repeat(multipliers[:, :, c], 12, axis=1)  # [n, T]
            gross = np.einsum("na,ay->ny", arrivals[:, :, g] * by_arrival, W)
            lost_n = lost[None, :] * multipliers[:, :, c]  # [n, Y_arrival]
            revenue[:, :, c] += gross - np.einsum("nda,na->nd", relocated_dues[:, :, :, p], lost_n)
    return revenue, cost
