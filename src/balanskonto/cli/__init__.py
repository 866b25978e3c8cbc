"""Command line: ``balanskonto COMMAND``, one module per command (DESIGN §7).

Exit codes: 0 ok, 2 bad config or arguments (nothing written), 1 anything else.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .._version import __version__
from . import batch, calibrate, expected, report, rerun, run, sensitivity, validate
from .command import run_command


# --------------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="balanskonto",
        description="Monte Carlo risk model of a refugee-reception balance account.",
    )
    p.add_argument("--version", action="version", version=f"balanskonto {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    for command in (run, expected, validate, batch, sensitivity, report, rerun, calibrate):
        command.add_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_command(args)
