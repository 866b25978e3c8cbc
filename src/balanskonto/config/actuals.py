"""Actuals (utfall) for a follow-up, validated row by row (DESIGN §13).

The long format, one actual a row::

    period,variable,group,state,component,value
    2026,revenue,,,schablon,4512000
    2026,persons,adult,income_support,,37
    2026-08,cost,,,allowance,2710000

``period`` is a calendar year (``YYYY``) or the year to date, January to that month
(``YYYY-MM``, which needs a forecast with monthly resolution). ``group``, ``state`` and
``component`` name what the row counts; empty means summed over that dimension (for head
counts and person-years an empty state means every state but ``relocated``: the persons who
live in the municipality, as ``resident`` does in the config).

Each row is a pydantic model validated against an :class:`ActualsScope`, the names, years and
resolution of the forecast it will be compared with; every problem becomes one line of a
:class:`~.errors.ConfigError` that names the file, the line, the column, the value and the rule.
Reading the files (CSV with ``,`` or ``;``, decimal comma, BOM; an Excel sheet) is
:mod:`.actuals_files`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from .errors import ConfigError, shown
from .types import RESIDENT

#: Variables an actual may name, with the dimensions it may select (others must be empty).
VARIABLES: dict[str, tuple[str, ...]] = {
    "revenue": ("component",),
    "cost": ("component",),
    "net": (),
    "balance": (),
    "persons": ("group", "state"),
    "arrivals": ("group",),
    "person_years": ("group", "state"),
}
#: Variables that are never negative, and those that are whole numbers.
NON_NEGATIVE = ("revenue", "cost", "persons", "arrivals", "person_years")
WHOLE = ("persons", "arrivals")
#: Variables a forecast with monthly resolution has year to date (``YYYY-MM``).
YEAR_TO_DATE = ("revenue", "cost", "net", "balance", "persons", "person_years")
#: The columns of the format; ``period``, ``variable`` and ``value`` are required.
COLUMNS = ("period", "variable", "group", "state", "component", "value")
REQUIRED_COLUMNS = ("period", "variable", "value")
#: At most this many problems are listed in one error.
MAX_PROBLEMS = 25

_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>\d{2}))?$")
_SPACES = re.compile(r"(?<=\d)[ \u00a0\u202f\u2009'](?=\d{3}(?:\D|$))")
_DECIMAL = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


@dataclass(frozen=True)
class ActualsScope:
    """What a forecast can be compared with: built from its Dataset by
    :func:`balanskonto.analysis.followup.scope_of` (this package reads no Datasets).

    ``revenue_components``/``cost_components``: the components with an amount on that side in
    some run; ``variables``: those of :data:`VARIABLES` the forecast has.
    """

    years: tuple[int, ...]
    monthly: bool
    groups: tuple[str, ...]
    states: tuple[str, ...]
    revenue_components: tuple[str, ...]
    cost_components: tuple[str, ...]
    variables: tuple[str, ...] = tuple(VARIABLES)
    #: The last month of the monthly forecast, as (year, month); None: December of the last year.
    last_month: tuple[int, int] | None = None


class Actual(BaseModel):
    """One actual: where it stands in its file (``line``) and what it says.

    ``month`` is None for a calendar year, else the last month of the year to date.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    line: int
    period: str
    variable: str
    group: str = ""
    state: str = ""
    component: str = ""
    value: float

    @property
    def year(self) -> int:
        return int(self.period[:4])

    @property
    def month(self) -> int | None:
        return int(self.period[5:7]) if len(self.period) == 7 else None

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """What the row counts; two rows with the same key say the same thing."""
        return (self.period, self.variable, self.group, self.state, self.component)

    # -- the rules, column by column (a validator sees the columns to its left) -----------
    @field_validator("period", mode="before")
    @classmethod
    def _period(cls, value: Any, info: ValidationInfo) -> str:
        text = _text(value)
        m = _PERIOD.match(text)
        if not m or (m["month"] and not 1 <= int(m["month"]) <= 12):
            raise ValueError(
                "a period is a year (YYYY, e.g. 2027) or a year to date (YYYY-MM, e.g. 2027-08, "
                "January to August)"
            )
        scope = _scope(info)
        if scope is None:
            return text
        year = int(m["year"])
        if year not in scope.years:
            raise ValueError(
                f"outside the forecast, which covers {scope.years[0]}–{scope.years[-1]}"
            )
        if m["month"] and not scope.monthly:
            raise ValueError(
                "a year-to-date period needs a forecast with monthly resolution "
                '(simulation.resolution = "month"); this result is yearly: give the whole year '
                "as YYYY"
            )
        if m["month"] and scope.last_month and (year, int(m["month"])) > scope.last_month:
            last = f"{scope.last_month[0]}-{scope.last_month[1]:02d}"
            raise ValueError(f"outside the forecast, whose last month is {last}")
        return text

    @field_validator("variable", mode="before")
    @classmethod
    def _variable(cls, value: Any, info: ValidationInfo) -> str:
        text = _text(value)
        if text not in VARIABLES:
            raise ValueError(
                f"unknown variable{_hint(text, VARIABLES)}; the variables are " + _list(VARIABLES)
            )
        scope = _scope(info)
        if scope is not None and text not in scope.variables:
            raise ValueError(
                f"the forecast has no {text} (a result of an older version); run the forecast "
                "again with this version to compare it"
            )
        period = info.data.get("period", "")
        if len(period) == 7 and text not in YEAR_TO_DATE:
            raise ValueError(
                f"{text} are counted per calendar year only (the forecast has no monthly "
                f"{text}); give the whole year as YYYY"
            )
        return text

    @field_validator("group", mode="before")
    @classmethod
    def _group(cls, value: Any, info: ValidationInfo) -> str:
        text = _dimension(value, "group", info)
        scope = _scope(info)
        if text and scope is not None and text not in scope.groups:
            raise ValueError(
                f"unknown group{_hint(text, scope.groups)}; the forecast's groups are "
                f"{_list(scope.groups)}"
            )
        return text

    @field_validator("state", mode="before")
    @classmethod
    def _state(cls, value: Any, info: ValidationInfo) -> str:
        text = _dimension(value, "state", info)
        variable = info.data.get("variable")
        if text in ("", RESIDENT):
            return RESIDENT if "state" in VARIABLES.get(variable, ()) else text
        scope = _scope(info)
        if scope is not None and text not in scope.states:
            choices = (*scope.states, RESIDENT)
            raise ValueError(
                f"unknown state{_hint(text, choices)}; the states are {_list(choices)}"
            )
        return text

    @field_validator("component", mode="before")
    @classmethod
    def _component(cls, value: Any, info: ValidationInfo) -> str:
        text = _dimension(value, "component", info)
        scope = _scope(info)
        variable = info.data.get("variable")
        if not text or scope is None or variable not in ("revenue", "cost"):
            return text
        side = scope.revenue_components if variable == "revenue" else scope.cost_components
        if text not in side:
            other = scope.cost_components if variable == "revenue" else scope.revenue_components
            if text in other:
                kind = "cost" if variable == "revenue" else "revenue"
                raise ValueError(
                    f"{text} is a {kind} component: the forecast has no {variable} for it; "
                    f"the {variable} components are {_list(side)}"
                )
            raise ValueError(
                f"unknown {variable} component{_hint(text, side)}; the {variable} components "
                f"are {_list(side)}"
            )
        return text

    @field_validator("value", mode="before")
    @classmethod
    def _value(cls, value: Any, info: ValidationInfo) -> float:
        number = parse_number(value)
        variable = info.data.get("variable")
        if variable in NON_NEGATIVE and number < 0:
            raise ValueError(f"{variable} cannot be negative")
        if variable in WHOLE and number != round(number):
            raise ValueError(f"{variable} are whole persons")
        return number


def _scope(info: ValidationInfo) -> ActualsScope | None:
    return (info.context or {}).get("scope")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("expected a text or a whole number")
    return str(value).strip()


def _dimension(value: Any, column: str, info: ValidationInfo) -> str:
    text = _text(value)
    variable = info.data.get("variable")
    if text and variable in VARIABLES and column not in VARIABLES[variable]:
        raise ValueError(
            f"{variable} has no {column}: leave {column} empty"
            + (
                f" (a {variable} row may name {_list(VARIABLES[variable])})"
                if VARIABLES[variable]
                else ""
            )
        )
    return text


def _list(names: Iterable[str]) -> str:
    return ", ".join(names)


def _hint(text: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(text.lower(), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def parse_number(value: Any) -> float:
    """A number from a cell: a number, or a text with a decimal comma or point, spaces as
    thousands separators (``4 512 000``, ``1234,5``) and ``-`` or ``−`` as the minus sign.

    Raises
    ------
    ValueError
        Empty, not a number, both ``,`` and ``.``, or not finite.
    """
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = _text(value).replace("\u2212", "-")
        if not text:
            raise ValueError("the value is empty (an actual needs a number)")
        text = _SPACES.sub("", text)
        if "," in text and "." in text:
            raise ValueError(
                "not a number: both , and . (write it without thousands separators, "
                "e.g. 4512000,50)"
            )
        text = text.replace(",", ".")
        if not _DECIMAL.match(text):
            raise ValueError("not a number")
        number = float(text)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError("not a finite number")
    return number


# --------------------------------------------------------------------------------------
# Rows → actuals
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Actuals:
    """Validated actuals: the rows in file order, the file they came from (its name and the
    SHA-256 of its bytes; ``"(rows)"`` and ``""`` for rows given in code)."""

    rows: tuple[Actual, ...]
    source: str = "(rows)"
    sha256: str = ""

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def periods(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.period for a in self.rows))


def validate_rows(
    rows: Sequence[tuple[int, Mapping[str, Any]]],
    scope: ActualsScope | None,
    *,
    source: str = "(rows)",
    sha256: str = "",
    where: str = "line",
) -> Actuals:
    """Validate ``(line, {column: value})`` rows against ``scope`` (None: the format only).

    Raises
    ------
    ConfigError
        Naming ``source``, the line, the column, the value and the rule for every problem
        (the first :data:`MAX_PROBLEMS`), duplicates included.
    """
    problems: list[str] = []
    out: list[Actual] = []
    for line, raw in rows:
        try:
            out.append(Actual.model_validate({"line": line, **raw}, context={"scope": scope}))
        except ValidationError as err:
            problems += _row_problems(err, line, where)
    seen: dict[tuple[str, ...], int] = {}
    for actual in out:
        first = seen.setdefault(actual.key, actual.line)
        if first != actual.line:
            problems.append(
                f"{where} {actual.line}: the same actual as {where} {first} (period "
                f"{actual.period}, {actual.variable}"
                + "".join(f", {x}" for x in actual.key[2:] if x)
                + "); give each actual once"
            )
    if not out and not problems:
        problems.append(f"no actuals: the file has a header but no rows (got {len(rows)} rows)")
    if problems:
        raise actuals_error(source, problems)
    return Actuals(tuple(out), source, sha256)


def _row_problems(err: ValidationError, line: int, where: str) -> list[str]:
    lines = []
    for e in err.errors(include_url=False):
        column = ".".join(str(x) for x in e["loc"]) or "row"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "missing":
            msg, got = "required", ""
        else:
            got = f" (got {shown(e.get('input'))})"
        lines.append(f"{where} {line}, {column}: {msg}{got}")
    return lines


def actuals_error(source: str, problems: Sequence[str]) -> ConfigError:
    """One :class:`ConfigError` for ``problems`` in the actuals file ``source``."""
    if len(problems) == 1:
        return ConfigError(f"{source}: {problems[0]}")
    shown = list(problems[:MAX_PROBLEMS])
    if len(problems) > MAX_PROBLEMS:
        shown.append(f"… and {len(problems) - MAX_PROBLEMS} more")
    return ConfigError(
        f"{source}: {len(problems)} problems in the actuals:\n  " + "\n  ".join(shown)
    )
