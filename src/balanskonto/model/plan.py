"""The arrivals plan: planned persons per group and month (deterministic)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..config.schema import Config

if TYPE_CHECKING:
    from .compiled import CompiledModel


# --------------------------------------------------------------------------------------
# Arrivals
# --------------------------------------------------------------------------------------
def largest_remainder(total: int, shares: np.ndarray) -> np.ndarray:
    """Split a whole number by shares, rounding by largest remainders (ties: first wins)."""
    exact = total * shares
    base = np.floor(exact + 1e-9).astype(np.int64)
    rest = total - int(base.sum())
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:rest]] += 1
    return base


def spread_over_months(count: int) -> np.ndarray:
    """A year's count spread evenly over 12 months, the remainder to the first months."""
    months = np.full(12, count // 12, dtype=np.int64)
    months[: count % 12] += 1
    return months


def planned_per_year(config: Config) -> np.ndarray:
    years = config.simulation.years
    per_year = config.arrivals.per_year
    out = np.zeros(years)
    if isinstance(per_year, list):
        out[: len(per_year)] = per_year
    else:
        out[:] = per_year
    return out


def fixed_split(
    per_year: np.ndarray, mix: np.ndarray, members: np.ndarray | None = None
) -> np.ndarray:
    """Fixed arrivals ``[T, G]`` in units (persons, or households of a household group):
    each year's persons split by mix, then spread over months.

    A household group of m members (``members[g] = m > 1``) gets whole households: through
    each year, as many as the persons split to it so far divided by m, rounded to the
    nearest (halves up), so that the households' persons never drift from the split by
    more than m/2.
    """
    years, G = per_year.shape[0], mix.shape[0]
    out = np.zeros((12 * years, G), dtype=np.int64)
    persons = np.zeros((years, G), dtype=np.int64)
    for y, total in enumerate(per_year):
        persons[y] = largest_remainder(round(total), mix)
    units = persons
    if members is not None and (members > 1).any():
        so_far = np.floor(np.cumsum(persons, axis=0) / members[None, :] + 0.5).astype(np.int64)
        units = np.diff(so_far, axis=0, prepend=0)
    for y in range(years):
        for g in range(G):
            out[12 * y : 12 * y + 12, g] = spread_over_months(int(units[y, g]))
    return out


def monthly_means(model: CompiledModel) -> np.ndarray:
    """Expected arrivals ``[T, G]`` in units: the fixed split, or ``per_year · mix / 12``
    persons, divided by the members of a household group (households)."""
    if model.distribution == "fixed":
        return model.fixed_arrivals.astype(np.float64)
    per_month = np.repeat(model.per_year / 12.0, 12)
    means = per_month[:, None] * model.mix[None, :]
    if (model.members > 1).any():
        means = means / model.members[None, :]
    return means
