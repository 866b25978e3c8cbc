"""``balanskonto expected``: the deterministic expectation as a budget table."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from .._format import table as _table
from .._format import tkr as _tkr
from ..simulation.run import expected, load_config


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


def add_parser(subparsers: Any) -> None:
    exp = subparsers.add_parser("expected", help="print the deterministic expectation per year")
    exp.add_argument("config")
    exp.set_defaults(func=_cmd_expected)
