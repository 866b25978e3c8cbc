"""balanskonto: a Monte Carlo risk model for a municipality's refugee-reception balance account.

The data flow is the package tree: ``config`` → ``model`` → ``engines`` → ``results`` →
``analysis`` / ``batch`` → ``report``, run by ``simulation`` and driven by ``cli``.

The public names are imported on first use (PEP 562): ``import balanskonto`` and
``balanskonto --help`` do not load numba, xarray or pydantic until a name needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .config import Config, ConfigError
    from .simulation import expected, load_config, simulate

__all__ = ["Config", "ConfigError", "__version__", "expected", "load_config", "simulate"]

_WHERE = {
    "Config": ".config",
    "ConfigError": ".config",
    "expected": ".simulation",
    "load_config": ".simulation",
    "simulate": ".simulation",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
