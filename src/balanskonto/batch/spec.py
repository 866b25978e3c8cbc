"""Batch files (DESIGN §9): base config, scenarios, grid, reference → a validated :class:`Batch`."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..config.errors import ConfigError, config_error, shown
from ..config.reading import parse_toml, read_text_file
from ..config.schema import Config
from ..config.types import control_character
from ..model.compiled import compile_model
from ..simulation.run import load_config
from .grid import expand_grid, format_value, path_within, toml_key
from .municipalities import Municipality, read_municipalities

#: The keys a batch file may have at its top level.
BATCH_KEYS = ("base", "runs", "seed", "reference", "scenarios", "grid", "municipalities")
MAX_RUNS = 10_000_000
MAX_SEED = 2**63 - 1


# --------------------------------------------------------------------------------------
# The batch
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scenario:
    """One scenario: its name, its overrides (dotted path → value, in the order they are
    applied onto the base) and the validated config they give."""

    name: str
    overrides: dict[str, Any]
    config: Config = field(repr=False)


@dataclass(frozen=True)
class Batch:
    """A validated batch file: the base config and every scenario's validated config.

    ``runs`` and ``seed`` are the values every scenario runs with (the batch file's, else the
    base config's ``simulation.runs`` / ``simulation.seed``).
    """

    path: Path
    text: str = field(repr=False)
    base_path: Path
    base: Config = field(repr=False)
    scenarios: tuple[Scenario, ...]
    reference: str
    runs: int
    seed: int
    #: The rows of the ``municipalities`` table (none: a batch of one municipality).
    municipalities: tuple[Municipality, ...] = ()
    #: With municipalities: the config of every scenario and municipality, scenario by
    #: scenario (index ``scenario * len(municipalities) + municipality``).
    unit_configs: tuple[Config, ...] = field(default=(), repr=False)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.scenarios]

    @property
    def units(self) -> list[tuple[str, Config, str | None]]:
        """What is simulated: (name, config, kommunkod or None) for every scenario, or with
        municipalities for every scenario and municipality (``bas/0180``)."""
        if not self.municipalities:
            return [(s.name, s.config, None) for s in self.scenarios]
        configs = iter(self.unit_configs)
        return [
            (f"{s.name}/{m.code}", next(configs), m.code)
            for s in self.scenarios
            for m in self.municipalities
        ]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def scenario(self, name: str) -> Scenario:
        for s in self.scenarios:
            if s.name == name:
                return s
        raise KeyError(name)


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------
def whole_number(where: str, value: Any, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise config_error(where, value, f"must be a whole number from {minimum} to {maximum}")
    if not minimum <= value <= maximum:
        raise config_error(where, value, f"must be a whole number from {minimum} to {maximum}")
    return int(value)


def _read(path: Path) -> tuple[str, dict[str, Any]]:
    text = read_text_file(path, "batch")
    if not text.strip():
        raise ConfigError(f"{path}: the batch file is empty; see configs/batch_*.toml")
    try:
        return text, parse_toml(text.removeprefix("\ufeff"))
    except ConfigError as err:
        raise ConfigError(f"{path}: {str(err).removeprefix('(file): ')}") from None


def _error_path(message: str) -> str:
    """The dotted path a config error message starts with (its first problem's)."""
    lines = message.splitlines()
    several = len(lines) > 1 and lines[0].endswith("problems in the config:")
    return (lines[1].strip() if several else lines[0]).split(": ", 1)[0]


def _scenario_error(
    name: str, overrides: Mapping[str, Any], sources: Mapping[str, str], err: ConfigError
) -> ConfigError:
    """Locate a config error in the batch file: the override it comes from, if any."""
    message = str(err)
    path = _error_path(message)
    related = [k for k in sources if path_within(k, path) or path_within(path, k)]
    if not related:
        where = ", ".join(sources.values()) or "none"
        return ConfigError(f"scenario {shown(name)} (overrides: {where}): {message}")
    key = max(related, key=len)
    where = sources[key]
    if path == key and "\n" not in message:
        message = message[len(path) + 2 :]
    value = overrides[key]
    if isinstance(value, Mapping) and len(value) == 1 and not re.search(r"[.\[]", key):
        dotted = key
        while isinstance(value, Mapping) and len(value) == 1:
            ((step, value),) = value.items()
            dotted += f".{step}"
        message += (
            f'\n  (to override one value, quote its path: "{dotted}" = {format_value(value)}; '
            f"unquoted, TOML reads it as tables that replace the whole {key!r} table)"
        )
    own = where.startswith(f"scenarios.{toml_key(name)}.")
    return ConfigError(
        f"{where}: {message}" if own else f"scenario {shown(name)}: {where}: {message}"
    )


def _make_scenario(
    base: Config, name: str, overrides: dict[str, Any], sources: dict[str, str]
) -> Scenario:
    for key, where in sources.items():
        if path_within("simulation", key):
            raise config_error(
                where,
                overrides[key],
                "the simulation table is shared by every scenario (common random numbers need "
                "the same years and runs); set runs and seed at the top of the batch file",
            )
    try:
        config = base.with_overrides(overrides) if overrides else base
        compile_model(config)  # the rules that need the compiled tables
    except ConfigError as err:
        raise _scenario_error(name, overrides, sources, err) from None
    return Scenario(name=name, overrides=overrides, config=config)


def _named_scenarios(raw: Any) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    if not isinstance(raw, Mapping):
        raise config_error("scenarios", raw, "is a table of [scenarios.NAME] tables")
    named = []
    for name, overrides in raw.items():
        where = f"scenarios.{toml_key(name)}"
        if not name.strip():
            raise config_error(where, name, "a scenario needs a name")
        if control_character(name) is not None:
            raise config_error(
                where,
                name,
                f"a scenario name is one line without control characters "
                f"(it has {control_character(name)})",
            )
        if not isinstance(overrides, Mapping):
            raise config_error(
                where, overrides, 'a scenario is a table of "dotted.path" = value overrides'
            )
        sources = {k: f"{where}.{json.dumps(k)}" for k in overrides}
        named.append((name, dict(overrides), sources))
    return named


def load_batch(path: str | Path) -> Batch:
    """Read and validate a batch file, every scenario's config included.

    Raises
    ------
    ConfigError
        Naming the batch file, the dotted path in it (``scenarios.fler_mottagna."arrivals.
        per_yeer"``) and the rule. Nothing is simulated before the whole batch is valid.
    """
    path = Path(path)
    text, raw = _read(path)
    try:
        return _load(path, text, raw)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None


def _load(path: Path, text: str, raw: dict[str, Any]) -> Batch:
    for key in raw:
        if key not in BATCH_KEYS:  # its value is not shown: it may be a secret
            raise ConfigError(
                f"{toml_key(key)}: unknown key in a batch file (the keys are "
                f"{', '.join(BATCH_KEYS)}; overrides go in [scenarios.NAME] as "
                '"dotted.path" = value)'
            )
    if "base" not in raw:
        raise ConfigError("base: required key is missing (the config file the scenarios change)")
    if not isinstance(raw["base"], str) or not raw["base"].strip():
        raise config_error("base", raw["base"], "is the path of a config file")
    base_path = path.parent / raw["base"]
    try:
        base = load_config(base_path)
    except ConfigError as err:
        raise ConfigError(f"base: {err}") from None
    runs = whole_number("runs", raw.get("runs", base.simulation.runs), 1, MAX_RUNS)
    seed = whole_number("seed", raw.get("seed", base.simulation.seed), 0, MAX_SEED)

    named = _named_scenarios(raw.get("scenarios", {}))
    if not named and "grid" not in raw:
        raise ConfigError(
            "the batch has no scenarios: give [scenarios.NAME] tables (an empty one is the "
            'base as it is) or a [grid] of "dotted.path" = [values]'
        )
    specs = named
    if "grid" in raw:
        grid = expand_grid(raw["grid"])
        grid_sources = {k: f"grid.{json.dumps(k)}" for k in raw["grid"]}
        for _, overrides, sources in named:
            for key in overrides:
                for gkey in raw["grid"]:
                    if path_within(gkey, key):
                        raise config_error(
                            sources[key],
                            overrides[key],
                            f"is also swept by {grid_sources[gkey]}, which would overwrite it",
                        )
        specs = [
            (
                f"{name}/{gname}" if named else gname,
                {**overrides, **goverrides},
                {**sources, **grid_sources},
            )
            for name, overrides, sources in (named or [("", {}, {})])
            for gname, goverrides in grid
        ]
    names = [name for name, _, _ in specs]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise config_error("scenarios", name, "scenario names must be unique")
    reference = raw.get("reference", names[0])
    if not isinstance(reference, str) or reference not in names:
        shown = ", ".join(names[:10]) + (", …" if len(names) > 10 else "")
        raise config_error("reference", reference, f"must name a scenario ({shown})")
    scenarios = tuple(_make_scenario(base, *spec) for spec in specs)
    municipalities: tuple[Municipality, ...] = ()
    unit_configs: tuple[Config, ...] = ()
    if "municipalities" in raw:
        municipalities, unit_configs = _municipal_units(path, raw, base, scenarios, specs)
    return Batch(
        path=path,
        text=text,
        base_path=base_path,
        base=base,
        scenarios=scenarios,
        reference=reference,
        runs=runs,
        seed=seed,
        municipalities=municipalities,
        unit_configs=unit_configs,
    )


def _municipal_units(
    path: Path, raw: dict[str, Any], base: Config, scenarios: tuple[Scenario, ...], specs: list
) -> tuple[tuple[Municipality, ...], tuple[Config, ...]]:
    """The municipalities table and the config of every scenario × municipality: the
    municipality's columns applied to the base, then the scenario's overrides."""
    name = raw["municipalities"]
    if not isinstance(name, str) or not name.strip():
        raise config_error("municipalities", name, "is the path of a CSV file")
    table = path.parent / name
    try:
        municipalities = read_municipalities(table, base)
    except ConfigError as err:
        raise ConfigError(f"municipalities: {err}") from None
    columns = {k for m in municipalities for k in m.overrides}
    for (_, overrides, sources), _scenario in zip(specs, scenarios, strict=True):
        for key in overrides:
            for column in columns:
                if path_within(column, key) or path_within(key, column):
                    raise config_error(
                        sources[key],
                        overrides[key],
                        f"is also set by the column {column!r} of {table}, which it would "
                        "overwrite (set it in one place)",
                    )
    configs = []
    for scenario in scenarios:
        for m in municipalities:
            overrides = {**m.overrides, **scenario.overrides}
            try:
                config = base.with_overrides(overrides) if overrides else base
                compile_model(config)
            except ConfigError as err:
                raise _municipality_error(table, m, scenario.name, err) from None
            configs.append(config)
    return municipalities, tuple(configs)


def _municipality_error(
    table: Path, m: Municipality, scenario: str, err: ConfigError
) -> ConfigError:
    message = str(err)
    path = _error_path(message)
    related = [k for k in m.overrides if path_within(k, path) or path_within(path, k)]
    if related:
        column = max(related, key=len)
        return ConfigError(
            f"municipalities: {table}, row {m.row}, column {column!r} "
            f"({m.code} {m.name}, scenario {shown(scenario)}): {message}"
        )
    return ConfigError(
        f"municipalities: {table}, row {m.row} ({m.code} {m.name}, scenario "
        f"{shown(scenario)}): {message}"
    )
