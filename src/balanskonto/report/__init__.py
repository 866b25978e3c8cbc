"""The risk appendix of *Mål och budget* from a simulation result.

``report(ds, out_dir)`` writes, into ``out_dir``, the appendix as a self-contained HTML page, a
Word document, an Excel workbook (one sheet per table) and Markdown, with every figure as PNG
(200 dpi) and SVG — in Swedish (default) or English::

    import balanskonto as bk
    from balanskonto.report import report

    ds = bk.simulate(bk.load_config("configs/exempel_2026.toml"), runs=2000)
    paths = report(ds, "results/exempel_2026_rapport")   # {"html": Path(...), ...}

``report_batch(ds, out_dir)`` does the same for every scenario of a batch result and adds a
comparison of the scenarios; ``scenario_dataset(ds, name)`` is one scenario as a result of
its own. Every number in the text is taken from one table of named quantities
(:mod:`balanskonto.report.quantities`); see docs/report.md.

The names are imported on first use (PEP 562), so that the command line can look up a label
(:mod:`balanskonto.report.i18n`) without loading matplotlib, python-docx and xarray.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "FORMATS",
    "LANGS",
    "ReportError",
    "build",
    "check_formats",
    "report",
    "report_batch",
    "scenario_dataset",
]

_WHERE = {
    "FORMATS": "files",
    "LANGS": "files",
    "BASENAME": "files",
    "FIGURE_FOLDER": "files",
    "ReportError": "data",
    "build": "files",
    "check_formats": "files",
    "check_lang": "files",
    "report": "files",
    "report_batch": "comparison",
    "scenario_dataset": "comparison",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
