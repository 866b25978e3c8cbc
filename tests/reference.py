"""A slow, naive reference of the individual-level engine, for exact comparisons.

It reads the conditional table ``q``, ``max_months`` and ``expiry`` directly (not the kernel's
folded tables) and steps every person month by month in plain Python, drawing the same
counter-based uniforms as the numba kernel. A uniform u maps to an outcome the way the
kernel documents it: staying takes ``[0, stay)``, then each destination in state order.
"""

from __future__ import annotations

import numpy as np

from balanskonto.engines import _random
from balanskonto.model import CompiledModel


def outcome_probabilities(model: CompiledModel, g: int, s: int, d: int) -> np.ndarray:
    """P(to) at the end of the d-th month in state s (without staying)."""
    D = model.q.shape[2]
    p = model.q[g, s, min(d, D) - 1].copy()
    if model.max_months[g, s] == d:
        p += (1.0 - p.sum()) * model.expiry[g, s]
    return p


def simulate_run(model: CompiledModel, seed: int, run: int, arrivals: np.ndarray):
    """Person-months ``[Y, G, S]`` and relocated dues ``[Y, Y, P]`` of one run."""
    T, G = arrivals.shape
    pm = np.zeros((model.years, G, len(model.states)), dtype=np.int64)
    reloc = np.zeros((model.years, model.years, len(model.part_group)), dtype=np.int64)
    for a in range(T):
        for g in range(G):
            for k in range(arrivals[a, g]):
                u = _random.uniforms(seed, run, a, g, k, np.arange(T))
                s, d = int(model.start_state[g]), 1
                relocated_at = T
                for t in range(a, T):
                    pm[t // 12, g, s] += 1
                    if s == model.relocated:
                        relocated_at = min(relocated_at, t)
                        continue
                    months_in_care = int(model.care_months[g])  # leaving care by age
                    if months_in_care and t == a + months_in_care - 1 and model.care_state[g, s]:
                        s, d = int(np.searchsorted(model.care_cum[g], u[t], side="right")), 1
                        continue
                    p = outcome_probabilities(model, g, s, d)
                    stay = 1.0 - p.sum()
                    if u[t] < stay:
                        d += 1
                        continue
                    edges = stay + np.cumsum(p)
                    to = int(np.searchsorted(edges, u[t], side="right"))
                    s, d = min(to, int(np.flatnonzero(p > 0)[-1])), 1
                for j in np.flatnonzero(model.part_group == g):
                    due = int(model.due_month(j, np.array([a]))[0])
                    window = int(model.part_window[j])
                    if window and relocated_at - a <= window and max(due, relocated_at) < T:
                        reloc[max(due, relocated_at) // 12, a // 12, j] += 1
                    elif not window and due < T and due >= relocated_at:
                        reloc[due // 12, a // 12, j] += 1
    return pm, reloc


def assert_tables_match(model: CompiledModel, case: str, sizes: tuple[int, ...]) -> None:
    """The compiled per-run tables of chunks of ``sizes`` runs equal the numpy reference
    (``chunk_tables_numpy``) bit for bit, and both use the same drawn shares."""
    from balanskonto.engines.draws import draw
    from balanskonto.model.folding import chunk_tables
    from balanskonto.model.tables import chunk_tables_numpy

    for seed, runs in enumerate(sizes, start=1):
        a, b = draw(model, seed, np.arange(runs)), draw(model, seed, np.arange(runs))
        fast, reference = chunk_tables(model, a), chunk_tables_numpy(model, b)
        for field in ("stay", "cum", "absorbing_from", "move"):
            x, y = getattr(fast, field), getattr(reference, field)
            assert x.shape == y.shape and x.dtype == y.dtype, (case, field)
            np.testing.assert_array_equal(x, y, err_msg=f"{case}: {field}")
        np.testing.assert_array_equal(a.shares, b.shares)  # the values used, pulled back alike
