"""``balanskonto uppfoljning RESULT.nc UTFALL.csv`` (alias ``follow-up``): hold a forecast
against what happened (DESIGN §13).

Prints every actual against the forecast's fan (Swedish by default), writes the comparison as
NetCDF (default ``<result>_uppfoljning.nc`` next to the result, atomically) and, with
``--report DIR``, the risk appendix with its follow-up section. Bad actuals, a missing result
or a bad argument: exit code 2 with the file, line, value and rule, and nothing written.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .language import lang
from .report import FORMATS, LANGS, read_result


def default_out(result: Path) -> Path:
    """``<result-stem>_uppfoljning.nc`` next to the result file."""
    return result.with_name(f"{result.stem}_uppfoljning.nc")


def _cmd_followup(args: argparse.Namespace) -> int:
    # imported here, so that `balanskonto --help` loads no numpy, xarray or matplotlib
    from ..analysis.followup import followup, scope_of
    from ..config.actuals_files import read_actuals
    from ..config.errors import ConfigError
    from ..report import check_formats, report
    from ..report.followup_text import summary
    from ..results.files import check_writable, write_netcdf

    language = args.lang or lang()
    result = Path(args.result)
    out = Path(args.out) if args.out else default_out(result)
    if out.suffix != ".nc" or out.is_dir():
        raise ConfigError(f"--out: the output is a NetCDF file ending in .nc (got {str(out)!r})")
    formats = check_formats(args.format)
    check_writable(out.parent, "--out")  # before anything is read or computed
    if args.report:
        check_writable(Path(args.report).parent, "--report")
        check_writable(args.report, "--report")
    ds = read_result(result)
    actuals = read_actuals(args.actuals, scope_of(ds))
    earlier = read_result(Path(args.compare_with)) if args.compare_with else None
    fu = followup(ds, actuals)
    targets, labels = _targets_and_labels(ds)
    print(summary(fu, language, targets, labels))
    write_netcdf(fu, out)
    print(f"\n{out}")
    if args.report:
        written = report(
            ds, Path(args.report), lang=language, formats=formats, followup=fu, earlier=earlier
        )
        for key in formats:
            print(written[key])
    return 0


def _targets_and_labels(ds) -> tuple[dict[str, str], dict[str, str]]:
    """Share path → the state its exit leads to (for the names of drawn shares), and the
    config's ``[labels]`` (DESIGN §15), from the result's config text."""
    from ..config.errors import ConfigError
    from ..config.reading import parse_config
    from ..report.data import exit_targets

    try:
        config = parse_config(str(ds.attrs.get("config_toml", "")))
    except ConfigError:
        return {}, {}
    return exit_targets(config), dict(config.labels)


def configure(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The arguments of ``uppfoljning`` on a parser."""
    p.add_argument("result", metavar="RESULT.nc", help="a result file of `balanskonto run`")
    p.add_argument(
        "actuals",
        metavar="UTFALL.csv",
        help="actuals: period,variable,group,state,component,value (CSV or .xlsx)",
    )
    p.add_argument("--out", metavar="FILE.nc", help="default: <result>_uppfoljning.nc")
    p.add_argument("--report", metavar="DIR", help="also write the risk appendix with follow-up")
    p.add_argument("--lang", choices=LANGS, default=None, help="language (default: sv)")
    p.add_argument(
        "--format",
        default=",".join(FORMATS),
        metavar="LIST",
        help=f"formats of --report, any of {','.join(FORMATS)} (default: all)",
    )
    p.add_argument(
        "--compare-with",
        metavar="EARLIER.nc",
        help="an earlier forecast to set beside this one in --report (prognosförändring)",
    )
    p.set_defaults(func=_cmd_followup)
    return p


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``uppfoljning`` (alias ``follow-up``) to balanskonto's subcommands."""
    p = subparsers.add_parser(
        "uppfoljning",
        aliases=["follow-up"],
        help="hold a forecast against actuals (utfall): fan, ranks, CRPS, assumptions",
        description="Compare a result of `balanskonto run` with actuals (DESIGN §13).",
    )
    return configure(p)
