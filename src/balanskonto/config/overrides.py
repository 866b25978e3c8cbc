"""Dotted-path overrides (``groups.adult.states.intro.exits[2].share``) on a raw config."""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import Any

from .errors import ConfigError, shown

# --------------------------------------------------------------------------------------
# Dotted paths ("groups.adult.states.intro.exits[2].share")
# --------------------------------------------------------------------------------------
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _split_path(path: str) -> list[str | int]:
    steps: list[str | int] = []
    pos = 0
    for m in _STEP.finditer(path):
        if m.start() != pos and path[pos : m.start()] != ".":
            raise ConfigError(
                f"{path}: not a dotted path like groups.adult.states.intro.max_months"
            )
        steps.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if pos != len(path) or not steps:
        raise ConfigError(f"{path}: not a dotted path like groups.adult.states.intro.max_months")
    return steps


def set_dotted(raw: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at a dotted path in a nested dict, in place.

    The last key may be new (it is validated afterwards). Every key before it must exist,
    except optional tables that a config may leave out (``uncertainty.labour_market``,
    ``fixed.costs``, ``groups.G.states.S``, …), which are created empty, so that a scenario
    can set ``uncertainty.labour_market.mean`` on a base without uncertainty.
    """
    steps = _split_path(path)
    node: Any = raw
    for i, step in enumerate(steps[:-1]):
        nxt = node[step] if _has(node, step) else None
        if nxt is None and isinstance(node, dict) and _optional_table(steps[: i + 1]):
            nxt = node[step] = {}
        if nxt is None:
            walked = path if i == 0 else _join(steps[: i + 1])
            raise ConfigError(f"{walked}: no such key in the config (override {shown(path)})")
        node = nxt
    last = steps[-1]
    if isinstance(last, int):
        if not (isinstance(node, list) and 0 <= last < len(node)):
            raise ConfigError(f"{path}: no such list item in the config")
        node[last] = copy.deepcopy(value)
    else:
        if not isinstance(node, dict):
            raise ConfigError(f"{path}: {_join(steps[:-1])} is not a table")
        node[last] = copy.deepcopy(value)


_OPTIONAL_TOP = {"meta", "balance", "fixed", "indexation", "uncertainty"}
_OPTIONAL_UNDER = {
    "uncertainty": {"labour_market", "arrivals", "levels", "shares"},
    "fixed": {"revenue", "costs"},
}


def _optional_table(steps: Sequence[str | int]) -> bool:
    """Whether the table at ``steps`` may be created by an override when it is missing."""
    if any(isinstance(s, int) for s in steps):
        return False
    if len(steps) == 1:
        return steps[0] in _OPTIONAL_TOP
    if len(steps) == 2:
        return steps[1] in _OPTIONAL_UNDER.get(str(steps[0]), set())
    if steps[0] == "groups" and len(steps) == 3:
        return steps[2] in {"states", "costs", "revenue", "payments"}
    if steps[0] == "groups" and len(steps) == 4:
        return steps[2] in {"states", "costs", "revenue"}
    return False


def _has(node: Any, step: str | int) -> bool:
    if isinstance(step, int):
        return isinstance(node, list) and 0 <= step < len(node)
    return isinstance(node, dict) and step in node


def _join(steps: Sequence[str | int]) -> str:
    out = ""
    for s in steps:
        out += f"[{s}]" if isinstance(s, int) else ("." if out else "") + s
    return out
