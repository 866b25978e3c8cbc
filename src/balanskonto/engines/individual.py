"""The engines: arrays in, counts out, one signature (DESIGN §4)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..model import _table_kernels
from ..model.compiled import CompiledModel
from ..model.folding import TablePlan, compact_tables, no_fold_args, row_offsets
from ..model.tables import Tables
from . import _kernels
from .arrivals import NUMPY_ENGINE_STREAM, run_generator


@dataclass(frozen=True)
class Counts:
    """What an engine returns for a chunk of runs."""

    person_months: np.ndarray  # int64 [n, periods, G, S]; periods = Y, or T (monthly)
    persons: np.ndarray  # int64 [n, Y, G, S] in December
    relocated_dues: np.ndarray  # int64 [n, periods_due, Y_arrival, P]
    population_dues: np.ndarray  # int64 [n, periods_due, Y_pre, P] (the population's)
    draws: int  # uniforms drawn (months actually stepped)


def _empty(model: CompiledModel, n: int) -> dict[str, np.ndarray]:
    Y, G, P, S = model.years, len(model.groups), len(model.part_group), len(model.states)
    periods = model.months if model.counts_by_month else Y
    # by month (and no window), the month and the part give the year of arrival: one column
    one = model.dues_by_month_only
    years, pre = (1, min(model.pre_years, 1)) if one else (Y, model.pre_years)
    return dict(
        person_months=np.zeros((n, periods, G, S), dtype=np.int64),
        persons=np.zeros((n, Y, G, S), dtype=np.int64),
        relocated_dues=np.zeros((n, periods, years, P), dtype=np.int64),
        population_dues=np.zeros((n, periods, pre, P), dtype=np.int64),
    )


def _run_kernel(
    events: bool, model: CompiledModel, seed: int, run_ids: np.ndarray, arrivals: np.ndarray,
    tables: Tables | TablePlan,
) -> Counts:  # fmt: skip
    out = _empty(model, len(run_ids))
    drawn = np.zeros(len(run_ids), dtype=np.int64)
    rows, off = model.rows, row_offsets(model.rows)  # compact tables (rows that differ)
    G, S, N = len(model.groups), len(model.states), int(model.rows.sum())
    folding = isinstance(tables, TablePlan) and not events
    if folding:  # the kernel folds each run's tables just before simulating it
        fold = tables.args
        Y = tables.shape[0]
        tables = Tables(np.empty((1, Y, N)), np.empty((1, Y, N, S)),
                        np.empty((1, G, S), dtype=np.int64), None)  # fmt: skip
    else:
        if isinstance(tables, TablePlan):
            tables = tables.fold(0, tables.runs, compact=True)
        else:
            tables = compact_tables(tables, rows)
        fold = no_fold_args(model)
    flat_from = np.zeros((*tables.stay.shape[:-1], G, S), dtype=np.int64)
    log_stay = tables.stay
    varies = np.zeros((tables.stay.shape[0], G, S), dtype=bool)
    if events:
        varies = _varies(tables, rows, off)
        with np.errstate(divide="ignore"):
            log_stay = np.log(tables.stay)  # the event kernel's survival is on the log scale
        # first row from which every row equals the last: the stay is geometric from there
        _table_kernels.flat_from_rows(
            tables.stay.reshape(-1, N), tables.cum.reshape(-1, N, S), off, rows,
            flat_from.reshape(-1, G, S),
        )  # fmt: skip
    _kernels.simulate_runs(
        events,
        np.int64(seed),
        np.ascontiguousarray(run_ids, dtype=np.int64),
        np.ascontiguousarray(arrivals, dtype=np.int64),
        model.start_state,
        tables.stay,
        tables.cum,
        log_stay,
        flat_from,
        varies,
        tables.absorbing_from,
        rows,
        off,
        folding,
        fold,
        model.group_parts,
        model.part_kind,
        model.part_k,
        model.part_window,
        model.population,
        model.pop_code,
        model.care_months,
        model.care_state,
        model.care_cum,
        out["person_months"],
        out["persons"],
        out["relocated_dues"],
        out["population_dues"],
        drawn,
    )
    return Counts(**out, draws=int(drawn.sum()))


def _varies(tables: Tables, rows: np.ndarray, off: np.ndarray) -> np.ndarray:
    """``[R', G, S]``: whether a state's compact rows (stay or cum) differ between the years
    of the tables ``stay [R', Y', N]``, ``cum [R', Y', N, S]``."""
    stay, cum = tables.stay, tables.cum
    differ = (stay != stay[:, :1]).any(axis=1) | (cum != cum[:, :1]).any(axis=(1, 3))  # [R', N]
    # every state has at least one row: its offsets increase, one segment a state
    out = np.logical_or.reduceat(differ, off.ravel(), axis=1)
    return out.reshape(stay.shape[0], *rows.shape)


def numba_engine(
    model: CompiledModel,
    seed: int,
    run_ids: np.ndarray,
    arrivals: np.ndarray,
    tables: Tables | TablePlan,
) -> Counts:
    """Individual-level engine (numba, parallel over runs), stepping every person-month."""
    return _run_kernel(False, model, seed, run_ids, arrivals, tables)


def event_engine(
    model: CompiledModel,
    seed: int,
    run_ids: np.ndarray,
    arrivals: np.ndarray,
    tables: Tables | TablePlan,
) -> Counts:
    """Individual-level, event-driven engine (numba, parallel over runs): one draw per stay
    for its length and one for its destination, instead of one per month."""
    return _run_kernel(True, model, seed, run_ids, arrivals, tables)


def numpy_engine(
    model: CompiledModel,
    seed: int,
    run_ids: np.ndarray,
    arrivals: np.ndarray,
    tables: Tables | TablePlan,
) -> Counts:
    """Vectorised reference: every person of a run stepped month by month with numpy.

    The population (DESIGN §11) comes first, in its rows' order, then the arrivals in order
    of arrival month and group; all persons of a run share one generator (its own stream), so
    this engine agrees with the others in distribution, not person by person.
    """
    if isinstance(tables, TablePlan):
        tables = tables.fold(0, tables.runs)
    T, G, S, relocated = model.months, len(model.groups), len(model.states), model.relocated
    D = tables.stay.shape[-1]
    per_run, by_year = tables.stay.shape[0] > 1, tables.stay.shape[1] > 1
    out = _empty(model, len(run_ids))
    pm, persons = out["person_months"], out["persons"]
    period = T // pm.shape[1]
    pop = model.population
    pop_n = pop[:, 4]
    care = bool(model.care_months.any())  # leaving care by age (DESIGN §15)
    draws = 0
    for i, run in enumerate(run_ids):
        rng = run_generator(seed, NUMPY_ENGINE_STREAM, int(run))
        r = i if per_run else 0
        counts = arrivals[i]  # [T, G]
        # the population, then persons in order of arrival month and group
        arrived = np.concatenate(
            [np.repeat(pop[:, 0], pop_n), np.repeat(np.repeat(np.arange(T), G), counts.ravel())]
        )
        group = np.concatenate(
            [np.repeat(pop[:, 1], pop_n), np.repeat(np.tile(np.arange(G), T), counts.ravel())]
        )
        state = np.concatenate(
            [np.repeat(pop[:, 2], pop_n), model.start_state[group[pop_n.sum() :]]]
        )
        dur = np.minimum(
            np.concatenate(
                [np.repeat(pop[:, 3] + 1, pop_n), np.ones(len(group) - pop_n.sum(), np.int64)]
            ),
            D,
        )
        # the month of the move; the population's moves before the start are negative
        months_done = np.concatenate(
            [np.repeat(pop[:, 3], pop_n), np.zeros(len(group) - pop_n.sum(), np.int64)]
        )
        relocated_from = np.where(state == relocated, -months_done, T)
        active = np.searchsorted(np.maximum(arrived, 0), np.arange(T), side="right")
        for t in range(T):
            n = active[t]
            g, s, d = group[:n], state[:n], dur[:n]
            present = np.bincount(g * S + s, minlength=G * S).reshape(G, S)
            pm[i, t // period] += present
            if t % 12 == 11:
                persons[i, t // 12] = present
            u = rng.random(n)
            draws += n
            row = d - 1
            y = t // 12 if by_year else 0
            stay, cum = tables.stay[r, y], tables.cum[r, y]
            # leaving care by age (DESIGN §15): at the end of month arrival + care_months − 1
            moves = u >= stay[g, s, row]
            thresholds = cum[g[moves], s[moves], row[moves]]
            if care:
                months_in_care = model.care_months[g]
                leaves = (months_in_care > 0) & (arrived[:n] + months_in_care - 1 == t)
                leaves &= model.care_state[g, s]
                moves |= leaves
                thresholds = np.where(
                    leaves[moves, None],
                    model.care_cum[g[moves]],
                    cum[g[moves], s[moves], row[moves]],
                )
            new = (u[moves, None] >= thresholds).sum(axis=1)
            dur[:n] = np.minimum(d + 1, D)
            dur[:n][moves] = 1
            state[:n][moves] = new
            newly = np.flatnonzero(moves)[new == relocated]
            relocated_from[newly] = t + 1
        for p in range(len(model.part_group)):
            mine = group == model.part_group[p]
            when = arrived[mine]
            due = model.due_month(p, when)
            moved = relocated_from[mine]
            window = model.part_window[p]
            if window > 0:  # the whole-amount rule: moved within the window, booked at the later
                due = np.maximum(due, moved)
                hit = (due < T) & (due >= 0) & (moved - when <= window)
            else:
                hit = (due < T) & (due >= np.maximum(moved, 0))
            year = when[hit] // 12
            before = year < 0
            dues = out["relocated_dues"], out["population_dues"]
            one = model.dues_by_month_only
            column = (0 * year, 0 * year) if one else (year, year + model.pre_years)
            np.add.at(dues[0][i, :, :, p], (due[hit][~before] // period, column[0][~before]), 1)
            np.add.at(dues[1][i, :, :, p], (due[hit][before] // period, column[1][before]), 1)
    return Counts(**out, draws=draws)


Engine = Callable[[CompiledModel, int, np.ndarray, np.ndarray, Tables | TablePlan], Counts]
ENGINES: dict[str, Engine] = {
    "numba": numba_engine,
    "event": event_engine,
    "numpy": numpy_engine,
}
