"""Counts → Dataset: the one place for names, units and attrs; precision and path risk of the
results; atomic writers."""

from .dataset import expected_dataset, simulation_dataset
from .files import write_netcdf
from .metadata import annotate, version_stamp

__all__ = ["annotate", "expected_dataset", "simulation_dataset", "version_stamp", "write_netcdf"]
