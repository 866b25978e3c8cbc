"""Writing results atomically: NetCDF and Zarr (a temp file or folder, then a rename)."""

from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import xarray as xr

from ..config.errors import ConfigError


def write_netcdf(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` to ``path`` atomically: a temporary file in the same folder, then rename.

    A reader never sees a half-written file, and a failed write leaves nothing behind (an
    old file at ``path`` is kept). A full disk is a :class:`WriteError` that says so (the
    NetCDF library says only "NetCDF: HDF error").
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(path)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with sigint_deferred():  # a Ctrl-C inside the HDF5 library deadlocked in xarray's lock
            ds.to_netcdf(tmp, engine="netcdf4", format="NETCDF4")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException as err:
        full = no_space_left(err, path.parent, ds.nbytes)
        Path(tmp).unlink(missing_ok=True)
        if full:
            raise WriteError(path) from None
        raise
    return path


@contextmanager
def sigint_deferred() -> Iterator[None]:
    """Hold back a Ctrl-C (SIGINT) for the duration of the block, then raise the
    KeyboardInterrupt once the block has ended (its files closed). Interrupted inside the
    NetCDF/HDF5 library, xarray's ``to_netcdf`` waited forever for its own backend lock.
    Only in the main thread (elsewhere the block runs as it is)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


#: How old a temporary file without a writer's pid must be to count as left behind.
STALE_AFTER_S = 600.0


def temp_prefix(path: Path) -> str:
    """The prefix of this tool's temporary files for ``path``: ``.<name>.<pid>.`` (the pid
    tells :func:`remove_stale` whether the writer is still alive)."""
    return f".{path.name}.{os.getpid()}."


def remove_stale(path: Path) -> list[Path]:
    """Remove the temporary files and folders of ``path`` that a killed writer left behind
    (``.<name>.<pid>.<random>.tmp`` whose process is gone; one without a pid only when older
    than :data:`STALE_AFTER_S`). A live writer's are kept. Returns what was removed."""
    pattern = re.compile(re.escape(f".{path.name}.") + r"(?:(\d+)\.)?[a-z0-9_]{8}\.tmp")
    removed = []
    try:
        entries = list(path.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        try:
            if match.group(1) is not None:
                pid = int(match.group(1))
                if pid == os.getpid() or _alive(pid):
                    continue
            elif time.time() - entry.lstat().st_mtime < STALE_AFTER_S:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except OSError:
            continue
        removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


class WriteError(OSError):
    """No space left on the device for an output (exit code 1: nothing is wrong with the
    input); the old file, if any, is kept. ``filename`` is the output's path."""

    #: The command line says this in its own words (cli/command.py).
    no_space_left = True

    def __init__(self, path: Path) -> None:
        super().__init__(
            errno.ENOSPC,
            f"{path}: no space left on the device; nothing was written (an earlier file of "
            "that name is kept). Free some space, or write elsewhere with --out",
            str(path),
        )

    def __str__(self) -> str:
        return str(self.strerror)


def no_space_left(err: BaseException, folder: Path, size: int) -> bool:
    """Whether a failed write failed for want of space: ENOSPC or EDQUOT, or an error of the
    NetCDF/HDF5 library (which hides the errno) with less than ``size`` bytes (at least
    1 MiB) left in ``folder`` (call it before the partial file is removed)."""
    if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    if not (isinstance(err, RuntimeError) and ("HDF error" in str(err) or "NetCDF" in str(err))):
        return False
    try:
        return shutil.disk_usage(folder).free < max(size, 1 << 20)
    except OSError:
        return False


def check_writable(folder: str | Path, option: str) -> None:
    """A new file can be made in ``folder`` (or, where it does not exist yet, in the nearest
    folder above it, where it would be made): checked before anything is simulated, with a
    file made and removed again, since a read-only folder was found only after the whole
    simulation.

    Raises
    ------
    ConfigError
        Naming ``option``, the folder and why (exit code 2).
    """
    existing = Path(folder)
    while not (existing.exists() or existing.is_symlink()) and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{option}: {existing} is not a folder, so nothing can be written in it")
    try:
        fd, probe = tempfile.mkstemp(prefix=".balanskonto-probe.", dir=existing)
    except OSError as err:
        raise ConfigError(
            f"{option}: cannot write in {existing} ({err.strerror}); choose another place "
            "or make it writable"
        ) from None
    os.close(fd)
    os.unlink(probe)


def write_files(files: dict[Path, bytes]) -> list[Path]:
    """Write several files, each atomically (a temporary file in its folder, then a rename),
    the renames after every file is written: a failure leaves none of them behind."""
    done: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            remove_stale(path)
            fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent)
            done.append((tmp, path))
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        for tmp, path in done:
            os.replace(tmp, path)
    except BaseException as err:
        for tmp, _ in done:
            Path(tmp).unlink(missing_ok=True)
        if done and no_space_left(err, done[-1][1].parent, 0):
            raise WriteError(done[-1][1]) from None
        raise
    return [path for _, path in done]


# --------------------------------------------------------------------------------------
# Writing: NetCDF or Zarr, atomically, resumable
# --------------------------------------------------------------------------------------
#: Output formats by suffix.
OUTPUT_SUFFIXES = (".nc", ".zarr")
_ZARR_MARKERS = (".zgroup", ".zmetadata", "zarr.json")


def check_output(out: str | Path) -> Path:
    """The output path, checked before anything runs: ``.nc`` (NetCDF-4) or ``.zarr`` (a Zarr
    store, chunked by scenario); an existing ``.zarr`` must be a Zarr store (it is replaced).

    Raises
    ------
    ConfigError
        Naming ``--out``, the path and the rule.
    """
    out = Path(out)
    if out.suffix not in OUTPUT_SUFFIXES:
        raise ConfigError(
            f"--out: the output is a NetCDF file ending in .nc or a Zarr store ending in .zarr "
            f"(got {str(out)!r})"
        )
    exists = out.exists() or out.is_symlink()
    is_zarr = out.is_dir() and any((out / m).exists() for m in _ZARR_MARKERS)
    if out.suffix == ".zarr" and exists and not is_zarr:
        raise ConfigError(
            f"--out: {str(out)!r} exists and is not a Zarr store; it would be replaced "
            "(choose another name or delete it)"
        )
    if out.suffix == ".nc" and out.is_dir():
        raise ConfigError(f"--out: {str(out)!r} is a folder, not a NetCDF file")
    check_writable(out.parent, "--out")
    return out


def write_output(ds: xr.Dataset, out: str | Path) -> Path:
    """Write ``ds`` as NetCDF (``.nc``) or Zarr (``.zarr``), atomically: to a temporary name
    next to ``out``, then renamed over it. A reader, or a kill at any moment, sees the old
    file or the new one, never a part."""
    out = check_output(out)
    if out.suffix == ".zarr":
        return write_zarr(ds, out)
    return write_netcdf(ds, out)


def zarr_encoding(ds: xr.Dataset) -> dict[str, dict[str, Any]]:
    """One Zarr chunk per scenario (and municipality, where it is the second dimension) for
    every variable that has the ``scenario`` dimension first, so that one scenario is read
    without the others."""
    out = {}
    for name, var in ds.data_vars.items():
        if var.dims[:1] == ("scenario",) and var.ndim:
            # a batch of municipalities: one chunk per scenario and municipality
            one = 2 if var.dims[1:2] == ("municipality",) else 1
            out[str(name)] = {"chunks": (*(1,) * one, *var.shape[one:])}
    return out


def write_zarr(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` as a Zarr store (format 2, consolidated metadata, chunked by scenario),
    atomically: into a temporary folder next to ``path``, which then replaces ``path`` only
    once it is complete. Read it lazily with ``xarray.open_zarr(path)``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(path)
    tmp = Path(tempfile.mkdtemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp's folder is private (0700)
        ds.to_zarr(tmp, mode="w", zarr_format=2, consolidated=True, encoding=zarr_encoding(ds))
        replace_folder(tmp, path)
    except BaseException as err:
        full = no_space_left(err, path.parent, ds.nbytes)
        shutil.rmtree(tmp, ignore_errors=True)
        if full:
            raise WriteError(path) from None
        raise
    return path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def replace_folder(new: Path, target: Path) -> None:
    """Put the folder ``new`` at ``target``. An existing target is swapped with it in one
    step where the system can (Linux ``renameat2(RENAME_EXCHANGE)``), else moved aside first
    (the target is then missing for the moment between two renames); the old one is deleted
    after."""
    if not (target.exists() or target.is_symlink()):
        os.rename(new, target)
        return
    if _exchange(new, target):
        old = new
    else:
        old = target.with_name(f".{target.name}.{os.getpid()}.old")
        os.rename(target, old)
        os.rename(new, target)
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old, ignore_errors=True)
    else:
        old.unlink(missing_ok=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ≥ 3.15); False where not supported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return done == 0
