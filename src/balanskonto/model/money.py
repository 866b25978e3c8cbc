"""Money tables (per-month rates, fixed items, payment parts) and pricing of counts in SEK
(DESIGN §3.4)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from ..config.groups import Payment
from ..config.schema import Config
from ..config.semantics import component_names
from ..config.types import RESIDENT, STATES
from .codes import N_STATES, PART_CALENDAR_YEAR, PART_MONTHS_AFTER, RELOCATED

if TYPE_CHECKING:
    from .compiled import CompiledModel


# --------------------------------------------------------------------------------------
# Money
# --------------------------------------------------------------------------------------
def component_axis(config: Config) -> tuple[str, ...]:
    return tuple(sorted(component_names(config)))


def index_table(years: int, rate: float) -> np.ndarray:
    return (1.0 + rate) ** np.arange(years)


def rate_table(
    config: Config, side: str, components: tuple[str, ...], index: np.ndarray
) -> np.ndarray:
    G, C = len(config.groups), len(components)
    monthly = np.zeros((G, N_STATES, C))
    for g, group in enumerate(config.groups.values()):
        for state, amounts in getattr(group, side).items():
            states = STATES[:RELOCATED] if state == RESIDENT else (state,)
            for comp, amount in amounts.items():
                for st in states:
                    monthly[g, STATES.index(st), components.index(comp)] += amount
    return index[:, None, None, None] * monthly[None]


def fixed_table(
    items: dict, components: tuple[str, ...], years: int, index: np.ndarray
) -> np.ndarray:
    out = np.zeros((years, len(components)))
    for comp, amount in items.items():
        c = components.index(comp)
        if isinstance(amount, list):
            out[: len(amount), c] = amount
        else:
            out[:, c] = amount
    return out * index[:, None]


def payment_parts(config: Config, components: tuple[str, ...]) -> dict[str, np.ndarray]:
    years, start = config.simulation.years, config.simulation.start_year
    rows: list[tuple[int, int, int, int, float, float, np.ndarray]] = []
    for g, group in enumerate(config.groups.values()):
        for comp, pay in group.payments.items():
            amount = np.array([_amount(pay, start + y) for y in range(years)])
            c = components.index(comp)
            if pay.by_calendar_year is not None:
                for k, share in enumerate(pay.by_calendar_year):
                    rows.append((g, c, PART_CALENDAR_YEAR, k, share, pay.relocated_share, amount))
            else:
                for inst in pay.installments or []:
                    rows.append(
                        (
                            g,
                            c,
                            PART_MONTHS_AFTER,
                            inst.month,
                            inst.share,
                            pay.relocated_share,
                            amount,
                        )
                    )
    G = len(config.groups)
    counts = np.bincount([r[0] for r in rows], minlength=G) if rows else np.zeros(G, np.int64)
    return dict(
        part_group=np.array([r[0] for r in rows], dtype=np.int64),
        part_component=np.array([r[1] for r in rows], dtype=np.int64),
        part_kind=np.array([r[2] for r in rows], dtype=np.int64),
        part_k=np.array([r[3] for r in rows], dtype=np.int64),
        part_share=np.array([r[4] for r in rows], dtype=np.float64),
        part_relocated_share=np.array([r[5] for r in rows], dtype=np.float64),
        part_amount=np.array([r[6] for r in rows], dtype=np.float64).reshape(len(rows), years),
        group_parts=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
    )


def _amount(pay: Payment, year: int) -> float:
    amount = pay.amount_for(year)
    return 0.0 if amount is None else amount  # None only for years with no arrivals


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
    relocated_dues : [n, Y_due, Y_arrival, P]
        Payment parts due to persons already relocated.
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
