"""Many runs' generators at once: the states that ``PCG64(SeedSequence(seed, spawn_key=(stream,
run)))`` starts from, computed for a whole chunk of runs with numpy, bit for bit numpy's own.

Creating a ``SeedSequence`` and a ``PCG64`` costs about 15–35 µs a run, as much as the run's
Poisson draws of its arrivals. :func:`run_states` computes the same SeedSequence hash
(``mix_entropy`` and ``generate_state``, NumPy's ``bit_generator.pyx``) for every run of a
chunk in vectorised uint32 arithmetic, and the PCG64 seeding (``pcg64_set_seed``: two steps
of the 128-bit LCG) with Python integers; a generator is then moved to each run's state
(:func:`run_rngs`). ``tests/engines/test_seeding.py`` checks the states against NumPy's for
many seeds, streams and runs."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.random.bit_generator import _coerce_to_uint32_array

_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_MULT_L, _MIX_MULT_R = 0xCA01F9DD, 0x4973F715
_POOL = 4
_M32 = 0xFFFFFFFF
_M128 = (1 << 128) - 1
_PCG_MULT = (2549297995355413924 << 64) + 4865540595714422341


def _hashmix(value: np.ndarray, const: list[int]) -> np.ndarray:
    value = value ^ np.uint32(const[0])
    const[0] = (const[0] * _MULT_A) & _M32
    value = value * np.uint32(const[0])
    return value ^ (value >> np.uint32(16))


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    result = np.uint32(_MIX_MULT_L) * x - np.uint32(_MIX_MULT_R) * y
    return result ^ (result >> np.uint32(16))


def run_states(seed: int, stream: int, runs: np.ndarray) -> list[tuple[int, int]] | None:
    """``(state, inc)`` of ``PCG64(SeedSequence(seed, spawn_key=(stream, run)))`` for each
    run (0 ≤ run < 2³²), or None where this shortcut does not apply (other runs)."""
    runs = np.asarray(runs, dtype=np.int64)
    if runs.size and (runs.min() < 0 or runs.max() > _M32):
        return None
    head = np.concatenate([_coerce_to_uint32_array(seed), _coerce_to_uint32_array(stream)]).astype(
        np.uint32
    )
    seed_words = len(_coerce_to_uint32_array(seed))
    if seed_words < _POOL:  # spawned: the seed's words padded to the pool size
        pad = np.zeros(_POOL - seed_words, dtype=np.uint32)
        head = np.concatenate([head[:seed_words], pad, head[seed_words:]])
    n = len(runs)
    entropy = [np.full(n, w, dtype=np.uint32) for w in head] + [runs.astype(np.uint32)]
    const = [_INIT_A]
    pool = [_hashmix(entropy[i] if i < len(entropy) else np.zeros(n, np.uint32), const)
            for i in range(_POOL)]  # fmt: skip
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                pool[dst] = _mix(pool[dst], _hashmix(pool[src], const))
    for src in range(_POOL, len(entropy)):
        for dst in range(_POOL):
            pool[dst] = _mix(pool[dst], _hashmix(entropy[src], const))
    words, hash_const = [], _INIT_B
    for i in range(8):  # generate_state(4, uint64): 8 words, the pool cycled
        value = pool[i % _POOL] ^ np.uint32(hash_const)
        hash_const = (hash_const * _MULT_B) & _M32
        value = value * np.uint32(hash_const)
        words.append((value ^ (value >> np.uint32(16))).astype(np.uint64))
    # little-endian pairs of uint32 → four uint64: seed = (v0, v1), inc = (v2, v3)
    v = [words[2 * k] | (words[2 * k + 1] << np.uint64(32)) for k in range(4)]
    out = []
    for v0, v1, v2, v3 in zip(*(x.tolist() for x in v), strict=True):
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
