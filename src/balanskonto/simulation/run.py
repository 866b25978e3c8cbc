"""The public functions: config → model → engine → Dataset, in chunks of runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr
from tqdm import tqdm

from ..config.errors import ConfigError
from ..config.reading import read_config
from ..config.schema import Config
from ..engines.arrivals import draw_arrivals
from ..engines.draws import draw
from ..engines.expected import expected_money
from ..engines.individual import ENGINES
from ..model.compiled import CompiledModel, compile_model
from ..model.pricing import price
from ..model.tables import chunk_tables, level_multipliers, money_multipliers
from ..results.dataset import expected_dataset, simulation_dataset

#: Runs per chunk: the unit of work for memory, progress and (later) Dask.
DEFAULT_CHUNK_RUNS = 256


def load_config(path: str | Path) -> Config:
    """Read, validate and compile-check a TOML config.

    Raises
    ------
    ConfigError
        Naming the dotted path, the bad value and the rule.
    """
    config = read_config(path)
    try:
        compile_model(config)  # the rules that need the compiled tables (exits summing above 1)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None
    return config


def as_config(config: Config | str | Path) -> Config:
    return config if isinstance(config, Config) else load_config(config)


def check_whole(name: str, value: int, minimum: int = 1, maximum: int = 2**63 - 1) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or not minimum <= value <= maximum
    ):
        raise ConfigError(
            f"{name}: must be a whole number from {minimum} to {maximum} (got {value!r})"
        )
    return int(value)


def simulate(
    config: Config | str | Path,
    runs: int | None = None,
    seed: int | None = None,
    engine: str = "numba",
    *,
    chunk_runs: int = DEFAULT_CHUNK_RUNS,
    progress: bool = False,
    factors_at: dict[str, float] | None = None,
    planned_arrivals: bool = False,
) -> xr.Dataset:
    """Run the Monte Carlo model.

    Parameters
    ----------
    config : Config or path
    runs, seed : override ``simulation.runs`` / ``simulation.seed``.
    engine : ``"numba"`` (default) or ``"numpy"`` (the slow reference).
    chunk_runs : runs simulated together; results do not depend on it.
    progress : show a progress bar on stderr.
    factors_at : fix uncertain factors at a quantile in every run, ``{name: q}`` with
        ``"*"`` for all factors not named (one-at-a-time swings, variance by layer).
    planned_arrivals : arrivals exactly as planned (the fixed split of ``per_year`` times the
        arrivals factor) instead of Poisson or negative binomial draws.

    Returns
    -------
    xarray.Dataset
        DESIGN §6: ``balance`` (run, year) SEK, ``revenue``/``cost`` (run, year, component)
        SEK, ``person_years`` (run, year, group, state), ``arrivals`` (run, year, group),
        quantiles, ``p_deficit``, ``expected_balance``, ``mc_standard_error`` and provenance.
    """
    config = as_config(config)
    runs = check_whole("runs", config.simulation.runs if runs is None else runs)
    seed = check_whole("seed", config.simulation.seed if seed is None else seed, minimum=0)
    chunk_runs = check_whole("chunk_runs", chunk_runs)
    if engine not in ENGINES:
        raise ConfigError(f"engine: must be one of {sorted(ENGINES)} (got {engine!r})")
    model = compile_model(config)
    arrays = simulate_arrays(
        model, runs, seed, ENGINES[engine], chunk_runs, progress, factors_at, planned_arrivals
    )
    return simulation_dataset(config, model, seed=seed, engine=engine, **arrays)


def simulate_arrays(
    model: CompiledModel,
    runs: int,
    seed: int,
    engine,
    chunk_runs: int,
    progress: bool,
    at: dict[str, float] | None = None,
    planned_arrivals: bool = False,
    first_run: int = 0,
) -> dict[str, np.ndarray]:
    Y, G, C, S = model.years, len(model.groups), len(model.components), model.stay.shape[1]
    T = model.months
    out = {
        "revenue": np.empty((runs, Y, C)),
        "cost": np.empty((runs, Y, C)),
        "person_months": np.empty((runs, Y, G, S), dtype=np.int64),
        "arrivals": np.empty((runs, Y, G), dtype=np.int64),
        "persons": np.empty((runs, Y, G, S), dtype=np.int64),
    }
    if model.monthly:
        out["revenue_month"] = np.empty((runs, T, C))
        out["cost_month"] = np.empty((runs, T, C))
        out["persons_month"] = np.empty((runs, T, G, S), dtype=np.int64)
    factor_names: list[str] = []
    yearly_names: list[str] = []
    with tqdm(total=runs, unit="run", disable=not progress, desc="simulating") as bar:
        for first in range(0, runs, chunk_runs):
            run_ids = first_run + np.arange(first, min(runs, first + chunk_runs), dtype=np.int64)
            chunk = slice(first, first + len(run_ids))
            draws = draw(model, seed, run_ids, at)
            drawn_shares = draws.shares.copy()
            # pulls back shares that over-fill a state; the engines read no move tables
            tables = chunk_tables(model, draws, move=False)
            arrivals = draw_arrivals(model, seed, run_ids, draws.arrivals, planned_arrivals)
            counts = engine(model, seed, run_ids, arrivals, tables)
            revenue, cost = price(
                model,
                arrivals,
                counts.person_months,
                counts.relocated_dues,
                money_multipliers(model, draws),
                counts.population_dues,
                level_multipliers(model, draws),
            )
            pm = counts.person_months
            if model.monthly:  # the yearly variables are the sums of the monthly ones
                n = len(run_ids)
                out["revenue_month"][chunk], out["cost_month"][chunk] = revenue, cost
                out["persons_month"][chunk] = pm
                revenue = revenue.reshape(n, Y, 12, C).sum(axis=2)
                cost = cost.reshape(n, Y, 12, C).sum(axis=2)
                pm = pm.reshape(n, Y, 12, G, S).sum(axis=2)
            out["revenue"][chunk], out["cost"][chunk] = revenue, cost
            out["person_months"][chunk] = pm
            out["persons"][chunk] = counts.persons
            out["arrivals"][chunk] = arrivals.reshape(len(run_ids), Y, 12, G).sum(axis=2)
            factor_names, values = draws.per_run(model)
            yearly_names, yearly = draws.per_year()
            if first == 0:
                out["factor"] = np.empty((runs, len(factor_names)))
                out["yearly_factor"] = np.empty((runs, Y, len(yearly_names)))
                out["share_pulled_back"] = np.empty((runs, len(model.shares)), dtype=bool)
            out["factor"][chunk] = values
            out["share_pulled_back"][chunk] = draws.shares != drawn_shares
            if yearly is not None:
                out["yearly_factor"][chunk] = yearly
            bar.update(len(run_ids))
    out["factor_names"] = factor_names
    out["yearly_factor_names"] = yearly_names
    return out


def simulate_runs(
    config: Config,
    first_run: int,
    runs: int,
    seed: int,
    engine: str = "numba",
    *,
    chunk_runs: int = DEFAULT_CHUNK_RUNS,
) -> dict:
    """The run-level arrays of runs ``first_run … first_run + runs − 1``: the unit of work
    for distributed execution. Concatenated in run order and passed to
    :func:`dataset_from_runs`, chunks give exactly ``simulate(config, runs=total, seed=seed)``.

    Returns
    -------
    dict
        ``revenue``, ``cost`` [run, year, component] SEK; ``person_months`` [run, year, group,
        state]; ``arrivals`` [run, year, group]; ``factor`` [run, factor], ``yearly_factor``
        [run, year, yearly factor] and their name lists; ``share_pulled_back`` [run, uncertain
        share] (bool: the run's draw over-filled a state and was pulled back); ``persons``
        [run, year, group, state]; with monthly resolution ``revenue_month``, ``cost_month``
        and ``persons_month``.
    """
    if engine not in ENGINES:
        raise ConfigError(f"engine: must be one of {sorted(ENGINES)} (got {engine!r})")
    model = compile_model(config)
    return simulate_arrays(
        model, runs, seed, ENGINES[engine], chunk_runs, False, first_run=first_run
    )


def dataset_from_runs(config: Config, parts: list[dict], seed: int, engine: str) -> xr.Dataset:
    """The Dataset of ``simulate`` from chunks of :func:`simulate_runs`, in run order."""
    arrays = {
        k: (np.concatenate([p[k] for p in parts]) if isinstance(v, np.ndarray) else v)
        for k, v in parts[0].items()
    }
    return simulation_dataset(config, compile_model(config), seed=seed, engine=engine, **arrays)


def expected(config: Config | str | Path) -> xr.Dataset:
    """The exact expectation of the plan (no ``run`` dimension); see
    :mod:`balanskonto.engines.expected`. With uncertain factors it is *the plan without uncertainty*
    (every factor at its mean), not the simulation's mean; the attrs ``long_name`` and
    ``plan_without_uncertainty`` say which."""
    config = as_config(config)
    model = compile_model(config)
    counts = expected_money(model)
    return expected_dataset(
        config,
        model,
        revenue=counts["revenue"],
        cost=counts["cost"],
        person_months=counts["person_months"],
        persons=counts["persons"],
        arrivals=counts["arrivals"].reshape(model.years, 12, -1).sum(axis=1),
    )
