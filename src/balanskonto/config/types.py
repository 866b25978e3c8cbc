"""Building blocks of the config schema: the default states, bounded number types and the
strict base model."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

#: The fixed states, in the order of their integer codes inside the kernels.
STATES: tuple[str, ...] = ("intro", "prolonged", "self_sufficient", "income_support", "relocated")
#: Pseudo-state for per-month amounts: every state but ``relocated``.
RESIDENT = "resident"
_NAME = r"^[a-z][a-z0-9_]*$"
SUM_TOLERANCE = 1e-9  # for "sums to 1" rules


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


class StrictModel(BaseModel):
    model_config = _STRICT
