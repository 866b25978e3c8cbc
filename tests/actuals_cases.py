"""Shared by the follow-up tests: simulations of the example (yearly or monthly), and actuals
read off a run of a result and written as a file."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import xarray as xr

from balanskonto.analysis.followup import scope_of
from balanskonto.config.actuals import Actual, Actuals, validate_rows


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
    """``configs/exempel_2026.toml`` simulated, optionally with monthly resolution and a
    weaker labour market (``uncertainty.labour_market.mean``)."""
    import balanskonto as bk

    config = bk.load_config(EXAMPLE)
    overrides: dict = {"simulation.resolution": "month"} if monthly else {}
    if labour_market_mean:
        overrides["uncertainty.labour_market.mean"] = labour_market_mean
    if overrides:
        config = config.with_overrides(overrides)
    return bk.simulate(config, runs=runs, seed=seed)


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
