"""The parts folder of a resumable batch: one file per finished chunk, and its manifest."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import socket
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..config.errors import ConfigError
from ..config.errors import shown as shown_value
from .cluster import Chunk

#: Version of the work folder's layout (the manifest and the chunk files); 2 adds the
#: chunks' SHA-256 to the manifest and the lock file.
PARTS_FORMAT = 2
#: Arrays of a chunk (``simulate_runs``' output) that have one row per run.
#: Run-level arrays of a chunk; the first five are always there, the rest when the config
#: has factors or monthly resolution.
_RUN_ARRAYS = (
    "revenue",
    "cost",
    "person_months",
    "arrivals",
    "persons",
    "factor",
    "share_pulled_back",
    "yearly_factor",
    "revenue_month",
    "cost_month",
    "persons_month",
)
_NAME_LISTS = ("factor_names", "yearly_factor_names")


# --------------------------------------------------------------------------------------
# The work folder: finished chunks kept for --resume
# --------------------------------------------------------------------------------------
def parts_folder(out: str | Path) -> Path:
    """Where the finished chunks of a batch written to ``out`` are kept: ``<out>.parts``."""
    out = Path(out)
    return out.with_name(out.name + ".parts")


def write_atomically(path: Path, write: Callable[[Any], None]) -> None:
    """Write a file through ``write(file_object)`` to a temporary name in the same folder,
    then rename it: the file is either absent, or complete."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class PartStore:
    """The finished chunks of one batch, one ``.npz`` per chunk, and a ``manifest.json`` that
    says which batch they belong to (the batch's and every scenario's SHA-256, seed, runs,
    chunk size, engine and the versions). Every file is written atomically; each chunk's
    SHA-256 is appended to a journal as the chunk is saved (one line: a national batch has
    tens of thousands of chunks, and rewriting the manifest for each would write gigabytes)
    and copied into the manifest by :meth:`flush`.

    Use :meth:`open`; :meth:`remove` deletes the folder after the result is written.
    """

    MANIFEST = "manifest.json"
    LOCK = "lock.json"
    #: The journal of the chunks' SHA-256, one ``name hex`` line per saved chunk.
    JOURNAL = "chunk_sha256.txt"
    #: The manifest's key of the chunks' SHA-256 (chunk name → hex digest).
    CHECKSUMS = "chunk_sha256"

    def __init__(self, folder: Path, manifest: dict[str, Any]):
        self.folder = folder
        self.manifest = manifest
        self.checksums: dict[str, str] = {}

    @classmethod
    def open(cls, folder: str | Path, manifest: dict[str, Any], resume: bool) -> PartStore:
        """Create the folder, or, with ``resume``, continue one made by the same batch.

        Raises
        ------
        ConfigError
            The folder exists and ``resume`` is false (it holds an interrupted batch's
            chunks); or it was made by a different batch, seed, runs, chunk size, engine or
            version; or it is not a work folder.
        """
        folder = Path(folder)
        existed = folder.exists()
        if existed and not resume:
            _refuse_if_locked(folder / cls.LOCK)
            raise ConfigError(
                f"{folder}: holds the finished chunks of an interrupted batch; add --resume "
                "to continue it, or delete the folder to start again"
            )
        folder.mkdir(parents=True, exist_ok=True)
        _lock(folder / cls.LOCK)
        store = cls(folder, manifest)
        try:
            if existed:
                old = cls._check(folder, manifest)
                sums = old.get(cls.CHECKSUMS)
                if isinstance(sums, dict):
                    store.checksums = {str(k): str(v) for k, v in sums.items()}
                store.checksums.update(_journal(folder / cls.JOURNAL))
            store._write_manifest()
        except BaseException:
            store.release()
            raise
        return store

    def _write_manifest(self) -> None:
        whole = {**self.manifest, self.CHECKSUMS: self.checksums}
        text = json.dumps(whole, indent=2, ensure_ascii=False).encode("utf-8")
        write_atomically(self.folder / self.MANIFEST, lambda f: f.write(text))

    def flush(self) -> None:
        """Copy the journal's checksums into the manifest."""
        self._write_manifest()

    def release(self) -> None:
        """Give up the folder's lock (the chunks are kept for --resume)."""
        (self.folder / self.LOCK).unlink(missing_ok=True)

    @classmethod
    def _check(cls, folder: Path, manifest: dict[str, Any]) -> dict[str, Any]:
        try:
            old = json.loads((folder / cls.MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise ConfigError(
                f"{folder}: not a work folder of balanskonto batch (no readable "
                f"{cls.MANIFEST}); delete it or choose another --out"
            ) from None
        if not isinstance(old, dict):
            old = {}
        for key, now in manifest.items():
            was = old.get(key)
            if was != now:
                shown = {
                    "scenario_config_sha256": "the scenarios' configs (the base file or the "
                    "overrides changed)",
                    "scenarios": "the scenarios",
                    "batch_sha256": "the batch file",
                }.get(key, key)
                detail = (
                    ""
                    if isinstance(now, list) or "sha256" in key
                    else f": {shown_value(was)} → {shown_value(now)}"
                )
                raise ConfigError(
                    f"{folder}: cannot resume: {shown} changed since the batch was interrupted"
                    f"{detail}; run it with the same batch and options, or delete the folder "
                    "to start again"
                )
        return old

    def path(self, chunk: Chunk) -> Path:
        return self.folder / f"{chunk.name}.npz"

    def finished(self, chunks: Sequence[Chunk]) -> list[Chunk]:
        """The chunks of ``chunks`` whose file exists (a temporary file left by a killed
        process is removed)."""
        for stale in self.folder.glob(".*.tmp"):
            stale.unlink(missing_ok=True)
        present = {p.stem for p in self.folder.glob("*.npz")}
        return [c for c in chunks if c.name in present]

    def save(self, chunk: Chunk, arrays: dict[str, Any]) -> None:
        """Write a chunk's arrays (atomically), and its SHA-256 to the manifest."""
        payload = {k: arrays[k] for k in _RUN_ARRAYS if k in arrays}
        for k in _NAME_LISTS:
            payload[k] = np.array(list(arrays.get(k, [])), dtype=str)
        buffer = io.BytesIO()
        np.savez(buffer, **payload)
        data = buffer.getvalue()
        write_atomically(self.path(chunk), lambda f: f.write(data))
        digest = hashlib.sha256(data).hexdigest()
        with open(self.folder / self.JOURNAL, "a", encoding="ascii") as journal:
            journal.write(f"{chunk.name} {digest}\n")  # after the file: never ahead of it
        self.checksums[chunk.name] = digest

    def load(self, chunk: Chunk) -> dict[str, Any] | None:
        """A chunk's arrays, or None (and the file removed) if it cannot be read, does not
        match the SHA-256 the manifest holds for it (changed since it was written, or
        written by a process killed before the manifest) or does not hold ``chunk.runs``
        runs: it is then simulated again."""
        path = self.path(chunk)
        try:
            raw = path.read_bytes()
            if hashlib.sha256(raw).hexdigest() != self.checksums.get(chunk.name):
                raise ValueError("checksum")
            with np.load(io.BytesIO(raw), allow_pickle=False) as data:
                arrays: dict[str, Any] = {k: data[k] for k in data.files if k in _RUN_ARRAYS}
                for k in _NAME_LISTS:
                    arrays[k] = data[k].tolist() if k in data.files else []
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            path.unlink(missing_ok=True)
            return None
        if any(k not in arrays for k in _RUN_ARRAYS[:5]) or any(
            arrays[k].shape[0] != chunk.runs for k in _RUN_ARRAYS if k in arrays
        ):
            path.unlink(missing_ok=True)
            return None
        return arrays

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


_JOURNAL_LINE = re.compile(r"^(\S+) ([0-9a-f]{64})$")


def _journal(path: Path) -> dict[str, str]:
    """The checksums of a journal (a line cut short by a killed process is ignored: its
    chunk is simulated again)."""
    try:
        lines = path.read_text(encoding="ascii", errors="replace").splitlines()
    except OSError:
        return {}
    return {m[1]: m[2] for m in map(_JOURNAL_LINE.match, lines) if m is not None}


# --------------------------------------------------------------------------------------
# The lock: one batch at a time per work folder
# --------------------------------------------------------------------------------------
def _process_start(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot (Linux), else None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


def _alive(holder: dict[str, Any]) -> bool:
    """Whether the process that wrote a lock still runs (a lock of another machine is
    taken to be held)."""
    pid = holder.get("pid")
    if holder.get("host") != socket.gethostname():
        return True
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    started = holder.get("process_start")
    return started is None or started == _process_start(pid)


def _holder(lock: Path) -> dict[str, Any] | None:
    try:
        holder = json.loads(lock.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}


def _refuse_if_locked(lock: Path) -> None:
    holder = _holder(lock)
    if holder == {}:  # unreadable: being written now, or left half-written by a killed process
        try:
            young = time.time() - lock.stat().st_mtime < 10
        except OSError:
            young = False
        holder = {"host": "?"} if young else None
    if holder is not None and _alive(holder):
        raise ConfigError(
            f"{lock.parent}: in use by another balanskonto batch (process "
            f"{holder.get('pid', '?')} on {holder.get('host', '?')}, started "
            f"{holder.get('started', '?')}); wait for it to finish, or stop it and run again "
            "with --resume"
        )


def _lock(lock: Path) -> None:
    """Take the work folder's lock (a file created with O_EXCL holding the pid, the host and
    the start time); a lock left by a process that no longer runs is taken over."""
    me = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "process_start": _process_start(os.getpid()),
    }
    for _ in range(3):
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            _refuse_if_locked(lock)
            lock.unlink(missing_ok=True)  # stale: its process is gone
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(me, f)
        return
    _refuse_if_locked(lock)
    raise ConfigError(f"{lock.parent}: cannot take the work folder's lock; try again")
