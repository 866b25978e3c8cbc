"""Writing results atomically: NetCDF and Zarr (a temp file or folder, then a rename)."""

from __future__ import annotations

import ctypes
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import xarray as xr

from ..config.errors import ConfigError


def write_netcdf(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` to ``path`` atomically: a temporary file in the same folder, then rename.

    A reader never sees a half-written file, and a failed write leaves nothing behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        ds.to_netcdf(tmp, engine="netcdf4", format="NETCDF4")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_files(files: dict[Path, bytes]) -> list[Path]:
    """Write several files, each atomically (a temporary file in its folder, then a rename),
    the renames after every file is written: a failure leaves none of them behind."""
    done: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            done.append((tmp, path))
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        for tmp, path in done:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in done:
            Path(tmp).unlink(missing_ok=True)
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
    """One Zarr chunk per scenario for every variable that has the ``scenario`` dimension
    first, so that one scenario is read without the others."""
    return {
        str(name): {"chunks": (1, *var.shape[1:])}
        for name, var in ds.data_vars.items()
        if var.dims[:1] == ("scenario",) and var.ndim
    }


def write_zarr(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` as a Zarr store (format 2, consolidated metadata, chunked by scenario),
    atomically: into a temporary folder next to ``path``, which then replaces ``path`` only
    once it is complete. Read it lazily with ``xarray.open_zarr(path)``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp's folder is private (0700)
        ds.to_zarr(tmp, mode="w", zarr_format=2, consolidated=True, encoding=zarr_encoding(ds))
        _replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _replace(new: Path, target: Path) -> None:
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
