"""Own states (DESIGN §15) on the command line: a bad state is refused with its dotted path
(exit 2, nothing written), and the tables print the states by their labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from balanskonto.cli import main

from own_states import CARE_CHAIN


@pytest.fixture
def care(tmp_path: Path) -> Path:
    path = tmp_path / "care.toml"
    path.write_text(CARE_CHAIN, encoding="utf-8")
    return path


@pytest.fixture
def bad_state(tmp_path: Path) -> Path:
    """The care chain with an exit to a state it does not declare."""
    old = '{ to = "arbete", annual_probability = 0.3, labour_market = "work" }'
    assert CARE_CHAIN.count(old) == 1
    path = tmp_path / "bad.toml"
    bad = old.replace('"arbete"', '"self_sufficient"')
    path.write_text(CARE_CHAIN.replace(old, bad), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["run", "validate", "expected"])
def test_a_bad_state_exits_2_naming_the_path(tmp_path, capsys, monkeypatch, bad_state, command):
    monkeypatch.setenv("BALANSKONTO_LANG", "en")
    out = tmp_path / "x.nc"
    argv = [command, str(bad_state)]
    if command == "run":
        argv += ["--out", str(out), "--runs", "2", "--quiet"]
    before = sorted(tmp_path.rglob("*"))
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert "groups.ensam.states.eget_boende.exits[0].to" in captured.err
    assert "'self_sufficient'" in captured.err and "'hvb'" in captured.err
    assert captured.out == ""
    assert sorted(tmp_path.rglob("*")) == before


def test_validate_prints_the_states_by_their_labels(capsys, care):
    assert main(["validate", str(care), "--lang", "sv"]) == 0
    out = capsys.readouterr().out
    for label in ("HVB-hem", "Stödboende", "Eget boende", "→Arbete", "kvar i HVB-hem"):
        assert label in out, label
    assert "stodboende" not in out and "eget_boende" not in out


def test_run_and_expected_accept_own_states(tmp_path, capsys, care):
    out = tmp_path / "care.nc"
    assert main(["run", str(care), "--runs", "20", "--quiet", "--out", str(out)]) == 0
    assert out.exists()
    assert main(["expected", str(care), "--lang", "sv"]) == 0
    assert "Placeringskostnad" in capsys.readouterr().out
