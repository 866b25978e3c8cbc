"""The schema of the ``[uncertainty]`` block and ``[[policy]]`` (DESIGN §10)."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from .types import SUM_TOLERANCE, Name, Probability, StrictModel, Text


# --------------------------------------------------------------------------------------
# Uncertainty (second stage: factors shared by everyone in a run) and policy changes
# --------------------------------------------------------------------------------------
class LabourMarket(StrictModel):
    """A yearly labour-market factor z per run: AR(1), stationary, shared by everyone.

    Exits to ``self_sufficient`` get ``q' = 1 − (1 − q)^exp(effect · z)``: z > 0 is a strong
    labour market, z < 0 a weak one (see docs/uncertainty.md for the scale).
    """

    sd: Annotated[float, Field(ge=0.0, le=5.0)] = 0.0
    autocorrelation: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    mean: Annotated[float, Field(ge=-5.0, le=5.0)] = 0.0
    effect: Annotated[float, Field(ge=0.0, le=5.0)] = 1.0
    relapse_effect: Annotated[float, Field(ge=0.0, le=5.0)] = 0.0


class ArrivalScenario(StrictModel):
    factor: Annotated[float, Field(ge=0.0, le=10.0)]
    weight: Probability


class ArrivalUncertainty(StrictModel):
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
            if abs(total - 1.0) > SUM_TOLERANCE:
                raise ValueError(f"scenario weights must sum to 1 (they sum to {total:g})")
        return value


#: Bounds of the uncertainty parameters that can be simulated (docs/config.md).
MAX_FACTOR = 10.0
MAX_LOG_SD = 3.0
MIN_SHARE_SD = 1e-4


class Distribution(StrictModel):
    """A per-run factor: ``lognormal`` (sd of the logarithm; mean ``mean``), ``normal`` (mean,
    sd), ``triangular`` and ``pert`` (min, mode, max), ``uniform`` (min, max)."""

    # A level factor multiplies amounts (at most 1e10 SEK): its mean and range end at 10,
    # as a policy's factor and an arrival scenario's do, and a lognormal's sd (of the
    # logarithm) at 3, as uncertainty.arrivals.sd; see docs/config.md for why.
    dist: Literal["lognormal", "normal", "triangular", "uniform", "pert"]
    mean: Annotated[float, Field(gt=0.0, le=MAX_FACTOR)] | None = None
    sd: Annotated[float, Field(gt=0.0, le=MAX_LOG_SD)] | None = None
    min: Annotated[float, Field(ge=0.0, le=MAX_FACTOR)] | None = None
    mode: Annotated[float, Field(ge=0.0, le=MAX_FACTOR)] | None = None
    max: Annotated[float, Field(ge=0.0, le=MAX_FACTOR)] | None = None

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


class ShareDistribution(StrictModel):
    """Per-run uncertainty on an exit's share or annual_probability: a beta distribution with
    ``mean`` and ``sd``, or a uniform ``min`` … ``max``."""

    mean: Annotated[float, Field(gt=0.0, lt=1.0)] | None = None
    # sd² < mean·(1 − mean) ≤ 1/4 bounds it above; below 1e-4 (a hundredth of a percentage
    # point) the beta's shape parameters mean·κ, κ = mean·(1 − mean)/sd² − 1, leave what
    # float64 and betaincinv resolve, and the share is as good as fixed (docs/config.md).
    sd: Annotated[float, Field(ge=MIN_SHARE_SD, le=0.5)] | None = None
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


class Uncertainty(StrictModel):
    labour_market: LabourMarket | None = None
    arrivals: ArrivalUncertainty | None = None
    levels: dict[Name, Distribution] = Field(default_factory=dict)
    shares: dict[str, ShareDistribution] = Field(default_factory=dict)


class Policy(StrictModel):
    """A change from a year on: ``factor`` times the component (payments by arrival year,
    per-month and fixed amounts by calendar year), happening with ``probability`` per run."""

    component: Name
    from_year: Annotated[int, Field(ge=1900, le=2200)]
    factor: Annotated[float, Field(ge=0.0, le=10.0)]
    probability: Probability = 1.0
    description: Text = ""
