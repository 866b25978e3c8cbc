"""``kalibrera`` with a config of its own states (DESIGN §15): the spells are checked against
the config's states, the fitted config keeps them, and the moves the base marks as work stay
marked (the extract says when people move, not which moves are work)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import balanskonto as bk
from balanskonto.analysis.synthetic import spells_csv, synthetic_spells
from balanskonto.cli import main
from balanskonto.model import compile_model

from own_states import CARE_CHAIN, care_chain


def test_kalibrera_fits_own_states_and_keeps_the_work_marks(tmp_path: Path, capsys):
    base = tmp_path / "care.toml"
    base.write_text(CARE_CHAIN, encoding="utf-8")
    spells = tmp_path / "spells.csv"
    spells.write_text(spells_csv(synthetic_spells(care_chain(), 800, "2022-01", "2025-12", 4)))
    out = tmp_path / "fitted.toml"
    argv = ["kalibrera", str(spells), "--as-of", "2025-12", "--config", str(base)]
    assert main([*argv, "--out", str(out), "--lang", "sv"]) == 0
    assert "ensam/stodboende" in capsys.readouterr().out
    fitted = bk.load_config(out)
    assert fitted.state_names == care_chain().state_names
    text = out.read_text(encoding="utf-8")
    assert "# → arbete:" in text and 'labour_market = "work"' in text
    model, original = compile_model(fitted), compile_model(care_chain())
    np.testing.assert_array_equal(model.work_to, original.work_to)


def test_kalibrera_refuses_a_spell_in_a_state_the_config_lacks(tmp_path: Path, capsys):
    base = tmp_path / "care.toml"
    base.write_text(CARE_CHAIN, encoding="utf-8")
    spells = tmp_path / "spells.csv"
    spells.write_text(
        "person,group,arrival,state,start,end\n"
        "p1,ensam,2024-01,hvb,2024-01,2024-06\n"
        "p1,ensam,2024-01,intro,2024-07,\n"
    )
    out = tmp_path / "fitted.toml"
    argv = ["kalibrera", str(spells), "--as-of", "2025-12", "--config", str(base)]
    assert main([*argv, "--out", str(out), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "row 3 (p1): state: not a state" in err and "'intro'" in err
    assert not out.exists()
