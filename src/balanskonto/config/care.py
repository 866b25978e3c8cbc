"""The schema of unaccompanied minors' care and its risks (DESIGN §15): amounts per day,
leaving care by age, contracted places and refused claims."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from .types import (
    SUM_TOLERANCE,
    Amount,
    AmountState,
    Name,
    Probability,
    StateName,
    StrictModel,
    YearlyAmount,
)

#: SEK per person-day, by state and component (``resident`` = every state but relocated).
DayFlows = dict[AmountState, dict[Name, Amount]]


class PerDay(StrictModel):
    """Costs and revenue per person-day in a state (HVB 1 409 kr a day; Migrationsverket's
    ersättning per dygn): each calendar month counts its own days (28–31)."""

    costs: DayFlows = Field(default_factory=dict)
    revenue: DayFlows = Field(default_factory=dict)


class LeavesCare(StrictModel):
    """Everyone still in one of ``states`` leaves them at ``at_age`` (18, or 21 with
    continued care): at the end of month ``12 · (at_age − age_at_arrival)`` since arrival
    (the arrival month is the first), split by ``to`` (shares summing to 1)."""

    age_at_arrival: Annotated[float, Field(ge=0.0, le=25.0)]
    at_age: Annotated[float, Field(gt=0.0, le=25.0)]
    states: Annotated[list[StateName], Field(min_length=1)]
    to: dict[StateName, Probability]

    @field_validator("to")
    @classmethod
    def _split(cls, value: dict[str, float]) -> dict[str, float]:
        total = sum(value.values())
        if abs(total - 1.0) > SUM_TOLERANCE:
            raise ValueError(f"the shares of to must sum to 1 (they sum to {total:g})")
        return value

    @model_validator(mode="after")
    def _months(self) -> LeavesCare:
        months = 12.0 * (self.at_age - self.age_at_arrival)
        if months < 1.0 - 1e-9 or abs(months - round(months)) > 1e-9:
            raise ValueError(
                f"12 · (at_age − age_at_arrival) = {months:g} must be a whole number of months "
                "≥ 1 (the months in care since arrival): give ages in whole months, below at_age"
            )
        for s in self.to:
            if s in self.states:
                raise ValueError(f"to names {s!r}, one of the care states it leaves")
        if "relocated" in self.states:
            raise ValueError("'relocated' is absorbing and cannot be a care state")
        return self

    @property
    def months(self) -> int:
        """Months in care since arrival before the exit (the exit at the end of the last)."""
        return round(12.0 * (self.at_age - self.age_at_arrival))


class Contracted(StrictModel):
    """Places (HVB beds, flats) paid whether occupied or not: ``places`` (a number, or one per
    year from start_year, missing years 0) times ``per_day`` (SEK a day, each year its own
    days) or ``per_month`` (SEK a month), as a cost."""

    places: YearlyAmount
    per_day: Amount | None = None
    per_month: Amount | None = None

    @model_validator(mode="after")
    def _one_price(self) -> Contracted:
        if (self.per_day is None) == (self.per_month is None):
            raise ValueError("give exactly one of per_day or per_month (SEK per place)")
        return self


class RefusedClaim(StrictModel):
    """The risk that a claim to Migrationsverket is refused (Nacka: 15 Mkr for 2016, refused
    in 2018): each claim year from start_year is refused with ``probability``, drawn per run
    and year, and the loss booked as a cost ``lag_years`` later (in ``month``, default
    December): ``amount`` (SEK a claim year, or one per year) or ``share`` of that year's
    revenue of the component ``of``."""

    probability: Probability
    lag_years: Annotated[int, Field(ge=0, le=20)]
    amount: YearlyAmount | None = None
    share: Probability | None = None
    of: Name | None = None
    month: Annotated[int, Field(ge=1, le=12)] = 12

    @model_validator(mode="after")
    def _one_size(self) -> RefusedClaim:
        if (self.amount is None) == (self.share is None):
            raise ValueError("give exactly one of amount (SEK) or share (of the revenue of of)")
        if (self.share is None) != (self.of is None):
            raise ValueError("share and of go together: the share of which revenue component")
        return self
