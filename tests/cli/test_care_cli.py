"""Bad care input on the command line (DESIGN §15, §7): exit code 2, the dotted path, the value
and the rule on stderr, and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from balanskonto.cli import main

from conftest import CARE

CONFIG = (
    CARE
    + """
[refused_claims.avslag]
probability = 0.2
lag_years = 2
amount = 1_000_000
"""
)


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    monkeypatch.setenv("BALANSKONTO_LANG", "en")


@pytest.mark.parametrize(
    ("old", "new", "path", "value", "rule"),
    [
        ("age_at_arrival = 16", "age_at_arrival = 16.1", "groups.minor.leaves_care", "16.1",
         "whole number of months"),
        ("probability = 0.2", "probability = 2.0", "refused_claims.avslag.probability", "2",
         "less than or equal to 1"),
        ("intro = { hvb = 1409 }", "intro = { hvb = -1409 }",
         "groups.minor.per_day.costs.intro.hvb", "-1409", "greater than or equal to 0"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("command", ["run", "expected"])
def test_bad_care_input_exits_2_and_writes_nothing(
    tmp_path: Path, capsys, command, old, new, path, value, rule
):
    assert CONFIG.count(old) == 1
    config = tmp_path / "bad.toml"
    config.write_text(CONFIG.replace(old, new), encoding="utf-8")
    out = tmp_path / "x.nc"
    argv = [command, str(config)]
    if command == "run":
        argv += ["--out", str(out), "--runs", "2", "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert path in err and value in err and rule in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_the_good_config_runs(tmp_path: Path, capsys):
    config = tmp_path / "good.toml"
    config.write_text(CONFIG, encoding="utf-8")
    out = tmp_path / "x.nc"
    assert main(["run", str(config), "--out", str(out), "--runs", "20", "--quiet"]) == 0
    assert out.exists()
