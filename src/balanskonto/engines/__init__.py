"""Arrays → counts: the numba kernels, the event engine, the numpy reference, the factor and
arrival draws, and the exact expectation."""

from .individual import ENGINES, Counts

__all__ = ["ENGINES", "Counts"]
