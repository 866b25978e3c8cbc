"""Many runs' generators at once: the states that ``PCG64(SeedSequence(seed, spawn_key=(stream,
run)))`` starts from, computed for a whole chunk of runs, bit for bit numpy's own.

Creating a ``SeedSequence`` and a ``PCG64`` costs about 15–35 µs a run, as much as the run's
Poisson draws of its arrivals. :func:`seed_words` computes the same SeedSequence hash
(``mix_entropy`` and ``generate_state``, NumPy's ``bit_generator.pyx``) for every run of a
chunk in compiled code (:func:`._arrival_kernels.seed_words`, about 0.1 µs a run);
:func:`run_states` adds the PCG64 seeding (``pcg64_set_seed``: two steps of the 128-bit LCG)
with Python integers, and a generator is then moved to each run's state (:func:`run_rngs`).
The arrivals' kernel seeds its PCG64 states from the words itself
(:func:`._arrival_kernels.seeded_states`). ``tests/engines/test_seeding.py`` checks the
states against NumPy's for many seeds, streams and runs."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.random.bit_generator import _coerce_to_uint32_array

from ._arrival_kernels import seed_words as hashed_seed_words

_POOL = 4
_M32 = 0xFFFFFFFF
_M128 = (1 << 128) - 1
_PCG_MULT = (2549297995355413924 << 64) + 4865540595714422341


def seed_words(seed: int, stream: int, runs: np.ndarray) -> np.ndarray | None:
    """``[run, 4]`` uint64: the words ``v0..v3`` that ``SeedSequence(seed, spawn_key=(stream,
    run)).generate_state(4, uint64)`` gives each run (0 ≤ run < 2³²), the seed of its PCG64
    (``v0:v1``, the increment from ``v2:v3``), or None where this shortcut does not apply
    (other runs)."""
    runs = np.asarray(runs, dtype=np.int64)
    if runs.size and (runs.min() < 0 or runs.max() > _M32):
        return None
    seed_part = _coerce_to_uint32_array(seed)
    if len(seed_part) < _POOL:  # spawned: the seed's words padded to the pool size
        seed_part = np.concatenate([seed_part, np.zeros(_POOL - len(seed_part), np.uint32)])
    head = np.concatenate([seed_part, _coerce_to_uint32_array(stream)]).astype(np.uint64)
    return hashed_seed_words(head, runs)


def run_states(seed: int, stream: int, runs: np.ndarray) -> list[tuple[int, int]] | None:
    """``(state, inc)`` of ``PCG64(SeedSequence(seed, spawn_key=(stream, run)))`` for each
    run (0 ≤ run < 2³²), or None where this shortcut does not apply (other runs)."""
    v = seed_words(seed, stream, runs)
    if v is None:
        return None
    out = []
    for v0, v1, v2, v3 in v.tolist():
        inc = ((((v2 << 64) | v3) << 1) | 1) & _M128
        state = inc  # state 0, one step: 0 · MULT + inc
        state = (state + ((v0 << 64) | v1)) & _M128
        state = (state * _PCG_MULT + inc) & _M128
        out.append((state, inc))
    return out


def run_rngs(seed: int, stream: int, runs: np.ndarray) -> Iterator[np.random.Generator]:
    """For each run, a generator in the state of ``run_generator(seed, stream, run)`` (one
    generator, moved from run to run: use each before taking the next)."""
    states = run_states(seed, stream, runs)
    if states is None:
        for run in runs:
            yield np.random.Generator(
                np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(stream, int(run))))
            )
        return
    bits = np.random.PCG64(0)
    rng = np.random.Generator(bits)
    for state, inc in states:
        bits.state = {
            "bit_generator": "PCG64",
            "state": {"state": state, "inc": inc},
            "has_uint32": 0,
            "uinteger": 0,
        }
        yield rng
