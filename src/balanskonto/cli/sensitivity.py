"""``balanskonto sensitivity``: which assumptions drive the deficit risk."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from .language import say, tr
from .progress import announce_compile, plain_when_piped

#: The stages of ``analysis.sensitivity.report`` in words (translated by cli/locale).
STAGES = {
    "simulation": "the simulation",
    "layers": "variance by layer",
    "swings": "swings of the factors",
}


def _stepper(quiet: bool):
    """A ``step(stage, k, n)`` that prints one line per simulation on stderr (with the
    seconds since the start), or nothing when ``quiet``."""
    start = time.monotonic()

    def step(stage: str, k: int, n: int) -> None:
        if not quiet:
            line = tr(
                "sensitivity: {stage}, simulation {k} of {n} ({seconds} s)",
                stage=tr(STAGES[stage]),
                k=k,
                n=n,
                seconds=round(time.monotonic() - start),
            )
            sys.stderr.write(line + "\n")  # one write: a log line, also between bars
            sys.stderr.flush()

    return step


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
    announce_compile(args.engine, args.quiet)
    with plain_when_piped():
        out = report(
            args.config,
            runs=args.runs,
            seed=args.seed,
            year=args.year,
            engine=args.engine,
            step=_stepper(args.quiet),
            progress=not args.quiet,
        )
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
    p.add_argument("--quiet", action="store_true", help="no progress bar or messages")
    p.set_defaults(func=_cmd_sensitivity)
