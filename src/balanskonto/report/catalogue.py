"""The catalogues of the appendix's words: one TOML file per language, ``locale/<lang>.toml``.

A catalogue has the sections of :data:`SECTIONS` (``[text]``, ``[figure]``, ``[state]``, …),
each a table of named strings; a string may have ``{slots}`` that the report fills in. The files
are package data, edited without touching code, read once per process with
:mod:`importlib.resources` and :mod:`tomllib`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from types import MappingProxyType

#: Languages of the appendix; each has a catalogue ``locale/<lang>.toml``.
LANGS: tuple[str, ...] = ("sv", "en")
#: The sections of a catalogue, each a table of named strings.
SECTIONS: tuple[str, ...] = (
    "text",  # headings, sentences, captions, column headers (i18n.text)
    "figure",  # titles, legends and axes of the figures (i18n.figure_text)
    "state",  # state labels; a state not listed is shown by its config name
    "group",  # group labels, likewise
    "component",  # component labels, likewise
    "factor",  # names of the uncertainty factors (i18n.factor_label)
    "config_key",  # what a config key means (i18n.key_label)
    "field",  # a field inside a table value, in words (main_assumptions.words)
    "units",  # numbers with a unit (numbers.py)
)


class CatalogueError(LookupError):
    """A catalogue that cannot be read, or that lacks a string; the message names the file."""


def check_lang(lang: str) -> str:
    """``lang`` if it is a language of the appendix, else ValueError naming the choices."""
    if lang not in LANGS:
        raise ValueError(f"language: must be one of {', '.join(LANGS)} (got {lang!r})")
    return lang


def path(lang: str) -> Traversable:
    """The catalogue file of ``lang`` (inside the installed package)."""
    return resources.files(__package__) / "locale" / f"{check_lang(lang)}.toml"


@cache
def load(lang: str) -> Mapping[str, Mapping[str, str]]:
    """The catalogue of ``lang``: section → name → string, read once, read-only.

    Raises
    ------
    CatalogueError
        The file is missing or not TOML, a section is missing or unknown, or a value is not
        a string; the message names the file.
    """
    file = path(lang)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise CatalogueError(f"{file}: cannot read the catalogue: {err}") from err
    for section in data:
        if section not in SECTIONS:
            raise CatalogueError(
                f"{file}: unknown section [{section}] (the sections are "
                f"{', '.join(f'[{s}]' for s in SECTIONS)})"
            )
    out = {}
    for section in SECTIONS:
        table = data.get(section)
        if not isinstance(table, dict):
            raise CatalogueError(f"{file}: the section [{section}] is missing")
        for name, value in table.items():
            if not isinstance(value, str):
                raise CatalogueError(
                    f'{file}: [{section}] {name} must be a text in quotes, "…" (got {value!r})'
                )
        out[section] = MappingProxyType(table)
    return MappingProxyType(out)


def entry(section: str, name: str, lang: str) -> str:
    """The string ``name`` of ``[section]`` in the catalogue of ``lang``.

    Raises
    ------
    CatalogueError
        The catalogue has no such string; the message names it and the file.
    """
    try:
        return load(lang)[section][name]
    except KeyError:
        raise CatalogueError(
            f"{path(lang)}: no text {name!r} in [{section}]; add a line "
            f'{_toml_key(name)} = "…" under [{section}] there and in the other languages\' '
            "catalogues"
        ) from None


def _toml_key(name: str) -> str:
    """``name`` as a key of a TOML table: bare where TOML allows it, else in quotes."""
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else f'"{name}"'


def label(section: str, name: str, lang: str) -> str:
    """The label of a config name (a state, group or component): the catalogue's words for
    it, or, for a name the catalogue does not list, the name with spaces for underscores."""
    words = load(lang)[section].get(name)
    return name.replace("_", " ") if words is None else words
