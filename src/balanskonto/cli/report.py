"""Command line: ``balanskonto report RESULT.nc [--out DIR] [--lang sv|en] [--format …]``.

:func:`add_parser` adds the ``report`` command to balanskonto's command line; :func:`main`
runs it on its own (``python -m balanskonto.report.cli RESULT.nc``). Exit codes: 0 ok, 2 a
missing or unreadable result file, an unknown format or language (nothing written), 1 anything
else.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xarray as xr

from ..report import FORMATS, LANGS, ReportError, check_formats, report
from .command import run_command


def _formats(value: str) -> tuple[str, ...]:
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
    path = Path(args.result)
    ds = read_result(path)
    out = Path(args.out) if args.out else default_out(path)
    earlier = read_result(Path(args.compare_with)) if args.compare_with else None
    written = report(ds, out, lang=args.lang, formats=args.format, earlier=earlier)
    for key in args.format:
        print(f"wrote {written[key]}")
    figures = [p for k, p in written.items() if k.startswith("figure:")]
    if figures:
        print(f"wrote {len(figures)} figure files (PNG and SVG) in {out}")
    return 0


def configure(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The arguments of ``report`` on a parser."""
    p.add_argument("result", metavar="RESULT.nc", help="a result file of `balanskonto run`")
    p.add_argument("--out", metavar="DIR", help="output folder (default: <result>_rapport/)")
    p.add_argument("--lang", choices=LANGS, default="sv", help="language (default: sv)")
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
    args = configure(argparse.ArgumentParser(prog="balanskonto report")).parse_args(argv)
    return run_command(args)
