"""Shared by the follow-up tests: a forecast with the head counts and monthly variables of
DESIGN §12 (built from a simulation while the engines lack them), actuals written from a
result, and every kind of bad actual with the line and words its error must name."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import xarray as xr

from balanskonto.analysis.followup import scope_of
from balanskonto.config.actuals import Actual, Actuals, validate_rows


def with_contract(ds: xr.Dataset, monthly: bool = False) -> xr.Dataset:
    """``ds`` with ``persons(run, year, group, state)`` and, with ``monthly``, the ``month``
    coordinate and ``revenue_month``, ``cost_month``, ``net_month``, ``balance_month`` and
    ``persons_month`` — the names and dims of DESIGN §12, consistent with the yearly ones
    (a year's money spread evenly over its months; the head count the same in every month,
    and ``person_years`` made equal to it so that the monthly persons sum to it)."""
    if "persons" in ds and (not monthly or "month" in ds.dims):
        return ds
    ds = ds.copy()
    persons = np.rint(ds["person_years"]).astype(np.int64)
    ds["persons"] = persons
    if not monthly:
        return ds
    ds["person_years"] = persons.astype(float)
    years = ds["year"].values
    months = np.array([np.datetime64(f"{y}-{m:02d}-01", "ns") for y in years for m in range(1, 13)])
    per_month = {
        name: np.repeat(ds[name].values / 12.0, 12, axis=1) for name in ("revenue", "cost")
    }
    net = per_month["revenue"].sum(-1) - per_month["cost"].sum(-1)
    opening = float(ds.attrs.get("opening_balance", 0.0))
    ds = ds.assign_coords(month=months)
    ds["revenue_month"] = (("run", "month", "component"), per_month["revenue"])
    ds["cost_month"] = (("run", "month", "component"), per_month["cost"])
    ds["net_month"] = (("run", "month"), net)
    ds["balance_month"] = (("run", "month"), opening + np.cumsum(net, axis=1))
    ds["persons_month"] = (
        ("run", "month", "group", "state"),
        np.repeat(persons.values, 12, axis=1),
    )
    return ds


def actual_rows(ds: xr.Dataset, run: int, specs) -> list[dict]:
    """Rows of actuals read off run ``run`` of ``ds``: one per (period, variable, group, state,
    component) in ``specs``, with the value that run had."""
    from balanskonto.analysis.followup import forecast_values

    rows = []
    for period, variable, group, state, component in specs:
        a = Actual.model_validate(
            {
                "line": 0,
                "period": period,
                "variable": variable,
                "group": group,
                "state": state,
                "component": component,
                "value": 0.0,
            }
        )
        rows.append(
            {
                "period": period,
                "variable": variable,
                "group": group,
                "state": state,
                "component": component,
                "value": float(forecast_values(ds, a)[run]),
            }
        )
    return rows


def as_actuals(ds: xr.Dataset, rows: list[dict]) -> Actuals:
    return validate_rows(list(enumerate(rows, start=2)), scope_of(ds))


def write_csv(path: Path, rows: list[dict], sep: str = ",", decimal: str = ".") -> Path:
    lines = ["period,variable,group,state,component,value".replace(",", sep)]
    for r in rows:
        value = repr(float(r["value"])).replace(".", decimal)
        cells = [r["period"], r["variable"], r["group"], r["state"], r["component"], value]
        lines.append(sep.join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------
# Simulations shared by the follow-up tests (made once per session)
# --------------------------------------------------------------------------------------
EXAMPLE = Path(__file__).resolve().parents[1] / "configs" / "exempel_2026.toml"


@cache
def example_result(runs: int, seed: int, labour_market_mean: float = 0.0, monthly: bool = False):
    """``configs/exempel_2026.toml`` simulated (with the §12 variables), optionally with a
    weaker labour market (``uncertainty.labour_market.mean``)."""
    import balanskonto as bk

    config = bk.load_config(EXAMPLE)
    if labour_market_mean:
        config = config.with_overrides({"uncertainty.labour_market.mean": labour_market_mean})
    return with_contract(bk.simulate(config, runs=runs, seed=seed), monthly=monthly)


#: A year's actuals of every kind for the example (period filled in by ``specs_for``).
KINDS = (
    ("balance", "", "", ""),
    ("net", "", "", ""),
    ("revenue", "", "", "schablon"),
    ("cost", "", "", "allowance"),
    ("cost", "", "", ""),
    ("persons", "adult", "income_support", ""),
    ("persons", "adult", "self_sufficient", ""),
    ("persons", "", "", ""),
    ("arrivals", "", "", ""),
    ("arrivals", "child", "", ""),
    ("person_years", "adult", "", ""),
)


def specs_for(*periods: str, kinds=KINDS) -> list[tuple[str, str, str, str, str]]:
    return [(p, *k) for p in periods for k in kinds]
