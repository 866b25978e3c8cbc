"""``balanskonto sensitivity``: which assumptions drive the deficit risk."""

from __future__ import annotations

from pathlib import Path

from .language import say


def _cmd_sensitivity(args) -> int:
    from ..analysis.sensitivity import report, summary
    from ..config.errors import ConfigError
    from ..results.files import check_writable, write_netcdf

    path = Path(args.out) if args.out else None
    if path is not None:  # before anything is simulated
        if path.suffix != ".nc":
            raise ConfigError(
                f"--out: the output is a NetCDF file ending in .nc (got {args.out!r})"
            )
        check_writable(path.parent, "--out")
    if not args.quiet:
        say("sensitivity: one simulation and two per factor; this takes a while…")
    out = report(args.config, runs=args.runs, seed=args.seed, year=args.year, engine=args.engine)
    print(summary(out))
    if path is not None:
        write_netcdf(out, path)
        say("wrote {path}", path=path)
    return 0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("sensitivity", help="which assumptions drive the deficit risk")
    p.add_argument("config")
    p.add_argument("--runs", type=int, help="runs (default: simulation.runs)")
    p.add_argument("--seed", type=int, help="random seed (default: simulation.seed)")
    p.add_argument("--year", type=int, help="the year to explain (default: the last)")
    p.add_argument("--out", help="write the results as NetCDF")
    p.add_argument("--engine", choices=["numba", "numpy"], default="numba")
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    p.set_defaults(func=_cmd_sensitivity)
