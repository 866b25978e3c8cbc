"""The mistakes of people who live in Excel (issue 14, item 9): a decimal comma, a space
between the thousands, a byte-order mark, a Windows-1252 file, and a single run. Each gets
its fix in words, or is simply accepted."""

from __future__ import annotations

import pytest
import xarray as xr

from balanskonto.cli import main
from balanskonto.config import ConfigError, parse_config

from conftest import CONFIGS

BASE = (CONFIGS / "sodertalje_2008.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "fix"),
    [
        ("opening = 0", "opening = 0,30", "decimaltecknet ska vara punkt: 0.30 (inte 0,30)"),
        (
            "mix = { adult = 0.69",
            "mix = { adult = 0,69",
            "decimaltecknet ska vara punkt: 0.69 (inte 0,69)",
        ),
        (
            "opening = 0",
            "opening = 6 000 000",
            "skriv talet utan mellanslag: 6000000 eller 6_000_000",
        ),
        ("opening = 0", "opening = 6\u00a0000\u00a0000", "utan mellanslag: 6000000"),
        ("opening = 0", "opening = -1 500", "utan mellanslag: -1500 eller -1_500"),
    ],
)
def test_numbers_as_excel_writes_them_get_their_fix(old, new, fix):
    assert old in BASE
    with pytest.raises(ConfigError) as info:
        parse_config(BASE.replace(old, new, 1))
    message = str(info.value)
    assert fix in message
    line = next(i for i, text in enumerate(BASE.splitlines(), 1) if old in text)
    assert f"rad {line}:" in message


def test_a_comma_inside_a_text_or_comment_is_no_decimal_comma():
    text = BASE.replace("opening = 0", 'opening = 0\nnot_toml = "0,30" x  # 0,30')
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    assert "decimaltecknet" not in str(info.value)


def test_a_byte_order_mark_is_accepted(tmp_path, capsys):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode("utf-8"))
    assert main(["validate", str(path)]) == 0
    assert parse_config("\ufeff" + BASE).meta.municipality == "Södertälje"


def test_a_windows_1252_file_says_how_to_save_it(tmp_path, capsys):
    path = tmp_path / "ansi.toml"
    path.write_bytes(BASE.encode("cp1252"))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "inte UTF-8-text" in err and "Windows-1252" in err and "spara den som UTF-8" in err


def test_a_single_run_gives_a_result(tmp_path, capsys):
    out = tmp_path / "one.nc"
    assert main(["run", "--runs", "1", "--quiet", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "cannot convert" not in text
    assert "inget Monte Carlo-medelfel" in text
    assert xr.load_dataset(out).sizes["run"] == 1
