"""Money tables (per-month rates, fixed items, payment parts) and pricing of counts in SEK
(DESIGN §3.4)."""

from __future__ import annotations

import numpy as np

from ..config.groups import Group, Payment, ScheduledCost
from ..config.schema import Config
from ..config.semantics import component_names
from ..config.types import RESIDENT
from .codes import PART_CALENDAR_YEAR, PART_MONTHS_AFTER


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
    G, C, states = len(config.groups), len(components), config.state_names
    monthly = np.zeros((G, len(states), C))
    for g, group in enumerate(config.groups.values()):
        for state, amounts in getattr(group, side).items():
            named = states[:-1] if state == RESIDENT else (state,)  # relocated is last
            for comp, amount in amounts.items():
                amount = amount * per_unit(group, comp)
                for st in named:
                    monthly[g, states.index(st), components.index(comp)] += amount
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


def payment_parts(
    config: Config, components: tuple[str, ...], pre_years: int = 0
) -> dict[str, np.ndarray]:
    """Scheduled payments and costs as parts (group, component, kind, k, share, relocated
    share) with their amounts by arrival year, per unit (a household's members times the
    amount per person, unless the component is ``per_household``): ``part_amount [P, Y]``
    for the horizon and ``pop_part_amount [P, pre_years]`` for the years before it (the
    population, §11);
    ``part_cost [P]`` marks the parts of scheduled costs (DESIGN §15), which a person who has
    moved away no longer causes (relocated share 0). A cost of ``amount`` each month for
    ``months`` months is ``months`` parts of share 1, due 0, 1, … months after arrival."""
    years, start = config.simulation.years, config.simulation.start_year
    first = start - pre_years
    rows: list[tuple[int, int, int, int, float, float, np.ndarray, int, bool]] = []
    for g, group in enumerate(config.groups.values()):
        schedules: list[tuple[str, Payment | ScheduledCost, bool]] = [
            *((c, p, False) for c, p in group.payments.items()),
            *((c, p, True) for c, p in group.scheduled_costs.items()),
            *((c, p, False) for c, p in (group.scheduled_revenue or {}).items()),
        ]
        for comp, pay, is_cost in schedules:
            amount = np.array([_amount(pay, first + y) for y in range(pre_years + years)])
            amount = amount * per_unit(group, comp)
            c = components.index(comp)
            if isinstance(pay, Payment):
                moved, window = pay.relocated_factor, pay.relocated_within_months or 0
            else:
                moved, window = 0.0, 0
            if isinstance(pay, ScheduledCost) and pay.share_of_persons is not None:
                amount = amount * pay.share_of_persons  # an expected share (docs/model.md)
            if isinstance(pay, ScheduledCost) and pay.months is not None:
                first_month = pay.from_month or 0
                parts = [(PART_MONTHS_AFTER, first_month + k, 1.0) for k in range(pay.months)]
            elif pay.by_calendar_year is not None:
                parts = [(PART_CALENDAR_YEAR, k, f) for k, f in enumerate(pay.by_calendar_year)]
            else:
                parts = [(PART_MONTHS_AFTER, i.month, i.share) for i in pay.installments or []]
            for kind, k, share in parts:
                rows.append((g, c, kind, k, share, moved, amount, window, is_cost))
    G = len(config.groups)
    amounts = np.array([r[6] for r in rows], dtype=np.float64).reshape(len(rows), pre_years + years)
    counts = np.bincount([r[0] for r in rows], minlength=G) if rows else np.zeros(G, np.int64)
    return dict(
        part_group=np.array([r[0] for r in rows], dtype=np.int64),
        part_component=np.array([r[1] for r in rows], dtype=np.int64),
        part_kind=np.array([r[2] for r in rows], dtype=np.int64),
        part_k=np.array([r[3] for r in rows], dtype=np.int64),
        part_share=np.array([r[4] for r in rows], dtype=np.float64),
        part_relocated_share=np.array([r[5] for r in rows], dtype=np.float64),
        part_amount=amounts[:, pre_years:],
        pop_part_amount=amounts[:, :pre_years],
        part_window=np.array([r[7] for r in rows], dtype=np.int64),
        part_cost=np.array([r[8] for r in rows], dtype=bool),
        group_parts=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
    )


def per_unit(group: Group, component: str) -> int:
    """Persons an amount of ``component`` is paid for in one unit of ``group``: the members
    of a household (amounts are per person), 1 for a ``per_household`` component or a
    group of single persons (DESIGN §15)."""
    return 1 if component in group.household_components else group.size


def _amount(pay: Payment | ScheduledCost, year: int) -> float:
    """The amount for persons arriving in ``year``: ``amount``, or the level of
    ``amount_by_arrival_year`` that holds from its year until the next listed one (0 before
    the first: only years with no arrivals, as the config's rules ensure)."""
    if pay.amount is not None:
        return pay.amount
    assert pay.amount_by_arrival_year is not None
    earlier = [y for y in sorted(int(y) for y in pay.amount_by_arrival_year) if y <= year]
    return pay.amount_by_arrival_year[str(earlier[-1])] if earlier else 0.0
