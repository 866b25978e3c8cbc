"""The benchmark suite (pytest-benchmark): `make bench` for the full suite and its report,
`pytest benchmarks --quick` (part of `make test`) for the quick mode CI runs.

pytest-benchmark rather than asv: it runs inside pytest with the project's own environment
(asv builds an environment per commit, which a 2-core CI run has no time for), writes
machine-readable JSON, compares saved runs (--benchmark-compare), and lets one test time the
engines interleaved in one process, which is how the ratios that CI checks are measured.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numba
import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = Path(__file__).resolve().parent / "configs"
OUT = Path(os.environ.get("BALANSKONTO_BENCH_DIR", ROOT / "results" / "bench"))


def pytest_addoption(parser):
    parser.addoption("--quick", action="store_true", help="the short CI mode of the suite")


@pytest.fixture(scope="session")
def quick(request) -> bool:
    return bool(request.config.getoption("--quick"))


RESULTS: dict = {}


@pytest.fixture(scope="session")
def record(quick):
    """Collect results by name; written to results/bench/suite.json at the end."""
    RESULTS.update(numba_threads=numba.get_num_threads(), cpu_count=os.cpu_count(), quick=quick)
    return RESULTS


def engine_table(results: dict) -> str:
    """The engines side by side (M person-steps/s, M draws/s, runs/s, ratio to numpy)."""
    lines = [
        f"{'config':<13} {'engine':<6} {'runs':>5} {'persons/run':>11} {'M steps/s':>10} "
        f"{'M draws/s':>10} {'runs/s':>8} {'x numpy':>8}"
    ]
    for size, row in results.get("engines", {}).items():
        for name, r in row.items():
            ratio = f"{r['ratio_to_numpy']:.0f}" if "ratio_to_numpy" in r else ""
            lines.append(
                f"{size:<13} {name:<6} {r['runs']:>5} {r['persons_per_run']:>11.0f} "
                f"{r['person_steps_per_s'] / 1e6:>10.0f} {r['draws_per_s'] / 1e6:>10.0f} "
                f"{r['runs_per_s']:>8.0f} {ratio:>8}"
            )
    return "\n".join(lines)


def ratio_lines(results: dict) -> list[str]:
    """The ratios of one run side by side: every engine against the numpy reference, what
    uncertainty costs, monthly against yearly resolution, and the start-up times."""
    lines = []
    for size, row in results.get("engines", {}).items():
        for name, r in row.items():
            if "ratio_to_numpy" in r:
                goal = "5" if name == "numba" else "12 on one thread"
                ratio = r["ratio_to_numpy"]
                lines.append(f"{name} / numpy on {size}: {ratio:.1f}x (goal >= {goal})")
    if cost := results.get("uncertainty_cost"):
        lines.append(
            f"exempel_2026 with / without its uncertainty ({cost['runs']} runs): "
            f"{cost['ratio']:.2f}x (goal <= 1.3)"
        )
    if res := results.get("resolution"):
        runs, ratio = res["runs"], res["month_to_year"]
        lines.append(f"monthly / yearly resolution ({runs} runs): {ratio:.2f}x")
    if helps := results.get("help"):
        lines.append(f"balanskonto --help: {helps['best_seconds']:.2f} s best (goal <= 0.5)")
    if start := results.get("startup"):
        lines.append(
            f"balanskonto run (bundled example): {start['cached_seconds']:.2f} s best with the "
            f"numba cache (goal <= 1.5; {start['cached_cpu_seconds']:.2f} s CPU, load "
            f"{start['load_average_1min']:.1f}), {start['cold_seconds']:.2f} s without"
        )
    return lines


def pytest_sessionfinish(session, exitstatus):
    if RESULTS:
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "suite.json").write_text(json.dumps(RESULTS, indent=2, default=float))


def pytest_terminal_summary(terminalreporter):
    if RESULTS.get("engines"):
        terminalreporter.section("balanskonto engines (person-steps = person-months covered)")
        terminalreporter.write_line(engine_table(RESULTS))
        terminalreporter.write_line(f"results: {OUT / 'suite.json'}")
    if ratios := ratio_lines(RESULTS):
        terminalreporter.section(
            f"balanskonto: ratios of this run ({RESULTS['numba_threads']} numba threads)"
        )
        for line in ratios:
            terminalreporter.write_line(line)
    if cost := RESULTS.get("uncertainty_cost"):
        terminalreporter.section("balanskonto: what uncertainty costs (simulate, end to end)")
        terminalreporter.write_line(
            f"{cost['config']}, {cost['runs']} runs: {cost['seconds_uncertain']:.3f} s with "
            f"its uncertainty, {cost['seconds_plain']:.3f} s without, {cost['ratio']:.2f}x"
        )
    if national := RESULTS.get("national"):
        terminalreporter.section("balanskonto: the national batch, extrapolated from a sample")
        n = national
        terminalreporter.write_line(
            f"{n['municipalities']} municipalities × {n['scenarios']} scenarios × {n['runs']} "
            f"runs ({n['table']}): about {n['estimate_minutes']:.1f} min on this machine "
            f"(goal {n['goal_minutes']:.0f}); from {n['sample_municipalities']} municipalities "
            f"× {n['sample_runs']} runs in {n['sample_seconds']:.1f} s (load "
            f"{n['load_seconds']:.0f} s, simulate {n['estimate_simulate_seconds']:.0f} s, "
            f"finish the output {n['estimate_write_seconds']:.0f} s)"
            + ("" if n["reliable"] else "; quick mode: not a reliable estimate")
        )
