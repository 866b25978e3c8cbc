"""The appendix's catalogues (report/locale/<lang>.toml) and their lookup (report.i18n,
report.catalogue): the languages have the same names and the same slots, every name the code
asks for is there (in its text and when the whole appendix of two results is made), no
template is dead, and a missing name is an error that names it and the file."""

from __future__ import annotations

import ast
import fnmatch
import shutil
import string
import tomllib
from pathlib import Path

import pytest

import balanskonto as bk
from balanskonto.report import catalogue, content, excel, figures, i18n, markdown
from balanskonto.report.catalogue import LANGS, SECTIONS, CatalogueError
from balanskonto.report.data import collect

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / "src" / "balanskonto" / "report"
#: Functions whose argument is a name of the catalogue: name → (section, its argument).
LOOKUPS = {
    "text": ("text", 0),
    "figure_text": ("figure", 0),
    "word": ("figure", 0),  # figures.word
    "w": ("text", 0),  # content.Writer
    "_unit": ("units", 0),  # numbers._unit
}


@pytest.fixture
def fresh_catalogues():
    """The catalogues read anew in the test (and afterwards, from the package again)."""
    catalogue.load.cache_clear()
    yield
    catalogue.load.cache_clear()


def _slots(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_every_language_has_a_catalogue_in_the_package():
    for lang in LANGS:
        path = catalogue.path(lang)
        assert path.is_file(), path
        assert set(catalogue.load(lang)) == set(SECTIONS)


def test_the_catalogues_are_package_data():
    """The wheel carries report/locale/*.toml: pyproject's package-data matches each file."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"].get("balanskonto.report", [])
    for lang in LANGS:
        assert any(fnmatch.fnmatch(f"locale/{lang}.toml", p) for p in patterns), patterns


def test_the_catalogues_have_the_same_names():
    first, *others = LANGS
    for lang in others:
        for section in SECTIONS:
            a, b = set(catalogue.load(first)[section]), set(catalogue.load(lang)[section])
            assert a == b, (
                f"[{section}]: only in {first}.toml: {sorted(a - b)}; "
                f"only in {lang}.toml: {sorted(b - a)}"
            )


def test_the_languages_fill_the_same_slots():
    first, *others = LANGS
    for lang in others:
        for section in SECTIONS:
            for name, template in catalogue.load(first)[section].items():
                other = catalogue.load(lang)[section].get(name)  # None: the test above
                if other is not None:
                    assert _slots(template) == _slots(other), f"[{section}] {name}"


def test_no_string_has_a_digit():
    """Every number of the appendix comes from the quantities, never from a template."""
    for lang in LANGS:
        for section, table in catalogue.load(lang).items():
            for name, template in table.items():
                words = string.Formatter().parse(template)
                rest = "".join(literal for literal, *_ in words).replace("SHA-256", "")
                assert not any(c.isdigit() for c in rest), f"{lang}.toml [{section}] {name}"


def _report_code() -> list[ast.Module]:
    return [ast.parse(p.read_text(encoding="utf-8")) for p in sorted(REPORT.glob("*.py"))]


def _asked_for() -> set[tuple[str, str]]:
    """(section, name) of every call in the report's code that names a string of the
    catalogue with a literal (both branches of ``a if c else b``)."""
    found = set()
    for module in _report_code():
        for node in ast.walk(module):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            args = [a for a in node.args if not isinstance(a, ast.Starred)]
            if name == "entry" and len(args) >= 2 and isinstance(args[0], ast.Constant):
                section, arg = args[0].value, args[1]
            elif name in LOOKUPS:
                section, arg = LOOKUPS[name][0], args[LOOKUPS[name][1]]
            else:
                continue
            branches = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]
            for b in branches:
                if isinstance(b, ast.Constant) and isinstance(b.value, str):
                    found.add((section, b.value))
    return found


def test_every_name_the_code_asks_for_is_in_every_catalogue():
    asked = _asked_for()
    assert len(asked) > 80, "the scan of the report's code found too few look-ups"
    assert {s for s, _ in asked} >= {"text", "figure", "factor", "units"}
    for lang in LANGS:
        missing = sorted(f"[{s}] {n}" for s, n in asked if n not in catalogue.load(lang)[s])
        assert not missing, f"{lang}.toml lacks {missing}"


@pytest.fixture(scope="module")
def results(sodertalje) -> dict:
    """Two small results: with uncertainty factors (the example) and without (Södertälje)."""
    example = bk.load_config(ROOT / "configs" / "exempel_2026.toml")
    return {
        "with_factors": bk.simulate(example, runs=100),
        "without_factors": bk.simulate(sodertalje, runs=100),
    }


def test_the_whole_appendix_finds_every_string_and_uses_every_template(
    results, tmp_path, monkeypatch
):
    """Text, tables, figures, Markdown and Excel of both results in both languages: every
    string asked for is in every catalogue; and every template of [text], [figure] and
    [units] is asked for here or named in the report's code (none is dead, to be translated
    for nothing)."""
    asked: set[tuple[str, str]] = set()
    entry = catalogue.entry

    def recording(section: str, name: str, lang: str) -> str:
        asked.add((section, name))
        return entry(section, name, lang)

    monkeypatch.setattr(catalogue, "entry", recording)
    for which, ds in results.items():
        data = collect(ds)
        for lang in LANGS:
            doc = content.build(data, lang)
            for f in doc.figures:
                figures.chart(f.key, data, lang)
            markdown.render(doc, {f.key: (Path(f"{f.key}.png"), Path()) for f in doc.figures})
            excel.write(doc, tmp_path / f"{which}_{lang}.xlsx")
    assert len(asked) > 100
    for lang in LANGS:
        missing = sorted(f"[{s}] {n}" for s, n in asked if n not in catalogue.load(lang)[s])
        assert not missing, f"{lang}.toml lacks {missing}"
    named = {
        node.value
        for module in _report_code()
        for node in ast.walk(module)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    for section in ("text", "figure", "units"):
        used = {n for s, n in asked if s == section} | named
        dead = sorted(set(catalogue.load(LANGS[0])[section]) - used)
        assert not dead, f"[{section}] has strings the report never asks for: {dead}"


def test_every_config_key_pattern_has_its_words_and_no_more():
    names = [name for _, name in i18n._KEYS]
    assert len(set(names)) == len(names)
    for lang in LANGS:
        assert set(names) == set(catalogue.load(lang)["config_key"]), lang


def test_a_missing_name_is_an_error_naming_it_and_the_file():
    with pytest.raises(CatalogueError) as err:
        i18n.text("h_no_such_heading", "sv")
    message = str(err.value)
    assert "'h_no_such_heading'" in message
    assert "[text]" in message
    assert str(Path("locale") / "sv.toml") in message
    with pytest.raises(CatalogueError, match=r"en\.toml: no text 'no_such_word' in \[figure\]"):
        i18n.figure_text("no_such_word", "en")
    with pytest.raises(ValueError, match="language: must be one of sv, en"):
        i18n.text("h_title", "de")


def _edited_catalogue(tmp_path: Path, monkeypatch, edit) -> Path:
    """A copy of sv.toml changed by ``edit`` (text → text), read in place of the package's."""
    path = tmp_path / "sv.toml"
    shutil.copy(str(catalogue.path("sv")), path)
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    monkeypatch.setattr(catalogue, "path", lambda lang: path)
    return path


def test_a_name_deleted_from_a_file_is_an_error_naming_the_file(
    tmp_path, monkeypatch, fresh_catalogues
):
    def drop_h_summary(text: str) -> str:
        return "\n".join(x for x in text.splitlines() if not x.startswith("h_summary ="))

    path = _edited_catalogue(tmp_path, monkeypatch, drop_h_summary)
    assert i18n.text("h_title", "sv") == "Riskbilaga: {title}"
    with pytest.raises(CatalogueError, match="'h_summary'") as err:
        i18n.text("h_summary", "sv")
    assert str(path) in str(err.value)
    assert 'h_summary = "…" under [text]' in str(err.value)


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (lambda t: t.replace('h_title = "', "h_title = ", 1), "cannot read the catalogue"),
        (lambda t: t.replace("[figure]", "[figures]", 1), "unknown section [figures]"),
        (lambda t: t + "\n[units]\nfree = 1\n", "cannot read the catalogue"),  # a table twice
        (lambda t: t.replace('h_summary = "Sammanfattning"', "h_summary = 3"), "must be a text"),
    ],
)
def test_a_broken_catalogue_is_an_error_naming_the_file(
    tmp_path, monkeypatch, fresh_catalogues, edit, says
):
    path = _edited_catalogue(tmp_path, monkeypatch, edit)
    with pytest.raises(CatalogueError, match=str(path).replace("\\", "\\\\")) as err:
        i18n.text("h_title", "sv")
    assert says in str(err.value)


def test_labels_of_names_the_catalogue_lacks_are_the_names():
    assert i18n.state_label("income_support", "sv") == "försörjningsstöd"
    assert i18n.state_label("waiting_list", "sv") == "waiting list"
    assert i18n.group_label("adult", "en") == "adults"
    assert i18n.component_label("rent_top_up", "en") == "rent top up"


def test_factor_and_key_labels_from_the_catalogue():
    targets = {"groups.adult.states.intro.exits[0].share": "self_sufficient"}
    share = "share:groups.adult.states.intro.exits[0].share"
    assert i18n.factor_label(share, "sv", targets) == "andel etablering → egen försörjning, vuxna"
    assert i18n.factor_label(share, "en") == "share introduction → ?, adults"
    relocation = "share:groups.child.relocation.annual_probability"
    assert i18n.factor_label(relocation, "sv") == "flyttrisk, barn"
    assert i18n.factor_label("level:sfi", "en") == "level: SFI (Swedish for immigrants)"
    assert i18n.factor_label("policy[0]:schablon", "sv") == "policyändring: schablonersättning"
    assert i18n.factor_label("labour_market (mean)", "sv") == "arbetsmarknaden, medel över åren"
    assert i18n.factor_label("something_else", "sv") == "something_else"
    key = "groups.adult.states.intro.max_months"
    assert i18n.key_label(key, "sv") == "Längsta tid i etablering, vuxna (månader)"
    assert i18n.key_label("groups.child.payments.schablon.months", "en") == (
        "Payment schedule: schablon (state compensation), children"
    )
    assert i18n.key_label("policy[2].note", "sv") == "Policyändring: beskrivning"
    assert i18n.key_label("no.such.key", "sv") == ""


def test_a_configs_labels_come_first(tmp_path):
    """Every display name goes through one function per kind that takes the config's
    [labels] (DESIGN §15); passed directly here, as the config will pass them."""
    import dataclasses

    labels = {"schablon": "Statlig ersättning", "income_support": "Ekonomiskt bistånd"}
    assert i18n.component_label("schablon", "sv", labels) == "Statlig ersättning"
    assert i18n.state_label("income_support", "en", labels) == "Ekonomiskt bistånd"
    assert i18n.group_label("adult", "sv", labels) == "vuxna"  # not labelled: the catalogue
    ds = bk.simulate(bk.load_config(ROOT / "configs" / "sodertalje_2008.toml"), runs=20)
    data = dataclasses.replace(collect(ds), labels=labels)
    doc = content.build(data, "sv")
    tables = {t.key: t for t in doc.of_type(content.Table)}
    assert any(row[1] == "Statlig ersättning" for row in tables["components"].rows)
    assert "Ekonomiskt bistånd" in [c.label for c in tables["persons"].columns]
