"""Building blocks of the config schema: the default states, bounded number types and the
strict base model."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
)

#: The default states, in the order of their integer codes inside the kernels; a config's own
#: ``[states]`` replace all but ``relocated``, which is always the last state (DESIGN §15).
STATES: tuple[str, ...] = ("intro", "prolonged", "self_sufficient", "income_support", "relocated")
#: The absorbing state every config has, last in every config's states.
RELOCATED_STATE = "relocated"
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
#: A state's name: one of the config's states (checked against them in config/states.py).
StateName = Name
#: A state's name, or ``resident`` (every state but relocated), for per-month amounts.
AmountState = Name
#: How an exit counts for the labour-market factor (DESIGN §15, docs/uncertainty.md).
LabourMarket = Literal["work", "relapse", "none"]


YearlyAmount = Amount | list[Amount]

#: Characters no text of a config may hold: C0 and C1 control characters (line breaks and
#: tabs included: a title is one line), DEL, and the Unicode line and paragraph separators.
#: Excel and Word cannot store most of them, NetCDF cuts a text at NUL, and ESC or BEL would
#: reach the terminal.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def control_character(text: str) -> str | None:
    """The first control character of ``text`` as ``U+XXXX``, or None if it has none."""
    found = CONTROL_CHARACTERS.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def _one_line(text: str) -> str:
    found = control_character(text)
    if found is not None:
        raise ValueError(
            f"text is one line without control characters (it has {found}); "
            "remove it or write it as visible text"
        )
    return text


#: Free text of a config (titles, names, descriptions): one line, no control characters.
Text = Annotated[str, AfterValidator(_one_line)]


class StrictModel(BaseModel):
    model_config = _STRICT
