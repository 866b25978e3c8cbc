"""The exit codes of every ``balanskonto`` command, in one place."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import warnings

from .._format import printable
from .errors import translate
from .language import tr


def run_command(args: argparse.Namespace) -> int:
    """Run ``args.func(args)`` with the command line's exit codes: 0 ok (or what the command
    returns), 2 a bad config, file or argument (:class:`ConfigError`; nothing written), 1
    anything else, with a one-line message instead of a traceback. A Python warning that
    escapes the command is one line in the tool's words (no source line)."""
    from ..config.errors import ConfigError  # here, not above: --help must not load pydantic

    code = 1
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            code = args.func(args)
            return code
    except ConfigError as err:
        print(f"balanskonto: {tr('error')}: {printable(translate(str(err)))}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head or less and closed early
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print(f"balanskonto: {tr('interrupted; nothing written')}", file=sys.stderr)
        return 1
    except Exception as err:
        print(f"balanskonto: {tr('failed')}: {_failure(err)}", file=sys.stderr)
        return 1
    finally:
        _quiet_at_exit(code)


#: The exit code of the last command, for a Ctrl-C during shutdown.
_STATUS = [0]


def _quiet_at_exit(code: object) -> None:
    """After the command: a Ctrl-C that comes while the interpreter shuts down (joining
    threads, Dask's atexit hooks) ends the process at once with the command's exit code,
    instead of a traceback from ``threading._shutdown`` or ``distributed``; before that
    (a caller that goes on, as the tests do) it is a KeyboardInterrupt as ever."""
    if threading.current_thread() is not threading.main_thread():
        return
    _STATUS[0] = code if isinstance(code, int) else 1
    previous = signal.getsignal(signal.SIGINT)
    if getattr(previous, "quiet_at_exit", False) or not callable(previous):
        return

    def handler(signum, frame):
        shutting_down = getattr(threading, "_SHUTTING_DOWN", False) or sys.is_finalizing()
        if shutting_down or not threading.main_thread().is_alive():
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(OSError, ValueError):
                    stream.flush()
            os._exit(_STATUS[0])
        previous(signum, frame)

    handler.quiet_at_exit = True  # type: ignore[attr-defined]
    signal.signal(signal.SIGINT, handler)


def _failure(err: Exception) -> str:
    """What went wrong, on one line: a full disk in the tool's words (results.files'
    WriteError), anything else as its type and message."""
    if isinstance(err, OSError) and getattr(err, "no_space_left", False):
        return tr(
            "{path}: no space left on the device; nothing was written (an earlier file of "
            "that name is kept). Free some space, or write elsewhere with --out",
            path=printable(str(err.filename)),
        )
    return f"{type(err).__name__}: {_capped(printable(str(err)))}"


#: The longest message of an unexpected failure shown (a library may echo a whole input).
MAX_MESSAGE = 500


def _capped(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    text = _capped(printable(str(message)))
    print(f"balanskonto: {tr('warning')}: {text} ({category.__name__})", file=sys.stderr)
