"""Reading config text and files into a validated :class:`Config`."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import (
    ValidationError,
)

from .errors import ConfigError, from_validation_error
from .population import check_population, inline_population
from .schema import Config
from .semantics import check_semantics, check_uncertainty


def config_from_dict(raw: Mapping[str, Any], *, source_text: str | None = None) -> Config:
    """Validate a nested dict (as parsed from TOML) into a :class:`Config`."""
    try:
        config = Config.model_validate(dict(raw))
    except ValidationError as err:
        raise from_validation_error(err) from None
    check_semantics(config)
    check_uncertainty(config)
    check_population(config)
    config._source_text = source_text
    return config


def parse_config(text: str, base: Path | None = None) -> Config:
    """Parse and validate TOML text; a ``population.file`` is read relative to ``base``
    (default: the working directory) and its rows put into the text (DESIGN §11)."""
    if not text.strip():
        raise ConfigError("(file): the config is empty; see configs/ for complete examples")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"(file): not valid TOML: {err}") from None
    population = raw.get("population")
    if isinstance(population, dict) and "file" in population:
        text, raw = inline_population(text, raw, Path.cwd() if base is None else base)
    return config_from_dict(raw, source_text=text)


def read_text_file(path: Path, kind: str = "config") -> str:
    """The UTF-8 text of a config or batch file; a ConfigError naming the file otherwise."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such {kind} file") from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text ({err.reason})") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read ({err.strerror})") from None


def read_config(path: str | Path) -> Config:
    """Read and validate a TOML file (schema and cross-field rules, not the compiled tables)."""
    path = Path(path)
    text = read_text_file(path)
    try:
        return parse_config(text, base=path.parent)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None
