"""The schema of a group: its states and exits, per-month amounts and scheduled payments."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .care import LeavesCare, PerDay
from .errors import shown
from .types import (
    SUM_TOLERANCE,
    Amount,
    AmountState,
    LabourMarket,
    Months,
    Name,
    Probability,
    StateName,
    StrictModel,
)


class Exit(StrictModel):
    """One way out of a state; exactly one of ``at_month``, ``within_months``,
    ``monthly_shares`` and ``annual_probability`` gives its timing.

    ``monthly_shares = [m1, m2, …]`` are unconditional masses, like ``share``: a share mk of
    everyone who entered the state leaves after exactly k months (a fitted cumulative
    incidence curve, held exactly; ``balanskonto kalibrera`` writes them).
    """

    to: StateName
    share: Probability | None = None
    at_month: Months | None = None
    within_months: Months | None = None
    monthly_shares: Annotated[list[Probability], Field(min_length=1, max_length=1200)] | None = None
    annual_probability: Probability | None = None
    #: "work": the labour-market factor shifts this exit like finding work; "relapse": the
    #: other way (``relapse_effect``); "none": not at all. Default: work for an exit to
    #: ``self_sufficient``, relapse for one from it to ``income_support`` (config/states.py).
    labour_market: LabourMarket | None = None

    @field_validator("monthly_shares")
    @classmethod
    def _curve_total(cls, value: list[float] | None) -> list[float] | None:
        if value is not None and sum(value) > 1.0 + SUM_TOLERANCE:
            raise ValueError(
                f"monthly_shares are shares of everyone who entered the state and sum to at "
                f"most 1 (they sum to {sum(value):.6g})"
            )
        return value

    @model_validator(mode="after")
    def _one_form(self) -> Exit:
        timed = [k for k in ("at_month", "within_months") if getattr(self, k) is not None]
        forms = (
            "an exit is { to, share, at_month }, { to, share, within_months }, "
            "{ to, monthly_shares } or { to, annual_probability }"
        )
        if self.annual_probability is not None:
            if timed or self.share is not None or self.monthly_shares is not None:
                raise ValueError(f"{forms}: annual_probability takes no share or months")
        elif self.monthly_shares is not None:
            if timed or self.share is not None:
                raise ValueError(f"{forms}: monthly_shares takes no share or months")
        elif len(timed) != 1 or self.share is None:
            raise ValueError(
                "an exit needs share with exactly one of at_month or within_months, "
                "or monthly_shares alone, or annual_probability alone"
            )
        return self

    @property
    def last_month(self) -> int:
        """Last month since entry in which this exit moves anyone (0 for hazards)."""
        if self.monthly_shares is not None:
            return len(self.monthly_shares)
        return self.at_month or self.within_months or 0

    @property
    def rows(self) -> int:
        """Rows this exit takes in the compiled exit array (one per month of a curve)."""
        return len(self.monthly_shares) if self.monthly_shares is not None else 1


class ExpiryTarget(StrictModel):
    """A destination of an ``on_expiry`` split with its marking for the labour-market factor:
    ``eget_boende = { share = 0.6, labour_market = "work" }`` (a bare share is unmarked)."""

    share: Probability
    labour_market: Literal["work", "none"] | None = None


def _share(target: float | ExpiryTarget) -> float:
    return target.share if isinstance(target, ExpiryTarget) else target


class StateSpec(StrictModel):
    exits: list[Exit] = Field(default_factory=list)
    max_months: Months | None = None
    on_expiry: dict[StateName, Probability | ExpiryTarget] | None = None

    @field_validator("on_expiry")
    @classmethod
    def _expiry_sum(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            total = sum(_share(v) for v in value.values())
            if abs(total - 1.0) > SUM_TOLERANCE:
                raise ValueError(f"on_expiry shares must sum to 1 (they sum to {total:g})")
        return value

    @property
    def expiry_shares(self) -> dict[str, float]:
        """The on_expiry split as destination → share (empty without one)."""
        return {to: _share(v) for to, v in (self.on_expiry or {}).items()}

    @property
    def expiry_marks(self) -> dict[str, str]:
        """The on_expiry destinations given a ``labour_market`` marking, with it."""
        return {
            to: v.labour_market
            for to, v in (self.on_expiry or {}).items()
            if isinstance(v, ExpiryTarget) and v.labour_market is not None
        }

    @model_validator(mode="after")
    def _expiry(self) -> StateSpec:
        if (self.max_months is None) != (self.on_expiry is None):
            raise ValueError("max_months and on_expiry go together: give both or neither")
        return self


class Installment(StrictModel):
    month: Annotated[int, Field(ge=0, le=1200)]
    share: Probability


class _Schedule(StrictModel):
    """An amount per person (or its levels by arrival year) due in parts after arrival."""

    amount: Amount | None = None
    amount_by_arrival_year: dict[str, Amount] | None = None
    by_calendar_year: list[Probability] | None = None
    installments: list[Installment] | None = None

    @field_validator("amount_by_arrival_year")
    @classmethod
    def _year_keys(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is not None:
            if not value:
                raise ValueError("amount_by_arrival_year needs at least one year")
            for key in value:
                if not re.fullmatch(r"\d{4}", key):
                    raise ValueError(f"amount_by_arrival_year keys are years, not {shown(key)}")
        return value

    @field_validator("by_calendar_year", "installments")
    @classmethod
    def _parts_sum(cls, value: list[Any] | None) -> list[Any] | None:
        if value is not None:
            parts = [p.share if isinstance(p, Installment) else p for p in value]
            if not parts:
                raise ValueError("a payment needs at least one part")
            if abs(sum(parts) - 1.0) > SUM_TOLERANCE:
                raise ValueError(
                    f"the parts of a payment must sum to 1 (they sum to {sum(parts):g})"
                )
        return value


class ScheduledCost(_Schedule):
    """A per-person cost by months since arrival, while the person is resident (DESIGN §15:
    the rent gap of transitional housing): ``amount`` each month for the first ``months``
    months (the arrival month is the first), or ``amount`` in the parts of a payment
    (``by_calendar_year``, ``installments``). A part due from the month a person has moved
    away on is not paid. ``from_month`` delays the monthly form (tillfälligt boende after 24
    months of genomgångsbostad: ``from_month = 24``); ``share_of_persons`` is the expected
    share of persons who bear it (Nacka: 20 % without their own housing), applied to the
    amount, not drawn per person (see docs/model.md)."""

    months: Months | None = None
    from_month: Annotated[int, Field(ge=0, le=1200)] | None = None
    share_of_persons: Probability | None = None

    @model_validator(mode="after")
    def _forms(self) -> ScheduledCost:
        if (self.amount is None) == (self.amount_by_arrival_year is None):
            raise ValueError("give exactly one of amount or amount_by_arrival_year")
        forms = ("months", "by_calendar_year", "installments")
        if sum(getattr(self, k) is not None for k in forms) != 1:
            raise ValueError(
                "give exactly one of months (amount each month), by_calendar_year or "
                "installments (parts of amount)"
            )
        if self.from_month is not None and self.months is None:
            raise ValueError("from_month goes with months (amount each month from then on)")
        return self


class Payment(_Schedule):
    """A per-person payment (e.g. ``schablon``) paid in parts after arrival."""

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

    @model_validator(mode="after")
    def _forms(self) -> Payment:
        if (self.amount is None) == (self.amount_by_arrival_year is None):
            raise ValueError("give exactly one of amount or amount_by_arrival_year")
        if (self.by_calendar_year is None) == (self.installments is None):
            raise ValueError("give exactly one of by_calendar_year or installments")
        return self


Flows = dict[AmountState, dict[Name, Amount]]
#: Members of one kind in a household (DESIGN §15): a whole number of persons.
MemberCount = Annotated[int, Field(ge=1, le=50)]
#: The most persons of one household (all kinds together).
MAX_MEMBERS = 50


class Group(StrictModel):
    start: StateName
    states: dict[StateName, StateSpec] = Field(default_factory=dict)
    relocation: Exit | None = None
    costs: Flows = Field(default_factory=dict)
    revenue: Flows = Field(default_factory=dict)
    payments: dict[Name, Payment] = Field(default_factory=dict)
    scheduled_costs: dict[Name, ScheduledCost] = Field(default_factory=dict)
    #: The same forms as revenue while resident (an occupant's rent of a contracted flat).
    scheduled_revenue: dict[Name, ScheduledCost] | None = None
    per_day: PerDay | None = None
    leaves_care: LeavesCare | None = None
    #: A household group (DESIGN §15): members by kind, ``{ adult = 2, child = 3 }``; its unit
    #: is a household (transitions drawn per household), its amounts are per person times the
    #: members, except the components named in ``per_household`` (once per household).
    members: dict[Name, MemberCount] | None = None
    per_household: list[Name] | None = None  # None, not []: a config's dump stays as it was

    @property
    def household_components(self) -> tuple[str, ...]:
        """The components paid once per household (``per_household``; none if not given)."""
        return tuple(self.per_household or ())

    @property
    def size(self) -> int:
        """Persons in one unit of the group: the members of a household, else 1."""
        return 1 if self.members is None else sum(self.members.values())

    @field_validator("members")
    @classmethod
    def _members(cls, value: dict[str, int] | None) -> dict[str, int] | None:
        if value is not None:
            if not value:
                raise ValueError(
                    "a household has at least one member: give members by kind, e.g. "
                    "{ adult = 2, child = 3 }, or leave members out for single persons"
                )
            if sum(value.values()) > MAX_MEMBERS:
                raise ValueError(
                    f"a household has at most {MAX_MEMBERS} members "
                    f"(these sum to {sum(value.values())})"
                )
        return value

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
