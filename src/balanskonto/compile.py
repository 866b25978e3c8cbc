"""Compile a :class:`~balanskonto.config.Config` into plain numpy arrays.

This is the one boundary where labels become integer codes: groups by their order in the
config, states by :data:`~balanskonto.config.STATES` (``intro=0 … relocated=4``, which the
kernels rely on), components sorted by name. Nothing downstream sees pydantic or strings
except through the label tuples kept on :class:`CompiledModel`.

Transitions (DESIGN §3.3). For a state entered at duration 1, ``mass_e(d)`` is the
unconditional share that exit ``e`` moves after ``d`` completed months (``at_month = m``: all
of ``share`` at ``d = m``; ``within_months = m``: ``share / m`` at each of ``d = 1 … m``).
It becomes the conditional probability ``q_e(d) = mass_e(d) / alive(d − 1)``, where ``alive``
is the share still in the state after all exits (hazards included). A hazard exit
(``annual_probability = p``) has ``q = 1 − (1 − p)^(1/12)`` every month. At
``d = max_months`` whoever is left after the exits moves by ``on_expiry``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import (
    RESIDENT,
    STATES,
    Config,
    ConfigError,
    Exit,
    Group,
    Payment,
    component_names,
    config_error,
    share_target,
)

N_STATES = len(STATES)
RELOCATED = STATES.index("relocated")
#: Payment part kinds, shared with the kernels.
PART_CALENDAR_YEAR = 0  # part k: k = 0 in the arrival month, else January of arrival year + k
PART_MONTHS_AFTER = 1  # part due k months after the arrival month
#: Duration from which a state is "never" absorbing.
NEVER = np.int64(2**40)
_SUM_TOLERANCE = 1e-12
DISTRIBUTIONS = ("fixed", "poisson", "negative_binomial")


@dataclass(frozen=True)
class LabourFactor:
    sd: float
    autocorrelation: float
    mean: float
    effect: float
    relapse_effect: float


@dataclass(frozen=True)
class ArrivalFactor:
    sd: float  # of the logarithm; 0 with scenarios
    autocorrelation: float
    scenario_factors: tuple[float, ...]  # empty for lognormal
    scenario_weights: tuple[float, ...]


@dataclass(frozen=True)
class LevelFactor:
    name: str  # "level:<component>"
    component: int
    dist: str
    params: tuple[tuple[str, float], ...]  # (parameter, value) as in the config


@dataclass(frozen=True)
class ShareFactor:
    name: str  # "share:<dotted path>"
    group: int
    state: int  # -1: the group's relocation hazard (in every state)
    exit: int  # row in the state's exit array; -1 for the relocation hazard (last row)
    base: float
    mean: float | None  # beta(mean, sd), or uniform(low, high)
    sd: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class PolicyFactor:
    name: str  # "policy[i]:<component>"
    component: int
    from_year: int  # index from start_year
    factor: float
    probability: float


@dataclass(frozen=True, eq=False)
class CompiledModel:
    """Everything the engines and the money assembly need, as arrays.

    Shapes use ``G`` groups, ``S = 5`` states, ``D`` duration rows, ``Y`` years,
    ``T = 12·Y`` months, ``C`` components and ``P`` payment parts.
    """

    groups: tuple[str, ...]
    components: tuple[str, ...]
    start_year: int
    years: int
    opening: float
    quantiles: tuple[float, ...]
    runs: int
    seed: int
    title: str
    # --- transitions -------------------------------------------------------------------
    start_state: np.ndarray  # [G] int64
    q: np.ndarray  # [G, S, D, S] conditional exit probability after d = row + 1 months
    max_months: np.ndarray  # [G, S] int64, 0 = no limit
    expiry: np.ndarray  # [G, S, S] on_expiry shares
    move: np.ndarray  # [G, S, D, S] q with expiry folded in: P(to | in state, row)
    stay: np.ndarray  # [G, S, D] 1 − Σ move
    cum: np.ndarray  # [G, S, D, S] stay + cumulative move, last reachable entry 1.0
    absorbing_from: np.ndarray  # [G, S] int64 duration from which the state is never left
    exits: dict  # (g, s) -> float64 [k, 4] exit rows (to, kind, months, value)
    # --- arrivals ------------------------------------------------------------------------
    distribution: str
    cv: float
    per_year: np.ndarray  # [Y] planned (mean) arrivals per year
    mix: np.ndarray  # [G]
    fixed_arrivals: np.ndarray  # [T, G] int64 deterministic split (fixed distribution only)
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
    part_amount: np.ndarray  # [P, Y] amount by arrival year (SEK)
    group_parts: np.ndarray  # [G + 1] CSR offsets of each group's parts (parts sorted by group)
    payment_component: np.ndarray  # [C] bool: the component is a scheduled payment
    # --- uncertainty and policy (second stage; see balanskonto.uncertainty) ---------------
    labour: LabourFactor | None
    arrival_factor: ArrivalFactor | None
    levels: tuple[LevelFactor, ...]
    shares: tuple[ShareFactor, ...]
    policies: tuple[PolicyFactor, ...]

    @property
    def has_uncertainty(self) -> bool:
        return bool(
            self.labour or self.arrival_factor or self.levels or self.shares or self.policies
        )

    @property
    def months(self) -> int:
        return 12 * self.years

    @property
    def year_labels(self) -> np.ndarray:
        return np.arange(self.start_year, self.start_year + self.years)

    def due_month(self, part: int, arrival_month: np.ndarray) -> np.ndarray:
        """Absolute month in which ``part`` is due for persons arriving in ``arrival_month``."""
        k = int(self.part_k[part])
        if self.part_kind[part] == PART_MONTHS_AFTER:
            return arrival_month + k
        return arrival_month if k == 0 else 12 * (arrival_month // 12 + k)


# --------------------------------------------------------------------------------------
# Transitions
# --------------------------------------------------------------------------------------
def monthly_hazard(annual_probability: float) -> float:
    """Monthly probability of a constant hazard with the given annual probability."""
    return 1.0 - (1.0 - annual_probability) ** (1.0 / 12.0)


#: Exit kinds in the primitive exit arrays (columns: to, kind, months, value).
EXIT_AT, EXIT_WITHIN, EXIT_HAZARD = 0, 1, 2


def _exit_rows(group: Group, state: str) -> np.ndarray:
    """The exits of one state as rows ``[to, kind, months, value]``; the group's relocation
    hazard, if any, is the last row."""
    spec = group.states.get(state)
    exits: list[Exit] = list(spec.exits) if spec is not None else []
    if group.relocation is not None:
        exits.append(group.relocation)
    rows = []
    for e in exits:
        to = STATES.index(e.to)
        if e.annual_probability is not None:
            rows.append((to, EXIT_HAZARD, 0, e.annual_probability))
        elif e.at_month is not None:
            rows.append((to, EXIT_AT, e.at_month, e.share))
        else:
            rows.append((to, EXIT_WITHIN, e.within_months, e.share))
    return np.array(rows, dtype=np.float64).reshape(len(rows), 4)


def state_q(exits: np.ndarray, max_months: int, n_rows: int, gname: str, state: str) -> np.ndarray:
    """Conditional table ``q[d − 1, to]`` of one state from its exit rows (DESIGN §3.3).

    Raises
    ------
    ConfigError
        If in some month the exits need more than is still in the state.
    """
    mass = np.zeros((n_rows, N_STATES))
    hazard = np.zeros(N_STATES)
    for to, kind, months, value in exits:
        to, months = int(to), int(months)
        if kind == EXIT_HAZARD:
            hazard[to] += monthly_hazard(value)
        elif kind == EXIT_AT:
            mass[months - 1, to] += value
        else:
            mass[:months, to] += value / months
    q = np.zeros((n_rows, N_STATES))
    alive = 1.0
    for row in range(n_rows):
        month = row + 1
        need = mass[row].sum() + alive * hazard.sum()  # share of all who entered
        if need > alive * (1.0 + _SUM_TOLERANCE) + _SUM_TOLERANCE:
            raise ConfigError(
                f"groups.{gname}.states.{state}.exits: in month {month} since entering "
                f"{state!r} the exits need {100 * need:.6g} % of everyone who entered, but only "
                f"{100 * alive:.6g} % is still there, so the conditional probabilities sum above 1 "
                f"(group {gname!r}, state {state!r}, month {month}); lower a share, or "
                "time an exit earlier"
            )
        q[row] = hazard + (mass[row] / alive if alive > 0.0 else 0.0)
        total = q[row].sum()
        if total > 1.0:  # rounding only
            q[row] /= total
            total = 1.0
        alive = 0.0 if month == max_months else alive * (1.0 - total)
    return q


def state_q_runs(
    exits: np.ndarray, values: np.ndarray, max_months: int, n_rows: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`state_q` for many runs at once: ``exits`` gives each exit's kind and timing,
    ``values [n, k]`` each run's share or annual probability of every exit.

    Returns
    -------
    q : float64 [n, n_rows, S]
    feasible : bool [n]
        False for a run whose exits need more than is left in some month (its q is then not
        to be used).
    """
    n = values.shape[0]
    mass = np.zeros((n, n_rows, N_STATES))
    hazard = np.zeros((n, N_STATES))
    for e, (to, kind, months, _) in enumerate(exits):
        to, months, v = int(to), int(months), values[:, e]
        if kind == EXIT_HAZARD:
            hazard[:, to] += 1.0 - (1.0 - v) ** (1.0 / 12.0)
        elif kind == EXIT_AT:
            mass[:, months - 1, to] += v
        else:
            mass[:, :months, to] += (v / months)[:, None]
    q = np.zeros((n, n_rows, N_STATES))
    alive = np.ones(n)
    feasible = np.ones(n, dtype=bool)
    hazard_total = hazard.sum(axis=1)
    for row in range(n_rows):
        need = mass[:, row].sum(axis=1) + alive * hazard_total
        feasible &= need <= alive * (1.0 + _SUM_TOLERANCE) + _SUM_TOLERANCE
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(alive[:, None] > 0.0, mass[:, row] / alive[:, None], 0.0)
        q[:, row] = hazard + share
        total = q[:, row].sum(axis=1)
        over = total > 1.0  # rounding only, where feasible
        q[over, row] /= total[over, None]
        total = np.minimum(total, 1.0)
        alive = np.zeros(n) if row + 1 == max_months else alive * (1.0 - total)
    return q, feasible


def fold_tables(q: np.ndarray, max_months: np.ndarray, expiry: np.ndarray) -> dict[str, np.ndarray]:
    """The kernel's form of conditional tables ``q[..., G, S, D, S]`` (any leading dims,
    the last leading dim being years when there is one), with the on_expiry splits
    ``expiry[..., G, S, S]`` (the same leading dims as q, or none: one split for all).

    Returns ``move`` (q with the stayers at ``max_months`` split by ``on_expiry``), ``stay``
    (1 − Σ move), ``cum`` (stay + cumulative move, the last reachable destination closing at
    exactly 1.0 so that rounding can never let a uniform fall past it) and
    ``absorbing_from[..., G, S]`` (the duration from which ``stay`` is 1 in every row and
    every year, over the leading dims except the first).
    """
    G, S, D = q.shape[-4], q.shape[-3], q.shape[-2]
    move = q.copy()
    for g in range(G):
        for s in range(S):
            mm = int(max_months[g, s])
            if mm:
                row = q[..., g, s, mm - 1, :]
                left = np.clip(1.0 - row.sum(axis=-1), 0.0, None)
                move[..., g, s, mm - 1, :] = row + left[..., None] * expiry[..., g, s, :]
    stay = np.clip(1.0 - move.sum(axis=-1), 0.0, 1.0)
    cum = stay[..., None] + np.cumsum(move, axis=-1)
    reachable = move > 0.0
    last = np.where(reachable.any(axis=-1), S - 1 - np.argmax(reachable[..., ::-1], axis=-1), -1)
    idx = np.arange(S)
    cum = np.where((last[..., None] >= 0) & (idx >= last[..., None]), 1.0, cum)
    cum = np.minimum(cum, 1.0)
    # absorbing: stay == 1 from duration d on, in every year (leading dims after the first)
    still = stay == 1.0  # [..., G, S, D]
    if still.ndim > 4:
        still = still.all(axis=tuple(range(1, still.ndim - 3)))
    suffix = np.flip(np.logical_and.accumulate(np.flip(still, axis=-1), axis=-1), axis=-1)
    # first index from which every later row is still; D if none
    first = np.where(suffix.any(axis=-1), np.argmax(suffix, axis=-1), D)
    absorbing_from = np.where(suffix[..., -1], first + 1, NEVER).astype(np.int64)
    absorbing_from[..., RELOCATED] = 1
    return dict(move=move, stay=stay, cum=cum, absorbing_from=absorbing_from)


def share_states(shares: tuple[ShareFactor, ...]) -> dict[tuple[int, int], list[int]]:
    """The states each uncertain share acts on, ``{(group, state): [factor indices]}``: an
    exit's share acts on its state, a group's relocation hazard on every state but relocated."""
    states: dict[tuple[int, int], list[int]] = {}
    for k, f in enumerate(shares):
        for s in range(N_STATES - 1) if f.state < 0 else [f.state]:
            states.setdefault((f.group, s), []).append(k)
    return states


def share_rows(model: CompiledModel, g: int, s: int, values: np.ndarray) -> np.ndarray:
    """The exit rows of state s of group g with every uncertain share on it at ``values[k]``."""
    rows = model.exits[g, s].copy()
    for k in share_states(model.shares).get((g, s), []):
        f = model.shares[k]
        rows[f.exit if f.exit >= 0 else len(rows) - 1, 3] = values[k]
    return rows


def _check_share_ranges(model: CompiledModel) -> None:
    """Refuse an uncertain share whose range no draw can honour: even at its lowest value,
    with every other uncertain share at its lowest (the least any run asks of a state), some
    state's exits would need more than is left."""
    lowest = np.array([0.0 if f.mean is not None else f.low for f in model.shares])

    def fits(g: int, s: int, values: np.ndarray) -> bool:
        try:
            state_q(share_rows(model, g, s, values), int(model.max_months[g, s]),
                    model.q.shape[2], model.groups[g], STATES[s])  # fmt: skip
        except ConfigError:
            return False
        return True

    for (g, s), ks in share_states(model.shares).items():
        if fits(g, s, lowest):
            continue
        k = next((k for k in ks if lowest[k] > model.shares[k].base), ks[0])
        f = model.shares[k]
        rule = (
            f"no run can draw a value that fits: even the range's lowest value {lowest[k]:g} "
            "(with every other uncertain share at its lowest) makes the exits of group "
            f"{model.groups[g]!r}, state {STATES[s]!r} need more than is still in the state "
            "in some month"
        )
        values = lowest.copy()
        values[k] = 0.0
        if fits(g, s, values):  # the largest value that fits, for the message
            lo, hi = 0.0, float(lowest[k])
            for _ in range(40):
                values[k] = (lo + hi) / 2
                lo, hi = (values[k], hi) if fits(g, s, values) else (lo, values[k])
            rule += f"; values above about {lo:.3g} never fit: lower min and max"
        raise config_error(
            f'uncertainty.shares."{f.name.removeprefix("share:")}"',
            {"min": f.low, "max": f.high},
            rule,
        )


def _compile_transitions(config: Config) -> dict:
    groups = list(config.groups.items())
    G, S = len(groups), N_STATES
    exits = {}
    max_months = np.zeros((G, S), dtype=np.int64)
    expiry = np.zeros((G, S, S))
    n_rows = 1
    for g, (_, group) in enumerate(groups):
        for s, state in enumerate(STATES[:RELOCATED]):
            exits[g, s] = _exit_rows(group, state)
            spec = group.states.get(state)
            if spec is not None and spec.max_months:
                max_months[g, s] = spec.max_months
                for to, share in (spec.on_expiry or {}).items():
                    expiry[g, s, STATES.index(to)] = share
            longest = max([int(m) for m in exits[g, s][:, 2]] + [int(max_months[g, s])])
            n_rows = max(n_rows, longest + 1)
    q = np.zeros((G, S, n_rows, S))
    for g, (gname, _) in enumerate(groups):
        for s, state in enumerate(STATES[:RELOCATED]):
            q[g, s] = state_q(exits[g, s], int(max_months[g, s]), n_rows, gname, state)
    tables = fold_tables(q, max_months, expiry)
    return dict(q=q, max_months=max_months, expiry=expiry, exits=exits, **tables)


# --------------------------------------------------------------------------------------
# Arrivals
# --------------------------------------------------------------------------------------
def largest_remainder(total: int, shares: np.ndarray) -> np.ndarray:
    """Split a whole number by shares, rounding by largest remainders (ties: first wins)."""
    exact = total * shares
    base = np.floor(exact + 1e-9).astype(np.int64)
    rest = total - int(base.sum())
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:rest]] += 1
    return base


def spread_over_months(count: int) -> np.ndarray:
    """A year's count spread evenly over 12 months, the remainder to the first months."""
    months = np.full(12, count // 12, dtype=np.int64)
    months[: count % 12] += 1
    return months


def _per_year(config: Config) -> np.ndarray:
    years = config.simulation.years
    per_year = config.arrivals.per_year
    out = np.zeros(years)
    if isinstance(per_year, list):
        out[: len(per_year)] = per_year
    else:
        out[:] = per_year
    return out


def fixed_split(per_year: np.ndarray, mix: np.ndarray) -> np.ndarray:
    """Fixed arrivals ``[T, G]``: each year's count split by mix, then spread over months."""
    years, G = per_year.shape[0], mix.shape[0]
    out = np.zeros((12 * years, G), dtype=np.int64)
    for y, total in enumerate(per_year):
        for g, n in enumerate(largest_remainder(round(total), mix)):
            out[12 * y : 12 * y + 12, g] = spread_over_months(int(n))
    return out


# --------------------------------------------------------------------------------------
# Money
# --------------------------------------------------------------------------------------
def _components(config: Config) -> tuple[str, ...]:
    return tuple(sorted(component_names(config)))


def _uncertainty(config: Config, components: tuple[str, ...]) -> dict:
    unc, start = config.uncertainty, config.simulation.start_year
    groups = list(config.groups)
    labour = None
    if unc.labour_market is not None:
        lm = unc.labour_market
        labour = LabourFactor(lm.sd, lm.autocorrelation, lm.mean, lm.effect, lm.relapse_effect)
    arrival = None
    if unc.arrivals is not None:
        a = unc.arrivals
        sc = a.scenarios or []
        arrival = ArrivalFactor(
            a.sd or 0.0,
            a.autocorrelation,
            tuple(x.factor for x in sc),
            tuple(x.weight for x in sc),
        )
    levels = tuple(
        LevelFactor(
            f"level:{name}",
            components.index(name),
            d.dist,
            tuple(
                (k, v)
                for k in ("mean", "sd", "min", "mode", "max")
                if (v := getattr(d, k)) is not None
            ),
        )
        for name, d in unc.levels.items()
    )
    shares = []
    for path, d in unc.shares.items():
        gname, state, i, field = share_target(config, path)
        group = config.groups[gname]
        if state is None:
            base, s_idx, e_idx = group.relocation.annual_probability, -1, -1
        else:
            base = getattr(group.states[state].exits[i], field)
            s_idx, e_idx = STATES.index(state), i
        shares.append(
            ShareFactor(
                f"share:{path}", groups.index(gname), s_idx, e_idx, base, d.mean, d.sd, d.min, d.max
            )
        )
    policies = tuple(
        PolicyFactor(
            f"policy[{i}]:{p.component}",
            components.index(p.component),
            p.from_year - start,
            p.factor,
            p.probability,
        )
        for i, p in enumerate(config.policy)
    )
    payments = {c for group in config.groups.values() for c in group.payments}
    return dict(
        labour=labour,
        arrival_factor=arrival,
        levels=levels,
        shares=tuple(shares),
        policies=policies,
        payment_component=np.array([c in payments for c in components]),
    )


def _index(years: int, rate: float) -> np.ndarray:
    return (1.0 + rate) ** np.arange(years)


def _rates(config: Config, side: str, components: tuple[str, ...], index: np.ndarray) -> np.ndarray:
    G, C = len(config.groups), len(components)
    monthly = np.zeros((G, N_STATES, C))
    for g, group in enumerate(config.groups.values()):
        for state, amounts in getattr(group, side).items():
            states = STATES[:RELOCATED] if state == RESIDENT else (state,)
            for comp, amount in amounts.items():
                for st in states:
                    monthly[g, STATES.index(st), components.index(comp)] += amount
    return index[:, None, None, None] * monthly[None]


def _fixed(items: dict, components: tuple[str, ...], years: int, index: np.ndarray) -> np.ndarray:
    out = np.zeros((years, len(components)))
    for comp, amount in items.items():
        c = components.index(comp)
        if isinstance(amount, list):
            out[: len(amount), c] = amount
        else:
            out[:, c] = amount
    return out * index[:, None]


def _payment_parts(config: Config, components: tuple[str, ...]) -> dict[str, np.ndarray]:
    years, start = config.simulation.years, config.simulation.start_year
    rows: list[tuple[int, int, int, int, float, float, np.ndarray, int]] = []
    for g, group in enumerate(config.groups.values()):
        for comp, pay in group.payments.items():
            amount = np.array([_amount(pay, start + y) for y in range(years)])
            c = components.index(comp)
            moved, window = pay.relocated_factor, pay.relocated_within_months or 0
            if pay.by_calendar_year is not None:
                for k, share in enumerate(pay.by_calendar_year):
                    rows.append((g, c, PART_CALENDAR_YEAR, k, share, moved, amount, window))
            else:
                for inst in pay.installments or []:
                    rows.append(
                        (
                            g,
                            c,
                            PART_MONTHS_AFTER,
                            inst.month,
                            inst.share,
                            moved,
                            amount,
                            window,
                        )
                    )
    G = len(config.groups)
    counts = np.bincount([r[0] for r in rows], minlength=G) if rows else np.zeros(G, np.int64)
    return dict(
        part_group=np.array([r[0] for r in rows], dtype=np.int64),
        part_component=np.array([r[1] for r in rows], dtype=np.int64),
        part_kind=np.array([r[2] for r in rows], dtype=np.int64),
        part_k=np.array([r[3] for r in rows], dtype=np.int64),
        part_share=np.array([r[4] for r in rows], dtype=np.float64),
        part_relocated_share=np.array([r[5] for r in rows], dtype=np.float64),
        part_amount=np.array([r[6] for r in rows], dtype=np.float64).reshape(len(rows), years),
        part_window=np.array([r[7] for r in rows], dtype=np.int64),
        group_parts=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
    )


def _amount(pay: Payment, year: int) -> float:
    amount = pay.amount_for(year)
    return 0.0 if amount is None else amount  # None only for years with no arrivals


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
    components = _components(config)
    per_year = _per_year(config)
    mix = np.array([config.arrivals.mix[g] for g in config.groups])
    fixed_arrivals = (
        fixed_split(per_year, mix)
        if config.arrivals.distribution == "fixed"
        else np.zeros((12 * sim.years, len(mix)), dtype=np.int64)
    )
    cost_index = _index(sim.years, config.indexation.costs)
    revenue_index = _index(sim.years, config.indexation.revenue)
    start_state = np.array([STATES.index(g.start) for g in config.groups.values()], dtype=np.int64)
    model = CompiledModel(
        groups=tuple(config.groups),
        components=components,
        start_year=sim.start_year,
        years=sim.years,
        opening=config.balance.opening,
        quantiles=tuple(sim.quantiles),
        runs=sim.runs,
        seed=sim.seed,
        title=config.meta.title,
        start_state=start_state,
        **_compile_transitions(config),
        distribution=config.arrivals.distribution,
        cv=config.arrivals.cv or 0.0,
        per_year=per_year,
        mix=mix,
        fixed_arrivals=fixed_arrivals,
        cost_rate=_rates(config, "costs", components, cost_index),
        revenue_rate=_rates(config, "revenue", components, revenue_index),
        fixed_cost=_fixed(config.fixed.costs, components, sim.years, cost_index),
        fixed_revenue=_fixed(config.fixed.revenue, components, sim.years, revenue_index),
        **_payment_parts(config, components),
        **_uncertainty(config, components),
    )
    _check_share_ranges(model)
    return model
