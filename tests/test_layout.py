"""The package tree is the data flow (README "Where things are", docs/model.md "Data flow").

Reads the imports of every module, top-level and inside functions, and checks that no layer
imports one above it, and that every module stays a readable size.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "balanskonto"

#: The layers, lowest first. A module may import its own layer and those below it.
LAYERS = (
    ("_version", "_format"),  # utilities that import nothing of the package
    ("config",),  # reading and validating input files
    ("model",),  # config → arrays, no randomness
    ("engines",),  # arrays → counts (all the randomness)
    ("results",),  # counts → Dataset, precision, path risk, writers
    ("simulation",),  # the public functions that run the flow
    ("analysis",),  # sensitivity
    ("batch",),  # scenarios, Dask, resume, rerun
    ("report",),  # the appendix
    ("cli",),  # the command line
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
MAX_LINES = 450


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p != PACKAGE / "__init__.py")


def _top(path: Path) -> str:
    """The first-level name under balanskonto/ a module belongs to."""
    return path.relative_to(PACKAGE).with_suffix("").parts[0]


def _imported_tops(path: Path) -> set[str]:
    """First-level package names of balanskonto that ``path`` imports (relative or absolute)."""
    here = path.relative_to(PACKAGE).with_suffix("").parts[:-1]  # the module's package
    return _imported_tops_of(path.read_text(encoding="utf-8"), here)


def _imported_tops_of(text: str, here: tuple[str, ...]) -> set[str]:
    """The same for the source ``text`` of a module in package ``here`` (below balanskonto)."""
    found = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(here[: len(here) - (node.level - 1)])
                parts = base + (node.module.split(".") if node.module else [])
                if parts:
                    found.add(parts[0])
                else:  # "from .. import x" at the top: x is a first-level name
                    found.update(alias.name for alias in node.names)
            elif node.module and node.module.split(".")[0] == "balanskonto":
                rest = node.module.split(".")[1:]
                found.update(rest[:1] or [a.name for a in node.names])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "balanskonto" and len(parts) > 1:
                    found.add(parts[1])
    return found


def test_every_module_belongs_to_a_layer():
    assert {_top(p) for p in _modules()} <= set(RANK) | {"data"}


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_import_from_a_higher_layer(path):
    mine = RANK[_top(path)]
    higher = {name for name in _imported_tops(path) if RANK.get(name, -1) > mine}
    assert not higher, f"{path.relative_to(PACKAGE)} imports from a higher layer: {higher}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_stay_short(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(PACKAGE)}: {lines} lines (split by concern)"


def test_only_cli_knows_argparse():
    users = {
        str(p.relative_to(PACKAGE))
        for p in _modules()
        if "argparse" in _imported_names(p) and _top(p) != "cli"
    }
    assert not users


def _imported_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_the_import_reader_sees_a_reach_upwards():
    """The reader that the layer test relies on finds relative, absolute and nested imports."""
    text = (
        "from ..report import x\n"
        "from .codes import N_STATES\n"
        "def f():\n    from balanskonto.cli import main\n"
        "import balanskonto.batch.spec\n"
    )
    assert _imported_tops_of(text, ("model",)) == {"report", "model", "cli", "batch"}
    assert _imported_tops_of("from .. import _version\n", ("cli",)) == {"_version"}
