"""A table of municipalities (``municipalities = "kommuner.csv"`` in a batch file): one row per
municipality, its code, name and län, and dotted-path overrides of the base config as columns.

The CSV is read like the other CSV inputs (:mod:`balanskonto.config.actuals_files`): UTF-8
with or without a BOM, ``,``, ``;`` or tab as the separator, a decimal comma (with ``;``),
``#`` comment lines (e.g. the line that marks a table as synthetic). Every cell is checked
before anything runs; an error names the file, the row (the file's line), the column, the
value and the rule.

Random numbers: every municipality of a run shares the seed's factor draws (the labour-market
year, the arrivals factor, drawn shares and levels are national shocks), while its persons
and its arrivals' random variation come from a seed of their own, :func:`person_seed`, derived
from the batch's seed and the municipality's code — two identical municipalities are not
perfectly correlated person by person, and a municipality's results do not depend on which
other rows the table has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..config.actuals import parse_number
from ..config.actuals_files import _csv_rows
from ..config.errors import ConfigError, config_error
from ..config.files import read_file_bytes
from ..config.overrides import _split_path
from ..config.reading import parse_toml
from ..config.schema import Config
from ..config.types import control_character

#: The largest table read (290 municipalities with a few overrides are about 30 kB).
MAX_BYTES = 5_000_000
#: The most rows (Sweden has 290 municipalities; a table may split one for a test).
MAX_ROWS = 10_000
#: The columns every table has (``namn`` and ``lan`` are accepted for ``name`` and ``län``).
CODE, NAME, LAN = "kommunkod", "name", "län"
_ALIASES = {"namn": NAME, "lan": LAN, "kod": CODE}
#: ``SeedSequence`` stream of the municipalities' own person seeds (the other consumers:
#: :mod:`balanskonto.engines.arrivals` 1–2, :mod:`balanskonto.engines.draws` 3).
MUNICIPALITY_STREAM = 4

#: The 21 län by code (the first two digits of a kommunkod).
LAN_NAMES = {
    "01": "Stockholms län",
    "03": "Uppsala län",
    "04": "Södermanlands län",
    "05": "Östergötlands län",
    "06": "Jönköpings län",
    "07": "Kronobergs län",
    "08": "Kalmar län",
    "09": "Gotlands län",
    "10": "Blekinge län",
    "12": "Skåne län",
    "13": "Hallands län",
    "14": "Västra Götalands län",
    "17": "Värmlands län",
    "18": "Örebro län",
    "19": "Västmanlands län",
    "20": "Dalarnas län",
    "21": "Gävleborgs län",
    "22": "Västernorrlands län",
    "23": "Jämtlands län",
    "24": "Västerbottens län",
    "25": "Norrbottens län",
}


@dataclass(frozen=True)
class Municipality:
    """One row of the table: the kommunkod (four digits, text), name, län code (two digits)
    and the overrides of the base config (dotted path → value, in column order)."""

    code: str
    name: str
    lan: str
    overrides: dict[str, Any] = field(default_factory=dict)
    row: int = 0

    @property
    def lan_name(self) -> str:
        return LAN_NAMES[self.lan]


def person_seed(seed: int, code: str) -> int:
    """The seed of a municipality's persons and arrivals in a batch with seed ``seed``: a
    hash of (seed, :data:`MUNICIPALITY_STREAM`, kommunkod), from 0 to 2**63 − 1."""
    state = np.random.SeedSequence(seed, spawn_key=(MUNICIPALITY_STREAM, int(code)))
    return int(state.generate_state(1, np.uint64)[0] >> np.uint64(1))


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------
def read_municipalities(path: Path, base: Config) -> tuple[Municipality, ...]:
    """The rows of a municipalities table, checked against ``base`` (every override column
    must be a path of the config; every value is checked when the batch's configs are).

    Raises
    ------
    ConfigError
        ``FILE, row N, column C: rule (got value)``.
    """
    if not (path.exists() or path.is_symlink()):
        raise ConfigError(f"{path}: no such municipalities file (a CSV named in municipalities)")
    rows = _csv_rows(path, read_file_bytes(path, "municipalities", MAX_BYTES))
    (header_row, header), body = rows[0], rows[1:]
    columns = [_ALIASES.get(c.strip().lower(), c.strip()) for c in header]
    for required in (CODE, NAME):
        if required not in columns:
            raise config_error(
                f"{path}, row {header_row}",
                ",".join(header),
                f"the header must have the columns {CODE} and {NAME} (and optionally {LAN}), "
                "then dotted paths of the config to override, e.g. arrivals.per_year",
            )
    for i, column in enumerate(columns):
        if column in columns[:i]:
            raise config_error(f"{path}, row {header_row}", column, "a column is named twice")
    paths = [c for c in columns if c not in (CODE, NAME, LAN)]
    raw = base.to_dict()
    for column in paths:
        where = f"{path}, row {header_row}, column {column!r}"
        try:
            _at(raw, column)
        except (ConfigError, KeyError, IndexError, TypeError):
            raise config_error(
                where, column, "is not a dotted path of the base config (e.g. arrivals.per_year)"
            ) from None
        if column == "simulation" or column.startswith("simulation."):
            raise config_error(
                where, column, "the simulation table is shared by every municipality"
            )
    if not body:
        raise ConfigError(f"{path}: the table has no municipalities (one row per municipality)")
    if len(body) > MAX_ROWS:
        raise ConfigError(f"{path}: more than {MAX_ROWS} rows")
    out: list[Municipality] = []
    for line, cells in body:
        if len(cells) != len(columns):
            raise config_error(
                f"{path}, row {line}",
                len(cells),
                f"has {len(cells)} cells where the header has {len(columns)} (a decimal comma "
                "needs ; as the separator)",
            )
        cell = dict(zip(columns, (c.strip() for c in cells), strict=True))

        def where(column: str, line: int = line) -> str:
            return f"{path}, row {line}, column {column!r}"

        code = cell[CODE]
        if not re.fullmatch(r"\d{4}", code):
            raise config_error(where(CODE), code, "a kommunkod is four digits, e.g. 0180")
        if code[:2] not in LAN_NAMES:
            raise config_error(
                where(CODE), code, "its first two digits must be a län code (01, 03 … 25)"
            )
        if any(m.code == code for m in out):
            raise config_error(where(CODE), code, "each municipality is one row")
        name = cell[NAME]
        if not name or control_character(name) is not None:
            raise config_error(where(NAME), name, "a name is one line of text, not empty")
        lan = cell.get(LAN, "") or code[:2]
        if lan != code[:2]:
            raise config_error(
                where(LAN), lan, f"the län is the first two digits of the kommunkod ({code[:2]})"
            )
        overrides = {}
        for column in paths:
            if cell[column] == "":
                continue  # an empty cell keeps the base's value
            try:
                overrides[column] = _value(cell[column], _at(raw, column))
            except ValueError as err:
                raise config_error(where(column), cell[column], str(err)) from None
        out.append(Municipality(code, name, lan, overrides, line))
    return tuple(out)


def _at(raw: dict[str, Any], path: str) -> Any:
    node: Any = raw
    for step in _split_path(path):
        node = node[step]
    return node


def _value(text: str, current: Any) -> Any:
    """A cell as the config value at its path: a number (a decimal comma allowed), true or
    false, an inline TOML list or table (``[120, 120, 120]``), or text. A number where the
    base has a list of numbers (one a year) is used for every year."""
    if text[:1] in "[{":
        try:
            value = parse_toml(f"v = {text}")["v"]
        except ConfigError as err:
            raise ValueError(f"not an inline TOML list or table ({err})") from None
    elif text.lower() in ("true", "false"):
        value = text.lower() == "true"
    else:
        try:
            number = parse_number(text)
        except ValueError as err:
            if isinstance(current, str):
                return text
            why = "" if str(err) == "not a number" else f" ({err})"
            raise ValueError(f"must be a number{why}") from None
        integral = re.fullmatch(r"[-\u2212]?[\d\s\u00a0]+", text) is not None
        value = int(number) if integral and number.is_integer() else number
    if isinstance(current, list) and isinstance(value, int | float):
        value = [value] * len(current)
    return value
