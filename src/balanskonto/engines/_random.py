"""The counter-based random numbers of the individual-level kernels.

Every uniform is a pure function of ``(seed, run, person, month)``: a counter-based
generator built on the splitmix64 finaliser (a bijection on 64-bit words), so a run's
results do not depend on the thread count, the chunking or on the other runs. A person is
identified by its arrival month, group and number within that month and group, so that a
scenario with other arrivals in one month leaves every other person's draws unchanged
(common random numbers).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..model._jit import JIT as _JIT  # all numba options live there (STYLE: one place)

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@njit(inline="always", **_JIT)
def mix64(z):
    """The splitmix64 finaliser: a bijective scramble of a 64-bit word."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(inline="always", **_JIT)
def run_key(seed, run):
    """Key of one run: a scramble of (seed, run)."""
    return mix64(mix64(np.uint64(seed) + _GAMMA) + (np.uint64(run) + np.uint64(1)) * _GAMMA)


@njit(inline="always", **_JIT)
def cell_key(key_of_run, month, group):
    """Key of the persons arriving in one month and group of a run."""
    cell = np.uint64(month) * np.uint64(1 << 20) + np.uint64(group) + np.uint64(1)
    return mix64(key_of_run + cell * _GAMMA)


@njit(inline="always", **_JIT)
def person_key(key_of_cell, k):
    """Key of the k-th person (from 0) arriving in one month and group."""
    return mix64(key_of_cell + (np.uint64(k) + np.uint64(1)) * _GAMMA)


@njit(inline="always", **_JIT)
def uniform(key_of_person, month):
    """The uniform in [0, 1) of one person in one (absolute) month."""
    x = mix64(key_of_person + (np.uint64(month) + np.uint64(1)) * _GAMMA)
    return np.float64(x >> _S11) * _TO_UNIT


@njit(**_JIT)
def uniforms(seed, run, arrival, group, k, months):
    """Uniforms of one person for an array of months (for tests of the generator)."""
    key = person_key(cell_key(run_key(seed, run), arrival, group), k)
    out = np.empty(months.shape[0])
    for i in range(months.shape[0]):
        out[i] = uniform(key, months[i])
    return out


@njit(inline="always", **_JIT)
def uniform_open(key_of_person, counter):
    """A uniform in the open interval (0, 1), for logarithms."""
    x = mix64(key_of_person + (np.uint64(counter) + np.uint64(1)) * _GAMMA)
    return (np.float64(x >> _S11) + 0.5) * _TO_UNIT
