"""balanskonto: a Monte Carlo risk model for a municipality's refugee-reception balance account.

The data flow is the package tree: ``config`` → ``model`` → ``engines`` → ``results`` →
``analysis`` / ``batch`` → ``report``, run by ``simulation`` and driven by ``cli``.
"""

from ._version import __version__
from .config import Config, ConfigError
from .simulation import expected, load_config, simulate

__all__ = ["Config", "ConfigError", "__version__", "expected", "load_config", "simulate"]
