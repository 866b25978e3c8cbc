"""``balanskonto expected``: the deterministic expectation as a budget table."""

from __future__ import annotations

import argparse
from typing import Any

from .._format import table as _table
from .._format import tkr
from .language import component, labels_of, lang, say, tr


def _tkr(x: float) -> str:
    return tkr(x, lang())


def _cmd_expected(args: argparse.Namespace) -> int:
    import numpy as np

    from ..simulation.run import expected, load_config

    config = load_config(args.config)
    ds = expected(config)
    years = [str(y) for y in ds["year"].values]

    def row(label: str, values) -> list[str]:
        return [label, *(_tkr(v) for v in np.asarray(values))]

    rows = [[tr("revenue"), *[""] * len(years)]]
    config_labels = labels_of(config)
    rows += [row(f"  {component(c, config_labels)}", v) for c, v in _by_component(ds["revenue"])]
    rows.append(row(tr("total revenue"), ds["revenue"].sum("component")))
    rows.append([tr("cost"), *[""] * len(years)])
    rows += [row(f"  {component(c, config_labels)}", v) for c, v in _by_component(ds["cost"])]
    rows.append(row(tr("total cost"), ds["cost"].sum("component")))
    rows.append(row(tr("net"), ds["net"]))
    rows.append(row(tr("balance"), ds["balance"]))
    if ds.attrs["plan_without_uncertainty"]:
        say(
            "{title}: the plan without uncertainty (tkr): every uncertain factor at its mean; "
            "not the mean of the simulation (balanskonto run)",
            title=ds.attrs["title"],
        )
    else:
        say("{title}: expected values (tkr)", title=ds.attrs["title"])
    print(_table(["", *years], rows, left=1))
    return 0


def _by_component(da) -> list:
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
