"""``balanskonto run``: simulate, print the risk table, write the NetCDF (and the appendix)."""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from .._format import number, pct
from .._format import table as _table
from .._format import tkr as _tkr_lang
from .language import lang, say, tr
from .progress import announce_compile, plain_when_piped

#: The engines (numba, event, numpy); listed here so that --help needs no numba import.
ENGINES = ("event", "numba", "numpy")

EXAMPLE = "example.toml"

#: The array libraries that xarray imports, when they are installed, only to ask whether an
#: array is theirs: on the first Dataset (dask, dask.array, pint) and the first ``to_netcdf``
#: (dask.distributed's scheduler). A run's arrays are numpy's, so the answer is no; the
#: imports cost about 1 s of a 2–3 s ``balanskonto run`` (docs/performance.md).
UNUSED_ARRAY_LIBRARIES = ("dask", "distributed", "pint", "cupy", "sparse", "cubed")


def _example_path() -> Path:
    return Path(str(resources.files("balanskonto") / "data" / EXAMPLE))


# --------------------------------------------------------------------------------------
def _tkr(x: float) -> str:
    return _tkr_lang(x, lang())


def _pct(x: float) -> str:
    return pct(x, lang())


def hide_unused_array_libraries() -> list[str]:
    """Make the :data:`UNUSED_ARRAY_LIBRARIES` that are not loaded yet unimportable (a ``None``
    in ``sys.modules``), so that xarray finds them not installed instead of importing them.
    Only for a process that is this one command (``balanskonto run``, ``python -m
    balanskonto.cli run``: ``main()`` without arguments) and has not imported xarray yet:
    xarray keeps its answers for the life of the process. Returns the names it hid."""
    if "xarray" in sys.modules:
        return []
    hidden = [name for name in UNUSED_ARRAY_LIBRARIES if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError
    return hidden


def _cmd_run(args: argparse.Namespace) -> int:
    if getattr(args, "whole_process", False):
        hide_unused_array_libraries()
    from ..config.errors import ConfigError
    from ..results.files import check_writable, write_netcdf
    from ..simulation.precision import simulate_to_precision
    from ..simulation.run import load_config, simulate

    path = Path(args.config) if args.config else _example_path()
    config = load_config(path)
    out = Path(args.out) if args.out else Path("results") / f"{path.stem}.nc"
    if out.suffix != ".nc":
        raise ConfigError(f"--out: the output is a NetCDF file ending in .nc (got {str(out)!r})")
    check_writable(out.parent, "--out")  # before anything is simulated
    if args.report:
        check_writable(out.parent / f"{out.stem}_rapport", "--report")
    common = dict(runs=args.runs, seed=args.seed, engine=args.engine, progress=not args.quiet)
    announce_compile(args.engine, args.quiet)
    with plain_when_piped():
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
    runs = number(ds.attrs["runs"], 0, lang())
    title, seed, engine = ds.attrs["title"], ds.attrs["seed"], ds.attrs["engine"]
    say("{title}: {runs} runs, seed {seed}, engine {engine}", title=title, runs=runs, seed=seed,
        engine=engine)  # fmt: skip
    print(_risk_table(ds))
    pulled = ds.attrs.get("shares_pulled_back", 0.0)
    if pulled:
        warning = tr(
            "warning: in {share} of the runs a drawn share over-filled a state and was pulled "
            "back to fit ({factors}); the stored factor is the value used. Narrow the range in "
            "[uncertainty.shares] to avoid it.",
            share=_pct(pulled),
            factors=ds.attrs["shares_pulled_back_by_factor"],
        )
        print(warning, file=sys.stderr)
    if "target_precision" in ds.attrs:
        met = tr("met") if ds.attrs["target_met"] else tr("NOT met (raise --max-runs)")
        say(
            "target: P{q} of {year} to ± {target} tkr: {met}, ± {half} tkr after {runs} runs",
            q=f"{100 * ds.attrs['target_quantile']:g}",
            year=int(ds["year"][-1]),
            target=_tkr(ds.attrs["target_precision"]),
            met=met,
            half=_tkr(ds.attrs["target_half_width"]),
            runs=runs,
        )
    write_netcdf(ds, out)
    say("wrote {path}", path=out)
    if args.report:
        from ..report import report

        folder = out.parent / f"{out.stem}_rapport"
        written = report(ds, folder, lang=args.lang or lang(), config=config,
                         template=args.template)  # fmt: skip
        files = ", ".join(str(path) for key, path in written.items() if ":" not in key)
        say("wrote the risk appendix: {files}", files=files)
    return 0


RESERVE_VARIABLES = ("reserve_needed", "reserve_needed_se")


def _risk_table(ds) -> str:
    """The per-year table in tkr: P5, P50, P95 of the balance with their Monte Carlo standard
    errors, P(deficit) with its standard error, and the reserve needed."""
    import numpy as np

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
    se = tr("(s.e.)")
    header = [tr("year")]
    for x in levels:
        header += [f"P{round(100 * x)}", se]
    header += [tr("P(deficit)"), se, tr("reserve 95 %"), se]
    lines = [
        tr("Balance account at the end of each year (tkr; s.e. = Monte Carlo standard error)"),
        _table(header, rows),
        tr(
            "reserve 95 %: the opening balance that keeps the account non-negative through the "
            "year in 95 % of the runs"
        ),
    ]
    if any(r[-3] == "" for r in rows):
        lines.append(
            tr(
                "P(deficit) < x % (> x %): no run (every run) in deficit; x is the 95 % Wilson "
                "bound"
            )
        )
    if ds.sizes["run"] < 2:
        lines.append(tr("one run has no Monte Carlo standard error (–): use --runs 1000 or more"))
    return "\n".join(lines)


def _p_deficit_cells(p: float, se: float, runs: int) -> list[str]:
    """P(deficit) and its standard error; where no run (or every run) is in deficit the
    standard error says nothing, and the 95 % Wilson bound is shown instead ("< 0.2 %" for
    2 000 runs), rounded outwards to 0.1 %."""
    from ..results.convergence import deficit_bound

    bound = deficit_bound(p, runs)
    if bound is None:
        return [_pct(p), f"±{number(100 * se, 1, lang())}"]
    sign, value = bound
    percent = " %" if lang() == "sv" else "%"  # as the language writes a percentage
    return [f"{sign} {number(value, 1, lang())}{percent}", ""]


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
    run.add_argument(
        "--lang", choices=["sv", "en"], default=None, help="language of output and --report"
    )
    run.add_argument(
        "--template", metavar="MALL.docx", help="the municipality's Word template for --report"
    )
    run.set_defaults(func=_cmd_run)
