"""The top-level schema: :class:`Config` and its simple tables."""

from __future__ import annotations

import hashlib
import itertools
import unicodedata
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import tomli_w
from pydantic import (
    AfterValidator,
    Field,
    PrivateAttr,
    field_validator,
)

from .care import Contracted, RefusedClaim
from .groups import Group
from .population import Population
from .types import (
    RELOCATED_STATE,
    STATES,
    Name,
    Persons,
    Probability,
    StrictModel,
    Text,
    YearlyAmount,
)
from .uncertainty import Policy, Uncertainty


class Meta(StrictModel):
    title: Text = "balanskonto model"
    municipality: Text = ""
    description: Text = ""
    source: Text = ""
    #: dotted key → where its value comes from (the appendix's table of main assumptions)
    sources: dict[str, Text] = Field(default_factory=dict)


class Simulation(StrictModel):
    start_year: Annotated[int, Field(ge=1900, le=2200)]
    years: Annotated[int, Field(ge=1, le=100)]
    runs: Annotated[int, Field(ge=1, le=10_000_000)] = 1000
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    quantiles: list[Annotated[float, Field(gt=0.0, lt=1.0)]] = Field(
        default_factory=lambda: [0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95], min_length=1
    )
    #: "month" adds the monthly variables (DESIGN §12) to the yearly ones.
    resolution: Literal["year", "month"] = "year"

    @field_validator("quantiles")
    @classmethod
    def _increasing(cls, value: list[float]) -> list[float]:
        if any(b <= a for a, b in itertools.pairwise(value)):
            raise ValueError("quantiles must be strictly increasing")
        return value


class Balance(StrictModel):
    opening: Annotated[float, Field(ge=-1e12, le=1e12)] = 0.0


class Arrivals(StrictModel):
    per_year: Persons | list[Persons]
    distribution: Literal["fixed", "poisson", "negative_binomial"] = "fixed"
    cv: Annotated[float, Field(gt=0.0, le=10.0)] | None = None
    mix: dict[Name, Probability]


class Fixed(StrictModel):
    revenue: dict[Name, YearlyAmount] = Field(default_factory=dict)
    costs: dict[Name, YearlyAmount] = Field(default_factory=dict)
    #: Places paid whether occupied or not, a cost by component (DESIGN §15).
    contracted: dict[Name, Contracted] | None = None


class Indexation(StrictModel):
    costs: Annotated[float, Field(gt=-1.0, le=1.0)] = 0.0
    revenue: Annotated[float, Field(gt=-1.0, le=1.0)] = 0.0


def _label_text(value: str) -> str:
    if not value.strip():
        raise ValueError("a label is a display text and cannot be empty")
    bad = [ch for ch in value if unicodedata.category(ch) == "Cc"]
    if bad:
        raise ValueError(f"a label has no control characters (found {bad[0]!r})")
    return value


#: A display text (DESIGN §15): UTF-8, one line, at most 80 characters.
Label = Annotated[str, Field(max_length=80), AfterValidator(_label_text)]


#: The most states a config may declare (the kernels sum a row of states as numpy does up
#: to 128 numbers).
MAX_STATES = 100


class StateDecl(StrictModel):
    """A state a config declares in ``[states]`` (``hvb = {}``); it has no keys yet: its exits,
    expiry and amounts are given per group, its display text in ``[labels]``."""


class Config(StrictModel):
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
    population: Population | None = None
    #: Display texts of groups, states and components by their (ASCII) names (DESIGN §15).
    labels: dict[Name, Label] = Field(default_factory=dict)
    #: Claims to Migrationsverket that may be refused, by the cost component of the loss.
    refused_claims: dict[Name, RefusedClaim] | None = None
    #: The config's own states in order (DESIGN §15); they replace the default states, and
    #: ``relocated`` is always added last. None: the default states (``STATES``).
    states: Annotated[dict[Name, StateDecl], Field(max_length=MAX_STATES)] | None = None

    _source_text: str | None = PrivateAttr(default=None)

    @property
    def state_names(self) -> tuple[str, ...]:
        """The config's states in the order of their codes: ``[states]`` (or the defaults)
        with ``relocated`` last."""
        if self.states is None:
            return STATES
        return (*(s for s in self.states if s != RELOCATED_STATE), RELOCATED_STATE)

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
        from .overrides import set_dotted
        from .reading import config_from_dict

        raw = self.to_dict()
        for path, value in overrides.items():
            set_dotted(raw, path, value)
        return config_from_dict(raw)
