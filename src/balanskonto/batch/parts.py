"""The parts folder of a resumable batch: one file per finished chunk, and its manifest."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..config.errors import ConfigError
from ..config.errors import shown as shown_value
from .cluster import Chunk

#: Version of the work folder's layout (the manifest and the chunk files).
PARTS_FORMAT = 1
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
    chunk size, engine and the versions). Every file is written atomically.

    Use :meth:`open`; :meth:`remove` deletes the folder after the result is written.
    """

    MANIFEST = "manifest.json"

    def __init__(self, folder: Path, manifest: dict[str, Any]):
        self.folder = folder
        self.manifest = manifest

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
        if folder.exists():
            if not resume:
                raise ConfigError(
                    f"{folder}: holds the finished chunks of an interrupted batch; add --resume "
                    "to continue it, or delete the folder to start again"
                )
            cls._check(folder, manifest)
        else:
            folder.mkdir(parents=True)
            text = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
            write_atomically(folder / cls.MANIFEST, lambda f: f.write(text))
        return cls(folder, manifest)

    @classmethod
    def _check(cls, folder: Path, manifest: dict[str, Any]) -> None:
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
        """Write a chunk's arrays (atomically)."""
        payload = {k: arrays[k] for k in _RUN_ARRAYS if k in arrays}
        for k in _NAME_LISTS:
            payload[k] = np.array(list(arrays.get(k, [])), dtype=str)
        write_atomically(self.path(chunk), lambda f: np.savez(f, **payload))

    def load(self, chunk: Chunk) -> dict[str, Any] | None:
        """A chunk's arrays, or None (and the file removed) if it cannot be read or does not
        hold ``chunk.runs`` runs: it is then simulated again."""
        path = self.path(chunk)
        try:
            with open(path, "rb") as f, np.load(f, allow_pickle=False) as data:
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
