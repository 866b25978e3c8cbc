"""Arriving persons per run, group and month: fixed, Poisson or negative binomial."""

from __future__ import annotations

import numpy as np

from ..model.compiled import CompiledModel
from ..model.plan import fixed_split, monthly_means
from ._arrival_kernels import poisson_runs, seeded_states
from .seeding import run_rngs, seed_words

#: Stream numbers in ``SeedSequence.spawn_key``; one per consumer of random numbers.
ARRIVALS_STREAM = 1
NUMPY_ENGINE_STREAM = 2
_M64 = (1 << 64) - 1


def run_generator(seed: int, stream: int, run: int) -> np.random.Generator:
    """The generator of one run for one stream of random numbers."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(stream, run)))
    )


def draw_arrivals(
    model: CompiledModel,
    seed: int,
    run_ids: np.ndarray,
    multiplier: np.ndarray | None = None,
    planned: bool = False,
) -> np.ndarray:
    """Units arriving, ``[run, month, group]`` (int64), for the given global run numbers:
    persons, or households of a household group (persons ``per_year · mix`` divided by the
    members, DESIGN §15).

    ``multiplier [run, year]`` (the arrivals factor of :mod:`balanskonto.engines.draws`)
    scales the planned counts before the random variation: a fixed count becomes the
    nearest whole number of ``per_year · multiplier``; a Poisson or negative binomial mean
    is multiplied. ``planned`` gives every distribution the fixed split of the (multiplied)
    planned counts, without random variation.

    ``fixed``: the deterministic split (DESIGN §3.6). ``poisson``: each group and month
    Poisson with mean ``per_year · mix / 12``. ``negative_binomial``: the same means times a
    gamma factor per year with shape ``k = 1 / (cv² − 1 / per_year)``, so that the year's
    count has mean ``per_year`` and coefficient of variation ``cv``.

    Run ``r``'s Poisson counts are ``run_generator(seed, ARRIVALS_STREAM, r).poisson`` of
    its means (after its gamma factors), bit for bit; they are drawn for the whole chunk in
    compiled code (:mod:`._arrival_kernels`), by NumPy (:func:`draw_arrivals_numpy`) where
    that does not apply.
    """
    n, T, G = len(run_ids), model.months, len(model.groups)
    if model.distribution == "fixed" or planned:
        if multiplier is None and model.distribution == "fixed":
            return np.broadcast_to(model.fixed_arrivals, (n, T, G)).copy()
        m = np.ones((n, model.years)) if multiplier is None else multiplier
        counts = np.rint(model.per_year[None, :] * m)
        return np.stack([fixed_split(c, model.mix, model.members) for c in counts])
    words = seed_words(seed, ARRIVALS_STREAM, run_ids)
    if (
        words is None
        or model.months != 12 * model.years
        or (multiplier is not None and np.shape(multiplier) != (n, model.years))
    ):
        return draw_arrivals_numpy(model, seed, run_ids, multiplier)
    states = seeded_states(words)
    ones = np.ones((n, model.years))  # x · 1.0 is x: the products as the reference's
    factors = ones
    if model.distribution == "negative_binomial":
        factors, states = _gamma_factors(model, states)
    out = np.empty((n, T, G), dtype=np.int64)
    mult = ones if multiplier is None else np.ascontiguousarray(multiplier, dtype=np.float64)
    if not poisson_runs(states, monthly_means(model), mult, factors, out):
        return draw_arrivals_numpy(model, seed, run_ids, multiplier)
    return out


def _gamma_shape(model: CompiledModel) -> np.ndarray:
    """The yearly gamma factor's shape ``k = 1 / (cv² − 1 / per_year)`` (inf where the
    factor is 1, a year without planned arrivals)."""
    with np.errstate(divide="ignore"):
        return 1.0 / (model.cv**2 - 1.0 / model.per_year)


def _gamma_factors(model: CompiledModel, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each run's yearly gamma factors ``[run, year]``, drawn by NumPy from the run's state
    (``states [run, 4]``, as :mod:`._arrival_kernels` holds them), and the states after them.

    ``Generator.gamma(shape, scale)`` is ``scale · standard_gamma(shape)`` (NumPy's
    ``random_gamma``): the standard gamma draws run by run, their products with the scale
    for the whole chunk at once (the same products)."""
    shape = _gamma_shape(model)
    planned = model.per_year > 0
    shape_planned = shape[planned]
    standard = np.empty((len(states), len(shape_planned)))
    after = states.copy()
    bits = np.random.PCG64(0)
    rng = np.random.Generator(bits)
    state = {"bit_generator": "PCG64", "state": {}, "has_uint32": 0, "uinteger": 0}
    for i, (hi, lo, inc_hi, inc_lo) in enumerate(states.tolist()):
        state["state"] = {"state": (hi << 64) | lo, "inc": (inc_hi << 64) | inc_lo}
        bits.state = state
        standard[i] = rng.standard_gamma(shape_planned)
        moved = bits.state["state"]["state"]
        after[i, 0], after[i, 1] = moved >> 64, moved & _M64
    factors = np.ones((len(states), model.years))
    factors[:, planned] = (1.0 / shape_planned) * standard
    return factors, after


def draw_arrivals_numpy(
    model: CompiledModel, seed: int, run_ids: np.ndarray, multiplier: np.ndarray | None = None
) -> np.ndarray:
    """The reference of :func:`draw_arrivals` (Poisson and negative binomial): each run's
    own NumPy generator, ``run_generator(seed, ARRIVALS_STREAM, run)``, its gamma factors
    and its ``poisson`` of the run's means. :func:`draw_arrivals` gives the same counts, bit
    for bit, from compiled code; it falls back on this where that does not apply (runs
    beyond 2³², means beyond ``_arrival_kernels.LAM_MAX`` or invalid: NumPy raises for those)."""
    n, T, G = len(run_ids), model.months, len(model.groups)
    means = monthly_means(model)
    out = np.empty((n, T, G), dtype=np.int64)
    if model.distribution == "negative_binomial":
        shape = _gamma_shape(model)
    # every run's means at once (the same products as run by run)
    scaled = None if multiplier is None else means * np.repeat(multiplier, 12, axis=1)[..., None]
    # each run's generator, as run_generator gives it, prepared for the chunk at once
    for i, rng in enumerate(run_rngs(seed, ARRIVALS_STREAM, run_ids)):
        lam = means if scaled is None else scaled[i]
        if model.distribution == "negative_binomial":
            factor = np.ones(model.years)
            planned = model.per_year > 0
            factor[planned] = rng.gamma(shape[planned], 1.0 / shape[planned])
            lam = lam * np.repeat(factor, 12)[:, None]
        out[i] = rng.poisson(lam)
    return out
