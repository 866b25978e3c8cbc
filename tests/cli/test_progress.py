"""Saying what a long command does: the first run's compile notice and plain progress lines
when stderr is not a terminal."""

from __future__ import annotations

import io
import sys

from tqdm import tqdm

from balanskonto.cli import progress


def test_the_first_run_says_it_compiles(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert progress.will_compile("numba")
    assert not progress.will_compile("numpy")
    progress.announce_compile("numba")
    err = capsys.readouterr().err
    assert "compiling (first run)" in err or "kompilerar (första körningen)" in err
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "_kernels.step-40.py311.nbi").write_bytes(b"")
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
