"""``balanskonto run``: simulate, print the risk table, write the NetCDF (and the appendix)."""

from __future__ import annotations

import argparse
import math
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .._format import pct as _pct
from .._format import table as _table
from .._format import tkr as _tkr
from ..config.errors import ConfigError
from ..engines.individual import ENGINES
from ..results.convergence import wilson_interval
from ..results.files import write_netcdf
from ..simulation.precision import simulate_to_precision
from ..simulation.run import load_config, simulate

EXAMPLE = "example.toml"


def _example_path() -> Path:
    return Path(str(resources.files("balanskonto") / "data" / EXAMPLE))


# --------------------------------------------------------------------------------------
def _cmd_run(args: argparse.Namespace) -> int:
    path = Path(args.config) if args.config else _example_path()
    config = load_config(path)
    out = Path(args.out) if args.out else Path("results") / f"{path.stem}.nc"
    if out.suffix != ".nc":
        raise ConfigError(f"--out: the output is a NetCDF file ending in .nc (got {str(out)!r})")
    common = dict(runs=args.runs, seed=args.seed, engine=args.engine, progress=not args.quiet)
    if args.target_precision is not None:
        ds = simulate_to_precision(
            config,
            args.target_precision,
            args.target_quantile,
            max_runs=args.max_runs,
            **common,
        )
    else:
        ds = simulate(config, **common)
    print(
        f"{ds.attrs['title']}: {ds.attrs['runs']} runs, seed {ds.attrs['seed']}, "
        f"engine {ds.attrs['engine']}"
    )
    print(_risk_table(ds))
    pulled = ds.attrs.get("shares_pulled_back", 0.0)
    if pulled:
        print(
            f"warning: in {_pct(pulled)} of the runs a drawn share over-filled a state and was "
            f"pulled back to fit ({ds.attrs['shares_pulled_back_by_factor']}); the stored "
            "factor is the value used. Narrow the range in [uncertainty.shares] to avoid it.",
            file=sys.stderr,
        )
    if "target_precision" in ds.attrs:
        met = "met" if ds.attrs["target_met"] else "NOT met (raise --max-runs)"
        print(
            f"target: P{100 * ds.attrs['target_quantile']:g} of {int(ds['year'][-1])} to "
            f"± {_tkr(ds.attrs['target_precision'])} tkr: {met}, "
            f"± {_tkr(ds.attrs['target_half_width'])} tkr after {ds.attrs['runs']} runs"
        )
    write_netcdf(ds, out)
    print(f"wrote {out}")
    if args.report:
        from ..report import report

        folder = out.parent / f"{out.stem}_rapport"
        written = report(ds, folder, lang=args.lang, config=config)
        files = ", ".join(str(path) for key, path in written.items() if ":" not in key)
        print(f"wrote the risk appendix: {files}")
    return 0


RESERVE_VARIABLES = ("reserve_needed", "reserve_needed_se")


def _risk_table(ds) -> str:
    """The per-year table in tkr: P5, P50, P95 of the balance with their Monte Carlo standard
    errors, P(deficit) with its standard error, and the reserve needed."""
    q = ds["balance_quantile"]
    se = ds["balance_quantile_se"]
    levels = [x for x in (0.05, 0.50, 0.95) if np.isclose(ds["quantile"], x).any()]
    rows = []
    for i, y in enumerate(ds["year"].values):
        cells = [str(y)]
        for x in levels:
            k = int(np.argmin(np.abs(ds["quantile"].values - x)))
            cells += [_tkr(q.values[k, i]), f"±{_tkr(se.values[k, i])}"]
        cells += _p_deficit_cells(
            ds["p_deficit"].values[i], ds["p_deficit_se"].values[i], ds.sizes["run"]
        )
        reserve, reserve_se = (ds[v].sel(level=0.95).values[i] for v in RESERVE_VARIABLES)
        cells += [_tkr(reserve), f"±{_tkr(reserve_se)}"]
        rows.append(cells)
    header = ["year"]
    for x in levels:
        header += [f"P{round(100 * x)}", "(s.e.)"]
    header += ["P(deficit)", "(s.e.)", "reserve 95 %", "(s.e.)"]
    lines = [
        "Balance account at the end of each year (tkr; s.e. = Monte Carlo standard error)",
        _table(header, rows),
        "reserve 95 %: the opening balance that keeps the account non-negative through the "
        "year in 95 % of the runs",
    ]
    if any(r[-3] == "" for r in rows):
        lines.append(
            "P(deficit) < x % (> x %): no run (every run) in deficit; x is the 95 % Wilson bound"
        )
    return "\n".join(lines)


def _p_deficit_cells(p: float, se: float, runs: int) -> list[str]:
    """P(deficit) and its standard error; where no run (or every run) is in deficit the
    standard error says nothing, and the 95 % Wilson bound is shown instead ("< 0.2 %" for
    2 000 runs), rounded outwards to 0.1 %."""
    if 0.0 < p < 1.0:
        return [_pct(p), f"±{100 * se:.1f}"]
    lower, upper = wilson_interval(p, runs)
    if p == 0.0:
        return [f"< {math.ceil(round(1000 * upper, 6)) / 10:.1f} %", ""]
    return [f"> {math.floor(round(1000 * lower, 6)) / 10:.1f} %", ""]


def add_parser(subparsers: Any) -> None:
    run = subparsers.add_parser("run", help="simulate and write a NetCDF of the results")
    run.add_argument("config", nargs="?", help="TOML config (default: the bundled example)")
    run.add_argument("--runs", type=int, help="number of runs (default: simulation.runs)")
    run.add_argument("--seed", type=int, help="random seed (default: simulation.seed)")
    run.add_argument("--out", help="output file (default: results/<config-stem>.nc)")
    run.add_argument("--engine", choices=sorted(ENGINES), default="numba")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument(
        "--target-precision",
        type=float,
        metavar="SEK",
        help="add runs until the --target-quantile of the final balance is known to ± SEK "
        "(half-width of its 95 %% interval)",
    )
    run.add_argument("--target-quantile", type=float, default=0.05, help="default 0.05 (P5)")
    run.add_argument("--max-runs", type=int, default=200_000, help="cap for --target-precision")
    run.add_argument(
        "--report", action="store_true", help="also write the risk appendix (<out>_rapport/)"
    )
    run.add_argument("--lang", choices=["sv", "en"], default="sv", help="language of --report")
    run.set_defaults(func=_cmd_run)
