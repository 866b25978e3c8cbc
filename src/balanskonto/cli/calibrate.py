"""``balanskonto kalibrera`` (alias ``calibrate``): exits and population from case spells.

Reads the spells, estimates every state's exits (Aalen–Johansen, with bands), writes the
fitted config (the base config with the fitted exits, their uncertainty and the population),
the population CSV beside it and a figure per state, and prints the shares at 6, 12, 18,
24 and 36 months. Everything is checked before anything is written.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._format import table as _table
from .._version import __version__
from .run import _example_path
from .validate import STATES

if TYPE_CHECKING:
    from ..analysis.fitting import FittedState

REPORT_MONTHS = (6, 12, 18, 24, 36)


def _share(fs: FittedState, j: int, month: int) -> str:
    inc = fs.incidence
    assert inc is not None
    if month > inc.months or inc.at_risk[month - 1] == 0:
        return "–"
    k = month - 1
    est, lo, hi = (100 * a[k, j] for a in (inc.cumulative, inc.lower, inc.upper))
    cell = f"{est:.1f} ({lo:.1f}–{hi:.1f})"
    return cell + ("" if fs.fitted_at(month) else "†")


def shares_table(states: list[FittedState], names: tuple[str, ...] = STATES) -> str:
    """Cumulative share of each exit after 6 … 36 months with its band, in %; ``names``: the
    config's states, in the order of the incidence's columns."""
    rows = []
    for fs in states:
        inc = fs.incidence
        if inc is None or fs.status == "kept":
            continue
        mark = "" if fs.status == "fitted" else " *"
        at_risk = [str(int(inc.at_risk[m - 1])) if m <= inc.months else "0" for m in REPORT_MONTHS]
        rows.append([f"{fs.group}/{fs.state}{mark}", "at risk", *at_risk, "", ""])
        for ex in fs.exits:
            j = names.index(ex.to)
            form = {"monthly_shares": "curve", "within_months": "share"}.get(ex.form, "hazard")
            rows.append(["", f"→{ex.to}", *[_share(fs, j, m) for m in REPORT_MONTHS], form,
                         f"{inc.entered}"])  # fmt: skip
    header = ["group/state", "exit", *[f"{m} mån" for m in REPORT_MONTHS], "written as", "n"]
    return _table(header, rows, left=2)


def _cmd_calibrate(args: argparse.Namespace) -> int:
    # imported here, so that `balanskonto --help` loads no numpy, xarray or matplotlib
    from ..analysis.calibration import entries
    from ..analysis.fitted_config import (
        fitted_config,
        fitted_toml,
        population_csv,
        population_rows,
    )
    from ..analysis.fitting import fit_states
    from ..config.errors import ConfigError
    from ..config.reading import read_text_file
    from ..config.spells import as_of_month, format_month, read_spells
    from ..model.compiled import compile_model
    from ..report.calibration import state_figures
    from ..results.files import check_writable, write_files
    from ..simulation.run import load_config

    as_of = as_of_month(args.as_of)
    out = Path(args.out)
    if out.suffix != ".toml":
        raise ConfigError(
            f"--out: the fitted config is a TOML file ending in .toml (got {args.out!r})"
        )
    check_writable(out.parent, "--out")  # before the spells are read and fitted
    if args.figures:
        check_writable(args.figures, "--figures")
    base_path = Path(args.config) if args.config else _example_path()
    base = load_config(base_path)
    base_text = read_text_file(base_path)
    households = [name for name, group in base.groups.items() if group.members is not None]
    if households:  # spells are a person's; a household group's population counts households
        raise ConfigError(
            f"--config: calibration from case spells takes groups of single persons; "
            f"{households[0]!r} is a household group (members), whose population rows would "
            f"count households (got {base_path.name})"
        )
    if args.min_persons < 1:
        raise ConfigError(f"--min-persons: at least 1 (got {args.min_persons})")
    starts = {name: group.start for name, group in base.groups.items()}
    spells = read_spells(args.spells, as_of, starts, base.state_names)
    states = fit_states(
        entries(spells), base, min_persons=args.min_persons, min_at_risk=args.min_persons
    )
    pop_rows = population_rows(spells)
    pop_name = f"{out.stem}_population.csv"
    pop_text = population_csv(pop_rows)
    header = (
        f"# Fitted by balanskonto {__version__} kalibrera from {args.spells} "
        f"({spells.persons} persons, {len(spells.spells)} spells, as of "
        f"{format_month(as_of)}) on top of {base_path.name}.\n"
        "# Fitted states say how; NB lines flag what the extract could not carry. See "
        "docs/calibration.md.\n"
    )
    assumptions: list[str] = []
    text = fitted_toml(base_text, base, states, as_of, pop_name, header, pop_rows, assumptions)
    model = compile_model(fitted_config(text, pop_text, pop_name))  # before anything is written
    figures_dir = Path(args.figures) if args.figures else out.parent / f"{out.stem}_figures"
    figures = state_figures(states, model)
    files = {out: text.encode("utf-8"), out.parent / pop_name: pop_text.encode("utf-8")}
    files.update({figures_dir / name: data for name, data in figures.items()})
    print(
        f"{args.spells}: {spells.persons} persons, {len(spells.spells)} spells, as of "
        f"{format_month(as_of)}; base {base_path.name}"
    )
    print("\nCumulative share of those entering each state, % (95 % band), by months in it")
    print(shares_table(states, base.state_names))
    print("* pooled over groups (too few persons of its own)   † fewer than 10 at risk: not fitted")
    notes = [f"{fs.group}/{fs.state}: {n}" for fs in states for n in fs.notes] + assumptions
    if notes:
        print("\nNB:\n  " + "\n  ".join(notes))
    written = write_files(files)
    population = sum(r[-1] for r in pop_rows)
    print(f"\nwrote {written[0]} ({len(states)} states), {written[1]} ({population} persons)")
    print(f"figures: {figures_dir}/ ({len(figures)} PNG)")
    return 0


def add_parser(subparsers: Any) -> None:
    cal = subparsers.add_parser(
        "kalibrera",
        aliases=["calibrate"],
        help="estimate exits and population from case spells; write a fitted config",
    )
    cal.add_argument("spells", help="CSV of spells: person,group,arrival,state,start,end")
    cal.add_argument("--as-of", required=True, help="the extract's last month, YYYY-MM")
    cal.add_argument("--config", help="the base config (default: the bundled example)")
    cal.add_argument("--out", required=True, help="the fitted config to write (.toml)")
    cal.add_argument("--figures", help="folder for the figures (default: OUT_figures/)")
    cal.add_argument(
        "--min-persons",
        type=int,
        default=10,
        help="fewest persons in a cell, and at risk in a month, to use it (default 10)",
    )
    cal.set_defaults(func=_cmd_calibrate)
