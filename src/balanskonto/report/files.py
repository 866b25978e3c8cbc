"""Writing the appendix: every format drawn in a staging folder, then moved in (see
:mod:`balanskonto.report`)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import xarray as xr

from ..config import Config
from ..results.files import remove_stale, replace_folder, temp_prefix
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
#: The figures' folder inside the output folder, by language.
FIGURE_FOLDER = {"sv": "figurer", "en": "figures"}


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
    template: str | os.PathLike[str] | None = None,
    followup: xr.Dataset | None = None,
    earlier: xr.Dataset | None = None,
    sensitivity: xr.Dataset | None = None,
) -> dict[str, Path]:
    """Write the risk appendix of a simulation result.

    Parameters
    ----------
    dataset : the Dataset of :func:`balanskonto.simulate` (or read from its NetCDF file).
    out_dir : the folder to write into (created if missing; files there are replaced).
    lang : ``"sv"`` (default) or ``"en"``.
    formats : any of ``"html"``, ``"docx"``, ``"xlsx"``, ``"md"`` (default all).
    config : the config that made ``dataset``; default: parsed from its ``config_toml``.
    template : the municipality's Word template (``.docx`` or ``.dotx``) for the Word file:
        its styles, page set-up, headers and footers (default: python-docx's, A4).
    followup : a follow-up of ``dataset`` against actuals (``balanskonto.analysis.followup``):
        adds the follow-up section (docs/followup.md).
    earlier : an earlier result: adds the change of forecast (prognosförändring).
    sensitivity : the result of ``balanskonto sensitivity CONFIG --out FILE.nc`` for the same
        config (or ``analysis.sensitivity.one_at_a_time``): the drivers in kronor (P10 → P90
        swings). Not computed here: it costs two simulations per factor.

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
    if template is not None and not Path(template).is_file():
        raise ReportError(f"--template: no such Word template {str(template)!r}")
    data = collect(dataset, config, followup=followup, earlier=earlier, sensitivity=sensitivity)
    doc = _followup.extend(content.build(data, check_lang(lang)), data)
    out_dir = Path(out_dir)
    staging = _staging(out_dir)
    try:
        written = _write_all(data, doc, formats, staging, template)
        return _move_in(written, staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_document(
    doc: Document,
    out_dir: Path,
    basename: str,
    formats: tuple[str, ...],
    template: str | os.PathLike[str] | None = None,
) -> dict[str, Path]:
    """Write a document without figures (the comparison of a batch) as ``basename.<fmt>`` in
    ``out_dir``, through a staging folder like :func:`report`."""
    out_dir = Path(out_dir)
    staging = _staging(out_dir)
    try:
        written = _write_all(None, doc, formats, staging, template, basename)
        return _move_in(written, staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_all(
    data: ReportData | None,
    doc: Document,
    formats: tuple[str, ...],
    folder: Path,
    template=None,
    basename: str | None = None,
) -> dict[str, Path]:
    figs, narrow = {}, None
    if data is not None and set(formats) - {"xlsx"}:
        # each language's figures in a folder of their own: an English report into the same
        # folder never overwrites the PNGs that the Swedish Markdown links (figurer/, figures/)
        fig_dir = folder / FIGURE_FOLDER[doc.lang]
        fig_dir.mkdir()
        if "html" in formats:  # the page's phone variants: embedded, never moved in
            narrow = folder / ".narrow"
            narrow.mkdir()
        keys = [f.key for f in doc.figures]
        figs = figures.render(data, doc.lang, fig_dir, keys, narrow)
    base = folder / (basename or BASENAME[doc.lang])
    out: dict[str, Path] = {}
    for fmt in formats:
        path = base.with_suffix(f".{fmt}")
        if fmt == "html":
            out[fmt] = html.write(doc, figs, path, narrow)
        elif fmt == "docx":
            out[fmt] = word.write(doc, figs, path, template)
        elif fmt == "xlsx":
            out[fmt] = excel.write(doc, path)
        else:
            out[fmt] = markdown.write(doc, figs, path)
    for png, svg in figs.values():
        out[f"figure:{png.name}"], out[f"figure:{svg.name}"] = png, svg
    return out


def _staging(out_dir: Path) -> Path:
    """A fresh staging folder beside ``out_dir`` (``.<name>.<pid>.<random>.tmp``), after
    removing those that a killed writer left there."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(out_dir)
    return Path(tempfile.mkdtemp(prefix=temp_prefix(out_dir), suffix=".tmp", dir=out_dir.parent))


def _move_in(written: dict[str, Path], staging: Path, out_dir: Path) -> dict[str, Path]:
    """Put the finished files into ``out_dir`` as a whole: the files already there that
    this appendix does not replace are hard-linked into the staging folder, which then
    takes the place of ``out_dir`` in one rename (the old folder is kept until that rename,
    then deleted). A kill at any moment leaves ``out_dir`` wholly old or wholly new.

    Where that cannot be done (``out_dir`` is a link, holds the working directory, or
    spans file systems) each file is renamed in on its own, as before."""
    shutil.rmtree(staging / ".narrow", ignore_errors=True)  # embedded in the page
    final = {key: out_dir / path.relative_to(staging) for key, path in written.items()}
    if _swappable(out_dir):
        try:
            if out_dir.exists():
                _link_others(out_dir, staging)
            os.chmod(staging, _mode_of(out_dir))
        except OSError:
            pass
        else:
            replace_folder(staging, out_dir)
            return final
    out_dir.mkdir(parents=True, exist_ok=True)
    for key, path in written.items():
        target = final[key]
        target.parent.mkdir(exist_ok=True)
        os.replace(path, target)
    return final


def _swappable(out_dir: Path) -> bool:
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        return False
    try:
        cwd = Path.cwd().resolve()
    except OSError:
        return False
    target = out_dir.resolve()
    return target != cwd and target not in cwd.parents


def _mode_of(out_dir: Path) -> int:
    if out_dir.is_dir():
        return out_dir.stat().st_mode & 0o7777
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o777 & ~mask


def _link_others(old: Path, new: Path) -> None:
    """Hard-link into ``new`` every file of ``old`` that ``new`` does not have (folders
    made anew, symbolic links copied as links); OSError where one cannot be linked."""
    for entry in old.iterdir():
        there = new / entry.name
        if entry.is_symlink():
            if not (there.exists() or there.is_symlink()):
                os.symlink(os.readlink(entry), there)
        elif entry.is_dir():
            if there.is_symlink() or (there.exists() and not there.is_dir()):
                continue
            if not there.exists():
                there.mkdir()
                os.chmod(there, entry.stat().st_mode & 0o7777)
            _link_others(entry, there)
        elif entry.is_file():
            if not (there.exists() or there.is_symlink()):
                os.link(entry, there)
        else:
            raise OSError(f"{entry}: neither a file, a folder nor a link")
