"""Many runs: batch files and grids, scenarios on common random numbers, Dask, resume,
rerun."""

from .grid import expand_grid
from .runner import run_batch, write_batch
from .spec import Batch, Scenario, load_batch

__all__ = ["Batch", "Scenario", "expand_grid", "load_batch", "run_batch", "write_batch"]
