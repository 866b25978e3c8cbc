"""Compiled care of unaccompanied minors (DESIGN §15): amounts per day, leaving care by age,
contracted places and refused claims, as arrays."""

from __future__ import annotations

import calendar
from dataclasses import dataclass

import numpy as np

from ..config.schema import Config
from ..config.types import RESIDENT
from .money import per_unit


@dataclass(frozen=True)
class ClaimRisk:
    """A claim that may be refused: for each claim year j (from the start), with
    ``probability`` a cost ``amount[j]`` (or ``share`` of the claim year's revenue of
    component ``of``) booked in year j + ``lag`` (its ``month``, 1–12)."""

    name: str  # "claim:<component>"
    component: int  # the cost component of the loss
    probability: float
    lag: int
    amount: np.ndarray  # [Y] SEK per claim year (zeros with share)
    share: float  # 0 with amount
    of: int  # revenue component of share; -1 with amount
    month: int


def month_days(start_year: int, years: int) -> np.ndarray:
    """``[T]`` int64: the days of each calendar month of the horizon."""
    return np.array(
        [calendar.monthrange(start_year + t // 12, t % 12 + 1)[1] for t in range(12 * years)],
        dtype=np.int64,
    )


def _day_rates(config: Config, side: str, components: tuple[str, ...]) -> np.ndarray:
    """``[G, S, C]`` SEK per unit-day of the groups' ``per_day`` amounts (not indexed): per
    person, times a household's members unless ``per_household``."""
    states = config.state_names
    out = np.zeros((len(config.groups), len(states), len(components)))
    for g, group in enumerate(config.groups.values()):
        if group.per_day is None:
            continue
        for state, amounts in getattr(group.per_day, side).items():
            named = states[:-1] if state == RESIDENT else (state,)  # relocated is last
            for comp, amount in amounts.items():
                for st in named:
                    out[g, states.index(st), components.index(comp)] += amount * per_unit(
                        group, comp
                    )
    return out


def _yearly(value: float | list[float], years: int) -> np.ndarray:
    out = np.zeros(years)
    if isinstance(value, list):
        out[: len(value)] = value
    else:
        out[:] = value
    return out


def compile_care(
    config: Config, components: tuple[str, ...], cost_index: np.ndarray, revenue_index: np.ndarray
) -> dict:
    """The arrays of :class:`~balanskonto.model.compiled.CompiledModel`'s care fields."""
    years, G, C = config.simulation.years, len(config.groups), len(components)
    fixed_day_cost = np.zeros((years, C))
    fixed_month_cost = np.zeros((years, C))
    for name, place in (config.fixed.contracted or {}).items():
        places = _yearly(place.places, years)
        if place.per_day is not None:
            fixed_day_cost[:, components.index(name)] += places * place.per_day
        else:
            fixed_month_cost[:, components.index(name)] += places * place.per_month
    states = config.state_names
    S = len(states)
    care_months = np.zeros(G, dtype=np.int64)
    care_state = np.zeros((G, S), dtype=np.bool_)
    care_cum = np.ones((G, S))
    for g, group in enumerate(config.groups.values()):
        care = group.leaves_care
        if care is None:
            continue
        care_months[g] = care.months
        for s in care.states:
            care_state[g, states.index(s)] = True
        split = np.zeros(S)
        for s, share in care.to.items():
            split[states.index(s)] = share
        cum = np.cumsum(split)
        cum[np.flatnonzero(split)[-1] :] = 1.0  # the last destination takes any rounding
        care_cum[g] = cum
    claims = []
    for name, claim in (config.refused_claims or {}).items():
        claims.append(
            ClaimRisk(
                name=f"claim:{name}",
                component=components.index(name),
                probability=claim.probability,
                lag=claim.lag_years,
                amount=np.zeros(years) if claim.amount is None else _yearly(claim.amount, years),
                share=claim.share or 0.0,
                of=-1 if claim.of is None else components.index(claim.of),
                month=claim.month,
            )
        )
    return dict(
        day_cost_rate=cost_index[:, None, None, None]
        * _day_rates(config, "costs", components)[None],
        day_revenue_rate=revenue_index[:, None, None, None]
        * _day_rates(config, "revenue", components)[None],
        fixed_day_cost=fixed_day_cost * cost_index[:, None],
        fixed_month_cost=fixed_month_cost * cost_index[:, None],
        month_days=month_days(config.simulation.start_year, years),
        care_months=care_months,
        care_state=care_state,
        care_cum=care_cum,
        claims=tuple(claims),
    )
