"""``balanskonto rerun``: reproduce a result file from its own provenance."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from .._format import printable
from .command import run_command
from .language import choose, say, speaking, tr
from .progress import announce_compile, plain_when_piped


# --------------------------------------------------------------------------------------
# Command line: balanskonto rerun RESULT.nc [--out FILE]
# --------------------------------------------------------------------------------------
def _cmd_rerun(args: argparse.Namespace) -> int:
    from ..batch.rerun import reproduce
    from ..results.files import check_output, write_output

    out = check_output(args.out) if args.out else None

    def warn(line: str) -> None:
        print(f"balanskonto: {tr('warning')}: {printable(line)}", file=sys.stderr)

    with plain_when_piped():
        done = reproduce(
            args.result,
            progress=not args.quiet,
            warn=warn,
            starting=lambda engine: announce_compile(engine, args.quiet),
        )
    attrs = done.original.attrs
    what = (
        f"{len(done.original.data_vars)} data variables; {attrs['runs']} runs, seed "
        f"{attrs['seed']}, engine {attrs['engine']}"
    )
    if done.exact:
        say("reproduced {path} exactly ({kind}: {what})", path=done.path, kind=done.kind, what=what)
    else:
        say("{path} is NOT reproduced ({kind}: {what}); what differs:", path=done.path,
            kind=done.kind, what=what)  # fmt: skip
        for line in done.differences:
            print(f"  {printable(line)}")
    if out is not None:
        write_output(done.rerun, out)
        say("wrote {path}", path=out)
    return 0 if done.exact else 1


def _configure(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("result", help="a result file of balanskonto run, batch or sensitivity")
    p.add_argument("--out", help="also write the rerun: FILE.nc or FILE.zarr")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_rerun)
    return p


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``rerun RESULT [--out FILE] [--quiet]`` to the ``balanskonto`` command's
    subparsers; it dispatches through ``args.func``. Exit codes: 0 reproduced exactly,
    1 it differs (or another failure), 2 a file that cannot be rerun."""
    return _configure(
        subparsers.add_parser(
            "rerun",
            help="reproduce a result file from the config, seed and runs stored in it",
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``balanskonto rerun`` on its own: ``main(["results/x.nc"])``.

    Exit codes: 0 reproduced exactly, 1 it differs or something else failed, 2 a file that
    cannot be rerun (missing, unreadable, no ``config_toml``) or bad arguments.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    with speaking(choose(argv)):
        args = _configure(argparse.ArgumentParser(prog="balanskonto rerun")).parse_args(argv)
        return run_command(args)
