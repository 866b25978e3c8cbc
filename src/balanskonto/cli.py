"""Command line: ``balanskonto run | expected | validate`` (DESIGN §7).

Exit codes: 0 ok, 2 bad config or arguments (nothing written), 1 anything else.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from . import __version__, batch, rerun, sensitivity
from ._command import run_command
from ._format import pct as _pct
from ._format import table as _table
from ._format import tkr as _tkr
from .api import expected, load_config, simulate, simulate_to_precision
from .compile import CompiledModel, compile_model
from .config import STATES, Config, ConfigError
from .convergence import wilson_interval
from .engines import ENGINES
from .expected import occupancy
from .report import cli as report_cli
from .results import write_netcdf

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
        from .report import report

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


def _cmd_expected(args: argparse.Namespace) -> int:
    ds = expected(load_config(args.config))
    years = [str(y) for y in ds["year"].values]

    def row(label: str, values) -> list[str]:
        return [label, *(_tkr(v) for v in np.asarray(values))]

    rows = [["revenue", *[""] * len(years)]]
    rows += [row(f"  {c}", v) for c, v in _by_component(ds["revenue"])]
    rows.append(row("total revenue", ds["revenue"].sum("component")))
    rows.append(["cost", *[""] * len(years)])
    rows += [row(f"  {c}", v) for c, v in _by_component(ds["cost"])]
    rows.append(row("total cost", ds["cost"].sum("component")))
    rows.append(row("net", ds["net"]))
    rows.append(row("balance", ds["balance"]))
    if ds.attrs["plan_without_uncertainty"]:
        print(
            f"{ds.attrs['title']}: the plan without uncertainty (tkr): every uncertain factor "
            "at its mean; not the mean of the simulation (balanskonto run)"
        )
    else:
        print(f"{ds.attrs['title']}: expected values (tkr)")
    print(_table(["", *years], rows, left=1))
    return 0


def _by_component(da) -> list[tuple[str, np.ndarray]]:
    """(component, values by year) for the components with any amount on this side."""
    return [
        (str(c), da.sel(component=c).values)
        for c in da["component"].values
        if da.sel(component=c).any()
    ]


def _key_months(config: Config, group: str, state: str) -> list[int]:
    spec = config.groups[group].states.get(state)
    months = {e.last_month for e in spec.exits} if spec else set()
    if spec and spec.max_months:
        months.add(spec.max_months)
    months.discard(0)
    return sorted(months) or [12, 24, 60]


def _state_table(model: CompiledModel, config: Config, g: int, s: int) -> str | None:
    """Cumulative shares leaving state s for each destination, by months since entering it."""
    move, stay = model.move[g, s], model.stay[g, s]
    if (stay == 1.0).all():
        return None
    months = _key_months(config, model.groups[g], STATES[s])
    left = np.zeros(len(STATES))
    alive = 1.0
    shown = []
    D = stay.shape[0]
    for d in range(1, max(months) + 1):
        row = min(d, D) - 1
        left += alive * move[row]
        alive *= stay[row]
        if d in months:
            shown.append((d, left.copy(), alive))
    reached = [t for t in range(len(STATES)) if t != s and any(x[1][t] > 0 for x in shown)]
    header = ["month", *[f"→{STATES[t]}" for t in reached], f"still {STATES[s]}"]
    rows = [[str(d), *[_pct(cum[t]) for t in reached], _pct(a)] for d, cum, a in shown]
    return _table(header, rows)


def _reachable(model: CompiledModel, g: int) -> list[int]:
    """Non-absorbing states a person of group g can be in, from the start state on."""
    seen, todo = set(), [int(model.start_state[g])]
    while todo:
        s = todo.pop()
        if s not in seen:
            seen.add(s)
            todo += [int(t) for t in np.flatnonzero(model.move[g, s].sum(axis=0) > 0)]
    return sorted(s for s in seen if s != len(STATES) - 1)


def _cohort_table(model: CompiledModel, g: int) -> str:
    occ = occupancy(model, g)
    months = [k for k in (3, 6, 12, 18, 24, 36, 60, 120) if k < occ.shape[0]]
    rows = [[str(k), *[_pct(occ[k, s]) for s in range(len(STATES))]] for k in months]
    return _table(["month", *STATES], rows)


def _cmd_validate(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    model = compile_model(config)
    print(f"{args.config}: valid. {config.meta.title}")
    print(
        f"{config.simulation.years} years from {config.simulation.start_year}, "
        f"{config.simulation.runs} runs, seed {config.simulation.seed}; "
        f"components: {', '.join(model.components)}"
    )
    for g, gname in enumerate(model.groups):
        for s in _reachable(model, g):
            table = _state_table(model, config, g, s)
            if table:
                print(
                    f"\n{gname} / {STATES[s]}: cumulative share of those entering it, "
                    "by months since entering"
                )
                print(table)
        print(f"\n{gname}: where an arriving person is, by months since arrival")
        print(_cohort_table(model, g))
    return 0


# --------------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="balanskonto",
        description="Monte Carlo risk model of a refugee-reception balance account.",
    )
    p.add_argument("--version", action="version", version=f"balanskonto {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="simulate and write a NetCDF of the results")
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

    exp = sub.add_parser("expected", help="print the deterministic expectation per year")
    exp.add_argument("config")
    exp.set_defaults(func=_cmd_expected)

    val = sub.add_parser("validate", help="check a config and show what its exits imply")
    val.add_argument("config")
    val.set_defaults(func=_cmd_validate)

    batch.add_parser(sub)
    sensitivity.add_parser(sub)
    report_cli.add_parser(sub)
    rerun.add_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_command(args)


if __name__ == "__main__":
    sys.exit(main())
