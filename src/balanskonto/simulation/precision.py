"""Runs until a quantile of the final balance is known to a given precision."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import xarray as xr

from ..config.errors import ConfigError
from ..config.schema import Config
from ..engines.individual import ENGINES
from ..model.compiled import compile_model
from ..results.convergence import quantile_interval, runs_needed
from ..results.dataset import simulation_dataset
from .run import (
    DEFAULT_CHUNK_RUNS,
    MAX_RUNS,
    RUNS_NAME,
    as_config,
    check_size,
    check_whole,
    simulate_arrays,
)


def simulate_to_precision(
    config: Config | str | Path,
    target: float,
    quantile: float = 0.05,
    *,
    runs: int | None = None,
    max_runs: int = 200_000,
    seed: int | None = None,
    engine: str = "numba",
    chunk_runs: int = DEFAULT_CHUNK_RUNS,
    progress: bool = False,
) -> xr.Dataset:
    """Add runs until the ``quantile`` of the final year's balance is known to ± ``target`` SEK
    (the half-width of its 95 % order-statistic interval), or ``max_runs`` is reached.

    Starts with ``runs`` (default ``simulation.runs``) and adds runs with the next run numbers,
    so the result equals ``simulate`` with the final number of runs. The Dataset's attrs say
    whether the target was met (``target_met``) and the half-width reached.
    """
    config = as_config(config)
    if not (
        isinstance(target, int | float) and not isinstance(target, bool) and 1 <= target < math.inf
    ):
        raise ConfigError(
            f"--target-precision: must be a finite amount of at least 1 SEK (got {target!r})"
        )
    if not 0.0 < quantile < 1.0:
        raise ConfigError(f"--target-quantile: must lie in (0, 1) (got {quantile!r})")
    runs = check_whole(
        RUNS_NAME, config.simulation.runs if runs is None else runs, maximum=MAX_RUNS
    )
    max_runs = check_whole("--max-runs", max(max_runs, runs), maximum=MAX_RUNS)
    seed = check_whole("seed", config.simulation.seed if seed is None else seed, minimum=0)
    if engine not in ENGINES:
        raise ConfigError(f"engine: must be one of {sorted(ENGINES)} (got {engine!r})")
    model = compile_model(config)
    check_size(model, max_runs, "--max-runs", warn=False)  # the most it may reach: memory
    check_size(model, runs, RUNS_NAME)  # the first runs: memory and time
    arrays = simulate_arrays(model, runs, seed, ENGINES[engine], chunk_runs, progress)
    while True:
        net = arrays["revenue"].sum(-1) - arrays["cost"].sum(-1)  # [run, year]
        balance = model.opening + net.sum(-1)  # the final year's balance
        lower, upper = quantile_interval(balance, quantile)
        half = float(upper - lower) / 2
        done = arrays["revenue"].shape[0]
        if half <= target or done >= max_runs:
            break
        wanted = int(runs_needed(done, half, target) * 1.1) + 1
        more = min(max_runs, max(wanted, done + chunk_runs)) - done
        extra = simulate_arrays(
            model, more, seed, ENGINES[engine], chunk_runs, progress, first_run=done
        )
        arrays = {
            k: (np.concatenate([v, extra[k]]) if isinstance(v, np.ndarray) else v)
            for k, v in arrays.items()
        }
    ds = simulation_dataset(config, model, seed=seed, engine=engine, **arrays)
    ds.attrs.update(
        target_precision=float(target),
        target_quantile=float(quantile),
        target_half_width=half,
        target_met=int(half <= target),
    )
    return ds
