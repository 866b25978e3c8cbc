"""``balanskonto kalibrera``: what it writes and prints, and that bad input writes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import balanskonto as bk
from balanskonto.cli import main

ROOT = Path(__file__).resolve().parents[2]
SPELLS = ROOT / "configs" / "exempel_spells.csv"
BASE = ROOT / "configs" / "exempel_2026.toml"


def test_kalibrera_writes_config_population_and_figures(tmp_path, capsys):
    out = tmp_path / "fitted.toml"
    argv = ["kalibrera", str(SPELLS), "--as-of", "2025-12", "--config", str(BASE)]
    assert main([*argv, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "6 mån" in text and "36 mån" in text and "adult/intro" in text
    assert "NB:" in text  # the states the extract cannot carry are named
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "fitted.toml", "fitted_figures", "fitted_population.csv",
    ]  # fmt: skip
    figures = sorted(p.name for p in (tmp_path / "fitted_figures").iterdir())
    assert "adult_intro.png" in figures
    fitted = bk.load_config(out)
    assert sum(r.count for r in fitted.population.rows) == 400
    toml = out.read_text(encoding="utf-8")
    assert "# Fitted by balanskonto" in toml and "# → self_sufficient:" in toml
    assert "[uncertainty.labour_market]" in toml  # the base's other tables are kept
    assert "Hultsfred 2019" in toml  # with their comments
    assert bk.expected(fitted)["balance"].notnull().all()


def test_the_alias_calibrate_and_the_default_base(tmp_path, capsys):
    """Without --config the bundled example is the base (the groups match)."""
    out = tmp_path / "f.toml"
    assert main(["calibrate", str(SPELLS), "--as-of", "2025-12", "--out", str(out)]) == 0
    assert "base example.toml" in capsys.readouterr().out
    assert out.exists()


@pytest.fixture
def english(monkeypatch):
    """These read the English messages (the Swedish ones: tests/cli/test_error_language.py)."""
    monkeypatch.setenv("BALANSKONTO_LANG", "en")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.__setitem__(2, "2025-13"), "--as-of: not a month"),
        (lambda a: a.__setitem__(-1, a[-1].replace(".toml", ".txt")), "--out: the fitted config"),
        (lambda a: a.__setitem__(0, "missing.csv"), "no such spells file"),
        (lambda a: a.__setitem__(2, "2025-06"), "after --as-of 2025-06"),
        (lambda a: a.extend(["--min-persons", "0"]), "--min-persons"),
    ],
)
def test_bad_arguments_exit_2_and_write_nothing(tmp_path, capsys, change, message, english):
    args = [str(SPELLS), "--as-of", "2025-12", "--config", str(BASE), "--out"]
    args.append(str(tmp_path / "out" / "fitted.toml"))
    change(args)
    assert main(["kalibrera", *args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_bad_spells_exit_2_name_the_row_and_write_nothing(tmp_path, capsys, english):
    bad = tmp_path / "spells.csv"
    lines = SPELLS.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("syn003,"))
    fields = lines[at].split(",")
    fields[3] = "employed"
    lines[at] = ",".join(fields)
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out" / "fitted.toml"
    argv = ["kalibrera", str(bad), "--as-of", "2025-12", "--config", str(BASE), "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"row {at + 1} (syn003): state: not a state" in err and "'employed'" in err
    assert not (tmp_path / "out").exists()


def test_a_group_missing_from_the_base_config_exits_2(tmp_path, capsys, english):
    base = tmp_path / "base.toml"
    shutil.copy(ROOT / "configs" / "sodertalje_2008.toml", base)  # adult, child, elderly too
    text = base.read_text(encoding="utf-8").replace("elderly", "senior")
    base.write_text(text, encoding="utf-8")
    out = tmp_path / "out" / "f.toml"
    argv = ["kalibrera", str(SPELLS), "--as-of", "2025-12", "--config", str(base), "--out"]
    assert main([*argv, str(out)]) == 2
    assert "group: not a group of the config" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_base_config_with_household_groups_exits_2(tmp_path, capsys, english):
    """Spells are a person's: a household group's population would count households."""
    out = tmp_path / "out" / "f.toml"
    base = ROOT / "configs" / "nacka_2018.toml"
    argv = ["kalibrera", str(SPELLS), "--as-of", "2025-12", "--config", str(base), "--out"]
    assert main([*argv, str(out)]) == 2
    err = capsys.readouterr().err
    assert "--config: " in err and "'familj' is a household group" in err
    assert not (tmp_path / "out").exists()
