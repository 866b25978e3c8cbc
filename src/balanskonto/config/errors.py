"""Config errors: one exception and one message format (dotted path, bad value, rule)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import (
    ValidationError,
)


class ConfigError(ValueError):
    """A configuration that cannot be used; the message names path, value and rule."""


def _fmt_value(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


#: A value as a message shows it: its repr, at most 80 characters (a 10 MB text is not
#: echoed whole); for the messages of other modules.
shown = _fmt_value
#: The most problems one message lists.
MAX_PROBLEMS = 20


def config_error(path: str, value: Any, rule: str) -> ConfigError:
    """Build a :class:`ConfigError` in the project's one message format."""
    return ConfigError(f"{path}: {rule} (got {_fmt_value(value)})")


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------
_UNION_TAG = re.compile(r"^(float|int|str|bool|list\[.*\]|dict\[.*\]|function-.*|constrained-.*)$")


def _loc_to_path(loc: Sequence[Any]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part == "[key]" or _UNION_TAG.match(str(part)):
            continue  # pydantic's union, validator and dict-key tags mean nothing to an author
        else:
            path += ("." if path else "") + str(part)
    return path or "(top level)"


def _other_branch_went_deeper(e: Any, errors: Sequence[Any]) -> bool:
    """True for a union branch rejected only for its type ("not a number") where another
    branch of the same union failed inside the value ("[1]: not a number"): noise."""
    loc = e["loc"]
    if not e["type"].endswith("_type") or not loc or not _UNION_TAG.match(str(loc[-1])):
        return False
    i = len(loc) - 1
    return any(
        len(o["loc"]) > i + 1 and tuple(o["loc"][:i]) == tuple(loc[:i]) and o["loc"][i] != loc[i]
        for o in errors
    )


def from_validation_error(err: ValidationError) -> ConfigError:
    # For a value that may be a number or a list, pydantic reports both branches; show the
    # first error per path, which is the one a config author can act on, and drop a branch
    # rejected for its type when the other branch got into the value.
    lines: list[str] = []
    seen: set[str] = set()
    errors = err.errors(include_url=False)
    for e in errors:
        if _other_branch_went_deeper(e, errors):
            continue
        path = _loc_to_path(e["loc"])
        if path in seen:
            continue
        seen.add(path)
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":  # its value is not shown: it may be a secret
            lines.append(
                f"{path}: unknown key (check its spelling; see docs/config.md for the keys)"
            )
            continue
        if e["type"] == "missing":
            lines.append(f"{path}: required key is missing")
            continue
        lines.append(f"{path}: {msg} (got {_fmt_value(e.get('input'))})")
    if len(lines) == 1:
        return ConfigError(lines[0])
    more = len(lines) - MAX_PROBLEMS
    listed = lines[:MAX_PROBLEMS] + ([f"… and {more} more"] if more > 0 else [])
    return ConfigError(f"{len(lines)} problems in the config:\n  " + "\n  ".join(listed))
