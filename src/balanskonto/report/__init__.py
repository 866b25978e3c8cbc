"""The risk appendix of *Mål och budget* from a simulation result.

``report(ds, out_dir)`` writes, into ``out_dir``, the appendix as a self-contained HTML page, a
Word document, an Excel workbook (one sheet per table) and Markdown, with every figure as PNG
(200 dpi) and SVG — in Swedish (default) or English::

    import balanskonto as bk
    from balanskonto.report import report

    ds = bk.simulate(bk.load_config("configs/exempel_2026.toml"), runs=2000)
    paths = report(ds, "results/exempel_2026_rapport")   # {"html": Path(...), ...}

Every number in the text is taken from one table of named quantities
(:mod:`balanskonto.report.quantities`); see docs/report.md.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import xarray as xr

from ..config import Config
from . import content, excel, figures, html, markdown, word
from . import followup as _followup
from .data import ReportData, ReportError, collect
from .document import Document
from .i18n import LANGS

__all__ = ["FORMATS", "LANGS", "ReportError", "build", "check_formats", "report"]

#: Output formats, in the order they are written.
FORMATS: tuple[str, ...] = ("html", "docx", "xlsx", "md")
#: Base name of the appendix's files, by language.
BASENAME = {"sv": "riskbilaga", "en": "risk_appendix"}


def check_formats(formats: Iterable[str] | str) -> tuple[str, ...]:
    """The formats as a tuple without repeats; ReportError naming an unknown one.

    A string is a comma-separated list (``"html,docx"``).
    """
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    out: list[str] = []
    for item in items:
        name = str(item).strip().lower().lstrip(".")
        if name not in FORMATS:
            raise ReportError(
                f"--format: unknown format {str(item).strip()!r} (choose from {', '.join(FORMATS)})"
            )
        if name not in out:
            out.append(name)
    if not out:
        raise ReportError(f"--format: no format given (choose from {', '.join(FORMATS)})")
    return tuple(out)


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ReportError(f"--lang: unknown language {lang!r} (choose from {', '.join(LANGS)})")
    return lang


def build(
    dataset: xr.Dataset,
    lang: str = "sv",
    config: Config | None = None,
    **sections: xr.Dataset | None,
) -> Document:
    """The appendix of ``dataset`` as a :class:`~.document.Document` (nothing written);
    ``followup=``/``earlier=`` add the follow-up and change-of-forecast sections."""
    data = collect(dataset, config, **sections)
    return _followup.extend(content.build(data, check_lang(lang)), data)


def report(
    dataset: xr.Dataset,
    out_dir: str | os.PathLike[str],
    *,
    lang: str = "sv",
    formats: Iterable[str] = FORMATS,
    config: Config | None = None,
    followup: xr.Dataset | None = None,
    earlier: xr.Dataset | None = None,
) -> dict[str, Path]:
    """Write the risk appendix of a simulation result.

    Parameters
    ----------
    dataset : the Dataset of :func:`balanskonto.simulate` (or read from its NetCDF file).
    out_dir : the folder to write into (created if missing; files there are replaced).
    lang : ``"sv"`` (default) or ``"en"``.
    formats : any of ``"html"``, ``"docx"``, ``"xlsx"``, ``"md"`` (default all).
    config : the config that made ``dataset``; default: parsed from its ``config_toml``.
    followup : a follow-up of ``dataset`` against actuals (``balanskonto.analysis.followup``):
        adds the follow-up section (docs/followup.md).
    earlier : an earlier result: adds the change of forecast (prognosförändring).

    Returns
    -------
    dict of str to Path
        ``"html"``, ``"docx"``, ``"xlsx"``, ``"md"`` (those asked for), then every figure file
        as ``"figure:<name>.png"`` and ``"figure:<name>.svg"`` (written with html, docx or md).

    Raises
    ------
    ReportError
        For a Dataset that is not one simulation result, an unknown language or format. Files
        are drawn in a temporary folder and moved in only when all are done: a failure leaves
        nothing behind.
    """
    formats = check_formats(formats)
    data = collect(dataset, config, followup=followup, earlier=earlier)
    doc = _followup.extend(content.build(data, check_lang(lang)), data)
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        written = _write_all(data, doc, formats, staging)
        return _move_in(written, staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_all(
    data: ReportData, doc: Document, formats: tuple[str, ...], folder: Path
) -> dict[str, Path]:
    figs = {}
    if set(formats) - {"xlsx"}:
        figs = figures.render(data, doc.lang, folder, [f.key for f in doc.figures])
    base = folder / BASENAME[doc.lang]
    out: dict[str, Path] = {}
    for fmt in formats:
        path = base.with_suffix(f".{fmt}")
        if fmt == "html":
            out[fmt] = html.write(doc, figs, path)
        elif fmt == "docx":
            out[fmt] = word.write(doc, figs, path)
        elif fmt == "xlsx":
            out[fmt] = excel.write(doc, path)
        else:
            out[fmt] = markdown.write(doc, figs, path)
    for png, svg in figs.values():
        out[f"figure:{png.name}"], out[f"figure:{svg.name}"] = png, svg
    return out


def _move_in(written: dict[str, Path], staging: Path, out_dir: Path) -> dict[str, Path]:
    """Rename every finished file from the staging folder into ``out_dir`` (one atomic
    rename per file, on the same file system)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    final = {}
    for key, path in written.items():
        target = out_dir / path.relative_to(staging)
        os.replace(path, target)
        final[key] = target
    return final
