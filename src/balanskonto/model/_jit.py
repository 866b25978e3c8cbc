"""The numba options of every compiled kernel of the package, in one place (STYLE); the
model's table kernels and the engines' kernels both read them.

Importing it points numba's cache (``NUMBA_CACHE_DIR``, when set) at a folder keyed by the
kernels' sources (:mod:`._cache_key`), before any kernel is decorated.
"""

from __future__ import annotations

from numba.core import config as _config

from ._cache_key import kernel_cache_dir

if _config.CACHE_DIR and not _config.CACHE_DIR.endswith(kernel_cache_dir("")):
    _config.CACHE_DIR = kernel_cache_dir(_config.CACHE_DIR)

JIT = dict(cache=True, nogil=True, boundscheck=False, error_model="numpy")
