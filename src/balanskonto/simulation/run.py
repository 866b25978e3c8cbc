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
from ..model.folding import table_plan
from ..model.pricing import price, refused_claims
from ..model.tables import level_multipliers, money_multipliers
from ..results.dataset import expected_dataset, simulation_dataset

#: Runs per chunk: the unit of work for memory, progress and (later) Dask.
DEFAULT_CHUNK_RUNS = 256
#: The most runs of one simulation: ``simulation.runs``' bound, and ``--runs``'.
MAX_RUNS = 10_000_000
#: Person-months simulated per second assumed by the time estimate: a busy 2-core machine's
#: rate with the stepping engine and every uncertainty on (docs/performance.md: about 0.9 G/s
#: on an idle one, 0.37–0.46 G/s with four other test runs beside it), halved for margin.
PERSON_MONTHS_PER_SECOND = 2e8
#: The estimated time above which a run is announced with a warning (seconds).
WARN_SECONDS = 180.0
#: The share of the machine's available memory the results may take.
MEMORY_SHARE = 0.5


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


#: How the number of runs is named in messages: the option and the config's key.
RUNS_NAME = "--runs / simulation.runs"


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


def result_bytes(model: CompiledModel, runs: int) -> int:
    """The memory of ``runs`` runs' run-level arrays (revenue, cost, person_months, persons,
    households, arrivals, factors and, with monthly resolution, the monthly variables), in bytes."""
    Y, G, C, S = model.years, len(model.groups), len(model.components), model.stay.shape[1]
    T = model.months
    factors = 2 + len(model.levels) + len(model.shares) + len(model.policies)
    per_run = 2 * Y * C + (3 if model.household.any() else 2) * Y * G * S + Y * G
    per_run += factors * (1 + Y)
    if model.monthly:
        per_run += 2 * T * C + T * G * S
    return 8 * per_run * runs


def run_seconds(model: CompiledModel, runs: int) -> float:
    """A conservative estimate of the time to simulate ``runs`` runs (persons × months ×
    runs ÷ :data:`PERSON_MONTHS_PER_SECOND`)."""
    persons = float(np.sum(model.per_year)) + float(np.sum(model.population[:, 4]))
    return persons * model.months * runs / PERSON_MONTHS_PER_SECOND


def available_memory() -> int:
    """The machine's available memory in bytes (psutil if installed, else ``os.sysconf``)."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:
        import os

        try:
            return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            return 2**62  # unknown: no bound


def check_size(
    model: CompiledModel | list[CompiledModel], runs: int, what: str = "runs", warn: bool = True
) -> None:
    """Refuse, before anything is simulated, ``runs`` runs (of every model in a list: the
    scenarios of a batch) whose results would not fit in :data:`MEMORY_SHARE` of the
    machine's available memory; warn (one line) when they would take more than
    :data:`WARN_SECONDS` (unless ``warn`` is false: a cap that may not be reached).

    Raises
    ------
    ConfigError
        Naming ``what`` (``--runs`` / ``simulation.runs``), the estimate and the memory.
    """
    import warnings

    models = model if isinstance(model, list) else [model]
    need = sum(result_bytes(m, runs) for m in models)
    have = available_memory()
    if need > MEMORY_SHARE * have:
        raise ConfigError(
            f"{what}: {runs} runs need about {_gib(need)} of memory for the results, more than "
            f"half of the {_gib(have)} available on this machine; lower {what}"
        )
    seconds = sum(run_seconds(m, runs) for m in models)
    if warn and seconds > WARN_SECONDS:
        warnings.warn(
            f"{runs} runs may take up to about {seconds / 60:.0f} minutes on this machine",
            stacklevel=2,
        )


def _gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


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
    runs = check_whole(
        RUNS_NAME, config.simulation.runs if runs is None else runs, maximum=MAX_RUNS
    )
    seed = check_whole("seed", config.simulation.seed if seed is None else seed, minimum=0)
    chunk_runs = check_whole("chunk_runs", chunk_runs)
    if engine not in ENGINES:
        raise ConfigError(f"engine: must be one of {sorted(ENGINES)} (got {engine!r})")
    model = compile_model(config)
    check_size(model, runs, RUNS_NAME)
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
    person_seed: int | None = None,
) -> dict[str, np.ndarray]:
    """The run-level arrays of ``runs`` runs from ``first_run`` on. The factors are drawn from
    ``seed``; the arrivals' random variation and the persons from ``person_seed`` (default
    ``seed``): a batch of municipalities gives each its own persons under common factors."""
    own = seed if person_seed is None else person_seed
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
            # pulls back shares that over-fill a state; the stepping engine folds each run's
            # tables in its kernel (no move tables: the engines do not read them)
            tables = table_plan(model, draws)
            arrivals = draw_arrivals(model, own, run_ids, draws.arrivals, planned_arrivals)
            counts = engine(model, own, run_ids, arrivals, tables)
            revenue, cost = price(model, *price_args(model, draws, arrivals, counts))
            if draws.claims is not None:
                cost = cost + refused_claims(model, revenue, draws.claims)
            pm = counts.person_months
            if model.counts_by_month:  # the yearly variables are the sums of the monthly ones
                n = len(run_ids)
                if model.monthly:
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
            yearly_names, yearly = draws.per_year(model)
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


def price_args(model: CompiledModel, draws, arrivals: np.ndarray, counts) -> tuple:
    """The arguments of :func:`~balanskonto.model.pricing.price` after the model, for a
    chunk's arrivals, its engine's counts and its factor draws."""
    return (
        arrivals,
        counts.person_months,
        counts.relocated_dues,
        money_multipliers(model, draws),
        counts.population_dues,
        level_multipliers(model, draws),
    )


def simulate_runs(
    config: Config,
    first_run: int,
    runs: int,
    seed: int,
    engine: str = "numba",
    *,
    chunk_runs: int = DEFAULT_CHUNK_RUNS,
    person_seed: int | None = None,
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
        and ``persons_month``. ``person_seed``: the seed of the persons and arrivals, when it
        is not ``seed`` (a municipality of a batch; :func:`simulate_arrays`).
    """
    if engine not in ENGINES:
        raise ConfigError(f"engine: must be one of {sorted(ENGINES)} (got {engine!r})")
    model = compile_model(config)
    return simulate_arrays(
        model,
        runs,
        seed,
        ENGINES[engine],
        chunk_runs,
        False,
        first_run=first_run,
        person_seed=person_seed,
    )


def dataset_from_runs(
    config: Config,
    parts: list[dict],
    seed: int,
    engine: str,
    model: CompiledModel | None = None,
    config_text: str | None = None,
) -> xr.Dataset:
    """The Dataset of ``simulate`` from chunks of :func:`simulate_runs`, in run order
    (``model``: the config's compiled model, ``config_text`` its ``config.toml``, when the
    caller has them)."""
    arrays = {
        k: (np.concatenate([p[k] for p in parts]) if isinstance(v, np.ndarray) else v)
        for k, v in parts[0].items()
    }
    model = compile_model(config) if model is None else model
    return simulation_dataset(
        config, model, seed=seed, engine=engine, config_text=config_text, **arrays
    )


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
