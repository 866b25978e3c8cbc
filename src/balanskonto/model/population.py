"""The population already received, as arrays for the engines and ``expected`` (DESIGN §11).

Rows with the same arrival month, group, state and duration are merged. Each merged row gets a
key code for the random numbers of its persons that no arrival cell can have (bit 63 set;
arrival cells are ``month · 2**20 + group + 1 < 2**60``), built from the row's content, so
that adding a population leaves every arriving person's draws unchanged and the order of the
rows does not matter.
"""

from __future__ import annotations

import numpy as np

from ..config.schema import Config

_POPULATION_BIT = np.uint64(1) << np.uint64(63)


def pre_years(config: Config) -> int:
    """Calendar years before ``start_year`` in which the population arrived (0 without one)."""
    rows = config.population.rows if config.population is not None else None
    if not rows:
        return 0
    first = min(int(r.arrival[:4]) for r in rows)
    return config.simulation.start_year - first


def compile_population(config: Config) -> dict[str, np.ndarray]:
    """``pop_group``, ``pop_state``, ``pop_months`` (completed months in the state),
    ``pop_arrival`` (arrival month from January of ``start_year``, negative), ``pop_count``
    and ``pop_code`` (uint64 key codes), one entry per distinct row."""
    start = config.simulation.start_year
    groups = list(config.groups)
    merged: dict[tuple[int, int, int, int], int] = {}
    rows = config.population.rows if config.population is not None else None
    for row in rows or []:
        key = (
            row.month_index(start),
            groups.index(row.group),
            config.state_names.index(row.state),
            row.months_in_state,
        )
        merged[key] = merged.get(key, 0) + row.count
    keys = sorted(k for k, n in merged.items() if n > 0)
    arrival = np.array([k[0] for k in keys], dtype=np.int64)
    group = np.array([k[1] for k in keys], dtype=np.int64)
    state = np.array([k[2] for k in keys], dtype=np.int64)
    months = np.array([k[3] for k in keys], dtype=np.int64)
    code = (
        ((-arrival).astype(np.uint64) << np.uint64(40))
        | (state.astype(np.uint64) << np.uint64(32))
        | (months.astype(np.uint64) << np.uint64(12))
        | group.astype(np.uint64)
        | _POPULATION_BIT
    )
    return dict(
        pop_group=group,
        pop_state=state,
        pop_months=months,
        pop_arrival=arrival,
        pop_count=np.array([merged[k] for k in keys], dtype=np.int64),
        pop_code=code,
    )
