"""The numba options of every compiled kernel of the package, in one place (STYLE); the
model's table kernels and the engines' kernels both read them."""

from __future__ import annotations

JIT = dict(cache=True, nogil=True, boundscheck=False, error_model="numpy")
