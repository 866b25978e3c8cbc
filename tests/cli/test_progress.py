"""Saying what a long command does: the first run's compile notice and plain progress lines
when stderr is not a terminal."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from tqdm import tqdm

from balanskonto.cli import main, progress
from balanskonto.model._cache_key import kernel_cache_dir


def test_the_first_run_says_it_compiles(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert progress.will_compile("numba")
    assert not progress.will_compile("numpy")
    progress.announce_compile("numba")
    err = capsys.readouterr().err
    assert "compiling (first run)" in err or "kompilerar (första körningen)" in err
    (tmp_path / "x").mkdir()  # an earlier version's kernels: compiled again
    (tmp_path / "x" / "_kernels.step-40.py311.nbi").write_bytes(b"")
    assert progress.will_compile("numba")
    (Path(kernel_cache_dir(tmp_path)) / "x").mkdir(parents=True)  # this version's
    (Path(kernel_cache_dir(tmp_path)) / "x" / "_kernels.step-40.py311.nbi").write_bytes(b"")
    assert not progress.will_compile("numba")
    progress.announce_compile("numba")
    assert capsys.readouterr().err == ""


def test_a_progress_bar_on_a_pipe_is_plain_lines(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    monkeypatch.setattr(progress, "EVERY", 0.0)
    with progress.plain_when_piped():
        for _ in tqdm(range(50), desc="simulating", mininterval=0):
            pass
    text = out.getvalue()
    assert "\r" not in text and "\x1b" not in text
    lines = text.splitlines()
    assert lines and all(line.startswith("simulating") for line in lines)
    assert "100%" in lines[-1]
    assert sys.stderr is out


# --------------------------------------------------------------------------------------
# Every command that simulates says that it compiles and logs plain lines on a pipe
# --------------------------------------------------------------------------------------
SODERTALJE = Path(__file__).parents[2] / "configs" / "sodertalje_2008.toml"
EXEMPEL = SODERTALJE.with_name("exempel_2026.toml")  # with [uncertainty]: swings to compute


def _batch(tmp_path: Path) -> Path:
    path = tmp_path / "b.toml"
    path.write_text(
        f'base = "{SODERTALJE.as_posix()}"\nruns = 4\n[scenarios.bas]\n'
        '[scenarios.fler]\n"arrivals.per_year" = [1500, 1500, 1500]\n',
        encoding="utf-8",
    )
    return path


def _argv(command: str, tmp_path: Path) -> list[str]:
    if command == "batch":
        return ["batch", str(_batch(tmp_path)), "--out", str(tmp_path / "b.nc")]
    if command == "sensitivity":
        return ["sensitivity", str(EXEMPEL), "--runs", "4"]
    result = tmp_path / "r.nc"
    assert main(["run", str(SODERTALJE), "--runs", "4", "--quiet", "--out", str(result)]) == 0
    return ["rerun", str(result)]


@pytest.mark.parametrize("command", ["batch", "rerun", "sensitivity"])
def test_every_simulating_command_says_it_compiles(command, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BALANSKONTO_LANG", "en")
    argv = _argv(command, tmp_path)
    capsys.readouterr()
    monkeypatch.setattr(progress, "will_compile", lambda engine: engine == "numba")
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert err.startswith("compiling (first run)…"), err[:200]
    assert "\r" not in err and "\x1b" not in err  # stderr is not a terminal here: plain lines
    if command == "sensitivity":
        for stage in ("the simulation", "variance by layer", "swings of the factors"):
            assert f"sensitivity: {stage}, simulation 1 of " in err
    else:
        assert "100%" in err  # the progress bar's last state, as a line
    assert main([*argv, "--quiet"]) == 0
    assert capsys.readouterr().err == ""
