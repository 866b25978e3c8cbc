"""Numba kernels of the arrivals: NumPy's PCG64 and ``Generator.poisson``, bit for bit.

A run's arrivals are ``run_generator(seed, ARRIVALS_STREAM, run).poisson(lam)``: one PCG64
generator per run, its Poisson draws in the C order of ``lam``. These kernels do the same for
a whole chunk of runs at once, from the generators' states (:mod:`.seeding`), as NumPy's C
source does it:

- PCG64 (``numpy/random/src/pcg64/pcg64.h``): the 128-bit LCG ``state = state · MULT + inc``
  (here on two uint64 halves, ``hi`` and ``lo``), the XSL-RR output (the halves xor-ed,
  rotated right by the state's top 6 bits), stepped before each output; ``next_double`` is
  ``(next_uint64 >> 11) · 2⁻⁵³``;
- ``random_poisson`` (``numpy/random/src/distributions/distributions.c``): 0 for ``lam == 0``,
  the multiplication method for ``lam < 10``, Hörmann's PTRS with ``random_loggam`` for
  ``lam >= 10``; the same operations in the same order (no FMA: numba does not contract
  without ``fastmath``), and ``exp``/``log``/``sqrt``/``floor`` of the C library, which numba
  calls for ``math.exp`` and ``math.log`` as NumPy's C code does (checked on many arguments
  in ``tests/engines/test_arrival_kernels.py``). PTRS's ``(int64) floor(...)`` of a value
  outside int64 (possible only for ``us`` near 0) gives ``INT64_MIN``, as x86-64's
  ``cvttsd2si`` does for NumPy's compiled C.

- the generators' seeds: ``SeedSequence``'s hash (``mix_entropy``, ``generate_state``,
  NumPy's ``bit_generator.pyx``) of each run's entropy (:func:`seed_words`), and
  ``pcg64_set_seed`` (:func:`seeded_states`).

States are ``[run, 4]`` uint64: ``state_hi, state_lo, inc_hi, inc_lo``. The negative
binomial's gamma factors are drawn by NumPy (:func:`.arrivals._gamma_factors`), between the
seeding and the Poisson draws.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..model._jit import JIT as _JIT  # all numba options live there (STYLE: one place)

_M32 = np.uint64(0xFFFFFFFF)
# SeedSequence's hash constants (NumPy's bit_generator.pyx)
_INIT_A, _MULT_A = np.uint64(0x43B0D7E5), np.uint64(0x931E8875)
_INIT_B, _MULT_B = np.uint64(0x8B51F9DD), np.uint64(0x58F38DED)
_MIX_MULT_L, _MIX_MULT_R = np.uint64(0xCA01F9DD), np.uint64(0x4973F715)
_POOL = 4
_S16 = np.uint64(16)
_S1, _S11, _S32, _S58 = np.uint64(1), np.uint64(11), np.uint64(32), np.uint64(58)
_S63, _S64 = np.uint64(63), np.uint64(64)
_MULT_HI = np.uint64(2549297995355413924)
_MULT_LO = np.uint64(4865540595714422341)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53
_INT64_MIN = np.int64(-(2**63))
_TWO63 = 9.223372036854775808e18
#: The largest Poisson mean the kernel draws; NumPy draws larger ones (its own limit is about
#: 9.2e18).
LAM_MAX = 1e15
_LOGGAM_KEPT = 4096
_LOGGAM_A = np.array(
    [8.333333333333333e-02, -2.777777777777778e-03, 7.936507936507937e-04,
     -5.952380952380952e-04, 8.417508417508418e-04, -1.917526917526918e-03,
     6.410256410256410e-03, -2.955065359477124e-02, 1.796443723688307e-01,
     -1.39243221690590e00]
)  # fmt: skip


@njit(**_JIT)
def _mulhi(a, b):
    """The high 64 bits of the 128-bit product of two uint64."""
    a_lo, a_hi = a & _M32, a >> _S32
    b_lo, b_hi = b & _M32, b >> _S32
    p0, p1, p2, p3 = a_lo * b_lo, a_lo * b_hi, a_hi * b_lo, a_hi * b_hi
    mid = (p0 >> _S32) + (p1 & _M32) + (p2 & _M32)
    return p3 + (p1 >> _S32) + (p2 >> _S32) + (mid >> _S32)


@njit(**_JIT)
def _lcg(hi, lo, inc_hi, inc_lo):
    """One step of the 128-bit LCG: ``state · MULT + inc`` modulo 2¹²⁸."""
    low = lo * _MULT_LO
    high = _mulhi(lo, _MULT_LO) + lo * _MULT_HI + hi * _MULT_LO
    new_lo = low + inc_lo
    carry = _S1 if new_lo < low else np.uint64(0)
    return high + inc_hi + carry, new_lo


@njit(**_JIT)
def _next_double(hi, lo, inc_hi, inc_lo):
    """The state stepped, and NumPy's ``next_double`` of its XSL-RR output."""
    hi, lo = _lcg(hi, lo, inc_hi, inc_lo)
    rot = hi >> _S58
    x = hi ^ lo
    out = (x >> rot) | (x << ((_S64 - rot) & _S63))
    return hi, lo, np.float64(out >> _S11) * _TO_UNIT


@njit(**_JIT)
def _hashmix(value, const):
    """SeedSequence's ``hashmix`` (uint32 arithmetic in uint64, masked); the next constant."""
    value = value ^ const
    const = (const * _MULT_A) & _M32
    value = (value * const) & _M32
    return value ^ (value >> _S16), const


@njit(**_JIT)
def _mix(x, y):
    result = (_MIX_MULT_L * x - _MIX_MULT_R * y) & _M32
    return result ^ (result >> _S16)


@njit(**_JIT)
def seed_words(head, runs):
    """``[run, 4]`` uint64: ``SeedSequence(entropy).generate_state(4, uint64)`` of each run,
    its entropy the uint32 words ``head`` (the seed's, padded to the pool size, and the
    stream's) followed by the run (< 2³², one word): ``mix_entropy`` and ``generate_state``
    of NumPy's ``bit_generator.pyx``."""
    E = head.shape[0] + 1
    entropy = np.zeros(max(E, _POOL), dtype=np.uint64)
    entropy[: E - 1] = head
    pool = np.empty(_POOL, dtype=np.uint64)
    words = np.empty(2 * _POOL, dtype=np.uint64)
    out = np.empty((runs.shape[0], _POOL), dtype=np.uint64)
    for i in range(runs.shape[0]):
        entropy[E - 1] = np.uint64(runs[i])
        const = _INIT_A
        for k in range(_POOL):
            pool[k], const = _hashmix(entropy[k], const)
        for src in range(_POOL):
            for dst in range(_POOL):
                if src != dst:
                    h, const = _hashmix(pool[src], const)
                    pool[dst] = _mix(pool[dst], h)
        for src in range(_POOL, E):
            for dst in range(_POOL):
                h, const = _hashmix(entropy[src], const)
                pool[dst] = _mix(pool[dst], h)
        hash_const = _INIT_B
        for k in range(2 * _POOL):  # the pool cycled
            value = pool[k % _POOL] ^ hash_const
            hash_const = (hash_const * _MULT_B) & _M32
            value = (value * hash_const) & _M32
            words[k] = value ^ (value >> _S16)
        for k in range(_POOL):  # little-endian pairs of uint32
            out[i, k] = words[2 * k] | (words[2 * k + 1] << _S32)
    return out


@njit(**_JIT)
def seeded_states(words):
    """``[run, 4]`` PCG64 states from the SeedSequence words ``v0..v3`` of each run
    (``pcg64_set_seed``: ``inc = (v2:v3) << 1 | 1``, state 0 stepped, plus ``v0:v1``,
    stepped again)."""
    out = np.empty_like(words)
    for i in range(words.shape[0]):
        inc_hi = (words[i, 2] << _S1) | (words[i, 3] >> _S63)
        inc_lo = (words[i, 3] << _S1) | _S1
        lo = inc_lo + words[i, 1]  # state = inc (0 · MULT + inc), plus the seed
        hi = inc_hi + words[i, 0] + (_S1 if lo < inc_lo else np.uint64(0))
        hi, lo = _lcg(hi, lo, inc_hi, inc_lo)
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = hi, lo, inc_hi, inc_lo
    return out


@njit(**_JIT)
def _to_int64(x):
    """``(int64_t) x`` as x86-64 does it: ``INT64_MIN`` outside the range (and for NaN)."""
    if x >= -_TWO63 and x < _TWO63:
        return np.int64(x)
    return _INT64_MIN


@njit(**_JIT)
def random_loggam(x):
    """NumPy's ``random_loggam`` (log Γ(x), SPECFUN)."""
    x0 = x
    n = 0
    if x == 1.0 or x == 2.0:
        return 0.0
    elif x <= 7.0:
        n = np.int64(7 - x)
        x0 = x + n
    x2 = 1.0 / (x0 * x0)
    xp = 2 * math.pi
    gl0 = _LOGGAM_A[9]
    for k in range(8, -1, -1):
        gl0 *= x2
        gl0 += _LOGGAM_A[k]
    gl = gl0 / x0 + 0.5 * math.log(xp) + (x0 - 0.5) * math.log(x0) - x0
    if x <= 7.0:
        for _ in range(n):
            gl -= math.log(x0 - 1.0)
            x0 -= 1.0
    return gl


@njit(**_JIT)
def _ptrs_constants(lam, out):
    """PTRS's constants of a mean ``lam >= 10``, into ``out``: ``loglam, b, a, invalpha,
    vr`` and ``log(invalpha)`` (the same values as NumPy computes for every draw)."""
    slam = math.sqrt(lam)
    out[0] = math.log(lam)
    out[1] = b = 0.931 + 2.53 * slam
    out[2] = -0.059 + 0.02483 * b
    out[3] = invalpha = 1.1239 + 1.1328 / (b - 3.4)
    out[4] = 0.9277 - 3.6224 / (b - 2)
    out[5] = math.log(invalpha)


@njit(**_JIT)
def _poisson_ptrs(hi, lo, inc_hi, inc_lo, lam, c, loggam):
    """NumPy's ``random_poisson_ptrs`` (``lam >= 10``, constants ``c`` of
    :func:`_ptrs_constants`; NumPy's ``U, V`` are ``u, v``): the state after the draw, and
    the count. ``loggam [k]`` keeps ``random_loggam(k + 1)`` once computed (NaN before)."""
    loglam, b, a, vr, log_invalpha = c[0], c[1], c[2], c[4], c[5]
    while True:
        hi, lo, u = _next_double(hi, lo, inc_hi, inc_lo)
        u = u - 0.5
        hi, lo, v = _next_double(hi, lo, inc_hi, inc_lo)
        us = 0.5 - abs(u)
        k = _to_int64(math.floor((2 * a / us + b) * u + lam + 0.43))
        if us >= 0.07 and v <= vr:
            return hi, lo, k
        if k < 0 or (us < 0.013 and v > us):
            continue
        if k < loggam.shape[0]:
            lg = loggam[k]
            if math.isnan(lg):
                lg = loggam[k] = random_loggam(np.float64(k + 1))
        else:
            lg = random_loggam(np.float64(k + 1))
        if (math.log(v) + log_invalpha - math.log(a / (us * us) + b)) <= (-lam + k * loglam - lg):
            return hi, lo, k


@njit(**_JIT)
def _poisson_mult(hi, lo, inc_hi, inc_lo, enlam):
    """NumPy's ``random_poisson_mult`` (``0 < lam < 10``, ``enlam = exp(-lam)``): the state
    after the draw, and the count."""
    count = np.int64(0)
    prod = 1.0
    while True:
        hi, lo, u = _next_double(hi, lo, inc_hi, inc_lo)
        prod *= u
        if prod > enlam:
            count += 1
        else:
            return hi, lo, count


@njit(**_JIT)
def poisson_runs(states, means, multiplier, factor, out):
    """Each run's Poisson counts ``out [run, month, group]`` (int64) of means ``means [month,
    group] · multiplier [run, year] · factor [run, year]`` (multiplied in that order, as
    :func:`.arrivals.draw_arrivals_numpy` does), drawn in C order from the run's PCG64
    state ``states [run, 4]`` (left unchanged): NumPy's ``random_poisson``, 0 for a mean of
    0, the multiplication method below 10, PTRS from 10. A mean's ``exp`` or PTRS
    constants are computed once for the months that share it, and PTRS's log Γ(k + 1) once
    for each k below 4 096 (the same values). False,
    and ``out`` incomplete, where a mean is not within ``0 ≤ mean ≤ LAM_MAX`` (NaN
    included): NumPy draws those, or refuses."""
    T, G = means.shape
    for i in range(states.shape[0]):
        for t in range(T):
            y = t // 12
            for g in range(G):
                lam = means[t, g] * multiplier[i, y] * factor[i, y]
                if not (lam >= 0.0 and lam <= LAM_MAX):
                    return False
    last = np.full(G, -1.0)  # each group's last mean, and its constants
    constants = np.empty((G, 6))
    loggam = np.full(_LOGGAM_KEPT, np.nan)
    for i in range(states.shape[0]):
        hi, lo, inc_hi, inc_lo = states[i, 0], states[i, 1], states[i, 2], states[i, 3]
        for t in range(T):
            y = t // 12
            for g in range(G):
                lam = means[t, g] * multiplier[i, y] * factor[i, y]
                if lam != last[g]:
                    last[g] = lam
                    if lam >= 10:
                        _ptrs_constants(lam, constants[g])
                    else:
                        constants[g, 0] = math.exp(-lam)
                if lam >= 10:
                    hi, lo, k = _poisson_ptrs(hi, lo, inc_hi, inc_lo, lam, constants[g], loggam)
                elif lam == 0:
                    k = 0
                else:
                    hi, lo, k = _poisson_mult(hi, lo, inc_hi, inc_lo, constants[g, 0])
                out[i, t, g] = k
    return True
