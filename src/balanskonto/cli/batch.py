"""``balanskonto batch``: scenarios on common random numbers, locally or on Dask."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .command import run_command
from .language import choose, say, speaking
from .progress import announce_compile, plain_when_piped
from .run import ENGINES

#: Runs of one scenario per unit of work (simulation.run.DEFAULT_CHUNK_RUNS; a test checks).
DEFAULT_CHUNK_RUNS = 256
#: Seconds with no Dask worker before a batch gives up (batch.cluster.DEFAULT_WORKER_TIMEOUT).
DEFAULT_WORKER_TIMEOUT = 120.0


def _cmd_batch(args: argparse.Namespace) -> int:
    from ..batch.runner import summary, write_batch
    from ..batch.spec import load_batch

    batch = load_batch(args.batch)
    if args.report and batch.municipalities:
        from ..config.errors import ConfigError

        raise ConfigError(
            "--report: a batch of municipalities has no report appendix yet; leave --report "
            "out (the file has every municipality's results and the län and riket sums)"
        )
    out = Path(args.out) if args.out else Path("results") / f"{batch.path.stem}.nc"

    def log(line: str) -> None:
        if not args.quiet:
            print(f"balanskonto: {line}", file=sys.stderr)

    if args.scheduler is None:  # a remote cluster's workers compile (or not) out of sight
        announce_compile(args.engine, args.quiet)
    with plain_when_piped():
        ds = write_batch(
            batch,
            out,
            args.engine,
            not args.quiet,
            runs=args.runs,
            seed=args.seed,
            chunk_runs=args.chunk_runs,
            workers=args.workers,
            scheduler=args.scheduler,
            resume=args.resume,
            log=log,
            worker_timeout=args.worker_timeout,
        )
    print(summary(ds))
    if "riket_balance" in ds:
        say(
            "{n} municipalities in {lans} län: each one's results, and the sums over län and "
            "riket run by run (lan_balance, riket_balance), are in the file",
            n=ds.sizes["municipality"],
            lans=ds.sizes["lan"],
        )
    say("wrote {path}", path=out)
    if args.report:
        from .report import batch_report

        batch_report(ds, out, args)
    return 0


def _configure(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument(
        "batch", help="TOML batch file (base config, scenarios, grid, table of municipalities)"
    )
    p.add_argument(
        "--out", help="output: FILE.nc (NetCDF) or FILE.zarr (default: results/<batch-stem>.nc)"
    )
    p.add_argument("--runs", type=int, help="runs per scenario (default: the batch's runs)")
    p.add_argument("--seed", type=int, help="random seed (default: the batch's seed)")
    p.add_argument("--engine", choices=sorted(ENGINES), default="numba")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="run on a new local Dask cluster of N processes (one thread each)",
    )
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on an existing Dask cluster: its scheduler address (tcp://host:8786) or "
        "scheduler file (JSON)",
    )
    p.add_argument(
        "--chunk-runs",
        type=int,
        default=DEFAULT_CHUNK_RUNS,
        metavar="N",
        help=f"runs of one scenario per unit of work (default {DEFAULT_CHUNK_RUNS}); the "
        "results do not depend on it",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted batch from the chunks kept in <out>.parts/",
    )
    p.add_argument(
        "--worker-timeout",
        type=float,
        default=DEFAULT_WORKER_TIMEOUT,
        metavar="SECONDS",
        help="give up after this many seconds with no Dask worker (default 120); the "
        "finished chunks are kept for --resume",
    )
    p.add_argument(
        "--report",
        action="store_true",
        help="also write the risk appendix: one per scenario and a comparison (<out>_rapport/)",
    )
    p.add_argument("--template", metavar="MALL.docx", help="Word template for --report")
    p.set_defaults(func=_cmd_batch)
    return p


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``batch BATCH.toml [--out FILE.nc|FILE.zarr] [--runs N] [--seed S] [--engine E]
    [--quiet] [--workers N | --scheduler ADDRESS] [--chunk-runs N] [--resume]`` to the
    ``balanskonto`` command's subparsers; it dispatches through ``args.func``."""
    return _configure(
        subparsers.add_parser(
            "batch", help="run the scenarios of a batch file and compare them (one NetCDF)"
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``balanskonto batch`` on its own: ``main(["BATCH.toml", "--runs", "100"])``.

    Exit codes: 0 ok, 2 bad batch, config or arguments (nothing written), 1 anything else.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    with speaking(choose(argv)):
        args = _configure(argparse.ArgumentParser(prog="balanskonto batch")).parse_args(argv)
        return run_command(args)
