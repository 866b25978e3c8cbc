"""Command-line errors (DESIGN §7): exit code 2 for a bad config or bad arguments, the message
on stderr names the dotted path, and nothing is written."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import xarray as xr

from balanskonto.cli import main

from conftest import batch_file

ROOT = Path(__file__).resolve().parents[2]
SODERTALJE = ROOT / "configs" / "sodertalje_2008.toml"
BAD_PATH = "groups.adult.states.intro.exits[2].share"
OVER_PATH = "groups.adult.states.intro.exits"


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    """These tests read the English messages (the Swedish ones: tests/cli/test_cli.py)."""
    monkeypatch.setenv("BALANSKONTO_LANG", "en")


def _edited(tmp_path: Path, old: str, new: str, name: str) -> Path:
    text = SODERTALJE.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {SODERTALJE.name}"
    path = tmp_path / name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


@pytest.fixture
def bad_share(tmp_path: Path) -> Path:
    """Södertälje with the third intro exit's share at 1.5 (schema error)."""
    return _edited(
        tmp_path,
        '{ to = "self_sufficient", share = 0.50, at_month = 18 }',
        '{ to = "self_sufficient", share = 1.50, at_month = 18 }',
        "bad_share.toml",
    )


@pytest.fixture
def over_subscribed(tmp_path: Path) -> Path:
    """Södertälje with two intro exits of 0.6 at month 3 (found when compiling the tables)."""
    return _edited(
        tmp_path,
        """exits = [
  { to = "relocated", share = 0.10, within_months = 12 },
  { to = "self_sufficient", share = 0.10, at_month = 3 },
  { to = "self_sufficient", share = 0.50, at_month = 18 },
]""",
        """exits = [
  { to = "self_sufficient", share = 0.6, at_month = 3 },
  { to = "income_support", share = 0.6, at_month = 3 },
]""",
        "over.toml",
    )


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.parametrize("command", ["run", "validate", "expected"])
def test_bad_config_exits_2_naming_the_path(tmp_path, capsys, bad_share, command):
    out = tmp_path / "x.nc"
    argv = [command, str(bad_share)]
    if command == "run":
        argv += ["--out", str(out), "--runs", "2", "--quiet"]
    before = _files(tmp_path)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert BAD_PATH in captured.err
    assert "1.5" in captured.err
    assert captured.err.startswith("balanskonto: error:")
    assert captured.out == ""
    assert not out.exists()
    assert _files(tmp_path) == before  # no output and no temp file


@pytest.mark.parametrize("command", ["run", "validate", "expected"])
def test_bad_household_members_exit_2_naming_the_path(tmp_path, capsys, command):
    """A household group (DESIGN §15) with a member count of 0: exit 2, nothing written."""
    bad = _edited(
        tmp_path,
        'start = "self_sufficient"\n',
        'start = "self_sufficient"\nmembers = { child = 0 }\n',
        "bad_members.toml",
    )
    out = tmp_path / "x.nc"
    argv = [command, str(bad)]
    if command == "run":
        argv += ["--out", str(out), "--runs", "2", "--quiet"]
    before = _files(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "groups.child.members.child: " in err and "(got 0)" in err
    assert _files(tmp_path) == before


@pytest.mark.parametrize("command", ["run", "validate", "expected"])
def test_over_subscribed_exits_exit_2(tmp_path, capsys, over_subscribed, command):
    out = tmp_path / "x.nc"
    argv = [command, str(over_subscribed)]
    if command == "run":
        argv += ["--out", str(out), "--runs", "2", "--quiet"]
    before = _files(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert OVER_PATH in err
    assert "month 3" in err
    assert _files(tmp_path) == before


def test_bad_config_with_default_out_writes_nothing(tmp_path, monkeypatch, capsys, bad_share):
    monkeypatch.chdir(tmp_path)
    assert main(["run", bad_share.name, "--runs", "2", "--quiet"]) == 2
    assert BAD_PATH in capsys.readouterr().err
    assert not (tmp_path / "results").exists()
    assert _files(tmp_path) == {bad_share.name}


@pytest.mark.parametrize("command", ["run", "validate", "expected"])
def test_missing_config_file_exits_2(tmp_path, capsys, command):
    missing = tmp_path / "missing.toml"
    argv = [command, str(missing)]
    if command == "run":
        argv += ["--out", str(tmp_path / "x.nc")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "missing.toml" in err
    assert "no such config file" in err
    assert _files(tmp_path) == set()


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--runs", "0"], "runs"),
        (["--runs", "-3"], "runs"),
        (["--seed", "-1"], "seed"),
        (["--out", "x.csv"], "--out"),
        (["--out", "x"], "--out"),
        (["--target-precision", "inf"], "--target-precision"),  # OverflowError, exit 1
        (["--target-precision", "5e-324"], "--target-precision"),
    ],
)
def test_bad_option_values_exit_2_and_write_nothing(tmp_path, capsys, extra, named):
    extra = [str(tmp_path / a) if a.startswith("x") else a for a in extra]
    argv = ["run", str(SODERTALJE), "--quiet", *extra]
    if "--out" not in extra:
        argv += ["--out", str(tmp_path / "x.nc")]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert f"{named}:" in captured.err
    assert captured.err.startswith("balanskonto: error:")
    assert _files(tmp_path) == set()


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["run", str(SODERTALJE), "--runs", "abc"], "invalid int value: 'abc'"),
        (["run", str(SODERTALJE), "--engine", "fortran"], "invalid choice: 'fortran'"),
        (["frobnicate", str(SODERTALJE)], "invalid choice: 'frobnicate'"),
        (["validate"], "the following arguments are required: config"),
        ([], "the following arguments are required: command"),
    ],
    ids=["runs-abc", "bad-engine", "unknown-subcommand", "no-config", "no-subcommand"],
)
def test_bad_arguments_are_argparse_exit_2(capsys, argv, said):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert said in capsys.readouterr().err


def test_validate_good_config(capsys):
    assert main(["validate", str(SODERTALJE)]) == 0
    captured = capsys.readouterr()
    assert "valid" in captured.out
    assert "→self-sufficient" in captured.out  # the cumulative-share table, state labels
    assert "adults / introduction" in captured.out
    assert captured.err == ""


def test_good_run_writes_only_the_output(tmp_path, capsys):
    out = tmp_path / "x.nc"
    assert main(["run", str(SODERTALJE), "--runs", "2", "--out", str(out), "--quiet"]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    assert _files(tmp_path) == {"x.nc"}  # the temp file was renamed, not left behind


def test_subprocess_bad_config_exits_2_and_writes_nothing(tmp_path, bad_share):
    out = tmp_path / "x.nc"
    proc = subprocess.run(
        [sys.executable, "-m", "balanskonto.cli", "run", str(bad_share), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert BAD_PATH in proc.stderr
    assert proc.stdout == ""
    assert _files(tmp_path) == {bad_share.name}


def test_subprocess_bad_argument_exits_2(tmp_path):
    out = tmp_path / "x.nc"
    argv = ["run", str(SODERTALJE), "--runs", "abc", "--out", str(out)]
    proc = subprocess.run(
        [sys.executable, "-m", "balanskonto.cli", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "--runs: invalid int value: 'abc'" in proc.stderr
    assert proc.stdout == ""
    assert not out.exists()


# --------------------------------------------------------------------------------------
# Hostile files: text the report formats and the terminal cannot take
# --------------------------------------------------------------------------------------
TITLE = 'title = "Södertälje 2008 – modell för budgetering av flyktingmottagandet"'


@pytest.mark.parametrize(
    ("escaped", "code"),
    [("\\u001b[2J", "U+001B"), ("\\u0007", "U+0007"), ("\\u0000", "U+0000"), ("\\n", "U+000A")],
    ids=["esc", "bel", "nul", "newline"],
)
def test_a_control_character_in_the_title_exits_2_before_anything_is_written(
    tmp_path, capsys, escaped, code
):
    """Once valid, such a title failed the report (openpyxl's IllegalCharacterError, exit 1)
    after run --report had written the .nc; NetCDF cut it at NUL."""
    config = _edited(tmp_path, TITLE, f'title = "Södertälje{escaped} 2008"', "ctrl.toml")
    out = tmp_path / "x.nc"
    before = _files(tmp_path)
    assert main(["run", str(config), "--out", str(out), "--runs", "2", "--quiet", "--report"]) == 2
    captured = capsys.readouterr()
    assert "meta.title: text is one line without control characters" in captured.err
    assert code in captured.err
    assert _files(tmp_path) == before
    assert main(["validate", str(config)]) == 2
    err = capsys.readouterr().err
    assert "meta.title" in err and "\x1b" not in err and "\x07" not in err and "\x00" not in err


def test_a_message_never_carries_raw_control_characters(tmp_path, capsys):
    """An unknown key is named as it is written; its ESC and BEL reach the terminal escaped."""
    config = _edited(tmp_path, "[balance]", '"x\\u001b]0;pwned\\u0007" = 1\n[balance]', "k.toml")
    assert main(["validate", str(config)]) == 2
    err = capsys.readouterr().err
    assert "unknown key" in err and "\\x1b]0;pwned\\x07" in err
    assert "\x1b" not in err and "\x07" not in err


def test_a_control_character_in_a_scenario_name_exits_2(tmp_path, capsys):
    """NetCDF cut the name at NUL (two scenarios then had the same name in the file)."""
    batch = batch_file(tmp_path, '[scenarios."bas\\u0000x"]\n')
    assert main(["batch", str(batch), "--out", str(tmp_path / "b.nc"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert 'scenarios."bas\\u0000x": a scenario name is one line' in err
    assert "U+0000" in err and not (tmp_path / "b.nc").exists()


def test_a_scheduler_port_above_65535_exits_2_at_once(tmp_path, capsys):
    """tcp://127.0.0.1:99999 passed the option check and timed out after 30 s (exit 1)."""
    batch = batch_file(tmp_path, "[scenarios.bas]\n")
    argv = ["batch", str(batch), "--scheduler", "tcp://127.0.0.1:99999", "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "b.nc")]) == 2
    assert "--scheduler: the port must be from 1 to 65535 (got 99999" in capsys.readouterr().err
    assert not (tmp_path / "b.nc").exists()


@pytest.mark.parametrize(
    ("base", "said"),
    [
        ("/dev/zero", "/dev/zero: a device or socket, not a config file"),  # read without end
        ("pipe.toml", "pipe.toml: a FIFO (named pipe), not a config file"),  # waited for ever
        ("a\\u0000b.toml", "a file name cannot hold a NUL character"),  # ValueError, exit 1
    ],
    ids=["dev-zero", "fifo", "nul"],
)
def test_a_batch_base_that_is_no_regular_file_exits_2(tmp_path, capsys, base, said):
    if base == "/dev/zero" and not Path(base).exists():
        pytest.skip("no /dev/zero here")
    if base == "pipe.toml":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs here")
        os.mkfifo(tmp_path / base)
    batch = tmp_path / "b.toml"
    batch.write_text(f'base = "{base}"\n[scenarios.bas]\n', encoding="utf-8")
    done = threading.Event()

    def unblock() -> None:  # should a reader of the FIFO hang, give it ends of file
        while not done.wait(2.0):
            with contextlib.suppress(OSError):
                os.close(os.open(tmp_path / base, os.O_WRONLY | os.O_NONBLOCK))

    threading.Thread(target=unblock, daemon=True).start()
    try:
        code = main(["batch", str(batch), "--out", str(tmp_path / "b.nc"), "--quiet"])
    finally:
        done.set()
    assert code == 2
    err = capsys.readouterr().err
    assert "b.toml: base: " in err and said in err
    assert not (tmp_path / "b.nc").exists()


# --------------------------------------------------------------------------------------
# Output: checked before anything is simulated; a full disk is said so
# --------------------------------------------------------------------------------------
def _mount_tmpfs(folder: Path, options: str) -> bool:
    """Mount a small tmpfs at ``folder`` (root on Linux only); False where that fails."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0 or not shutil.which("mount"):
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


@pytest.fixture
def read_only(tmp_path):
    """A folder in which no file can be made: mode 0555, or (for root, whom modes do not
    stop) a read-only tmpfs."""
    folder = tmp_path / "ro"
    folder.mkdir()
    mounted = False
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        mounted = _mount_tmpfs(folder, "size=64k,ro")
        if not mounted:
            pytest.skip("running as root without a read-only file system to mount")
    else:
        folder.chmod(0o555)
    try:
        try:
            (folder / "probe").touch()
        except OSError:
            yield folder
        else:
            pytest.skip("the folder is writable all the same")
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=False)
        else:
            folder.chmod(0o755)


def _commands(tmp_path: Path, ro: Path) -> dict[str, list[str]]:
    result = tmp_path / "r.nc"
    if not result.exists():
        from balanskonto.results.files import write_netcdf
        from balanskonto.simulation.run import simulate

        write_netcdf(simulate(SODERTALJE, runs=2), result)
    batch = batch_file(tmp_path, "[scenarios.bas]\n")
    actuals = tmp_path / "utfall.csv"
    actuals.write_text("period,variable,group,state,component,value\n2008,balance,,,,1\n")
    spells = ROOT / "configs" / "exempel_spells.csv"
    return {
        "run": ["run", str(SODERTALJE), "--runs", "2", "--quiet", "--out", str(ro / "x.nc")],
        "run-sub": ["run", str(SODERTALJE), "--quiet", "--out", str(ro / "new" / "x.nc")],
        "batch": ["batch", str(batch), "--runs", "2", "--quiet", "--out", str(ro / "b.nc")],
        "zarr": ["batch", str(batch), "--runs", "2", "--quiet", "--out", str(ro / "b.zarr")],
        "sensitivity": ["sensitivity", str(SODERTALJE), "--runs", "4", "--out", str(ro / "s.nc")],
        "report": ["report", str(result), "--out", str(ro / "rapport")],
        "rerun": ["rerun", str(result), "--quiet", "--out", str(ro / "again.nc")],
        "uppfoljning": ["uppfoljning", str(result), str(actuals), "--out", str(ro / "u.nc")],
        "kalibrera": ["kalibrera", str(spells), "--as-of", "2025-12", "--out", str(ro / "k.toml")],
    }


WRITERS = ["run", "run-sub", "batch", "zarr", "sensitivity", "report", "rerun"]


@pytest.mark.parametrize("command", [*WRITERS, "uppfoljning", "kalibrera"])
def test_a_read_only_output_folder_exits_2_before_simulating(tmp_path, capsys, read_only, command):
    """It was found only after the whole simulation (PermissionError, exit 1)."""
    argv = _commands(tmp_path, read_only)[command]
    with pytest.MonkeyPatch.context() as patch:
        from balanskonto.simulation import run

        patch.setattr(run, "simulate_arrays", _never)
        code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"--out: cannot write in {read_only}" in err
    assert list(read_only.iterdir()) == []


def _never(*args, **kwargs):
    raise AssertionError("simulated before the output was checked")


def _fill_the_disk(error: Exception):
    """A NetCDF writer that writes part of the file, then fails as a full disk does."""

    def to_netcdf(self, path, *args, **kwargs):
        Path(path).write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 1000)
        raise error

    return to_netcdf


@pytest.mark.parametrize(
    "error",
    [OSError(errno.ENOSPC, "No space left on device"), RuntimeError("NetCDF: HDF error")],
    ids=["enospc", "hdf-error"],
)
def test_a_full_disk_says_so_and_keeps_the_old_file(tmp_path, capsys, monkeypatch, error):
    """It said "RuntimeError: NetCDF: HDF error"."""
    import shutil as shutil_module

    from balanskonto.results import files

    out = tmp_path / "x.nc"
    out.write_bytes(b"the old result")
    monkeypatch.setattr(xr.Dataset, "to_netcdf", _fill_the_disk(error))
    usage = shutil_module.disk_usage(tmp_path)
    monkeypatch.setattr(files.shutil, "disk_usage", lambda p: usage._replace(free=0))
    assert main(["run", str(SODERTALJE), "--runs", "2", "--quiet", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{out}: no space left on the device; nothing was written" in err
    assert "HDF" not in err
    assert out.read_bytes() == b"the old result"
    assert _files(tmp_path) == {"x.nc"}  # no temporary file left
    argv = ["run", str(SODERTALJE), "--runs", "2", "--quiet", "--out", str(out), "--lang", "sv"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"balanskonto: misslyckades: {out}: det finns inget utrymme kvar")


def test_a_full_tmpfs_says_so_and_keeps_the_old_file(tmp_path, capsys):
    """The same on a real file system of 200 kB (root on Linux only)."""
    folder = tmp_path / "small"
    folder.mkdir()
    if not _mount_tmpfs(folder, "size=200k"):
        pytest.skip("cannot mount a small tmpfs here")
    try:
        out = folder / "x.nc"
        out.write_bytes(b"the old result")
        argv = ["run", str(ROOT / "configs" / "exempel_2026.toml"), "--runs", "300", "--quiet"]
        assert main([*argv, "--out", str(out)]) == 1
        assert f"{out}: no space left on the device" in capsys.readouterr().err
        assert out.read_bytes() == b"the old result"
        assert [p.name for p in folder.iterdir()] == ["x.nc"]
    finally:
        subprocess.run(["umount", str(folder)], check=False)


# --------------------------------------------------------------------------------------
# Messages: no secrets, no whole inputs, no Python warnings
# --------------------------------------------------------------------------------------
def test_an_unknown_key_is_named_without_its_value(tmp_path, capsys):
    """It printed ``api_token: unknown key … (got 'SECRET-abc123')``."""
    shutil.copy(SODERTALJE, tmp_path / "base.toml")
    with (tmp_path / "base.toml").open("a", encoding="utf-8") as f:
        f.write('\n[meta2]\napi_token = "SECRET-abc123"\n')
    text = (tmp_path / "base.toml").read_text(encoding="utf-8")
    (tmp_path / "base.toml").write_text(
        text.replace("[meta]\n", '[meta]\napi_token = "SECRET-abc123"\n'), encoding="utf-8"
    )
    batch = tmp_path / "b.toml"
    batch.write_text('base = "base.toml"\n[scenarios.bas]\n', encoding="utf-8")
    assert main(["batch", str(batch), "--out", str(tmp_path / "b.nc")]) == 2
    err = capsys.readouterr().err
    assert "meta.api_token: unknown key" in err and "meta2: unknown key" in err
    assert "SECRET" not in err
    batch.write_text('base = "base.toml"\ntoken = "SECRET-abc123"\n', encoding="utf-8")
    assert main(["batch", str(batch), "--out", str(tmp_path / "b.nc")]) == 2
    err = capsys.readouterr().err
    assert "token: unknown key in a batch file" in err and "SECRET" not in err


def test_an_unexpected_failure_does_not_echo_a_whole_input(tmp_path, capsys, monkeypatch):
    """openpyxl's message once echoed a whole title (10 MB) to the terminal."""
    from balanskonto.cli import validate

    def fails(args):
        raise ValueError("exceeded 255 char limit for property, got: " + "x" * 10_000_000)

    monkeypatch.setattr(validate, "_cmd_validate", fails)
    assert main(["validate", str(SODERTALJE)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("balanskonto: failed: ValueError: exceeded 255 char limit")
    assert len(err) < 600 and err.rstrip().endswith("…")


@pytest.mark.filterwarnings("always::RuntimeWarning")
def test_a_python_warning_is_one_line_in_the_tools_words(capsys, monkeypatch):
    import warnings

    from balanskonto.cli import validate

    def warns(args):
        warnings.warn("invalid value encountered in divide", RuntimeWarning, stacklevel=1)
        return 0

    monkeypatch.setattr(validate, "_cmd_validate", warns)
    assert main(["validate", str(SODERTALJE)]) == 0
    assert capsys.readouterr().err == (
        "balanskonto: warning: invalid value encountered in divide (RuntimeWarning)\n"
    )


def test_a_factor_fixed_in_every_run_gives_no_warning(tmp_path, capsys):
    """A policy that happens in every run (probability 1): its factor is the same in every
    run, spearmanr warned "ConstantInputWarning: An input array is constant" (a
    RuntimeWarning) on the terminal, with --quiet too."""
    config = _edited(
        tmp_path,
        "[fixed.revenue]",
        '[[policy]]\ncomponent = "allowance"\nfrom_year = 2010\nfactor = 0.9\n\n[fixed.revenue]',
        "policy.toml",
    )
    assert main(["sensitivity", str(config), "--runs", "20"]) == 0
    err = capsys.readouterr().err  # the progress lines, and no warning among them
    assert "sensitivity:" in err and "warning" not in err.lower()
    assert main(["sensitivity", str(config), "--runs", "20", "--quiet"]) == 0
    assert capsys.readouterr().err == ""
