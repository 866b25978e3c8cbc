"""The main text's short table of assumptions: what each main assumption is, its value in words
and units, and its source.

The rows are the keys of the config's ``[meta.sources]`` (dotted key → where the figure comes
from), in that order; a config without it gets :data:`DEFAULT_KEYS`, sourced from the comment
on the key. The full technical listing of every key is the annex (:func:`tables.assumption_table`).
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

from . import i18n
from .data import ReportData
from .document import Column, Table
from .i18n import text

#: The main assumptions of a config without ``[meta.sources]``.
DEFAULT_KEYS = ("balance.opening", "arrivals.per_year", "arrivals.mix", "indexation.costs")
#: Fields of an exit written in words (``field_<name>`` in the catalogues).
FIELDS = ("share", "annual_probability", "within_months")
_AMOUNT = re.compile(r"(^balance\.opening$|\.costs\.|\.revenue\.|^fixed\.|amount)")
_SHARE = re.compile(r"(probability|share|indexation|mix|on_expiry|relocation)")
_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def lookup(tree: dict[str, Any], key: str) -> Any:
    """The value at a dotted key (``groups.adult.states.intro.exits[0].share``); KeyError."""
    node: Any = tree
    for name, index in _PART.findall(key):
        node = node[int(index)] if index else node[name]
    return node


def words(key: str, value: Any, lang: str, labels: dict[str, str] | None = None) -> str:
    """A config value in words and units: ``6,0 Mkr``, ``12 %``, ``vuxna 58 %, barn 39 %``."""
    if isinstance(value, bool):
        return i18n.catalogue.entry("units", "true" if value else "false", lang)
    if isinstance(value, int | float):
        if key.endswith(("year", "seed", "months")):
            return str(int(value))
        if _AMOUNT.search(key):
            if abs(value) >= 100_000:
                return i18n.amount(float(value), lang)
            return i18n.catalogue.entry("units", "kr", lang).format(x=i18n.plain(value, lang))
        if _SHARE.search(key.rsplit(".", 1)[-1]) or (_SHARE.search(key) and value <= 1):
            return i18n.percent(float(value), lang)
        return i18n.plain(value, lang)
    if isinstance(value, dict):
        parts = []
        for k, v in value.items():
            if k == "to":
                parts.append("→ " + i18n.state_label(str(v), lang, labels))
                continue
            shown = words(f"{key}.{k}", v, lang, labels)
            if k in FIELDS:
                parts.append(text(f"field_{k}", lang).format(x=shown))
            else:
                parts.append(f"{_name(k, lang, labels)} {shown}")
        return ", ".join(parts)
    if isinstance(value, list):
        return "; ".join(words(key, v, lang, labels) for v in value)
    return str(value)


def _name(name: str, lang: str, labels: dict[str, str] | None) -> str:
    """A group, state or component by its label; other names (fields) as they are."""
    for label in (i18n.group_label, i18n.state_label, i18n.component_label):
        shown = label(name, lang, labels)
        if shown not in (name, name.replace("_", " ")):
            return shown
    return name.replace("_", " ")


def main_assumption_table(data: ReportData, lang: str) -> Table:
    tree = tomllib.loads(str(data.ds.attrs["config_toml"]))
    sources = dict(tree.get("meta", {}).get("sources", {}))
    comments = {a.key: a.source for a in data.assumptions}
    rows = []
    for key in sources or DEFAULT_KEYS:
        try:
            value = lookup(tree, key)
        except (KeyError, IndexError, TypeError):
            continue
        label = i18n.key_label(key, lang, data.labels) or key
        label = label.removesuffix(" (kr)").removesuffix(" (SEK)")
        source = sources.get(key) or comments.get(key) or "–"
        rows.append((label, words(key, value, lang, data.labels), source))
    cols = (
        Column(text("c_assumption", lang)),
        Column(text("c_value", lang)),
        Column(text("c_main_source", lang)),
    )
    return Table(
        "main_assumptions",
        text("t_main_assumptions", lang),
        cols,
        tuple(rows),
        sheet=text("s_main_assumptions", lang),
    )
