"""Where numba caches the compiled kernels: one folder for each version of their sources.

Numba checks a cached function against the time stamp of the file that defines it only, not
of the files whose functions it compiles in (the stepping kernel inlines the event engine's
person, the counting helpers, the random numbers and the table fold, each from a file of its
own). A change to one of those would load a stale kernel. So the cache folder is keyed by a
digest of every module of :mod:`balanskonto.model` and :mod:`balanskonto.engines`: any change
there compiles afresh, in a folder of its own. Imports no numba (the CLI's compile notice
asks for the folder before numba is loaded).
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

#: The package folder; the kernels' sources are in its model/ and engines/ folders.
PACKAGE = Path(__file__).resolve().parent.parent


def sources_digest(package: Path = PACKAGE) -> str:
    """A hex digest of the names and contents of every ``.py`` file under ``package``'s
    model/ and engines/ folders."""
    digest = hashlib.sha256()
    for path in sorted((package / "model").glob("*.py")) + sorted(
        (package / "engines").glob("*.py")
    ):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@cache
def _digest() -> str:
    return sources_digest()


def kernel_cache_dir(base: str | os.PathLike) -> str:
    """The folder under ``base`` (NUMBA_CACHE_DIR) for this version's kernels."""
    return os.path.join(os.fspath(base), "kernels-" + _digest()[:16])
