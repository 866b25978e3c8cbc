"""Error messages in Swedish (issue 14, item 8): the same bad inputs through the command line
in Swedish and in English. Swedish: exit 2, nothing written, the dotted path, the file and
the shown value as written, and every line of the message known to the error catalogue
(``cli/locale/sv_errors.toml``), so no English rule is left. English: as it was."""

from __future__ import annotations

import re
import shutil
import string
from collections.abc import Callable
from pathlib import Path

import pytest

from balanskonto.cli import main
from balanskonto.cli.errors import leads, patterns, sections, translate, translate_line

from conftest import CONFIGS, batch_file

SODERTALJE = (CONFIGS / "sodertalje_2008.toml").read_text(encoding="utf-8")
EXAMPLE = CONFIGS / "exempel_2026.toml"
SPELLS = CONFIGS / "exempel_spells.csv"

#: Words of an English rule; none may be left in a Swedish message (file names and shown
#: values taken out).
ENGLISH = re.compile(
    r"\b(should|must|the|is|are|not|no such|required|missing|unknown|problems?|got|give|"
    r"line|row|column|cannot|valid|Input|Field|greater|less|than|or|and|file)\b"
)


def _config(tmp: Path, old: str, new: str, name: str = "bad.toml") -> Path:
    assert SODERTALJE.count(old) >= 1, old
    path = tmp / name
    path.write_text(SODERTALJE.replace(old, new, 1), encoding="utf-8")
    return path


def _run(path: Path, tmp: Path) -> list[str]:
    return ["run", str(path), "--runs", "2", "--quiet", "--out", str(tmp / "out" / "x.nc")]


def _population(tmp: Path) -> list[str]:
    shutil.copy(EXAMPLE, tmp / "base.toml")
    rows = (CONFIGS / "exempel_2026_befolkning.csv").read_text(encoding="utf-8")
    (tmp / "exempel_2026_befolkning.csv").write_text(
        rows.replace("2023-01,adult,self_sufficient,12,1", "2023-01,adult,self_sufficient,tolv,1"),
        encoding="utf-8",
    )
    return _run(tmp / "base.toml", tmp)


def _municipalities(tmp: Path) -> list[str]:
    shutil.copy(EXAMPLE, tmp / "base.toml")
    shutil.copy(CONFIGS / "exempel_2026_befolkning.csv", tmp)
    (tmp / "kommuner.csv").write_text(
        "kommunkod;namn;arrivals.per_year\n0180;A;x\n", encoding="utf-8"
    )
    (tmp / "national.toml").write_text(
        'base = "base.toml"\nruns = 4\nseed = 5\nmunicipalities = "kommuner.csv"\n'
        "[scenarios.bas]\n",
        encoding="utf-8",
    )
    return ["batch", str(tmp / "national.toml"), "--quiet", "--out", str(tmp / "out" / "n.nc")]


def _spells(tmp: Path) -> list[str]:
    lines = SPELLS.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("syn003,"))
    fields = lines[at].split(",")
    fields[3] = "employed"
    lines[at] = ",".join(fields)
    (tmp / "spells.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp / "out" / "fitted.toml"
    spells = str(tmp / "spells.csv")
    return ["kalibrera", spells, "--as-of", "2025-12", "--config", str(EXAMPLE), "--out", str(out)]


def _cp1252(tmp: Path) -> list[str]:
    (tmp / "ansi.toml").write_bytes(SODERTALJE.encode("cp1252"))
    return ["validate", str(tmp / "ansi.toml")]


#: (id, argv from a fresh folder, a text both languages show as written (path, value),
#: a text of the English message)
CASES: list[tuple[str, Callable[[Path], list[str]], list[str], str]] = [
    (
        "greater than or equal",
        lambda t: _run(_config(t, "years = 10", "years = 0"), t),
        ["simulation.years: ", " 0)"],
        "simulation.years: Input should be greater than or equal to 1 (got 0)",
    ),
    (
        "unknown key",
        lambda t: ["validate", str(_config(t, "opening = 0", "opening = 0\nopenning = 5"))],
        ["balance.openning: "],
        "balance.openning: unknown key (check its spelling",
    ),
    (
        "missing key and the header",
        lambda t: ["expected", str(_config(t, "[arrivals]", "[arrivalz]"))],
        ["arrivals: ", "arrivalz: "],
        "problems in the config:\n  arrivals: required key is missing",
    ),
    (
        "not a number",
        lambda t: _run(_config(t, "opening = 0", 'opening = "sex miljoner"'), t),
        ["balance.opening: ", " 'sex miljoner')"],
        "balance.opening: Input should be a valid number",
    ),
    (
        "literal choices",
        lambda t: ["validate", str(_config(t, 'distribution = "fixed"', 'distribution = "x"'))],
        ["arrivals.distribution: ", " 'x')"],
        "Input should be 'fixed', 'poisson' or 'negative_binomial' (got 'x')",
    ),
    (
        "less than or equal",
        lambda t: [
            "validate",
            str(_config(t, "share = 0.50, at_month = 18", "share = 1.5, at_month = 18")),
        ],
        ["groups.adult.states.intro.exits[2].share: ", " 1.5)"],
        "Input should be less than or equal to 1 (got 1.5)",
    ),
    (
        "decimal comma",
        lambda t: ["validate", str(_config(t, "opening = 0", "opening = 0,30"))],
        ["decimaltecknet ska vara punkt: 0.30 (inte 0,30)"],
        "not valid TOML: ",
    ),
    (
        "not UTF-8",
        _cp1252,
        ["ansi.toml: ", "spara den som UTF-8"],
        "not UTF-8 text (",
    ),
    (
        "no such file",
        lambda t: ["validate", str(t / "saknas.toml")],
        ["saknas.toml: "],
        "saknas.toml: no such config file",
    ),
    (
        "state name",
        lambda t: ["validate", str(_config(t, 'start = "intro"', 'start = "working"'))],
        ["groups.adult.start: ", " 'working')"],
        "not a state of the config (states: ",
    ),
    (
        "group name",
        lambda t: ["validate", str(_config(t, "elderly = 0.02", "senior = 0.02"))],
        ["arrivals.mix.senior: ", " 0.02)"],
        "names no group (groups: ['adult', 'child', 'elderly'])",
    ),
    (
        "household members",
        lambda t: [
            "validate",
            str(
                _config(
                    t,
                    'start = "self_sufficient"\n',
                    'start = "self_sufficient"\nmembers = { child = 0 }\n',
                )
            ),
        ],
        ["groups.child.members.child: ", " 0)"],
        "Input should be greater than or equal to 1 (got 0)",
    ),
    (
        "exits over one",
        lambda t: _run(_config(t, "share = 0.10, at_month = 3", "share = 0.95, at_month = 3"), t),
        ["groups.adult.states.intro.exits: ", "'adult'"],
        "the conditional probabilities sum above 1",
    ),
    (
        "population row",
        _population,
        ["befolkning.csv, ", "months_in_state: ", " 'tolv')"],
        "row 5: months_in_state: Input should be a valid integer",
    ),
    (
        "municipality cell",
        _municipalities,
        ["kommuner.csv, ", "'arrivals.per_year': ", " 'x')"],
        "row 2, column 'arrivals.per_year': must be a number (got 'x')",
    ),
    (
        "batch key",
        lambda t: (
            [
                "batch",
                str(batch_file(t, "runz = 4\n[scenarios.a]\n")),
                "--quiet",
                "--out",
                str(t / "out" / "b.nc"),
            ]
        ),
        ["runz: "],
        "unknown key in a batch file",
    ),
    (
        "spells row",
        _spells,
        ["(syn003): state: ", " 'employed')"],
        "(syn003): state: not a state (states: ",
    ),
    (
        "runs argument",
        lambda t: (
            [
                "run",
                str(CONFIGS / "sodertalje_2008.toml"),
                "--runs",
                "0",
                "--out",
                str(t / "out" / "x.nc"),
            ]
        ),
        ["--runs / simulation.runs: ", " 0)"],
        "must be a whole number from 1 to",
    ),
    (
        "no result file",
        lambda t: ["report", str(t / "saknas.nc"), "--out", str(t / "out")],
        ["saknas.nc: "],
        "no such result file (make one with `balanskonto run`)",
    ),
]


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _through_the_cli(tmp: Path, argv: list[str], capsys) -> str:
    before = _files(tmp)
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert _files(tmp) == before, err  # nothing written, no temp file left
    return err


@pytest.mark.parametrize(
    ("argv", "kept", "english"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_in_swedish_and_in_english(tmp_path, monkeypatch, capsys, argv, kept, english):
    args = argv(tmp_path)
    monkeypatch.setenv("BALANSKONTO_LANG", "en")
    en = _through_the_cli(tmp_path, args, capsys)
    assert en.startswith("balanskonto: error: ") and english in en, en
    monkeypatch.setenv("BALANSKONTO_LANG", "sv")
    sv = _through_the_cli(tmp_path, args, capsys)
    assert sv.startswith("balanskonto: fel: "), sv
    for text in kept:  # the dotted path, the file, the value: as written
        assert text.replace("(got", "(värdet är") in sv or text in sv, (text, sv)
    message = en.removeprefix("balanskonto: error: ").rstrip("\n")
    unknown = [line for line in message.split("\n") if translate_line(line.strip(), "sv") is None]
    assert not unknown, f"lines the catalogue does not know: {unknown}"
    assert sv == f"balanskonto: fel: {translate(message, 'sv')}\n"
    plain = sv.replace(str(tmp_path), "").replace(str(CONFIGS), "")
    plain = re.sub(r"\(värdet är .*\)$", "", plain, flags=re.M)  # the value as written
    assert not ENGLISH.search(plain.removeprefix("balanskonto: fel: ")), sv


def test_the_english_command_line_is_untouched(monkeypatch):
    monkeypatch.setenv("BALANSKONTO_LANG", "en")
    message = "simulation.years: Input should be greater than or equal to 1 (got 0)"
    assert translate(message) is message
    assert translate(message, "sv") == "simulation.years: ska vara minst 1 (värdet är 0)"


@pytest.mark.parametrize(
    ("english", "swedish"),
    [
        (
            "/tmp/a b.toml: 3 problems in the config:",
            "/tmp/a b.toml: 3 fel i konfigurationen:",
        ),
        ("… and 4 more", "… och 4 till"),
        ("x: some rule we never wrote (got 1)", None),  # unknown: stays English, whole
        ("arrivals: required key is missing (got (got 2))", None),  # odd value: not garbled
        ("x: the rule we lack is: not a number (got 1)", None),  # English before a known rule
        (
            "u.csv: line 3, value: not a number (got 'x')",
            "u.csv: rad 3, value: inte ett tal (värdet är 'x')",
        ),
    ],
)
def test_a_line_is_translated_whole_or_not_at_all(english, swedish):
    assert translate_line(english, "sv") == swedish
    assert translate(english, "sv") == (swedish or english)


def test_every_template_fills_from_its_pattern():
    """Each Swedish template's {slots} are named groups of its pattern (a slot the pattern
    lacks would fail at run time), and every pattern compiles."""
    assert len(patterns("sv")) == sum(
        len(s) for n, s in sections("sv").items() if n != "words"
    ) - len(leads("sv"))
    assert leads("sv")
    for name, section in sections("sv").items():
        if name == "words":
            continue
        for rule, template in section.items():
            groups = set(re.compile(rule).groupindex)
            slots = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
            assert slots <= groups, (name, rule, slots - groups)
            assert "lead" not in groups, rule  # the name the translator keeps for itself
