"""The arrivals' compiled PCG64 and Poisson draws (engines/_arrival_kernels.py): bit for bit
NumPy's ``run_generator(seed, stream, run).poisson(lam)``, whatever the chunking."""

from __future__ import annotations

import ctypes
import ctypes.util
import math

import numpy as np
import pytest
from numba import njit

from balanskonto.engines import _arrival_kernels as kernels
from balanskonto.engines.arrivals import (
    ARRIVALS_STREAM,
    draw_arrivals,
    draw_arrivals_numpy,
    run_generator,
)
from balanskonto.engines.seeding import run_states, seed_words
from balanskonto.model import compile_model
from balanskonto.model.plan import monthly_means

LIBM = ctypes.CDLL(ctypes.util.find_library("m"))
LIBM.exp.restype = LIBM.log.restype = ctypes.c_double
LIBM.exp.argtypes = LIBM.log.argtypes = [ctypes.c_double]

#: Means on every path of NumPy's random_poisson: 0, tiny, the multiplication method, the
#: edges of 10 (PTRS from 10, its rejection step with log Γ for small k), large.
LAMBDAS = np.array(
    [0.0, 5e-324, 1e-300, 1e-12, 1e-3, 0.05, 0.5, 1.0, 2.5, 7.3, 9.5, 9.999999999999998,
     10.0, 10.000000000000002, 10.5, 12.0, 17.25, 30.0, 60.5, 99.9, 1e3, 12345.678, 1e6,
     1e9, 1e12, 1e15]
)  # fmt: skip


@njit
def _numba_exp_log(x):
    out = np.empty((2, x.size))
    for i in range(x.size):
        out[0, i] = math.exp(-x[i])
        out[1, i] = math.log(x[i])
    return out


def test_numba_exp_and_log_are_the_c_librarys():
    """NumPy's C code calls the C library's exp and log; so must the kernels (bit for bit)."""
    pick = np.random.default_rng(11)
    x = np.concatenate(
        [
            pick.uniform(0.0, 10.0, 40_000),  # exp(-lam) of the multiplication method
            pick.random(40_000),  # log(V) of PTRS
            np.exp(pick.uniform(-700.0, 40.0, 40_000)),  # log(lam), log(x0) of log Γ
            np.arange(1, 2_000, dtype=np.float64),
            [5e-324, 1e-300, 1.0, 2 * math.pi, 1e15],
        ]
    )
    got = _numba_exp_log(x)
    want_exp = np.array([LIBM.exp(-v) for v in x.tolist()])
    want_log = np.array([LIBM.log(v) for v in x.tolist()])
    np.testing.assert_array_equal(got[0].view(np.uint64), want_exp.view(np.uint64))
    np.testing.assert_array_equal(got[1].view(np.uint64), want_log.view(np.uint64))


@pytest.mark.parametrize("seed", [0, 1, 2026, 2**32 + 5, 2**63 - 1])
@pytest.mark.parametrize("stream", [0, ARRIVALS_STREAM, 2, 2**33])
def test_seeded_states_are_numpys(seed, stream):
    runs = np.array([0, 1, 7, 256, 99_999, 2**31, 2**32 - 1])
    states = kernels.seeded_states(seed_words(seed, stream, runs))
    got = [((int(a) << 64) | int(b), (int(c) << 64) | int(d)) for a, b, c, d in states.tolist()]
    assert got == run_states(seed, stream, runs)
    want = [run_generator(seed, stream, int(r)).bit_generator.state["state"] for r in runs]
    assert got == [(w["state"], w["inc"]) for w in want]


def kernel_poisson(seed: int, stream: int, runs: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """``poisson_runs`` of one mean per month: ``lam`` as a [month, 1 group] table."""
    states = kernels.seeded_states(seed_words(seed, stream, runs))
    ones = np.ones((len(runs), (len(lam) + 11) // 12))
    out = np.empty((len(runs), len(lam), 1), dtype=np.int64)
    assert kernels.poisson_runs(states, lam[:, None], ones, ones, out)
    return out[:, :, 0]


@pytest.mark.parametrize("seed,stream", [(0, 1), (2026, ARRIVALS_STREAM), (2**40 + 3, 5)])
def test_poisson_counts_are_numpys_on_every_path(seed, stream):
    runs = np.array([0, 1, 2, 3, 100, 4_095, 2**32 - 1])
    lam = np.tile(LAMBDAS, 3)  # each mean again, after other draws
    want = np.array([run_generator(seed, stream, int(r)).poisson(lam) for r in runs])
    np.testing.assert_array_equal(kernel_poisson(seed, stream, runs, lam), want)


def test_poisson_counts_are_numpys_for_random_means_and_seeds():
    pick = np.random.default_rng(2)
    for _ in range(30):
        seed = int(pick.integers(0, 2**63 - 1))
        runs = pick.integers(0, 2**32, size=4)
        scale = 10.0 ** pick.uniform(-3, 3)  # around the multiplication method and PTRS
        lam = pick.exponential(scale, size=96)
        lam[pick.random(96) < 0.1] = 0.0
        want = np.array([run_generator(seed, 3, int(r)).poisson(lam) for r in runs])
        np.testing.assert_array_equal(kernel_poisson(seed, 3, runs, lam), want)


def test_many_draws_near_ten_exercise_ptrs_rejections():
    """Many draws at means just above 10, where PTRS rejects most often and log Γ is
    evaluated for small k, and just below, the longest multiplication loops."""
    runs = np.arange(200)
    lam = np.repeat([9.9, 10.0, 10.01, 11.0, 13.0], 24)
    want = np.array([run_generator(5, 1, int(r)).poisson(lam) for r in runs])
    np.testing.assert_array_equal(kernel_poisson(5, 1, runs, lam), want)


@pytest.mark.parametrize(
    "distribution,cv", [("poisson", None), ("negative_binomial", 0.4), ("negative_binomial", 1.5)]
)
def test_draw_arrivals_is_the_numpy_reference_with_multipliers(example, distribution, cv):
    """cv 0.4: gamma shapes above 1 (NumPy's normal ziggurat), 1.5: below 1; a year without
    planned arrivals has no gamma factor."""
    per_year = [120, 0, 100, 100, 80, 80, 80, 80]
    extra = {"arrivals.per_year": per_year, "arrivals.cv": cv} if cv else {}
    model = compile_model(example.with_overrides({"arrivals.distribution": distribution, **extra}))
    runs = np.arange(300, 420)
    multiplier = np.random.default_rng(4).lognormal(0.0, 0.5, (len(runs), model.years))
    multiplier[:, 3] = 0.0  # a year without arrivals
    for mult in (None, multiplier):
        got = draw_arrivals(model, 31, runs, mult)
        np.testing.assert_array_equal(got, draw_arrivals_numpy(model, 31, runs, mult))
        assert got.dtype == np.int64 and got.shape == (len(runs), model.months, 3)


def test_chunks_do_not_change_the_counts(example):
    model = compile_model(example)
    runs = np.arange(1_000)
    multiplier = np.random.default_rng(6).uniform(0.5, 3.0, (len(runs), model.years))
    whole = draw_arrivals(model, 9, runs, multiplier)
    for size in (1, 7, 256):
        parts = [
            draw_arrivals(model, 9, runs[a : a + size], multiplier[a : a + size])
            for a in range(0, len(runs), size)
        ]
        np.testing.assert_array_equal(np.concatenate(parts), whole)


def test_means_beyond_the_kernel_are_numpys(example):
    model = compile_model(example)
    runs = np.arange(4)
    huge = np.full((len(runs), model.years), 1e17)  # means beyond LAM_MAX
    np.testing.assert_array_equal(
        draw_arrivals(model, 2, runs, huge), draw_arrivals_numpy(model, 2, runs, huge)
    )
    for bad in (np.nan, -1.0):
        with pytest.raises(ValueError, match="lam"):
            draw_arrivals(model, 2, runs, np.full((len(runs), model.years), bad))


def test_runs_beyond_two_to_the_32_are_numpys(example):
    model = compile_model(example)
    runs = np.array([2**32, 2**40 + 1])
    assert seed_words(8, ARRIVALS_STREAM, runs) is None
    means = monthly_means(model)
    want = np.stack([run_generator(8, ARRIVALS_STREAM, int(r)).poisson(means) for r in runs])
    np.testing.assert_array_equal(draw_arrivals(model, 8, runs), want)
