"""Compiled uncertainty specs, and the container of a chunk's factor values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..config.schema import Config
from ..config.semantics import share_target
from .transitions import exit_row

if TYPE_CHECKING:
    from .compiled import CompiledModel


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
    exit: int  # first row in the state's exit array; -1 for the relocation hazard (last row)
    base: float  # the config's value (a monthly_shares curve: its total)
    mean: float | None  # beta(mean, sd), or uniform(low, high)
    sd: float | None
    low: float | None
    high: float | None
    #: The value's part in each of the exit's rows: (1.0,) for a share or probability; for a
    #: ``monthly_shares`` curve its masses over their total, so a drawn total scales the curve.
    weights: tuple[float, ...] = (1.0,)

    def columns(self, n_rows: int) -> slice:
        """The exit's rows in a state's exit array of ``n_rows`` rows."""
        first = n_rows - 1 if self.exit < 0 else self.exit
        return slice(first, first + len(self.weights))


@dataclass(frozen=True)
class PolicyFactor:
    name: str  # "policy[i]:<component>"
    component: int
    from_year: int  # index from start_year
    factor: float
    probability: float


def compile_factors(config: Config, components: tuple[str, ...]) -> dict:
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
        weights: tuple[float, ...] = (1.0,)
        if state is None:
            base, s_idx, e_idx = group.relocation.annual_probability, -1, -1
        else:
            exits = group.states[state].exits
            base = getattr(exits[i], field)
            s_idx, e_idx = config.state_names.index(state), exit_row(exits, i)
            if field == "monthly_shares":
                base = sum(exits[i].monthly_shares)
                weights = tuple(m / base for m in exits[i].monthly_shares)
        shares.append(
            ShareFactor(
                f"share:{path}",
                groups.index(gname),
                s_idx,
                e_idx,
                base,
                d.mean,
                d.sd,
                d.min,
                d.max,
                weights,
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


# --------------------------------------------------------------------------------------
@dataclass
class Draws:
    """The factors of a chunk of runs."""

    labour: np.ndarray | None  # [n, Y] z
    arrivals: np.ndarray | None  # [n, Y] multiplier on planned arrivals
    levels: np.ndarray  # [n, L] multipliers
    shares: np.ndarray  # [n, K] values (capped where infeasible, see chunk_tables)
    policies: np.ndarray  # [n, P] multipliers applied
    claims: np.ndarray | None = None  # [n, Y, K] 1.0 where claim year y's claim k is refused

    def per_run(self, model: CompiledModel) -> tuple[list[str], np.ndarray]:
        names = [f.name for f in (*model.levels, *model.shares, *model.policies)]
        values = np.concatenate([self.levels, self.shares, self.policies], axis=1)
        return names, values

    def per_year(self, model: CompiledModel | None = None) -> tuple[list[str], np.ndarray | None]:
        names, arrays = [], []
        for name, a in (("labour_market", self.labour), ("arrivals", self.arrivals)):
            if a is not None:
                names.append(name)
                arrays.append(a)
        if self.claims is not None and model is not None:
            for k, claim in enumerate(model.claims):
                names.append(claim.name)
                arrays.append(self.claims[:, :, k])
        return names, (np.stack(arrays, axis=-1) if arrays else None)
