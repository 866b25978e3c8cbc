"""Error messages in the command line's language.

The layers below write a bad input's message in English, in one shape (``config.errors``):
``[file: ]dotted.path: rule (got value)``, several of them under a header line
``N problems in the config:``. Here, at the command line's edge, each line of the message is
matched against a catalogue of regular expressions with Swedish templates
(``cli/locale/sv_errors.toml``, which a Swedish writer edits): the pattern describes the rule,
its named groups (``(?P<limit>…)``) are the numbers, names and values the template fills in
verbatim, and whatever stands before the rule (the file name, the dotted path, each ending in
``": "``) is kept as written, with the few words it may hold ("row 3", "column 'x'") from
the catalogue's ``[leads]``. A line no pattern matches, or whose lead holds English words
(a rule the catalogue lacks before one it knows), stays in English, whole: a line is never
half translated.

``(got value)`` at the end of a line is the bad value as the author wrote it: it is kept
verbatim and only the word "got" is translated.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources

from .language import lang

#: Words of an English rule: a lead (what stands before the rule: file name, dotted path,
#: row) that holds one outside quotes is not a lead but a rule the catalogue lacks.
_ENGLISH = re.compile(r"\b(the|is|are|not|must|should|cannot|with|has|have|does|than)\b")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
#: The end of a line that shows the bad value: `` (got 0)``.
_GOT = " (got "


#: Sections of the catalogue that are not rules: plain words, and the words before a rule.
_NOT_RULES = ("words", "leads")


@cache
def sections(language: str) -> Mapping[str, Mapping[str, str]]:
    """The error catalogue of ``language`` as written (section → pattern → template);
    empty for English or a language without one."""
    if language == "en":
        return {}
    source = resources.files(__package__) / "locale" / f"{language}_errors.toml"
    try:
        return tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}  # a catalogue that cannot be read: the messages in English, never a crash


@cache
def patterns(language: str) -> Sequence[tuple[re.Pattern[str], str]]:
    """(compiled pattern, template) of each rule of ``language``'s error catalogue, in file
    order (the first match wins)."""
    rules = [
        (rule, template)
        for name, section in sections(language).items()
        if name not in _NOT_RULES
        for rule, template in section.items()
    ]
    # Whatever precedes the rule (file name, dotted path, row; each ending in ": ") is the
    # lead; the shortest lead is tried first, so the longest rule wins. A pattern that does
    # not compile is left out (the catalogue test names it).
    return tuple((p, t) for rule, t in rules if (p := _compiled(rf"(?P<lead>(?:.*?: )?){rule}")))


def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error:
        return None


@cache
def leads(language: str) -> Sequence[tuple[re.Pattern[str], str]]:
    """(pattern, template) of the words a lead may hold ("row 3", "column 'x'")."""
    found = sections(language).get("leads", {}).items()
    return tuple((p, v) for k, v in found if (p := _compiled(k)))


def _lead(text: str, language: str) -> str:
    for pattern, template in leads(language):
        text = pattern.sub(lambda m, t=template: t.format(**m.groupdict(default="")), text)
    return text


def translate_line(line: str, language: str | None = None) -> str | None:
    """``line`` (one line of an English error message) in ``language`` (default: the
    command line's), or None where the catalogue knows no pattern for it."""
    language = language or lang()
    body, got = _split_got(line)
    for pattern, template in patterns(language):
        found = pattern.fullmatch(body)
        if found is None:
            continue
        lead = _lead(found["lead"], language)
        if _ENGLISH.search(_QUOTED.sub("", lead)):
            return None  # an English rule before a known one: the whole line stays English
        try:
            text = lead + template.format(**found.groupdict(default=""))
        except (KeyError, IndexError, ValueError):
            return None  # a broken template: the English line, not a garbled one
        if got is not None:
            text += f" ({sections(language).get('words', {}).get('got', 'got')} {got})"
        return text
    return None


def translate(message: str, language: str | None = None) -> str:
    """Every line of ``message`` that the catalogue knows, in ``language``; the others (and
    everything in English) as written. Leading spaces (the list under a header) are kept."""
    language = language or lang()
    if language == "en" or not patterns(language):
        return message
    out = []
    for line in message.split("\n"):
        body = line.lstrip(" ")
        swedish = translate_line(body, language) if body else None
        out.append(line if swedish is None else line[: len(line) - len(body)] + swedish)
    return "\n".join(out)


def _split_got(line: str) -> tuple[str, str | None]:
    """(the line without its `` (got value)`` ending, the value) or (line, None)."""
    at = line.rfind(_GOT)
    if at < 0 or not line.endswith(")"):
        return line, None
    return line[:at], line[at + len(_GOT) : -1]
