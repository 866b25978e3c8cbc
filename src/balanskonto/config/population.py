"""``[population]``: the people already received at the start of ``start_year`` (DESIGN §11).

Rows come inline (``rows = [{ arrival = "2025-03", group = "adult", state = "intro",
months_in_state = 9, count = 12 }]``) or from a CSV file named relative to the config
(``file = "befolkning.csv"``; columns ``arrival,group,state,months_in_state,count``; ``,`` or
``;`` as separator and a decimal comma accepted, as Swedish Excel writes them). Each CSV row is
validated by the same pydantic model as an inline row, so both give the same errors, located
by row. When a config is read from a file, the CSV rows are written into the config's own text
(with its comments kept, via tomlkit), so a result's ``config_toml`` holds the population it
was made with.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator, model_validator

from .errors import ConfigError, config_error, from_validation_error
from .files import read_file_bytes
from .types import Name, StateName, StrictModel

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
COLUMNS = ("arrival", "group", "state", "months_in_state", "count")
MAX_ROWS = 100_000
MAX_BYTES = 20_000_000


class PopulationRow(StrictModel):
    """Persons of one arrival month and group, in one state for ``months_in_state`` months."""

    arrival: str
    group: Name
    state: StateName
    months_in_state: Annotated[int, Field(ge=0, le=1200)]
    count: Annotated[int, Field(ge=0, le=1_000_000)]

    @field_validator("arrival")
    @classmethod
    def _year_month(cls, value: str) -> str:
        m = _MONTH.match(value)
        if not m or not 1 <= int(m[2]) <= 12 or not 1900 <= int(m[1]) <= 2200:
            raise ValueError(f"arrival is a year and month YYYY-MM, e.g. 2025-03 (got {value!r})")
        return value

    def month_index(self, start_year: int) -> int:
        """The arrival month counted from January of ``start_year`` (negative: before it)."""
        year, month = (int(x) for x in self.arrival.split("-"))
        return 12 * (year - start_year) + month - 1


class Population(StrictModel):
    """The population table: ``file`` (read when the config is read) or ``rows``."""

    file: str | None = None
    rows: list[PopulationRow] | None = None
    source_file: str | None = None  # the CSV the rows were read from (informational)
    source_lines: list[int] | None = None  # the CSV line of each row (for messages)

    @model_validator(mode="after")
    def _one_form(self) -> Population:
        if (self.file is None) == (self.rows is None):
            raise ValueError('give exactly one of file = "befolkning.csv" or rows = [...]')
        return self


def row_location(population: Population, i: int) -> str:
    """Where row ``i`` of the population came from: the CSV line or ``population.rows[i]``."""
    if population.source_file:
        lines = population.source_lines
        line = lines[i] if lines is not None and i < len(lines) else i + 2  # 1: the header
        return f"population.rows[{i}] ({population.source_file}, row {line})"
    return f"population.rows[{i}]"


# --------------------------------------------------------------------------------------
# The CSV file
# --------------------------------------------------------------------------------------
def _whole(value: str) -> Any:
    """A CSV cell as a whole number where it is one (``12``, ``12,0``, ``12.0``, ``1 200``);
    the text otherwise, for the row model to refuse with its own rule."""
    text = value.strip().replace("\u00a0", "").replace(" ", "")
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+[.,]0+", text):
        return int(text.replace(",", ".").split(".")[0])
    return value.strip()


def read_population_csv(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """The rows of a population CSV as (line number, dict for :class:`PopulationRow`), or a
    ConfigError naming the file, the row, the value and the rule."""
    if not (path.exists() or path.is_symlink()):
        raise ConfigError(f"{path}: no such population file (a CSV named in population.file)")
    data = read_file_bytes(path, "population", MAX_BYTES)  # a regular file, not a FIFO
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"{path}: not UTF-8 text ({err.reason}); save it as 'CSV UTF-8' in Excel"
        ) from None
    # lines starting with # are comments (e.g. to mark a file as synthetic); kept as blank
    # lines, so that the row numbers of errors are the file's line numbers
    lines = ["" if line.lstrip().startswith("#") else line for line in text.splitlines()]
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise ConfigError(f"{path}: empty; the header is {','.join(COLUMNS)}")
    delimiter = ";" if lines[first].count(";") > lines[first].count(",") else ","
    reader = csv.reader(io.StringIO("\n".join(lines[first:])), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    if sorted(header) != sorted(COLUMNS):
        raise config_error(
            f"{path}, row {first + 1}",
            ",".join(header),
            f"the header must name the columns {COLUMNS}",
        )
    rows = []
    for number, cells in enumerate(reader, start=first + 2):
        if not any(c.strip() for c in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise ConfigError(f"{path}: more than {MAX_ROWS} rows")
        if len(cells) != len(header):
            raise config_error(
                f"{path}, row {number}",
                delimiter.join(cells),
                f"has {len(cells)} cells; the header has {len(header)}",
            )
        raw = dict(zip(header, cells, strict=True))
        row = {k: (_whole(v) if k in ("months_in_state", "count") else v.strip())
               for k, v in raw.items()}  # fmt: skip
        rows.append((number, row))
    return rows


def validate_rows(rows: list[tuple[int, dict[str, Any]]], where: str) -> None:
    """Validate CSV rows one by one, so an error names the row (``where, row N``)."""
    for line, row in rows:
        try:
            PopulationRow.model_validate(row)
        except ValidationError as err:
            raise ConfigError(f"{where}, row {line}: {from_validation_error(err)}") from None


def inline_population(text: str, raw: dict[str, Any], base: Path) -> tuple[str, dict[str, Any]]:
    """Config text and dict with ``population.file`` replaced by the file's rows.

    The text keeps its comments (tomlkit); the rows carry ``source_file`` so that errors and
    the report can still name the CSV.
    """
    import tomlkit

    name = raw["population"]["file"]
    if not isinstance(name, str):
        raise config_error("population.file", name, "is the path of a CSV file, in quotes")
    path = Path(name) if Path(name).is_absolute() else base / name
    numbered = read_population_csv(path)
    validate_rows(numbered, str(path))
    rows = [row for _, row in numbered]
    doc = tomlkit.parse(text)
    table = doc["population"]
    del table["file"]
    table["source_file"] = name
    array = tomlkit.array()
    for row in rows:
        inline = tomlkit.inline_table()
        inline.update(row)
        array.append(inline)
    array.multiline(True)
    table["rows"] = array
    lines = [line for line, _ in numbered]
    raw = {**raw, "population": {"source_file": name, "source_lines": lines, "rows": rows}}
    return tomlkit.dumps(doc), raw


# --------------------------------------------------------------------------------------
# Rules against the rest of the config
# --------------------------------------------------------------------------------------
def reachable_states(group: Any) -> set[str]:
    """States a person of ``group`` can be in: the start state and every state an exit,
    an expiry split or the relocation hazard leads to (whatever their shares)."""
    seen, todo = set(), [group.start]
    while todo:
        state = todo.pop()
        if state in seen:
            continue
        seen.add(state)
        spec = group.states.get(state)
        if spec is not None:
            todo += [e.to for e in spec.exits] + list(spec.on_expiry or {})
        care = getattr(group, "leaves_care", None)
        if care is not None and state in care.states:
            todo += list(care.to)
        if group.relocation is not None and state != "relocated":
            todo.append("relocated")
    return seen


def check_population(config: Any) -> None:
    """Every row of ``config.population`` against the config (DESIGN §11): a group of the
    config, an arrival before ``start_year``, a state the group reaches, a duration shorter
    than the state's ``max_months`` and possible for the arrival month, and an amount for
    the arrival year of every scheduled payment. Raises a ConfigError naming the row."""
    population = config.population
    if population is None or population.rows is None:
        return
    start = config.simulation.start_year
    for i, row in enumerate(population.rows):
        where = row_location(population, i)
        group = config.groups.get(row.group)
        if group is None:
            raise config_error(
                f"{where}: group", row.group, f"names no group (groups: {sorted(config.groups)})"
            )
        if row.state not in config.state_names:
            raise config_error(
                f"{where}: state",
                row.state,
                "not a state of the config (states: "
                f"{', '.join(repr(s) for s in config.state_names)})",
            )
        before = -row.month_index(start)  # completed months since arrival at the start
        if before < 1:
            raise config_error(
                f"{where}: arrival", row.arrival, f"must be before the start, January {start}"
            )
        if row.state not in reachable_states(group):
            raise config_error(
                f"{where}: state",
                row.state,
                f"group {row.group!r} never reaches this state from {group.start!r}",
            )
        spec = group.states.get(row.state)
        limit = None if spec is None else spec.max_months
        if limit is not None and row.months_in_state >= limit:
            raise config_error(
                f"{where}: months_in_state",
                row.months_in_state,
                f"must be less than the state's max_months = {limit} "
                "(a person is moved on at its expiry)",
            )
        longest = before if row.state == group.start else before - 1
        if row.months_in_state > longest:
            raise config_error(
                f"{where}: months_in_state",
                row.months_in_state,
                f"is impossible for an arrival in {row.arrival}: at most {longest} months "
                f"{'since arrival' if row.state == group.start else 'after the start state'}",
            )
        year = start - (before + 11) // 12
        schedules = [("payments", n, p) for n, p in group.payments.items()]
        schedules += [("scheduled_costs", n, p) for n, p in group.scheduled_costs.items()]
        schedules += [
            ("scheduled_revenue", n, p) for n, p in (group.scheduled_revenue or {}).items()
        ]
        care = group.leaves_care
        if care is not None and row.state in care.states and before >= care.months:
            raise config_error(
                f"{where}: state",
                row.state,
                f"a person who arrived in {row.arrival} has left care: groups.{row.group}."
                f"leaves_care moves everyone out of {care.states} after {care.months} months",
            )
        for table, name, pay in schedules:
            if pay.amount is None and not any(int(y) <= year for y in pay.amount_by_arrival_year):
                raise config_error(
                    f"{where}: arrival",
                    row.arrival,
                    f"groups.{row.group}.{table}.{name}.amount_by_arrival_year has no amount "
                    f"for {year}; add a year at or before it",
                )
