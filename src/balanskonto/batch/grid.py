"""Scenario overrides as text, and the grid of a batch expanded into named scenarios."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..config.errors import config_error

# --------------------------------------------------------------------------------------
# Formatting values (scenario names and the readable overrides)
# --------------------------------------------------------------------------------------
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def format_value(value: Any, *, compact: bool = False) -> str:
    """A value as inline TOML (``compact``: no spaces and unquoted text, for names)."""
    sep = "," if compact else ", "
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if compact else json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Mapping):
        eq = "=" if compact else " = "
        items = sep.join(
            f"{toml_key(str(k))}{eq}{format_value(v, compact=compact)}" for k, v in value.items()
        )
        return f"{{{items}}}" if compact else f"{{ {items} }}" if items else "{}"
    if isinstance(value, Sequence):
        return "[" + sep.join(format_value(v, compact=compact) for v in value) + "]"
    return str(value)


def format_overrides(overrides: Mapping[str, Any]) -> str:
    """``"dotted.path" = value``, one line per override (a TOML fragment); "" for none."""
    return "\n".join(f"{json.dumps(k)} = {format_value(v)}" for k, v in overrides.items())


# --------------------------------------------------------------------------------------
# The grid
# --------------------------------------------------------------------------------------
def path_within(outer: str, inner: str) -> bool:
    """True if path ``inner`` is ``outer`` or lies inside it (``a.b`` within ``a``)."""
    return inner == outer or inner.startswith((outer + ".", outer + "["))


def _labels(keys: Sequence[str]) -> dict[str, str]:
    """Each key's shortest dot-separated suffix that no other key ends with."""
    parts = {k: k.split(".") for k in keys}
    labels = {}
    for key in keys:
        for n in range(1, len(parts[key]) + 1):
            label = ".".join(parts[key][-n:])
            if all(".".join(parts[o][-n:]) != label for o in keys if o != key):
                break
        labels[key] = label
    return labels


def expand_grid(grid: Any) -> list[tuple[str, dict[str, Any]]]:
    """Every combination of a grid, as ``(name, overrides)`` in order (the last key varies
    fastest, as nested loops in file order).

    A grid is ``{dotted.path: [values]}``. A scenario is named ``label=value`` per key,
    joined by ``,``; a key's label is the last part of its path (``max_months``), or as many
    parts as tell it apart from the other keys (``intro.max_months``).

    Raises
    ------
    ConfigError
        For an empty grid, a value that is not a non-empty list, a value given twice in one
        sweep, or keys that overlap (one inside the other).
    """
    if not isinstance(grid, Mapping):
        raise config_error("grid", grid, 'is a table of "dotted.path" = [values]')
    if not grid:
        raise config_error("grid", {}, 'is empty; give "dotted.path" = [values] or remove it')
    keys = list(grid)
    for a, b in itertools.permutations(keys, 2):
        if path_within(a, b):
            raise config_error(
                f"grid.{json.dumps(b)}", grid[b], f"lies inside grid.{json.dumps(a)}; sweep one"
            )
    labels = _labels(keys)
    names: dict[str, list[str]] = {}
    for key, values in grid.items():
        where = f"grid.{json.dumps(key)}"
        if not isinstance(values, list):
            raise config_error(where, values, "a sweep is a list of values, e.g. [18, 24]")
        if not values:
            raise config_error(where, values, "an empty sweep gives no scenarios; list values")
        names[key] = [f"{labels[key]}={format_value(v, compact=True)}" for v in values]
        for i, name in enumerate(names[key]):
            if name in names[key][:i]:
                raise config_error(f"{where}[{i}]", values[i], "is already in the sweep")
    combos = itertools.product(*(range(len(grid[k])) for k in keys))
    return [
        (
            ",".join(names[k][i] for k, i in zip(keys, combo, strict=True)),
            {k: grid[k][i] for k, i in zip(keys, combo, strict=True)},
        )
        for combo in combos
    ]
