"""The two Monte Carlo engines, with one signature.

``engine(model, seed, run_ids, arrivals, tables) -> Counts``: person-months per year, group
and state, and the payment parts that fell due after a person had relocated. The engines know
nothing about money; :mod:`balanskonto.money` turns counts into SEK.

- ``numba`` (default): individual-level kernel in :mod:`balanskonto._kernels`, ``prange`` over
  runs, streaming (no per-person arrays), counter-based uniforms keyed by
  ``(seed, run, person, month)``.
- ``numpy``: a simple vectorised reference over the persons of one run, with its own random
  stream (``numpy``'s PCG64 per run), used to cross-check the numba engine in distribution.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import _kernels
from .arrivals import NUMPY_ENGINE_STREAM, run_generator
from .compile import N_STATES, RELOCATED, CompiledModel
from .uncertainty import Tables


@dataclass(frozen=True)
class Counts:
    """What an engine returns for a chunk of runs."""

    person_months: np.ndarray  # int64 [n, Y, G, S]
    relocated_dues: np.ndarray  # int64 [n, Y_due, Y_arrival, P]
    draws: int  # uniforms drawn (months actually stepped)


def _empty(model: CompiledModel, n: int) -> tuple[np.ndarray, np.ndarray]:
    Y, G, P = model.years, len(model.groups), len(model.part_group)
    return (
        np.zeros((n, Y, G, N_STATES), dtype=np.int64),
        np.zeros((n, Y, Y, P), dtype=np.int64),
    )


def _run_kernel(
    events: bool, model: CompiledModel, seed: int, run_ids: np.ndarray, arrivals: np.ndarray,
    tables: Tables,
) -> Counts:  # fmt: skip
    pm, reloc = _empty(model, len(run_ids))
    drawn = np.zeros(len(run_ids), dtype=np.int64)
    if events:
        with np.errstate(divide="ignore"):
            log_stay = np.log(tables.stay)
        last = tables.stay[..., -1:]
        same = (tables.stay == last) & (tables.cum == tables.cum[..., -1:, :]).all(-1)
        # first row from which every row equals the last: the stay is geometric from there
        suffix = np.flip(np.logical_and.accumulate(np.flip(same, axis=-1), axis=-1), axis=-1)
        flat_from = np.argmax(suffix, axis=-1).astype(np.int64)
    else:
        log_stay, flat_from = tables.stay, np.zeros(tables.stay.shape[:-1], dtype=np.int64)
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
        tables.absorbing_from,
        model.group_parts,
        model.part_kind,
        model.part_k,
        model.part_window,
        pm,
        reloc,
        drawn,
    )
    return Counts(pm, reloc, int(drawn.sum()))


def numba_engine(
    model: CompiledModel, seed: int, run_ids: np.ndarray, arrivals: np.ndarray, tables: Tables
) -> Counts:
    """Individual-level engine (numba, parallel over runs), stepping every person-month."""
    return _run_kernel(False, model, seed, run_ids, arrivals, tables)


def event_engine(
    model: CompiledModel, seed: int, run_ids: np.ndarray, arrivals: np.ndarray, tables: Tables
) -> Counts:
    """Individual-level, event-driven engine (numba, parallel over runs): one draw per stay
    for its length and one for its destination, instead of one per month."""
    return _run_kernel(True, model, seed, run_ids, arrivals, tables)


def numpy_engine(
    model: CompiledModel, seed: int, run_ids: np.ndarray, arrivals: np.ndarray, tables: Tables
) -> Counts:
    """Vectorised reference: every person of a run stepped month by month with numpy."""
    T, G, S = model.months, len(model.groups), N_STATES
    D = tables.stay.shape[-1]
    per_run, by_year = tables.stay.shape[0] > 1, tables.stay.shape[1] > 1
    pm, reloc = _empty(model, len(run_ids))
    draws = 0
    for i, run in enumerate(run_ids):
        rng = run_generator(seed, NUMPY_ENGINE_STREAM, int(run))
        r = i if per_run else 0
        counts = arrivals[i]  # [T, G]
        # persons in order of arrival month, then group
        month_of = np.repeat(np.repeat(np.arange(T), G), counts.ravel())
        group = np.repeat(np.tile(np.arange(G), T), counts.ravel())
        state = model.start_state[group].copy()
        dur = np.ones_like(state)
        relocated_from = np.full(state.shape, T)
        active = np.searchsorted(month_of, np.arange(T), side="right")
        for t in range(T):
            n = active[t]
            g, s, d = group[:n], state[:n], dur[:n]
            pm[i, t // 12] += np.bincount(g * S + s, minlength=G * S).reshape(G, S)
            u = rng.random(n)
            draws += n
            row = d - 1
            y = t // 12 if by_year else 0
            stay, cum = tables.stay[r, y], tables.cum[r, y]
            moves = u >= stay[g, s, row]
            thresholds = cum[g[moves], s[moves], row[moves]]
            new = (u[moves, None] >= thresholds).sum(axis=1)
            dur[:n] = np.minimum(d + 1, D)
            dur[:n][moves] = 1
            state[:n][moves] = new
            newly = np.flatnonzero(moves)[new == RELOCATED]
            relocated_from[newly] = t + 1
        for p in range(len(model.part_group)):
            mine = group == model.part_group[p]
            arrived = month_of[mine]
            due = model.due_month(p, arrived)
            moved = relocated_from[mine]
            window = model.part_window[p]
            if window > 0:  # the whole-amount rule: moved within the window, booked at the later
                due = np.maximum(due, moved)
                hit = (due < T) & (moved - arrived <= window)
            else:
                hit = (due < T) & (due >= moved)
            np.add.at(reloc[i, :, :, p], (due[hit] // 12, arrived[hit] // 12), 1)
    return Counts(pm, reloc, draws)


Engine = Callable[[CompiledModel, int, np.ndarray, np.ndarray, Tables], Counts]
ENGINES: dict[str, Engine] = {
    "numba": numba_engine,
    "event": event_engine,
    "numpy": numpy_engine,
}
