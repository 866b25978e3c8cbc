"""Input files are read only when they are regular files of a bounded size.

Every input file (a config, batch, population, actuals or spells file) is read through
:func:`read_file_bytes`: looked at before it is opened, so that a FIFO is never opened (the
open would wait for a writer for ever) and a device such as ``/dev/zero`` is never read
without end, and refused above a size that no real file of its kind reaches.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import ConfigError


def read_file_bytes(path: Path, kind: str, limit: int) -> bytes:
    """The bytes of an input file (a config, batch, population, actuals or spells file).

    Only a regular file of at most ``limit`` bytes is read: the file is looked at
    (``stat``) before it is opened, so a FIFO is never opened (it would wait for a writer)
    and a device (``/dev/zero``) is never read without end; it is opened without blocking
    and looked at again, in case it was replaced in between. A NUL in the name is a located
    error. Every failure is a ConfigError naming the file.
    """
    try:
        info = os.stat(path)
    except ValueError:  # "embedded null byte"
        raise ConfigError(f"{str(path)!r}: a file name cannot hold a NUL character") from None
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such {kind} file") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read ({err.strerror})") from None
    _check_regular(path, info, kind, limit)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb") as file:
            _check_regular(path, os.fstat(file.fileno()), kind, limit)  # replaced since?
            data = file.read(limit + 1)
    except OSError as err:
        raise ConfigError(f"{path}: cannot read ({err.strerror})") from None
    if len(data) > limit:
        raise ConfigError(f"{path}: larger than the {limit} bytes {_a(kind)} file may have")
    return data


def _a(kind: str) -> str:
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"


def _check_regular(path: Path, info: os.stat_result, kind: str, limit: int) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"{path}: a folder, not {_a(kind)} file")
    if not stat.S_ISREG(info.st_mode):
        what = "a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
        raise ConfigError(f"{path}: {what}, not {_a(kind)} file; give a regular file")
    if info.st_size > limit:
        raise ConfigError(
            f"{path}: {info.st_size} bytes, more than the {limit} {_a(kind)} file may have"
        )
