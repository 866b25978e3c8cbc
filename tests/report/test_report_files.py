"""The appendix's set of files appears as a whole (issue 15): a kill at any point of the
move-in leaves the output folder wholly old or wholly new."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from balanskonto.report import files as report_files
from balanskonto.results import files as result_files

OLD = {
    "riskbilaga.html": b"old html",
    "riskbilaga.md": b"old md",
    "figurer/a.png": b"old png a",
    "figurer/b.png": b"old png b",
}
NEW = {
    "riskbilaga.html": b"new html",
    "riskbilaga.docx": b"new docx",
    "riskbilaga.md": b"new md",
    "figurer/a.png": b"new png a",
    "figurer/c.png": b"new png c",
}
#: Files of the folder that the appendix does not write: kept in both states.
OTHER = {"notes.txt": b"mine", "figures/a.png": b"english figure"}


class Killed(BaseException):
    """A kill: nothing after it runs, no clean-up."""


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _fill(folder: Path, content: dict[str, bytes]) -> dict[str, Path]:
    out = {}
    for name, data in content.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        out[name] = path
    return out


def _kill_at(monkeypatch, n: int) -> list[int]:
    """Make the ``n``-th file-system step of the move-in (a rename, link, folder or
    exchange) a kill; returns the counter."""
    calls = [0]

    def step(real):
        def wrapped(*args, **kwargs):
            calls[0] += 1
            if calls[0] == n:
                raise Killed
            return real(*args, **kwargs)

        return wrapped

    for name in ("replace", "rename", "link", "symlink", "mkdir", "rmdir", "unlink"):
        monkeypatch.setattr(os, name, step(getattr(os, name)))
    monkeypatch.setattr(result_files, "_exchange", step(result_files._exchange))
    return calls


def test_a_kill_in_the_move_in_leaves_the_folder_wholly_old_or_wholly_new(tmp_path, monkeypatch):
    n, seen = 0, set()
    while True:
        n += 1
        root = tmp_path / str(n)
        out_dir = root / "bilaga"
        _fill(out_dir, {**OLD, **OTHER})
        staging = report_files._staging(out_dir)
        written = _fill(staging, NEW)
        with monkeypatch.context() as m:
            calls = _kill_at(m, n)
            try:
                report_files._move_in(written, staging, out_dir)
                done = True
            except Killed:
                done = False
        state = _tree(out_dir)
        # the old files that the new appendix does not replace stay (figurer/b.png)
        assert state in ({**OLD, **OTHER}, {**OLD, **OTHER, **NEW}), (n, sorted(state))
        seen.add("new" if state == {**OLD, **OTHER, **NEW} else "old")
        if done:
            assert calls[0] < n
            break
        assert n < 200
    assert seen == {"old", "new"} or n == 1


def test_a_report_into_a_fresh_folder_and_again(tmp_path):
    out_dir = tmp_path / "bilaga"
    for content in (OLD, NEW):
        staging = report_files._staging(out_dir)
        written = _fill(staging, content)
        (staging / ".narrow").mkdir()
        final = report_files._move_in(written, staging, out_dir)
        assert set(final) == set(content)
    assert _tree(out_dir) == {**OLD, **NEW}  # old b.png kept: not replaced
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_staging_folder_a_killed_report_left_is_removed_next_time(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    stale = tmp_path / f".bilaga.{proc.pid}.abcd1234.tmp"
    live = tmp_path / f".bilaga.{os.getppid()}.efgh5678.tmp"
    for d in (stale, live):
        (d / "figurer").mkdir(parents=True)
    report_files._staging(tmp_path / "bilaga")
    assert not stale.exists() and live.exists()


@pytest.mark.skipif(sys.platform == "win32", reason="links")
def test_the_folder_keeps_its_mode(tmp_path):
    out_dir = tmp_path / "bilaga"
    _fill(out_dir, OLD)
    os.chmod(out_dir, 0o750)
    staging = report_files._staging(out_dir)
    report_files._move_in(_fill(staging, NEW), staging, out_dir)
    assert out_dir.stat().st_mode & 0o777 == 0o750
