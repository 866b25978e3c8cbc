"""Reading config text and files into a validated :class:`Config`."""

from __future__ import annotations

import re
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
    text = text.removeprefix("\ufeff")  # a byte-order mark, as Windows programs write it
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"(file): {excel_hint(text, err)}not valid TOML: {err}") from None
    population = raw.get("population")
    if isinstance(population, dict) and "file" in population:
        text, raw = inline_population(text, raw, Path.cwd() if base is None else base)
    return config_from_dict(raw, source_text=text)


_DECIMAL_COMMA = re.compile(r"(?<![\w.\[,])(-?\d+),(\d+)(?![\d\]])")
_GROUPED = re.compile(r"(?<![\w.])(-?\d{1,3}(?:[ \u00a0\u202f]\d{3})+)(?![\d,.])")


def excel_hint(text: str, err: tomllib.TOMLDecodeError) -> str:
    """The fix for the mistakes of people who write numbers as Excel shows them, on the line
    where TOML stopped (Swedish, as the controllers write): ``0,30`` and ``6 000 000``."""
    found = re.search(r"line (\d+)", str(err))
    if not found:
        return ""
    lines = text.splitlines()
    number = int(found.group(1))
    line = lines[number - 1] if 0 < number <= len(lines) else ""
    code = re.sub(r'"[^"]*"|\'[^\']*\'', '""', line.split("#", 1)[0])  # not inside a text
    comma = _DECIMAL_COMMA.search(code)
    if comma:
        good = f"{comma.group(1)}.{comma.group(2)}"
        return f"rad {number}: decimaltecknet ska vara punkt: {good} (inte {comma.group()}); "
    grouped = _GROUPED.search(code)
    if grouped:
        digits = re.sub(r"\D", "", grouped.group())
        sign = "-" if grouped.group().startswith("-") else ""
        under = f"{int(digits):_}"
        return (
            f"rad {number}: skriv talet utan mellanslag: {sign}{digits} eller {sign}{under} "
            f"(inte {grouped.group()}); "
        )
    return ""


def read_text_file(path: Path, kind: str = "config") -> str:
    """The UTF-8 text of a config or batch file; a ConfigError naming the file otherwise."""
    try:
        return path.read_text(encoding="utf-8-sig")  # a byte-order mark (BOM) is accepted
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such {kind} file") from None
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"{path}: not UTF-8 text ({err.reason}); {_encoding_hint(path)}"
        ) from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read ({err.strerror})") from None


def _encoding_hint(path: Path) -> str:
    """What to do with a file that is not UTF-8: most often Windows-1252 (ANSI), as
    Anteckningar and Excel save it."""
    try:
        path.read_bytes().decode("cp1252")
    except (OSError, UnicodeDecodeError):
        return "spara filen som UTF-8"
    return (
        "filen verkar vara sparad som Windows-1252 (ANSI): spara den som UTF-8 "
        "(i Anteckningar: Arkiv → Spara som → Kodning: UTF-8)"
    )


def read_config(path: str | Path) -> Config:
    """Read and validate a TOML file (schema and cross-field rules, not the compiled tables)."""
    path = Path(path)
    text = read_text_file(path)
    try:
        return parse_config(text, base=path.parent)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None
