"""A synthetic case extract drawn from a known config: persons simulated month by month with
the project's own compiled tables, censored at an as-of month. The known truth for testing
the calibration, and the bundled example ``configs/exempel_spells.csv``.
"""

from __future__ import annotations

import numpy as np

from ..config.schema import Config
from ..config.spells import COLUMNS, format_month, parse_month
from ..model.compiled import compile_model


def synthetic_spells(
    config: Config, persons: int, first_arrival: str, as_of: str, seed: int
) -> list[tuple[str, ...]]:
    """Spells of ``persons`` persons arriving evenly at random over ``first_arrival`` …
    ``as_of`` (groups by ``arrivals.mix``), each simulated from its arrival month through
    the end of the as-of month with the config's compiled tables (no uncertainty factors).

    A person's last spell is open; a move at the end of the as-of month opens a spell in
    the month after it (zero months in it), as an extract taken after the as-of month shows.

    Returns
    -------
    list of rows ``(person, group, arrival, state, start, end)``, months ``YYYY-MM``, an open
    spell's end ``""``; in order of person and start.
    """
    model = compile_model(config)
    rng = np.random.default_rng(seed)
    lo, hi = parse_month(first_arrival), parse_month(as_of)
    if hi < lo:
        raise ValueError(f"first_arrival {first_arrival} is after as_of {as_of}")
    arrival = np.sort(rng.integers(lo, hi + 1, size=persons))
    group = rng.choice(len(model.groups), size=persons, p=model.mix / model.mix.sum())
    state = model.start_state[group].copy()
    duration = np.ones(persons, dtype=np.int64)
    since = arrival.copy()  # start month of the current spell
    D = model.stay.shape[2]
    spells: list[list[tuple[int, int, int, int | None]]] = [[] for _ in range(persons)]
    for t in range(lo, hi + 1):
        here = np.flatnonzero(arrival <= t)
        g, s, d = group[here], state[here], duration[here]
        row = np.minimum(d, D) - 1
        u = rng.random(len(here))
        moves = u >= model.stay[g, s, row]
        to = (u[moves, None] >= model.cum[g[moves], s[moves], row[moves]]).sum(axis=1)
        who = here[moves]
        for i, new in zip(who, to, strict=True):
            spells[i].append((int(state[i]), int(since[i]), t))
            state[i], since[i] = new, t + 1
        duration[here] += 1
        duration[who] = 1
    rows = []
    width = len(str(persons))
    for i in range(persons):
        pid, gname, arr = f"syn{i + 1:0{width}d}", model.groups[group[i]], format_month(arrival[i])
        for s, start, end in [*spells[i], (int(state[i]), int(since[i]), None)]:
            stop = "" if end is None else format_month(end)
            rows.append((pid, gname, arr, model.states[s], format_month(start), stop))
    return rows


def spells_csv(rows: list[tuple[str, ...]], note: str = "") -> str:
    """CSV text of spells rows; ``note`` lines go first as ``#`` comments (the reader skips
    them), e.g. to mark an extract as synthetic."""
    lines = [f"# {line}" for line in note.splitlines()]
    lines.append(",".join(COLUMNS))
    lines += [",".join(r) for r in rows]
    return "\n".join(lines) + "\n"


def synthetic_population(
    config: Config, persons: int, first_arrival: str, as_of: str, seed: int
) -> list[tuple[str, str, str, int, int]]:
    """The population (DESIGN §11) after ``as_of`` of a synthetic extract
    (:func:`synthetic_spells`): its open spells as ``(arrival, group, state,
    months_in_state, count)`` rows, as ``balanskonto kalibrera`` writes them."""
    from ..config.spells import parse_spells
    from .fitted_config import population_rows

    rows = synthetic_spells(config, persons, first_arrival, as_of, seed)
    starts = {name: group.start for name, group in config.groups.items()}
    spells = parse_spells(
        spells_csv(rows), parse_month(as_of), starts, source="synthetic", states=config.state_names
    )
    return population_rows(spells)
