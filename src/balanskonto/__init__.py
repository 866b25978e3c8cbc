"""balanskonto: a Monte Carlo risk model for a municipality's refugee-reception balance account."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("balanskonto")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

from .api import expected, load_config, simulate
from .config import Config, ConfigError

__all__ = ["Config", "ConfigError", "__version__", "expected", "load_config", "simulate"]
