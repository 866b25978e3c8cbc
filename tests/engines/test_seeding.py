"""The chunk's generators of engines/seeding.py: the states NumPy's own SeedSequence and PCG64
give, bit for bit, and the same draws."""

from __future__ import annotations

import numpy as np
import pytest

from balanskonto.engines.arrivals import ARRIVALS_STREAM, run_generator
from balanskonto.engines.seeding import run_rngs, run_states

RUNS = np.array([0, 1, 2, 255, 256, 9_999, 123_456, 2**31, 2**32 - 1])


@pytest.mark.parametrize("seed", [0, 1, 2026, 2**32 - 1, 2**32, 2**40 + 7, 2**63 - 1])
@pytest.mark.parametrize("stream", [0, ARRIVALS_STREAM, 2, 4, 2**33])
def test_states_are_numpys(seed, stream):
    got = run_states(seed, stream, RUNS)
    want = [run_generator(seed, stream, int(r)).bit_generator.state["state"] for r in RUNS]
    assert got == [(w["state"], w["inc"]) for w in want]


def test_random_seeds_and_runs_give_numpys_states():
    pick = np.random.default_rng(5)
    for _ in range(20):
        seed = int(pick.integers(0, 2**63 - 1))
        runs = pick.integers(0, 2**32, size=7)
        want = [run_generator(seed, 1, int(r)).bit_generator.state["state"] for r in runs]
        assert run_states(seed, 1, runs) == [(w["state"], w["inc"]) for w in want]


def test_the_draws_are_those_of_each_runs_own_generator():
    runs = np.arange(40, 90)
    lam = np.linspace(0.1, 4.0, 12)
    got = [rng.poisson(lam) for rng in run_rngs(2026, ARRIVALS_STREAM, runs)]
    want = [run_generator(2026, ARRIVALS_STREAM, int(r)).poisson(lam) for r in runs]
    np.testing.assert_array_equal(got, want)


def test_runs_beyond_the_shortcut_use_numpys_generators():
    runs = np.array([2**32, 2**40])
    assert run_states(3, 1, runs) is None
    got = [rng.random(3) for rng in run_rngs(3, 1, runs)]
    want = [run_generator(3, 1, int(r)).random(3) for r in runs]
    np.testing.assert_array_equal(got, want)
