"""Issue 15: a run whose results would not fit in memory is refused before anything is
simulated (exit 2, the estimate and the machine's memory, naming --runs / simulation.runs);
a long one is announced; a normal run is unaffected."""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path

import pytest

from balanskonto.cli import main

EXAMPLE = Path(str(resources.files("balanskonto") / "data" / "example.toml"))


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    monkeypatch.setenv("BALANSKONTO_LANG", "en")


@pytest.fixture(autouse=True, scope="module")
def _imported():
    """The modules the commands import, loaded before the clock starts: the refusal itself
    is what is timed (a real run would start simulating, minutes in)."""
    import balanskonto.batch.runner
    import balanskonto.results.files
    import balanskonto.simulation.precision  # noqa: F401


def _config(tmp_path: Path, years: int = 100, runs: int = 10_000_000, per_year=100) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("years = 8\n", f"years = {years}\n").replace(
        "runs = 2000\n", f"runs = {runs}\n"
    )
    text = text.replace("per_year = [120, 120, 100, 100, 80, 80, 80, 80]", f"per_year = {per_year}")
    path = tmp_path / "big.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _refused(argv: list[str], tmp_path: Path, capsys, *names: str) -> str:
    out = tmp_path / "out" / "r.nc"
    start = time.perf_counter()
    rc = main([*argv, "--out", str(out), "--quiet"])
    took = time.perf_counter() - start
    err = capsys.readouterr().err
    assert rc == 2, err
    assert took < 1.0, took
    for name in names:
        assert name in err, err
    assert not out.exists() and not list(tmp_path.glob("out/*"))
    return err


def test_config_runs_too_big_for_memory(tmp_path, capsys):
    err = _refused(["run", str(_config(tmp_path))], tmp_path, capsys, "simulation.runs", "--runs")
    assert "GiB" in err and "available" in err


def test_option_runs_beyond_the_configs_bound(tmp_path, capsys):
    _refused(["run", "--runs", "1000000000"], tmp_path, capsys, "--runs", "10000000")


def test_target_precision_max_runs_checked_before_the_first_run(tmp_path, capsys):
    path = _config(tmp_path, runs=1000)
    argv = ["run", str(path), "--target-precision", "1", "--max-runs", "10000000"]
    err = _refused(argv, tmp_path, capsys, "--max-runs")
    assert "GiB" in err


def test_batch_runs_too_big_for_memory(tmp_path, capsys):
    path = _config(tmp_path, runs=1000)
    batch = tmp_path / "b.toml"
    batch.write_text(f'base = "{path.name}"\nruns = 10_000_000\n[scenarios.a]\n[scenarios.b]\n')
    out = tmp_path / "out" / "b.nc"
    start = time.perf_counter()
    rc = main(["batch", str(batch), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert time.perf_counter() - start < 1.0
    assert "--runs" in err and "GiB" in err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_long_run_warned_in_one_line(tmp_path):
    import warnings

    from balanskonto.model.compiled import compile_model
    from balanskonto.simulation.run import check_size, load_config

    model = compile_model(load_config(_config(tmp_path, runs=1000, per_year=1_000_000)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_size(model, 1000)
    assert len(caught) == 1 and "minutes" in str(caught[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_size(compile_model(load_config(EXAMPLE)), 2000)  # a normal run: no warning


def test_sensitivity_runs_too_big_for_memory(tmp_path, capsys):
    _refused(["sensitivity", str(_config(tmp_path))], tmp_path, capsys, "--runs", "GiB")
