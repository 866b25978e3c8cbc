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
from .files import read_file_bytes
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
    raw = parse_toml(text, limit=MAX_CONFIG_CHARS)
    population = raw.get("population")
    if isinstance(population, dict) and "file" in population:
        text, raw = inline_population(text, raw, Path.cwd() if base is None else base)
    return config_from_dict(raw, source_text=text)


#: The largest config or batch file that is read: the bundled configs are under 10 kB, a
#: national batch under 100 kB.
MAX_TEXT_BYTES = 1_000_000
#: The longest config text that is parsed: a config file, and the rows of a population CSV
#: that a result's ``config_toml`` holds (at most 100 000 rows, under 200 characters each).
MAX_CONFIG_CHARS = MAX_TEXT_BYTES + 200 * 100_000
#: The deepest a TOML text may nest: table headers, dotted keys, arrays and inline tables
#: together (a config needs 7: groups.adult.states.intro.exits[0].share).
MAX_DEPTH = 32


def parse_toml(text: str, limit: int = MAX_TEXT_BYTES) -> dict[str, Any]:
    """The TOML document of ``text``, after cheap checks of its size and depth.

    tomllib takes time quadratic in the parts of a dotted key (a 100 kB key of 50 000 parts:
    26 s, then MemoryError) and recurses into nested arrays and tables (RecursionError):
    both are refused before parsing, by a scan of the text (:func:`_toml_shape`), and the
    depth of the parsed document is checked before anything recurses into it.

    Raises
    ------
    ConfigError
        ``(file): …`` naming the limit, or tomllib's message (with :func:`excel_hint`) for
        text that is not TOML.
    """
    if len(text) > limit:
        raise ConfigError(
            f"(file): {len(text)} characters, more than the {limit} a config or batch file may have"
        )
    key_parts, nesting = _toml_shape(text)
    if key_parts > MAX_DEPTH:
        raise ConfigError(
            f"(file): a dotted key or table header of more than {MAX_DEPTH} parts; a config "
            "needs at most 7"
        )
    if nesting > MAX_DEPTH:
        raise ConfigError(f"(file): arrays or inline tables nested more than {MAX_DEPTH} deep")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"(file): {excel_hint(text, err)}not valid TOML: {err}") from None
    if _depth(raw) > MAX_DEPTH:
        raise ConfigError(
            f"(file): keys nested more than {MAX_DEPTH} deep (table headers, dotted keys, "
            "arrays and inline tables together); a config needs at most 7"
        )
    return raw


_TOML_SPECIAL = re.compile(r"[\"'#\[\]{}.=,\n]")
_BASIC = re.compile(r'(?:[^"\\\n]|\\.)*"')
_MULTILINE_BASIC = re.compile(r'(?:[^"\\]|\\.|"(?!""))*"""', re.DOTALL)


def _toml_shape(text: str) -> tuple[int, int]:
    """(most parts of a dotted key, deepest nesting of brackets) of a TOML text, from one
    linear scan that skips strings and comments. Dots are counted between separators
    (``=``, ``,``, brackets, line breaks), so a number's decimal point counts as a part;
    the scan stops early once either exceeds :data:`MAX_DEPTH`."""
    parts = most_parts = 1
    depth = most_depth = 0
    i, n = 0, len(text)
    while most_parts <= MAX_DEPTH and most_depth <= MAX_DEPTH:
        m = _TOML_SPECIAL.search(text, i)
        if m is None:
            break
        c, i = m.group(), m.end()
        if c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c == '"':
            multi = text.startswith('""', i)
            found = (_MULTILINE_BASIC if multi else _BASIC).match(text, i + 2 if multi else i)
            i = n if found is None else found.end()
        elif c == "'":
            close = "'''" if text.startswith("''", i) else "'"
            end = text.find(close, i + len(close) - 1)
            i = n if end < 0 else end + len(close)
        elif c == ".":
            parts += 1
            most_parts = max(most_parts, parts)
        else:
            parts = 1
            if c in "[{":
                depth += 1
                most_depth = max(most_depth, depth)
            elif c in "]}":
                depth = max(depth - 1, 0)
    return most_parts, most_depth


def _depth(node: Any) -> int:
    """How deep tables and arrays nest in a parsed document (iterative: no recursion)."""
    deepest = 0
    todo = [(node, 0)]
    while todo:
        item, level = todo.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        if isinstance(item, dict):
            todo += [(v, level + 1) for v in item.values()]
        elif isinstance(item, list):
            todo += [(v, level + 1) for v in item]
    return deepest


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


def read_text_file(path: Path, kind: str = "config", limit: int = MAX_TEXT_BYTES) -> str:
    """The UTF-8 text of a config or batch file (a byte-order mark is accepted); a
    ConfigError naming the file otherwise. Only a regular file of at most ``limit`` bytes is
    read (:func:`read_file_bytes`)."""
    data = read_file_bytes(path, kind, limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"{path}: not UTF-8 text ({err.reason}); {_encoding_hint(data)}"
        ) from None


def _encoding_hint(data: bytes) -> str:
    """What to do with a file that is not UTF-8: most often Windows-1252 (ANSI), as
    Anteckningar and Excel save it."""
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
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
