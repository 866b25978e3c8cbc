"""Command line: ``balanskonto report RESULT.nc [--out DIR] [--lang sv|en] [--format …]``.

:func:`add_parser` adds the ``report`` command to balanskonto's command line; :func:`main`
runs it on its own (``python -m balanskonto.report.cli RESULT.nc``). Exit codes: 0 ok, 2 a
missing or unreadable result file, an unknown format or language (nothing written), 1 anything
else.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .command import run_command
from .language import choose, lang, say, speaking

if TYPE_CHECKING:
    import xarray as xr

#: Output formats and languages (balanskonto.report.FORMATS and LANGS; a test checks).
FORMATS = ("html", "docx", "xlsx", "md")
LANGS = ("sv", "en")


def _formats(value: str) -> tuple[str, ...]:
    from ..report import ReportError, check_formats

    try:
        return check_formats(value)
    except ReportError as err:
        raise argparse.ArgumentTypeError(str(err).removeprefix("--format: ")) from None


def default_out(result: Path) -> Path:
    """``<result-stem>_rapport/`` next to the result file."""
    return result.with_name(f"{result.stem}_rapport")


def read_result(path: Path) -> xr.Dataset:
    """The Dataset of a result file, loaded into memory (the file is closed again).

    Raises
    ------
    ReportError
        If the file is missing or cannot be read as NetCDF.
    """
    import xarray as xr

    from ..report import ReportError

    if not path.exists():
        raise ReportError(f"{path}: no such result file (make one with `balanskonto run`)")
    if not path.is_file():
        raise ReportError(f"{path}: not a file")
    try:
        with xr.open_dataset(path) as ds:
            return ds.load()
    except (OSError, ValueError, RuntimeError) as err:
        raise ReportError(f"{path}: cannot read it as a NetCDF result ({err})") from None


def _cmd_report(args: argparse.Namespace) -> int:
    from ..report import report, scenario_dataset
    from ..results.files import check_writable

    path = Path(args.result)
    ds = read_result(path)
    out = Path(args.out) if args.out else default_out(path)
    check_writable(out.parent, "--out")  # where the files are drawn, then moved into out
    check_writable(out, "--out")
    language = args.lang or lang()
    if "scenario" in ds.dims and args.scenario is None:
        return batch_report(ds, path, args, out)
    if args.scenario is not None:
        ds = scenario_dataset(ds, args.scenario)
    earlier = read_result(Path(args.compare_with)) if args.compare_with else None
    sens = read_result(Path(args.sensitivity)) if args.sensitivity else None
    written = report(
        ds,
        out,
        lang=language,
        formats=args.format,
        template=args.template,
        earlier=earlier,
        sensitivity=sens,
    )
    _say_written(written, args.format, out)
    return 0


def _say_written(written: dict, formats, out: Path) -> None:
    for key in formats:
        say("wrote {path}", path=written[key])
    figures = [p for k, p in written.items() if k.startswith("figure:")]
    if figures:
        say("wrote {n} figure files (PNG and SVG) in {folder}", n=len(figures), folder=out)


def batch_report(ds: xr.Dataset, result: Path, args: argparse.Namespace, out=None) -> int:
    """The appendix of every scenario of a batch (one folder each) and their comparison."""
    from ..report import report_batch

    out = Path(out) if out else default_out(result)
    formats = getattr(args, "format", None) or FORMATS
    written = report_batch(ds, out, lang=getattr(args, "lang", None) or lang(), formats=formats,
                           template=args.template)  # fmt: skip
    for key, path in written.items():
        if ":" not in key or key.startswith("comparison:"):
            say("wrote {path}", path=path)
    return 0


def configure(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The arguments of ``report`` on a parser."""
    p.add_argument("result", metavar="RESULT.nc", help="a result file of `balanskonto run`")
    p.add_argument("--out", metavar="DIR", help="output folder (default: <result>_rapport/)")
    p.add_argument("--lang", choices=LANGS, default=None, help="language (default: sv)")
    p.add_argument(
        "--scenario",
        metavar="NAME",
        help="of a batch result: the appendix of this scenario only (default: every scenario "
        "and their comparison)",
    )
    p.add_argument(
        "--template", metavar="MALL.docx", help="the municipality's Word template (.docx/.dotx)"
    )
    p.add_argument(
        "--format",
        type=_formats,
        default=FORMATS,
        metavar="LIST",
        help=f"comma-separated, any of {','.join(FORMATS)} (default: all)",
    )
    p.add_argument(
        "--compare-with",
        metavar="EARLIER.nc",
        help="an earlier result to set beside this one (prognosförändring)",
    )
    p.add_argument(
        "--sensitivity",
        metavar="SENS.nc",
        help="a result of `balanskonto sensitivity --out` for the same config: drivers in kronor",
    )
    p.set_defaults(func=_cmd_report)
    return p


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``report`` to balanskonto's subcommands."""
    p = subparsers.add_parser(
        "report",
        help="write the risk appendix (HTML, Word, Excel, Markdown, figures) of a result",
        description="Write the risk appendix of Mål och budget from a result file.",
    )
    return configure(p)


def main(argv: Sequence[str] | None = None) -> int:
    """``report`` on its own, with the exit codes of balanskonto's command line."""
    argv = sys.argv[1:] if argv is None else list(argv)
    with speaking(choose(argv)):
        args = configure(argparse.ArgumentParser(prog="balanskonto report")).parse_args(argv)
        return run_command(args)
