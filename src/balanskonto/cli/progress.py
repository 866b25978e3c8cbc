"""Saying what a long command does: a line before numba compiles its kernels on the first run,
and plain log lines instead of ``\\r`` progress bars when stderr is not a terminal (a log
file, a CI job, a pipe)."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from .language import tr

#: At most one progress line this often (seconds) when stderr is not a terminal.
EVERY = 10.0


def will_compile(engine: str) -> bool:
    """True when the numba engine has no cached kernels yet (the first run compiles them)."""
    if engine != "numba":
        return False
    folder = os.environ.get("NUMBA_CACHE_DIR")
    if not folder:
        return False  # numba caches beside the sources: no way to tell, say nothing
    from ..model._cache_key import kernel_cache_dir  # no numba: a digest of the sources

    return not any(Path(kernel_cache_dir(folder)).rglob("_kernels.*.nbi"))


def announce_compile(engine: str, quiet: bool = False) -> None:
    """``compiling (first run)…`` on stderr before the progress bar starts, where it will."""
    if not quiet and will_compile(engine):
        print(tr("compiling (first run)…"), file=sys.stderr, flush=True)


class _Lines:
    """A stand-in for stderr that turns tqdm's ``\\r`` redraws into whole lines: the first,
    then at most one every :data:`EVERY` seconds, and the last (100 %)."""

    def __init__(self, out) -> None:
        self.out = out
        self.last = ""
        self.shown = ""
        self.at = -EVERY

    def write(self, text: str) -> int:
        if "\r" not in text and "\x1b" not in text:
            if text.strip() or not self.last:  # not the newline that closes a bar
                self.out.write(text)
            return len(text)
        state = text.split("\r")[-1].replace("\x1b[A", "").strip()
        if state:
            self.last = state
            now = time.monotonic()
            if now - self.at >= EVERY or "100%" in state:
                self._show(state)
                self.at = now
        return len(text)

    def _show(self, state: str) -> None:
        if state.split("[")[0] != self.shown.split("[")[0]:
            self.out.write(state + "\n")
            self.out.flush()
            self.shown = state

    def close_line(self) -> None:
        if self.last:
            self._show(self.last)

    def flush(self) -> None:
        self.out.flush()

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str):
        return getattr(self.out, name)


@contextlib.contextmanager
def plain_when_piped() -> Iterator[None]:
    """Within it, progress bars on a stderr that is not a terminal come out as log lines."""
    real = sys.stderr
    if real is None or real.isatty():
        yield
        return
    lines = _Lines(real)
    sys.stderr = lines
    try:
        yield
    finally:
        lines.close_line()
        sys.stderr = real
