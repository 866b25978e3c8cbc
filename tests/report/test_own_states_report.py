"""Own states (DESIGN §15) in the appendix: the persons by state are the config's states,
printed by their labels."""

from __future__ import annotations

import balanskonto as bk
from balanskonto.report import report

from own_states import care_chain


def test_the_appendix_shows_the_own_states_by_their_labels(tmp_path):
    ds = bk.simulate(care_chain(), runs=30, seed=2)
    files = report(ds, tmp_path / "rapport", lang="sv", formats=("md",))
    text = files["md"].read_text(encoding="utf-8")
    for label in ("HVB-hem", "Stödboende", "Eget boende", "Arbete", "Placeringskostnad"):
        assert label in text, label
    # the persons table: one column per state but relocated, headed by its label
    assert "| År | HVB-hem | Stödboende | Eget boende | Arbete |" in text
