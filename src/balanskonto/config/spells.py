"""Reading and validating an extract of case spells (DESIGN §14): one row per stay of a
person in a state.

```
person,group,arrival,state,start,end
p0001,adult,2023-02,intro,2023-02,2024-07
p0001,adult,2023-02,self_sufficient,2024-08,
```

Months are ``YYYY-MM``; ``start`` and ``end`` are the first and last month in the state; an
empty ``end`` means the person was still in the state when the extract was taken. Each row
is validated by a pydantic model (types, month format, end ≥ start ≥ arrival), then each
person's rows together (one group and arrival, spells that follow each other month by month
from the arrival month, only the last one open), against ``--as-of`` and against the
config's groups. Every error names the row (its line in the file, the header being row 1),
the person, the column and value, and the rule.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from .errors import ConfigError, shown
from .reading import read_text_file
from .types import STATES, Name, StateName

COLUMNS = ("person", "group", "arrival", "state", "start", "end")
#: How many problems one error message lists.
MAX_SHOWN = 20
#: The largest spells file read (a national extract of 10 years is under 20 MB).
MAX_BYTES = 50_000_000
_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-\d{2})?$")


# --------------------------------------------------------------------------------------
# Months: "YYYY-MM" <-> an integer count of months (12·year + month − 1)
# --------------------------------------------------------------------------------------
def parse_month(text: str) -> int:
    """``"2023-02"`` → ``12·2023 + 1``. A full date ``2023-02-01`` (what Excel makes of a
    month) is read as its month. Raises ValueError with the rule."""
    m = _MONTH.match(text.strip())
    if not m or not 1 <= int(m[2]) <= 12 or not 1900 <= int(m[1]) <= 2200:
        raise ValueError("not a month YYYY-MM (year 1900–2200, month 01–12)")
    return 12 * int(m[1]) + int(m[2]) - 1


def format_month(month: int) -> str:
    """The inverse of :func:`parse_month`: ``12·2023 + 1`` → ``"2023-02"``."""
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def as_of_month(text: str) -> int:
    """The ``--as-of`` argument as a month; a ConfigError naming it otherwise."""
    try:
        return parse_month(text)
    except ValueError as err:
        raise ConfigError(f"--as-of: {err} (got {text!r})") from None


def _month(value: Any) -> Any:
    return parse_month(value) if isinstance(value, str) else value


def _open_end(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return _month(value)


Month = Annotated[int, BeforeValidator(_month)]
OpenMonth = Annotated[int | None, BeforeValidator(_open_end)]


class SpellRow(BaseModel):
    """One row of the extract (strings from the CSV; months become integers)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    person: Annotated[str, Field(min_length=1, max_length=200)]
    group: Name
    arrival: Month
    state: StateName
    start: Month
    end: OpenMonth = None


@dataclass(frozen=True)
class Spell:
    """A validated spell; months are integers (see :func:`parse_month`)."""

    row: int  # line in the file (the header is row 1)
    person: str
    group: str
    arrival: int
    state: str
    start: int
    end: int | None  # None: still in the state when the extract was taken


@dataclass(frozen=True)
class Spells:
    """A validated extract: every person's spells, in order of person (by id) and start."""

    source: str
    as_of: int  # the last month the extract covers
    spells: tuple[Spell, ...]
    states: tuple[str, ...] = STATES  # the config's states the spells were checked against

    @property
    def persons(self) -> int:
        return len({s.person for s in self.spells})


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------
def _rows(text: str, where: str) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    """(row number, column → text) of every non-blank row, and file-level problems."""
    lines = text.splitlines()
    header_line = next((x for x in lines if x.strip() and not x.startswith("#")), "")
    if not header_line:
        raise ConfigError(f"{where}: the file is empty; it needs the header {','.join(COLUMNS)}")
    # Swedish Excel writes ';' between fields: take the separator that gives the header
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[str] = []
    for fields in reader:
        n = reader.line_num
        if not any(f.strip() for f in fields) or (fields and fields[0].startswith("#")):
            continue  # blank lines, and comment lines (e.g. "# synthetic extract")
        if header is None:
            header = [f.strip().lower() for f in fields]
            missing = [c for c in COLUMNS if c not in header]
            unknown = [c for c in header if c not in COLUMNS]
            twice = sorted({c for c in header if header.count(c) > 1})
            if missing or unknown or twice:
                what = "; ".join(
                    text
                    for text in (
                        missing and f"missing column(s) {missing}",
                        unknown and f"unknown column(s) {unknown}",
                        twice and f"column(s) given twice {twice}",
                    )
                    if text
                )
                raise ConfigError(
                    f"{where}: row {n} (header): {what}; the header is "
                    f"{','.join(COLUMNS)} (any order, ',' or ';' between them) "
                    f"(got {shown(fields)})"
                )
            continue
        if len(fields) != len(header):
            problems.append(
                f"row {n}: has {len(fields)} fields, the header {len(header)} "
                f"(separator {delimiter!r}; check for a stray {delimiter!r} or a missing one) "
                f"(got {shown(delimiter.join(fields))})"
            )
            continue
        rows.append((n, dict(zip(header, fields, strict=True))))
    if not rows and not problems:
        raise ConfigError(f"{where}: no spells after the header")
    return rows, problems


def _row_problems(
    n: int, raw: Mapping[str, str], err: ValidationError, states: tuple[str, ...]
) -> list[str]:
    person = raw.get("person", "").strip() or "?"
    out = []
    for e in err.errors(include_url=False):
        column = str(e["loc"][0]) if e["loc"] else "(row)"
        msg = e["msg"].removeprefix("Value error, ")
        if column == "state":
            msg = f"not a state (states: {', '.join(states)})"
        out.append(f"row {n} ({person}): {column}: {msg} (got {shown(raw.get(column, ''))})")
    return out


def _spell_problems(sp: Spell, as_of: int, groups: Mapping[str, str]) -> list[str]:
    """Rules of a single spell: its own months, the group, the as-of month."""
    at = f"row {sp.row} ({sp.person})"
    months = f"--as-of {format_month(as_of)}"
    out = []
    if sp.group not in groups:
        out.append(
            f"{at}: group: not a group of the config (groups: {sorted(groups)}) (got {sp.group!r})"
        )
    if sp.end is not None and sp.end < sp.start:
        out.append(
            f"{at}: end: before start {format_month(sp.start)}; a spell ends in or after "
            f"the month it starts (got {format_month(sp.end)!r})"
        )
    if sp.start < sp.arrival:
        out.append(
            f"{at}: start: before the arrival month {format_month(sp.arrival)} "
            f"(got {format_month(sp.start)!r})"
        )
    if sp.arrival > as_of:
        out.append(
            f"{at}: arrival: after {months}; the extract covers months up to it "
            f"(got {format_month(sp.arrival)!r})"
        )
    if sp.start > as_of + 1 or (sp.start == as_of + 1 and sp.end is not None):
        out.append(
            f"{at}: start: after {months}; only the open spell of a move at the end of "
            f"the as-of month may start the month after it (got "
            f"{format_month(sp.start)!r})"
        )
    if sp.end is not None and sp.end > as_of:
        out.append(
            f"{at}: end: after {months}; leave end empty for a person still in the state "
            f"(got {format_month(sp.end)!r})"
        )
    return out


def _person_problems(spells: list[Spell], starts: Mapping[str, str]) -> list[str]:
    """Rules of one person's spells together (sorted by start)."""
    first = spells[0]
    out = []
    for sp in spells[1:]:
        at = f"row {sp.row} ({sp.person})"
        for column in ("group", "arrival"):
            if getattr(sp, column) != getattr(first, column):
                mine, theirs = getattr(sp, column), getattr(first, column)
                if column == "arrival":
                    mine, theirs = format_month(mine), format_month(theirs)
                out.append(
                    f"{at}: {column}: differs from the person's row {first.row} "
                    f"({theirs!r}); a person has one {column} (got {mine!r})"
                )
    if first.start != first.arrival:
        out.append(
            f"row {first.row} ({first.person}): start: the person's first spell starts "
            f"in the arrival month {format_month(first.arrival)} (got "
            f"{format_month(first.start)!r})"
        )
    start_state = starts.get(first.group)
    if start_state is not None and first.state != start_state:
        out.append(
            f"row {first.row} ({first.person}): state: the first spell is in the group's "
            f"start state {start_state!r} (the config's groups.{first.group}.start) "
            f"(got {first.state!r})"
        )
    for prev, sp in itertools.pairwise(spells):
        at = f"row {sp.row} ({sp.person})"
        span = f"row {prev.row}, {format_month(prev.start)}–" + (
            format_month(prev.end) if prev.end is not None else "open"
        )
        if prev.state == "relocated":
            out.append(
                f"{at}: state: follows a 'relocated' spell ({span}); relocated is "
                f"absorbing in the model (got {sp.state!r})"
            )
        elif prev.end is None:
            out.append(
                f"{at}: start: overlaps the open spell of {span}; only a person's last "
                f"spell is open (got {format_month(sp.start)!r})"
            )
        elif sp.start <= prev.end:
            out.append(
                f"{at}: start: overlaps the spell of {span}; a person is in one state at "
                f"a time (got {format_month(sp.start)!r})"
            )
        elif sp.start > prev.end + 1:
            out.append(
                f"{at}: start: a gap of {sp.start - prev.end - 1} month(s) after the "
                f"spell of {span}; a person's spells follow each other month by month "
                f"(got {format_month(sp.start)!r})"
            )
        elif sp.state == prev.state:
            out.append(
                f"{at}: state: the same state as the spell before ({span}); join them "
                f"into one spell (got {sp.state!r})"
            )
    last = spells[-1]
    if last.end is not None and last.state != "relocated":
        out.append(
            f"row {last.row} ({last.person}): end: the person's last spell ends but no "
            "spell follows; add the state the person went to (a 'relocated' spell for a "
            "move away), or leave end empty if the person is still in the state (got "
            f"{format_month(last.end)!r})"
        )
    return out


def parse_spells(
    text: str,
    as_of: int,
    starts: Mapping[str, str],
    source: str = "(spells)",
    states: tuple[str, ...] = STATES,
) -> Spells:
    """Validate the text of a spells extract.

    Parameters
    ----------
    text : the CSV text (``,`` or ``;`` between fields, header required)
    as_of : the extract's last month (:func:`parse_month`)
    starts : group → start state, from the config: the groups a row may name
    source : the file's name, for the messages
    states : the config's states (``Config.state_names``; default: the default states)

    Raises
    ------
    ConfigError
        Listing every problem (the first :data:`MAX_SHOWN`), each with row, person, column,
        value and rule.
    """
    rows, problems = _rows(text.removeprefix("\ufeff"), source)
    spells: list[Spell] = []
    bad_rows: set[int] = set()
    for n, raw in rows:
        try:
            r = SpellRow.model_validate(raw)
        except ValidationError as err:
            problems += _row_problems(n, raw, err, states)
            bad_rows.add(n)
            continue
        if r.state not in states:
            problems.append(
                f"row {n} ({r.person}): state: not a state (states: {', '.join(states)}) "
                f"(got {r.state!r})"
            )
            bad_rows.add(n)
            continue
        spells.append(Spell(n, r.person, r.group, r.arrival, r.state, r.start, r.end))
    by_person: dict[str, list[Spell]] = {}
    for sp in spells:
        found = _spell_problems(sp, as_of, starts)
        if found:
            problems += found
            bad_rows.add(sp.row)
        by_person.setdefault(sp.person, []).append(sp)
    for person_spells in by_person.values():
        if any(sp.row in bad_rows for sp in person_spells):
            continue  # the person's rows are wrong one by one; fix those first
        person_spells.sort(key=lambda sp: (sp.start, sp.row))
        problems += _person_problems(person_spells, starts)
    if problems:
        problems.sort(key=lambda text: int(m[1]) if (m := re.match(r"row (\d+)", text)) else 0)
        shown = problems[:MAX_SHOWN]
        more = len(problems) - len(shown)
        tail = f"\n  … and {more} more" if more else ""
        if len(problems) == 1:
            raise ConfigError(f"{source}: {problems[0]}")
        raise ConfigError(
            f"{source}: {len(problems)} problems in the spells:\n  " + "\n  ".join(shown) + tail
        )
    ordered = tuple(sp for person in sorted(by_person) for sp in by_person[person])
    return Spells(source, as_of, ordered, states)


def read_spells(
    path: str | Path, as_of: int, starts: Mapping[str, str], states: tuple[str, ...] = STATES
) -> Spells:
    """Read and validate a spells file (UTF-8, a byte-order mark allowed): see
    :func:`parse_spells`."""
    path = Path(path)
    text = read_text_file(path, kind="spells", limit=MAX_BYTES)
    return parse_spells(text, as_of, starts, source=str(path), states=states)
