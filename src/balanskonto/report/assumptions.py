"""The assumptions table: every key of a config's TOML text, its value and its source comment.

The source of a value is the config's own comment: the comment lines directly above the key
(no blank line between) and the comment at the end of its line (or of any line of a value that
spans several lines). Comments above a table header (``[groups.adult]``) belong to no key; the
comment block that opens the file is returned separately (:func:`opening_comment`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Assumption:
    """One key of the config as written: ``key`` is the dotted path (``policy[0].factor``),
    ``value`` the parsed TOML value, ``source`` the comment(s), ``line`` its 1-based line."""

    key: str
    value: Any
    source: str
    line: int


def split_comment(line: str) -> tuple[str, str]:
    """(code, comment) of one TOML line; a ``#`` inside a quoted string is not a comment."""
    quote = ""
    i = 0
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 1
            elif c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "#":
            return line[:i], line[i + 1 :].strip()
        i += 1
    return line, ""


def _key_parts(code: str) -> list[str]:
    """The key path of a ``key = value`` statement (quoted and dotted keys included)."""
    node: Any = tomllib.loads(f"{_key_text(code)} = 0")
    parts = []
    while isinstance(node, dict):
        (name, node), *_ = node.items()
        parts.append(name)
    return parts


def _key_text(code: str) -> str:
    """The key text before the first ``=`` outside quotes."""
    quote = ""
    for i, c in enumerate(code):
        if quote:
            if c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "=":
            return code[:i]
    return code


def _header(code: str) -> tuple[list[str], bool]:
    """(path, is_array) of a table header ``[a.b]`` or ``[[a]]``."""
    is_array = code.strip().startswith("[[")
    inner = code.strip()[2:-2] if is_array else code.strip()[1:-1]
    return _key_parts(f"{inner} = 0"), is_array


def _join(parts: list[str]) -> str:
    return ".".join(p if p and "." not in p and " " not in p else f'"{p}"' for p in parts)


def _statement(lines: list[str], start: int) -> int:
    """Index of the last line of the statement that starts at ``lines[start]``."""
    for end in range(start, len(lines)):
        try:
            tomllib.loads("\n".join(lines[start : end + 1]))
        except tomllib.TOMLDecodeError:
            continue
        return end
    raise ValueError(f"line {start + 1}: a TOML statement that never ends")


def parse_assumptions(text: str) -> list[Assumption]:
    """Every ``key = value`` of a TOML text, in file order, with its source comment.

    Raises
    ------
    ValueError
        If the text is not valid TOML.
    """
    tomllib.loads(text)  # refuse invalid TOML up front, with tomllib's message
    lines = text.splitlines()
    prefix: list[str] = []
    arrays: dict[str, int] = {}
    above: list[str] = []
    out: list[Assumption] = []
    i = 0
    while i < len(lines):
        code, comment = split_comment(lines[i])
        if not code.strip():
            above = [*above, comment] if comment else []
            i += 1
            continue
        if code.strip().startswith("["):
            path, is_array = _header(code)
            if is_array:
                arrays[_join(path)] = arrays.get(_join(path), -1) + 1
                path = [*path[:-1], f"{path[-1]}[{arrays[_join(path)]}]"]
            prefix, above = path, []
            i += 1
            continue
        end = _statement(lines, i)
        out.append(_assumption(lines, i, end, prefix, above))
        above = []
        i = end + 1
    return out


def _assumption(
    lines: list[str], start: int, end: int, prefix: list[str], above: list[str]
) -> Assumption:
    parts = _key_parts(split_comment(lines[start])[0])
    value: Any = tomllib.loads("\n".join(lines[start : end + 1]))
    for name in parts:
        value = value[name]
    trailing = [split_comment(line)[1] for line in lines[start : end + 1]]
    source = " ".join(c for c in [*above, *trailing] if c)
    return Assumption(_join([*prefix, *parts]), value, source, start + 1)


def opening_comment(text: str) -> str:
    """The comment block at the top of the file (before the first key or table), as one
    paragraph; empty if the file does not open with a comment."""
    found: list[str] = []
    for line in text.splitlines():
        code, comment = split_comment(line)
        if code.strip():
            break
        if comment:
            found.append(comment)
        elif found:
            break
    return " ".join(found)
