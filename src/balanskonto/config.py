"""Configuration: TOML text → validated, immutable :class:`Config`.

This module is the only one that reads files. Every error is a :class:`ConfigError` whose
message names the dotted path (``groups.adult.states.intro.exits[2].share``), shows the bad
value and states the rule. Semantic checks that need the compiled tables (conditional exit
probabilities summing above 1) are made by :mod:`balanskonto.compile`, which raises the same
exception.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import tomli_w
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

#: The fixed states, in the order of their integer codes inside the kernels.
STATES: tuple[str, ...] = ("intro", "prolonged", "self_sufficient", "income_support", "relocated")
#: Pseudo-state for per-month amounts: every state but ``relocated``.
RESIDENT = "resident"

_NAME = r"^[a-z][a-z0-9_]*$"
_TOLERANCE = 1e-9  # for "sums to 1" rules


class ConfigError(ValueError):
    """A configuration that cannot be used; the message names path, value and rule."""


def _fmt_value(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def config_error(path: str, value: Any, rule: str) -> ConfigError:
    """Build a :class:`ConfigError` in the project's one message format."""
    return ConfigError(f"{path}: {rule} (got {_fmt_value(value)})")


# --------------------------------------------------------------------------------------
# Schema. Strict types: "10" is not a number, true is not 1. Floats accept integers.
# --------------------------------------------------------------------------------------
_STRICT = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

Name = Annotated[str, Field(pattern=_NAME)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Amount = Annotated[float, Field(ge=0.0, le=1e10)]  # SEK; 10 000 Mkr bounds any real line
Persons = Annotated[float, Field(ge=0.0, le=1e6)]  # arrivals a year
Months = Annotated[int, Field(ge=1, le=1200)]
StateName = Literal["intro", "prolonged", "self_sufficient", "income_support", "relocated"]
AmountState = Literal[
    "intro", "prolonged", "self_sufficient", "income_support", "relocated", "resident"
]
YearlyAmount = Amount | list[Amount]


class _Model(BaseModel):
    model_config = _STRICT


class Meta(_Model):
    title: str = "balanskonto model"
    municipality: str = ""
    description: str = ""
    source: str = ""


class Simulation(_Model):
    start_year: Annotated[int, Field(ge=1900, le=2200)]
    years: Annotated[int, Field(ge=1, le=100)]
    runs: Annotated[int, Field(ge=1, le=10_000_000)] = 1000
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    quantiles: list[Annotated[float, Field(gt=0.0, lt=1.0)]] = Field(
        default_factory=lambda: [0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95], min_length=1
    )

    @field_validator("quantiles")
    @classmethod
    def _increasing(cls, value: list[float]) -> list[float]:
        if any(b <= a for a, b in itertools.pairwise(value)):
            raise ValueError("quantiles must be strictly increasing")
        return value


class Balance(_Model):
    opening: Annotated[float, Field(ge=-1e12, le=1e12)] = 0.0


class Arrivals(_Model):
    per_year: Persons | list[Persons]
    distribution: Literal["fixed", "poisson", "negative_binomial"] = "fixed"
    cv: Annotated[float, Field(gt=0.0, le=10.0)] | None = None
    mix: dict[Name, Probability]


class Exit(_Model):
    """One way out of a state; exactly one of ``at_month``, ``within_months`` and
    ``annual_probability`` gives its timing."""

    to: StateName
    share: Probability | None = None
    at_month: Months | None = None
    within_months: Months | None = None
    annual_probability: Probability | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Exit:
        timed = [k for k in ("at_month", "within_months") if getattr(self, k) is not None]
        if self.annual_probability is not None:
            if timed or self.share is not None:
                raise ValueError(
                    "an exit is either { to, annual_probability } or { to, share, at_month } or "
                    "{ to, share, within_months }: annual_probability takes no share or months"
                )
        elif len(timed) != 1 or self.share is None:
            raise ValueError(
                "an exit needs share with exactly one of at_month or within_months, "
                "or annual_probability alone"
            )
        return self

    @property
    def last_month(self) -> int:
        """Last month since entry in which this exit moves anyone (0 for hazards)."""
        return self.at_month or self.within_months or 0


class StateSpec(_Model):
    exits: list[Exit] = Field(default_factory=list)
    max_months: Months | None = None
    on_expiry: dict[StateName, Probability] | None = None

    @field_validator("on_expiry")
    @classmethod
    def _expiry_sum(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is not None:
            total = sum(value.values())
            if abs(total - 1.0) > _TOLERANCE:
                raise ValueError(f"on_expiry shares must sum to 1 (they sum to {total:g})")
        return value

    @model_validator(mode="after")
    def _expiry(self) -> StateSpec:
        if (self.max_months is None) != (self.on_expiry is None):
            raise ValueError("max_months and on_expiry go together: give both or neither")
        return self


class Installment(_Model):
    month: Annotated[int, Field(ge=0, le=1200)]
    share: Probability


class Payment(_Model):
    """A per-person payment (e.g. ``schablon``) paid in parts after arrival."""

    amount: Amount | None = None
    amount_by_arrival_year: dict[str, Amount] | None = None
    by_calendar_year: list[Probability] | None = None
    installments: list[Installment] | None = None
    #: Per part: a part due while the person has moved away comes times this (default 0).
    relocated_share: Probability | None = None
    #: Of the whole amount: a person who moves within ``relocated_within_months`` of arrival
    #: brings this share of the amount in all (its parts already paid are corrected at the
    #: move); one who moves later brings the whole amount.
    relocated_share_of_amount: Probability | None = None
    relocated_within_months: Annotated[Months | None, Field(validate_default=True)] = None

    @field_validator("relocated_share_of_amount")
    @classmethod
    def _one_rule_for_movers(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is not None and info.data.get("relocated_share") is not None:
            raise ValueError(
                "give relocated_share (each part due after the move) or "
                "relocated_share_of_amount (of the whole amount, for a move within "
                "relocated_within_months), not both"
            )
        return value

    @field_validator("relocated_within_months")
    @classmethod
    def _window(cls, value: int | None, info: ValidationInfo) -> int | None:
        if "relocated_share_of_amount" not in info.data:
            return value  # that key failed its own check and is reported there
        if value is None and info.data["relocated_share_of_amount"] is not None:
            raise ValueError(
                "is required with relocated_share_of_amount: the months after arrival within "
                "which a move brings that share of the amount (Södertälje: 12)"
            )
        if value is not None and info.data["relocated_share_of_amount"] is None:
            raise ValueError("goes with relocated_share_of_amount; give both or neither")
        return value

    @property
    def relocated_factor(self) -> float:
        """The factor on what a mover loses: of a part due after the move (per-part rule), or
        of every part (whole-amount rule, for a move within the window)."""
        if self.relocated_share_of_amount is not None:
            return self.relocated_share_of_amount
        return 0.0 if self.relocated_share is None else self.relocated_share

    @field_validator("amount_by_arrival_year")
    @classmethod
    def _year_keys(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is not None:
            if not value:
                raise ValueError("amount_by_arrival_year needs at least one year")
            for key in value:
                if not re.fullmatch(r"\d{4}", key):
                    raise ValueError(f"amount_by_arrival_year keys are years, not {key!r}")
        return value

    @field_validator("by_calendar_year", "installments")
    @classmethod
    def _parts_sum(cls, value: list[Any] | None) -> list[Any] | None:
        if value is not None:
            parts = [p.share if isinstance(p, Installment) else p for p in value]
            if not parts:
                raise ValueError("a payment needs at least one part")
            if abs(sum(parts) - 1.0) > _TOLERANCE:
                raise ValueError(
                    f"the parts of a payment must sum to 1 (they sum to {sum(parts):g})"
                )
        return value

    @model_validator(mode="after")
    def _forms(self) -> Payment:
        if (self.amount is None) == (self.amount_by_arrival_year is None):
            raise ValueError("give exactly one of amount or amount_by_arrival_year")
        if (self.by_calendar_year is None) == (self.installments is None):
            raise ValueError("give exactly one of by_calendar_year or installments")
        return self

    def amount_for(self, arrival_year: int) -> float | None:
        """The amount for persons arriving in ``arrival_year`` (None if no level applies).

        With ``amount_by_arrival_year`` a level holds from its year until the next listed one.
        """
        if self.amount is not None:
            return self.amount
        assert self.amount_by_arrival_year is not None
        years = sorted(int(y) for y in self.amount_by_arrival_year)
        earlier = [y for y in years if y <= arrival_year]
        return self.amount_by_arrival_year[str(earlier[-1])] if earlier else None


Flows = dict[AmountState, dict[Name, Amount]]


class Group(_Model):
    start: StateName
    states: dict[StateName, StateSpec] = Field(default_factory=dict)
    relocation: Exit | None = None
    costs: Flows = Field(default_factory=dict)
    revenue: Flows = Field(default_factory=dict)
    payments: dict[Name, Payment] = Field(default_factory=dict)

    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        if value == "relocated":
            raise ValueError("a group cannot start in 'relocated'")
        return value

    @field_validator("relocation", mode="before")
    @classmethod
    def _relocation_form(cls, value: Any) -> Any:
        # relocation = { annual_probability = p } is an Exit to 'relocated' with no 'to' given;
        # to = "relocated" is let through, as Config.to_dict() (with_overrides, toml) gives it.
        if isinstance(value, Mapping):
            extra = sorted(set(value) - {"annual_probability"})
            if extra == ["to"] and value["to"] == "relocated":
                return dict(value)
            if extra:
                raise ValueError(f"relocation takes only annual_probability (not {extra})")
            return {"to": "relocated", **value}
        return value


class Fixed(_Model):
    revenue: dict[Name, YearlyAmount] = Field(default_factory=dict)
    costs: dict[Name, YearlyAmount] = Field(default_factory=dict)


class Indexation(_Model):
    costs: Annotated[float, Field(gt=-1.0, le=1.0)] = 0.0
    revenue: Annotated[float, Field(gt=-1.0, le=1.0)] = 0.0


# --------------------------------------------------------------------------------------
# Uncertainty (second stage: factors shared by everyone in a run) and policy changes
# --------------------------------------------------------------------------------------
class LabourMarket(_Model):
    """A yearly labour-market factor z per run: AR(1), stationary, shared by everyone.

    Exits to ``self_sufficient`` get ``q' = 1 − (1 − q)^exp(effect · z)``: z > 0 is a strong
    labour market, z < 0 a weak one (see docs/uncertainty.md for the scale).
    """

    sd: Annotated[float, Field(ge=0.0, le=5.0)] = 0.0
    autocorrelation: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    mean: Annotated[float, Field(ge=-5.0, le=5.0)] = 0.0
    effect: Annotated[float, Field(ge=0.0, le=5.0)] = 1.0
    relapse_effect: Annotated[float, Field(ge=0.0, le=5.0)] = 0.0


class ArrivalScenario(_Model):
    factor: Annotated[float, Field(ge=0.0, le=10.0)]
    weight: Probability


class ArrivalUncertainty(_Model):
    """A per-run, per-year multiplier on planned arrivals: lognormal with mean 1 (``sd`` of
    its logarithm, optionally ``autocorrelation`` between years), or one of ``scenarios``
    drawn per run by weight and held for the whole horizon."""

    sd: Annotated[float, Field(gt=0.0, le=3.0)] | None = None
    autocorrelation: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    scenarios: Annotated[list[ArrivalScenario], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> ArrivalUncertainty:
        if (self.sd is None) == (self.scenarios is None):
            raise ValueError("give exactly one of sd (lognormal) or scenarios (weights)")
        if self.scenarios is not None and self.autocorrelation:
            raise ValueError("autocorrelation goes with sd, not with scenarios")
        return self

    @field_validator("scenarios")
    @classmethod
    def _weights(cls, value: list[ArrivalScenario] | None) -> list[ArrivalScenario] | None:
        if value is not None:
            total = sum(s.weight for s in value)
            if abs(total - 1.0) > _TOLERANCE:
                raise ValueError(f"scenario weights must sum to 1 (they sum to {total:g})")
        return value


class Distribution(_Model):
    """A per-run factor: ``lognormal`` (sd of the logarithm; mean ``mean``), ``normal`` (mean,
    sd), ``triangular`` and ``pert`` (min, mode, max), ``uniform`` (min, max)."""

    dist: Literal["lognormal", "normal", "triangular", "uniform", "pert"]
    mean: Annotated[float, Field(gt=0.0)] | None = None
    sd: Annotated[float, Field(gt=0.0)] | None = None
    min: Annotated[float, Field(ge=0.0)] | None = None
    mode: Annotated[float, Field(ge=0.0)] | None = None
    max: Annotated[float, Field(ge=0.0)] | None = None

    @model_validator(mode="after")
    def _parameters(self) -> Distribution:
        needed = {
            "lognormal": {"sd"},
            "normal": {"sd"},
            "triangular": {"min", "mode", "max"},
            "pert": {"min", "mode", "max"},
            "uniform": {"min", "max"},
        }[self.dist]
        optional = {"mean"} if self.dist in ("lognormal", "normal") else set()
        given = {k for k in ("mean", "sd", "min", "mode", "max") if getattr(self, k) is not None}
        if needed - given:
            raise ValueError(
                f"{self.dist} needs {sorted(needed)} (missing {sorted(needed - given)})"
            )
        extra = given - needed - optional
        if extra:
            raise ValueError(f"{self.dist} takes {sorted(needed | optional)}, not {sorted(extra)}")
        if self.dist == "normal" and self.sd > (self.mean or 1.0) / 4:
            raise ValueError(
                "a normal level factor needs sd <= mean / 4 so that it stays positive; "
                "use lognormal for a wider spread"
            )
        if self.min is not None and self.max is not None and not self.min < self.max:
            raise ValueError("min must be below max")
        if self.mode is not None and not self.min <= self.mode <= self.max:
            raise ValueError("mode must lie between min and max")
        return self


class ShareDistribution(_Model):
    """Per-run uncertainty on an exit's share or annual_probability: a beta distribution with
    ``mean`` and ``sd``, or a uniform ``min`` … ``max``."""

    mean: Annotated[float, Field(gt=0.0, lt=1.0)] | None = None
    sd: Annotated[float, Field(gt=0.0)] | None = None
    min: Probability | None = None
    max: Probability | None = None

    @model_validator(mode="after")
    def _form(self) -> ShareDistribution:
        beta = self.mean is not None or self.sd is not None
        uniform = self.min is not None or self.max is not None
        if (
            beta == uniform
            or (beta and (self.mean is None or self.sd is None))
            or (uniform and (self.min is None or self.max is None))
        ):
            raise ValueError("give { mean, sd } (a beta distribution) or { min, max } (uniform)")
        if beta and self.sd**2 >= self.mean * (1 - self.mean):
            raise ValueError(
                f"a beta distribution with mean {self.mean:g} needs sd below "
                f"sqrt(mean·(1 − mean)) = {math.sqrt(self.mean * (1 - self.mean)):.4g}"
            )
        if uniform and not self.min < self.max:
            raise ValueError("min must be below max")
        return self


class Uncertainty(_Model):
    labour_market: LabourMarket | None = None
    arrivals: ArrivalUncertainty | None = None
    levels: dict[Name, Distribution] = Field(default_factory=dict)
    shares: dict[str, ShareDistribution] = Field(default_factory=dict)


class Policy(_Model):
    """A change from a year on: ``factor`` times the component (payments by arrival year,
    per-month and fixed amounts by calendar year), happening with ``probability`` per run."""

    component: Name
    from_year: Annotated[int, Field(ge=1900, le=2200)]
    factor: Annotated[float, Field(ge=0.0, le=10.0)]
    probability: Probability = 1.0
    description: str = ""


class Config(_Model):
    """A validated model configuration (immutable). See docs/config.md."""

    meta: Meta = Field(default_factory=Meta)
    simulation: Simulation
    balance: Balance = Field(default_factory=Balance)
    arrivals: Arrivals
    groups: Annotated[dict[Name, Group], Field(min_length=1)]
    fixed: Fixed = Field(default_factory=Fixed)
    indexation: Indexation = Field(default_factory=Indexation)
    uncertainty: Uncertainty = Field(default_factory=Uncertainty)
    policy: list[Policy] = Field(default_factory=list)

    _source_text: str | None = PrivateAttr(default=None)

    @property
    def toml(self) -> str:
        """The config as TOML: the file's own text when loaded unchanged, else a canonical dump."""
        if self._source_text is not None:
            return self._source_text
        return tomli_w.dumps(self.to_dict())

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.toml.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (TOML-compatible) of the config: ``None`` fields left out."""
        return self.model_dump(mode="python", exclude_none=True)

    def with_overrides(self, overrides: Mapping[str, Any]) -> Config:
        """A new config with dotted-path overrides applied and validated again.

        ``{"arrivals.per_year": [900], "groups.adult.states.intro.exits[1].share": 0.2}``.
        An unknown path is a :class:`ConfigError` that names it.
        """
        raw = self.to_dict()
        for path, value in overrides.items():
            set_dotted(raw, path, value)
        return config_from_dict(raw)


# --------------------------------------------------------------------------------------
# Cross-field rules: each names its dotted path.
# --------------------------------------------------------------------------------------
def component_names(config: Config) -> set[str]:
    """Every component the config names (per-state amounts, payments, fixed items)."""
    names: set[str] = set()
    for group in config.groups.values():
        for flows in (group.costs, group.revenue):
            for amounts in flows.values():
                names.update(amounts)
        names.update(group.payments)
    names.update(config.fixed.revenue)
    names.update(config.fixed.costs)
    return names


_SHARE_PATH = re.compile(
    r"^groups\.(?P<group>[a-z][a-z0-9_]*)\.(?:states\.(?P<state>[a-z_]+)\.exits\[(?P<exit>\d+)\]"
    r"\.(?P<field>share|annual_probability)|relocation\.annual_probability)$"
)


def share_target(config: Config, path: str) -> tuple[str, str | None, int | None, str]:
    """(group, state, exit index, field) of an ``uncertainty.shares`` key; state and exit are
    None for a group's relocation hazard. Raises ConfigError naming the key."""
    where = f'uncertainty.shares."{path}"'
    m = _SHARE_PATH.match(path)
    if not m:
        raise config_error(
            where,
            path,
            "must name an exit's share or annual_probability "
            "(groups.G.states.S.exits[i].share) or groups.G.relocation.annual_probability",
        )
    group = config.groups.get(m["group"])
    if group is None:
        raise config_error(where, path, f"names no group (groups: {sorted(config.groups)})")
    if m["state"] is None:
        if group.relocation is None:
            raise config_error(where, path, f"group {m['group']!r} has no relocation hazard")
        return m["group"], None, None, "annual_probability"
    spec = group.states.get(m["state"])
    i = int(m["exit"])
    if spec is None or i >= len(spec.exits):
        raise config_error(where, path, "names no exit of the config")
    ex = spec.exits[i]
    if getattr(ex, m["field"]) is None:
        other = "share" if m["field"] == "annual_probability" else "annual_probability"
        raise config_error(where, path, f"this exit has {other}, not {m['field']}")
    return m["group"], m["state"], i, m["field"]


def _check_uncertainty(config: Config) -> None:
    years, start = config.simulation.years, config.simulation.start_year
    components = component_names(config)
    for name in config.uncertainty.levels:
        if name not in components:
            raise config_error(
                f"uncertainty.levels.{name}",
                name,
                f"names no component of the config (components: {sorted(components)})",
            )
    for path in config.uncertainty.shares:
        share_target(config, path)
    for i, pol in enumerate(config.policy):
        if pol.component not in components:
            raise config_error(
                f"policy[{i}].component",
                pol.component,
                f"names no component of the config (components: {sorted(components)})",
            )
        if not start <= pol.from_year < start + years:
            raise config_error(
                f"policy[{i}].from_year",
                pol.from_year,
                f"year outside the horizon {start}–{start + years - 1}",
            )


def _check_semantics(config: Config) -> None:
    years = config.simulation.years
    start = config.simulation.start_year
    groups = config.groups
    mix = config.arrivals.mix

    for name in mix:
        if name not in groups:
            raise config_error(
                f"arrivals.mix.{name}", mix[name], f"names no group (groups: {sorted(groups)})"
            )
    for name in groups:
        if name not in mix:
            raise config_error(
                "arrivals.mix",
                dict(mix),
                f"must give a share for every group; add {name} = 0.0 if none arrive",
            )
    total = sum(mix.values())
    if abs(total - 1.0) > _TOLERANCE:
        raise config_error(
            "arrivals.mix", dict(mix), f"shares must sum to 1 (they sum to {total:g})"
        )

    per_year = config.arrivals.per_year
    counts = per_year if isinstance(per_year, list) else [per_year] * years
    if isinstance(per_year, list) and len(per_year) > years:
        raise config_error(
            "arrivals.per_year", per_year, f"has more entries than simulation.years = {years}"
        )
    if config.arrivals.distribution == "fixed":
        for i, n in enumerate(counts):
            if n != math.floor(n):
                path = (
                    f"arrivals.per_year[{i}]" if isinstance(per_year, list) else "arrivals.per_year"
                )
                raise config_error(path, n, "fixed arrivals are whole persons")
    if config.arrivals.distribution != "negative_binomial" and config.arrivals.cv is not None:
        raise config_error(
            "arrivals.cv",
            config.arrivals.cv,
            "is only used with distribution = 'negative_binomial'",
        )
    if config.arrivals.distribution == "negative_binomial":
        cv = config.arrivals.cv
        if cv is None:
            raise config_error(
                "arrivals.cv",
                cv,
                "is required with distribution = 'negative_binomial' (the CV of a year's count)",
            )
        for i, n in enumerate(counts):
            if n > 0 and cv * cv <= 1.0 / n:
                raise config_error(
                    "arrivals.cv",
                    cv,
                    f"must exceed the Poisson CV 1/sqrt(per_year) = {1 / math.sqrt(n):.4g} "
                    f"of year {start + i} (use distribution = 'poisson' for less spread)",
                )

    for side in ("revenue", "costs"):
        for comp, amount in getattr(config.fixed, side).items():
            if isinstance(amount, list) and len(amount) > years:
                raise config_error(
                    f"fixed.{side}.{comp}",
                    amount,
                    f"has more entries than simulation.years = {years}",
                )

    for gname, group in groups.items():
        base = f"groups.{gname}"
        for sname, spec in group.states.items():
            spath = f"{base}.states.{sname}"
            if sname == "relocated":
                raise config_error(spath, sname, "'relocated' is absorbing and takes no exits")
            for i, ex in enumerate(spec.exits):
                if ex.to == sname:
                    raise config_error(
                        f"{spath}.exits[{i}].to", ex.to, "an exit leads to another state"
                    )
                if spec.max_months is not None and ex.last_month > spec.max_months:
                    raise config_error(
                        f"{spath}.exits[{i}]",
                        ex.last_month,
                        f"is timed after max_months = {spec.max_months}",
                    )
            if spec.on_expiry is not None and sname in spec.on_expiry:
                raise config_error(
                    f"{spath}.on_expiry.{sname}",
                    spec.on_expiry[sname],
                    "expiry leads to another state",
                )
        for side in ("costs", "revenue"):
            flows = getattr(group, side)
            if RESIDENT in flows:
                for state in flows:
                    if state != RESIDENT and state != "relocated":
                        clash = set(flows[state]) & set(flows[RESIDENT])
                        if clash:
                            raise config_error(
                                f"{base}.{side}.{state}.{sorted(clash)[0]}",
                                flows[state][sorted(clash)[0]],
                                "is also given for 'resident' (which covers every state but "
                                "relocated); give it in one place",
                            )
        for comp, pay in group.payments.items():
            ppath = f"{base}.payments.{comp}"
            if pay.amount_by_arrival_year is not None:
                for key in pay.amount_by_arrival_year:
                    if not start <= int(key) < start + years:
                        raise config_error(
                            f"{ppath}.amount_by_arrival_year.{key}",
                            pay.amount_by_arrival_year[key],
                            f"year outside the horizon {start}–{start + years - 1}",
                        )
                for i, n in enumerate(counts):
                    if n > 0 and pay.amount_for(start + i) is None:
                        raise config_error(
                            f"{ppath}.amount_by_arrival_year",
                            pay.amount_by_arrival_year,
                            f"gives no amount for arrival year {start + i} "
                            "(a level holds from its year on; list an earlier year)",
                        )
            if pay.by_calendar_year is not None and len(pay.by_calendar_year) > years:
                raise config_error(
                    f"{ppath}.by_calendar_year",
                    pay.by_calendar_year,
                    f"has more parts than simulation.years = {years}",
                )


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------
_UNION_TAG = re.compile(r"^(float|int|str|bool|list\[.*\]|dict\[.*\]|function-.*|constrained-.*)$")


def _loc_to_path(loc: Sequence[Any]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part == "[key]" or _UNION_TAG.match(str(part)):
            continue  # pydantic's union, validator and dict-key tags mean nothing to an author
        else:
            path += ("." if path else "") + str(part)
    return path or "(top level)"


def _other_branch_went_deeper(e: Any, errors: Sequence[Any]) -> bool:
    """True for a union branch rejected only for its type ("not a number") where another
    branch of the same union failed inside the value ("[1]: not a number"): noise."""
    loc = e["loc"]
    if not e["type"].endswith("_type") or not loc or not _UNION_TAG.match(str(loc[-1])):
        return False
    i = len(loc) - 1
    return any(
        len(o["loc"]) > i + 1 and tuple(o["loc"][:i]) == tuple(loc[:i]) and o["loc"][i] != loc[i]
        for o in errors
    )


def _from_validation_error(err: ValidationError) -> ConfigError:
    # For a value that may be a number or a list, pydantic reports both branches; show the
    # first error per path, which is the one a config author can act on, and drop a branch
    # rejected for its type when the other branch got into the value.
    lines: list[str] = []
    seen: set[str] = set()
    errors = err.errors(include_url=False)
    for e in errors:
        if _other_branch_went_deeper(e, errors):
            continue
        path = _loc_to_path(e["loc"])
        if path in seen:
            continue
        seen.add(path)
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key (check its spelling; see docs/config.md for the keys)"
        elif e["type"] == "missing":
            lines.append(f"{path}: required key is missing")
            continue
        lines.append(f"{path}: {msg} (got {_fmt_value(e.get('input'))})")
    if len(lines) == 1:
        return ConfigError(lines[0])
    return ConfigError(f"{len(lines)} problems in the config:\n  " + "\n  ".join(lines))


def config_from_dict(raw: Mapping[str, Any], *, source_text: str | None = None) -> Config:
    """Validate a nested dict (as parsed from TOML) into a :class:`Config`."""
    try:
        config = Config.model_validate(dict(raw))
    except ValidationError as err:
        raise _from_validation_error(err) from None
    _check_semantics(config)
    _check_uncertainty(config)
    config._source_text = source_text
    return config


def parse_config(text: str) -> Config:
    """Parse and validate TOML text."""
    if not text.strip():
        raise ConfigError("(file): the config is empty; see configs/ for complete examples")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"(file): not valid TOML: {err}") from None
    return config_from_dict(raw, source_text=text)


def read_text_file(path: Path, kind: str = "config") -> str:
    """The UTF-8 text of a config or batch file; a ConfigError naming the file otherwise."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such {kind} file") from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text ({err.reason})") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read ({err.strerror})") from None


def read_config(path: str | Path) -> Config:
    """Read and validate a TOML file (schema and cross-field rules, not the compiled tables)."""
    path = Path(path)
    text = read_text_file(path)
    try:
        return parse_config(text)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None


# --------------------------------------------------------------------------------------
# Dotted paths ("groups.adult.states.intro.exits[2].share")
# --------------------------------------------------------------------------------------
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _split_path(path: str) -> list[str | int]:
    steps: list[str | int] = []
    pos = 0
    for m in _STEP.finditer(path):
        if m.start() != pos and path[pos : m.start()] != ".":
            raise ConfigError(
                f"{path}: not a dotted path like groups.adult.states.intro.max_months"
            )
        steps.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if pos != len(path) or not steps:
        raise ConfigError(f"{path}: not a dotted path like groups.adult.states.intro.max_months")
    return steps


def set_dotted(raw: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at a dotted path in a nested dict, in place.

    The last key may be new (it is validated afterwards). Every key before it must exist,
    except optional tables that a config may leave out (``uncertainty.labour_market``,
    ``fixed.costs``, ``groups.G.states.S``, …), which are created empty, so that a scenario
    can set ``uncertainty.labour_market.mean`` on a base without uncertainty.
    """
    steps = _split_path(path)
    node: Any = raw
    for i, step in enumerate(steps[:-1]):
        nxt = node[step] if _has(node, step) else None
        if nxt is None and isinstance(node, dict) and _optional_table(steps[: i + 1]):
            nxt = node[step] = {}
        if nxt is None:
            walked = path if i == 0 else _join(steps[: i + 1])
            raise ConfigError(f"{walked}: no such key in the config (override {path!r})")
        node = nxt
    last = steps[-1]
    if isinstance(last, int):
        if not (isinstance(node, list) and 0 <= last < len(node)):
            raise ConfigError(f"{path}: no such list item in the config")
        node[last] = copy.deepcopy(value)
    else:
        if not isinstance(node, dict):
            raise ConfigError(f"{path}: {_join(steps[:-1])} is not a table")
        node[last] = copy.deepcopy(value)


_OPTIONAL_TOP = {"meta", "balance", "fixed", "indexation", "uncertainty"}
_OPTIONAL_UNDER = {
    "uncertainty": {"labour_market", "arrivals", "levels", "shares"},
    "fixed": {"revenue", "costs"},
}


def _optional_table(steps: Sequence[str | int]) -> bool:
    """Whether the table at ``steps`` may be created by an override when it is missing."""
    if any(isinstance(s, int) for s in steps):
        return False
    if len(steps) == 1:
        return steps[0] in _OPTIONAL_TOP
    if len(steps) == 2:
        return steps[1] in _OPTIONAL_UNDER.get(str(steps[0]), set())
    if steps[0] == "groups" and len(steps) == 3:
        return steps[2] in {"states", "costs", "revenue", "payments"}
    if steps[0] == "groups" and len(steps) == 4:
        return steps[2] in {"states", "costs", "revenue"}
    return False


def _has(node: Any, step: str | int) -> bool:
    if isinstance(step, int):
        return isinstance(node, list) and 0 <= step < len(node)
    return isinstance(node, dict) and step in node


def _join(steps: Sequence[str | int]) -> str:
    out = ""
    for s in steps:
        out += f"[{s}]" if isinstance(s, int) else ("." if out else "") + s
    return out
