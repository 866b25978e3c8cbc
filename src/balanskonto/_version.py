"""The installed version of balanskonto (stamped on every result)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("balanskonto")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"
