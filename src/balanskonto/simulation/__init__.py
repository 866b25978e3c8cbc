"""The public functions that run the data flow: config → model → engine → Dataset."""

from .precision import simulate_to_precision
from .run import dataset_from_runs, expected, load_config, simulate, simulate_runs

__all__ = [
    "dataset_from_runs",
    "expected",
    "load_config",
    "simulate",
    "simulate_runs",
    "simulate_to_precision",
]
