"""The compiled model: plain arrays the engines and ``expected`` read (no pydantic, no strings)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config.schema import Config
from .care import ClaimRisk, compile_care
from .codes import PART_MONTHS_AFTER
from .factors import (
    ArrivalFactor,
    LabourFactor,
    LevelFactor,
    PolicyFactor,
    ShareFactor,
    compile_factors,
)
from .money import component_axis, fixed_table, index_table, payment_parts, rate_table
from .plan import fixed_split, planned_per_year
from .population import compile_population, pre_years
from .tables import check_share_ranges
from .transitions import compile_transitions


@dataclass(frozen=True, eq=False)
class CompiledModel:
    """Everything the engines and the money assembly need, as arrays.

    Shapes use ``G`` groups, ``S`` states (``states``: the config's, ``relocated`` last;
    five by default), ``D`` duration rows, ``Y`` years,
    ``T = 12·Y`` months, ``C`` components and ``P`` payment parts.

    The engines and ``expected`` count *units*: a person, or a household of a household
    group (DESIGN §15), whose amounts are compiled per household (per-person amounts times
    ``members``); :mod:`balanskonto.results` turns units into persons.
    """

    groups: tuple[str, ...]
    states: tuple[str, ...]  # the state axis: the config's states, relocated last
    components: tuple[str, ...]
    start_year: int
    years: int
    opening: float
    quantiles: tuple[float, ...]
    runs: int
    seed: int
    title: str
    monthly: bool  # simulation.resolution = "month": money and counts per month too (§12)
    # --- transitions -------------------------------------------------------------------
    start_state: np.ndarray  # [G] int64
    q: np.ndarray  # [G, S, D, S] conditional exit probability after d = row + 1 months
    max_months: np.ndarray  # [G, S] int64, 0 = no limit
    expiry: np.ndarray  # [G, S, S] on_expiry shares
    move: np.ndarray  # [G, S, D, S] q with expiry folded in: P(to | in state, row)
    stay: np.ndarray  # [G, S, D] 1 − Σ move
    cum: np.ndarray  # [G, S, D, S] stay + cumulative move, last reachable entry 1.0
    absorbing_from: np.ndarray  # [G, S] int64 duration from which the state is never left
    # [G, S] int64: the rows of a state that can differ, L = its longest exit timing or
    # max_months, plus 1; every row from L − 1 on equals row L − 1 in every run and year
    # (hazards only), so the kernels fold and read rows up to L − 1 only
    rows: np.ndarray
    exits: dict  # (g, s) -> float64 [k, 4] exit rows (to, kind, months, value)
    # the destination each state's moves shifted by the labour-market factor (−1: none)
    work_to: np.ndarray  # [G, S] int64: as finding work (effect · z)
    relapse_to: np.ndarray  # [G, S] int64: the other way (−relapse_effect · z)
    # --- arrivals ------------------------------------------------------------------------
    distribution: str
    cv: float
    per_year: np.ndarray  # [Y] planned (mean) arrivals per year
    mix: np.ndarray  # [G] share of the persons (not units) in each group
    members: np.ndarray  # [G] int64 persons per unit: a household's members, 1 for persons
    household: np.ndarray  # [G] bool: a household group (DESIGN §15; its unit a household)
    fixed_arrivals: np.ndarray  # [T, G] int64 deterministic split (fixed distribution only)
    # --- the population already received (DESIGN §11) -------------------------------------
    pre_years: int  # calendar years before start_year in which the population arrived
    population: np.ndarray  # [K, 5] int64: arrival month (< 0), group, state, months, count
    pop_code: np.ndarray  # [K] uint64 key codes of the rows' random numbers
    # --- money ---------------------------------------------------------------------------
    cost_rate: np.ndarray  # [Y, G, S, C] SEK per person-month, indexed
    revenue_rate: np.ndarray  # [Y, G, S, C]
    fixed_cost: np.ndarray  # [Y, C] SEK per year, indexed
    fixed_revenue: np.ndarray  # [Y, C]
    part_group: np.ndarray  # [P] int64
    part_component: np.ndarray  # [P] int64
    part_kind: np.ndarray  # [P] int64 PART_CALENDAR_YEAR | PART_MONTHS_AFTER
    part_k: np.ndarray  # [P] int64
    part_share: np.ndarray  # [P] float64 share of the amount in this part
    part_relocated_share: np.ndarray  # [P] factor on a part lost to a move (see part_window)
    part_window: np.ndarray  # [P] int64: 0 = a part due after the move comes times the factor;
    # W > 0 = every part of a person who moves within W months of arrival does (the whole-amount
    # rule), the loss booked at the later of the due month and the first month away
    part_cost: np.ndarray  # [P] bool: a scheduled cost (priced as cost, not revenue)
    part_amount: np.ndarray  # [P, Y] amount by arrival year (SEK)
    pop_part_amount: np.ndarray  # [P, Y_pre] amount by arrival year before the start (SEK)
    group_parts: np.ndarray  # [G + 1] CSR offsets of each group's parts (parts sorted by group)
    payment_component: np.ndarray  # [C] bool: the component is a scheduled payment
    # --- uncertainty and policy (second stage; see balanskonto.model.factors) ---------------
    labour: LabourFactor | None
    arrival_factor: ArrivalFactor | None
    levels: tuple[LevelFactor, ...]
    shares: tuple[ShareFactor, ...]
    policies: tuple[PolicyFactor, ...]
    # --- care of unaccompanied minors (DESIGN §15; balanskonto.model.care) ------------------
    day_cost_rate: np.ndarray  # [Y, G, S, C] SEK per person-day, indexed
    day_revenue_rate: np.ndarray  # [Y, G, S, C]
    fixed_day_cost: np.ndarray  # [Y, C] SEK per day: contracted places priced per day
    month_days: np.ndarray  # [T] int64 days of each calendar month
    care_months: np.ndarray  # [G] int64 months in care since arrival (0: no leaving by age)
    care_state: np.ndarray  # [G, S] bool: the care states left at that age
    care_cum: np.ndarray  # [G, S] cumulative split of the destinations on leaving care
    claims: tuple[ClaimRisk, ...]  # refused-claim risks

    @property
    def per_day(self) -> bool:
        """Per-day amounts by state: priced with each month's days, so counted by month."""
        return bool(self.day_cost_rate.any() or self.day_revenue_rate.any())

    @property
    def counts_by_month(self) -> bool:
        """The engines count person-months by month (monthly resolution, or per-day
        amounts); the yearly variables are then the sums of the months."""
        return self.monthly or self.per_day

    @property
    def has_uncertainty(self) -> bool:
        return bool(
            self.labour or self.arrival_factor or self.levels or self.shares or self.policies
        )

    @property
    def relocated(self) -> int:
        """The code of ``relocated``: the last state."""
        return len(self.states) - 1

    @property
    def months(self) -> int:
        return 12 * self.years

    @property
    def year_labels(self) -> np.ndarray:
        return np.arange(self.start_year, self.start_year + self.years)

    @property
    def dues_by_month_only(self) -> bool:
        """Relocated dues counted by month due alone: monthly resolution and no whole-amount
        rule, so that the month and the part give the year of arrival."""
        return self.counts_by_month and not bool((self.part_window > 0).any())

    def due_month(self, part: int, arrival_month: np.ndarray) -> np.ndarray:
        """Absolute month in which ``part`` is due for persons arriving in ``arrival_month``."""
        k = int(self.part_k[part])
        if self.part_kind[part] == PART_MONTHS_AFTER:
            return arrival_month + k
        return arrival_month if k == 0 else 12 * (arrival_month // 12 + k)


# --------------------------------------------------------------------------------------
def compile_model(config: Config) -> CompiledModel:
    """Turn a validated config into the arrays the engines and ``expected`` use.

    Raises
    ------
    ConfigError
        If in some month the conditional exit probabilities of a state sum above 1, or if an
        uncertain share's range has no value that fits.
    """
    sim = config.simulation
    components = component_axis(config)
    per_year = planned_per_year(config)
    mix = np.array([config.arrivals.mix[g] for g in config.groups])
    members = np.array([g.size for g in config.groups.values()], dtype=np.int64)
    fixed_arrivals = (
        fixed_split(per_year, mix, members)
        if config.arrivals.distribution == "fixed"
        else np.zeros((12 * sim.years, len(mix)), dtype=np.int64)
    )
    cost_index = index_table(sim.years, config.indexation.costs)
    revenue_index = index_table(sim.years, config.indexation.revenue)
    states = config.state_names
    start_state = np.array([states.index(g.start) for g in config.groups.values()], dtype=np.int64)
    pre, pop = pre_years(config), compile_population(config)
    care = compile_care(config, components, cost_index, revenue_index)
    contracted_per_month = 12.0 * care.pop("fixed_month_cost")  # a year of monthly places
    model = CompiledModel(
        groups=tuple(config.groups),
        states=states,
        components=components,
        start_year=sim.start_year,
        years=sim.years,
        opening=config.balance.opening,
        quantiles=tuple(sim.quantiles),
        runs=sim.runs,
        seed=sim.seed,
        title=config.meta.title,
        monthly=sim.resolution == "month",
        start_state=start_state,
        **compile_transitions(config),
        distribution=config.arrivals.distribution,
        cv=config.arrivals.cv or 0.0,
        per_year=per_year,
        mix=mix,
        members=members,
        household=np.array([g.members is not None for g in config.groups.values()]),
        fixed_arrivals=fixed_arrivals,
        pre_years=pre,
        population=np.stack(
            [pop[k] for k in ("pop_arrival", "pop_group", "pop_state", "pop_months", "pop_count")],
            axis=1,
        ).reshape(-1, 5),
        pop_code=pop["pop_code"],
        cost_rate=rate_table(config, "costs", components, cost_index),
        revenue_rate=rate_table(config, "revenue", components, revenue_index),
        fixed_cost=fixed_table(config.fixed.costs, components, sim.years, cost_index)
        + contracted_per_month,
        fixed_revenue=fixed_table(config.fixed.revenue, components, sim.years, revenue_index),
        **payment_parts(config, components, pre),
        **compile_factors(config, components),
        **care,
    )
    check_share_ranges(model)
    return model
