"""Command line: ``balanskonto COMMAND``, one module per command (DESIGN §7).

Exit codes: 0 ok, 2 bad config or arguments (nothing written), 1 anything else. Swedish by
default, English with ``--lang en`` (:mod:`.language`). Only the standard library and the
command modules' own light imports are loaded here: ``balanskonto --help`` starts fast, and
numba, xarray, matplotlib and python-docx are imported by the command that uses them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .._version import __version__
from . import batch, calibrate, expected, followup, report, rerun, run, sensitivity, validate
from .command import run_command
from .language import LANGS, choose, speaking, tr, translated


# --------------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="balanskonto",
        description="Monte Carlo risk model of a refugee-reception balance account.",
    )
    p.add_argument("--version", action="version", version=f"balanskonto {__version__}")
    _add_lang(p)
    sub = p.add_subparsers(dest="command", required=True)

    for command in (
        run,
        expected,
        validate,
        batch,
        sensitivity,
        report,
        rerun,
        followup,
        calibrate,
    ):
        command.add_parser(sub)
    for subparser in set(sub.choices.values()):
        if not any("--lang" in a.option_strings for a in subparser._actions):
            _add_lang(subparser)
    return p


def _add_lang(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--lang",
        choices=LANGS,
        default=argparse.SUPPRESS,
        help="language of messages, tables and help: sv (default) or en",
    )


def _numba_cache() -> None:
    """One numba cache in the user's cache folder (platformdirs), whatever the working
    directory, unless NUMBA_CACHE_DIR says otherwise: the second run never compiles again."""
    if "NUMBA_CACHE_DIR" not in os.environ:
        from platformdirs import user_cache_dir

        os.environ["NUMBA_CACHE_DIR"] = os.path.join(user_cache_dir("balanskonto"), "numba")


def main(argv: Sequence[str] | None = None) -> int:
    whole_process = argv is None
    argv = sys.argv[1:] if argv is None else list(argv)
    _numba_cache()
    with speaking(choose(argv)):
        args = translated(_parser()).parse_args(argv)
        # the command is the whole process (not a call from Python): `run` may skip imports
        args.whole_process = whole_process
        return run_command(args)


__all__ = ["main", "tr"]
