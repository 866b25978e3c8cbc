"""Write results/bench/REPORT.md (with PNG plots) from the suite's results/bench/suite.json.

python benchmarks/report.py [--dir results/bench]
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import balanskonto

from conftest import engine_table, ratio_lines


def _scaling_plot(scaling: dict, path: Path) -> None:
    fig, axes = plt.subplots(1, len(scaling), figsize=(4 * len(scaling), 3.4), squeeze=False)
    for ax, (axis, engines) in zip(axes[0], scaling.items(), strict=True):
        for name, r in engines.items():
            ax.loglog(r["size"], r["seconds"], "o-", label=f"{name}: exponent {r['exponent']:.2f}")
        ax.set_title(f"time against {axis}")
        ax.set_xlabel(f"{axis} (× the medium config)")
        ax.set_xticks([1, 2, 4], ["1", "2", "4"])
        ax.minorticks_off()
        ax.set_ylabel("seconds")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _engine_plot(engines: dict, path: Path) -> None:
    sizes = list(engines)
    names = list(next(iter(engines.values())))
    fig, ax = plt.subplots(figsize=(7, 3.4))
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        rates = [engines[s][name]["person_steps_per_s"] / 1e6 for s in sizes]
        ax.bar(np.arange(len(sizes)) + i * width, rates, width, label=name)
    ax.set_xticks(np.arange(len(sizes)) + width * (len(names) - 1) / 2, sizes)
    ax.set_ylabel("M person-steps / s")
    ax.set_yscale("log")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _memory_plot(memory: list, path: Path) -> None:
    runs = [m["runs"] for m in memory]
    fig, ax = plt.subplots(figsize=(5, 3.4))
    ax.plot(runs, [m["peak_bytes"] / 1e6 for m in memory], "o-", label="peak")
    ax.plot(runs, [m["output_bytes"] / 1e6 for m in memory], "s--", label="run-level output")
    ax.plot(runs, [m["working_bytes"] / 1e6 for m in memory], "^-", label="working (peak − output)")
    ax.set_xlabel("runs")
    ax.set_ylabel("MB (tracemalloc)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default="results/bench")
    folder = Path(parser.parse_args().dir)
    r = json.loads((folder / "suite.json").read_text())
    lines = [
        "# balanskonto benchmark report",
        "",
        f"balanskonto {balanskonto.__version__}, Python {platform.python_version()}, "
        f"{r['cpu_count']} CPUs, {r['numba_threads']} numba threads"
        + (" (quick mode)" if r.get("quick") else ""),
        "",
        "Person-steps are the person-months covered (each person's months from arrival to the "
        "horizon); draws are the uniforms drawn. Engines measured interleaved in one process.",
        "",
    ]
    if ratios := ratio_lines(r):
        lines += ["## Ratios of this run", ""] + [f"- {line}" for line in ratios] + [""]
    if "engines" in r:
        _engine_plot(r["engines"], folder / "engines.png")
        lines += ["## Engines", "```", engine_table(r), "```", "![engines](engines.png)"]
    if "scaling" in r:
        _scaling_plot(r["scaling"], folder / "scaling.png")
        lines += ["", "## Scaling (fitted exponent of time against size; 1 = linear)", ""]
        lines += ["| axis | engine | exponent |", "|---|---|---|"]
        for axis, engines in r["scaling"].items():
            for name, s in engines.items():
                lines.append(f"| {axis} | {name} | {s['exponent']:.2f} |")
        lines += ["", "![scaling](scaling.png)"]
    if "memory" in r:
        _memory_plot(r["memory"], folder / "memory.png")
        lines += [
            "",
            "## Peak memory against runs",
            "",
            "| runs | peak MB | output MB | working MB |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {m['runs']} | {m['peak_bytes'] / 1e6:.1f} | {m['output_bytes'] / 1e6:.1f} | "
            f"{m['working_bytes'] / 1e6:.1f} |"
            for m in r["memory"]
        ]
        lines += ["", "![memory](memory.png)"]
    if "startup" in r:
        s = r["startup"]
        lines += [
            "",
            "## Start-up of `balanskonto run` (the bundled example, 2 000 runs)",
            "",
            f"- empty numba cache (import + compile): {s['cold_seconds']:.1f} s",
            f"- with the cache: {s['cached_seconds']:.2f} s best (goal ≤ 1.5 s), "
            f"{s['cached_cpu_seconds']:.2f} s CPU, load average {s['load_average_1min']:.1f}",
        ]
    if "regional_batch" in r:
        b = r["regional_batch"]
        lines += [
            "",
            "## Regional batch",
            "",
            f"{b['scenarios']} scenarios × {b['runs']} runs in {b['seconds']:.1f} s "
            f"({b['scenario_runs_per_s']:.0f} scenario-runs/s)",
        ]
    (folder / "REPORT.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {folder / 'REPORT.md'}")


if __name__ == "__main__":
    main()
