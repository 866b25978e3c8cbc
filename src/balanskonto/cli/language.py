"""The command line's language: Swedish by default, English with ``--lang en``.

The code writes its messages, table headers and ``--help`` texts in English, as the keys of a
catalogue (the way gettext works); ``cli/locale/sv.toml`` gives each its Swedish words, and a
Swedish writer edits that file without touching code. A text the catalogue lacks is shown in
English, so a new command works before it is translated.

The language is chosen before the arguments are parsed (``--help`` must already speak it):
``--lang en`` / ``--lang=en`` anywhere on the line, else the environment variable
``BALANSKONTO_LANG``, else Swedish. argparse's own words ("usage:", "options", its error
messages) are translated too, while the command line runs (:func:`speaking`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from functools import cache
from importlib import resources

LANGS = ("sv", "en")
DEFAULT = "sv"
_current: ContextVar[str | None] = ContextVar("balanskonto_cli_lang", default=None)


def choose(argv: Sequence[str]) -> str:
    """The language an argument list asks for (``--lang en``, ``--lang=en``), else
    ``$BALANSKONTO_LANG``, else Swedish; an unknown value is left to argparse to refuse."""
    for i, arg in enumerate(argv):
        value = None
        if arg == "--lang" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
        if value in LANGS:
            return value
    env = os.environ.get("BALANSKONTO_LANG", "")
    return env if env in LANGS else DEFAULT


def lang() -> str:
    """The language the command line speaks now (outside :func:`speaking`: the one
    ``$BALANSKONTO_LANG`` names, else Swedish)."""
    return _current.get() or choose(())


@cache
def catalogue(language: str) -> Mapping[str, str]:
    """English text → its words in ``language`` (empty for English)."""
    if language == "en":
        return {}
    path = resources.files(__package__) / "locale" / f"{language}.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {k: v for section in data.values() for k, v in section.items()}


def tr(text: str, **slots: object) -> str:
    """``text`` (English, the key) in the current language, its ``{slots}`` filled in."""
    words = catalogue(lang()).get(text, text)
    return words.format(**slots) if slots else words


def say(text: str, **slots: object) -> None:
    """Print ``tr(text, **slots)`` to standard output."""
    print(tr(text, **slots))


# --------------------------------------------------------------------------------------
# Names of a config's groups, states and components (the report's labels, one function per
# kind, so that a config's [labels] show everywhere)
# --------------------------------------------------------------------------------------
def labels_of(config: object) -> Mapping[str, str] | None:
    """The config's ``[labels]`` (display texts by name), if it has any."""
    labels = getattr(config, "labels", None)
    return dict(labels) if labels else None


def component(name: str, labels: Mapping[str, str] | None = None) -> str:
    from ..report.i18n import component_label

    return component_label(name, lang(), labels)


def state(name: str, labels: Mapping[str, str] | None = None) -> str:
    from ..report.i18n import state_label

    return state_label(name, lang(), labels)


def group(name: str, labels: Mapping[str, str] | None = None) -> str:
    from ..report.i18n import group_label

    return group_label(name, lang(), labels)


def _argparse_words(message: str) -> str:
    return catalogue(lang()).get(message, message)


def _translate_parser(parser: argparse.ArgumentParser) -> None:
    """The help texts of ``parser`` and its subcommands in the current language."""
    if parser.description:
        parser.description = tr(parser.description)
    for action in parser._actions:
        if action.help and action.help is not argparse.SUPPRESS:
            action.help = tr(action.help)
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                choice.help = tr(choice.help) if choice.help else choice.help
            for sub in set(action.choices.values()):
                _translate_parser(sub)


@contextlib.contextmanager
def speaking(language: str) -> Iterator[None]:
    """Run the command line in ``language``: messages, tables and argparse's own words."""
    token = _current.set(language)
    saved = argparse._
    argparse._ = _argparse_words  # argparse looks its words up through this name
    try:
        yield
    finally:
        argparse._ = saved
        _current.reset(token)


def translated(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``parser`` with its help texts in the current language (English: as written)."""
    if lang() != "en":
        _translate_parser(parser)
    return parser
