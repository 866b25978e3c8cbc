"""Which assumptions drive the deficit risk.

- :func:`tornado`: rank correlation and standardised regression of the balance in each year
  on the per-run factor draws of one simulation (no extra runs).
- :func:`one_at_a_time`: each factor at its P10 and at its P90 with every other factor at its
  median, on the same random numbers (common random numbers, so the swing is not noise).
- :func:`variance_by_layer`: the variance of the balance per year as the layers of
  uncertainty are switched on one after the other — individual paths, arrivals, the labour
  market, parameters (levels, shares, policy) — on the same random numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import xarray as xr
from scipy import stats

from .._format import pct, table, tkr
from ..config.errors import ConfigError
from ..config.schema import Config
from ..model.compiled import compile_model
from ..results.metadata import version_stamp
from ..results.risk import tail_attribution
from ..simulation.run import MAX_RUNS, RUNS_NAME, as_config, check_size, check_whole, simulate

#: ``step(stage, k, n)``: called before the k-th of the n simulations of a stage
#: (``simulation``, ``layers``, ``swings``), so that a command can say how far it is.
Step = Callable[[str, int, int], None]


def _no_step(stage: str, k: int, n: int) -> None:
    """The default :data:`Step`: say nothing."""


#: Layers in the order they are switched on, with the factors each brings.
LAYERS = ("individual", "arrivals", "labour_market", "parameters")


def factor_table(ds: xr.Dataset) -> xr.DataArray | None:
    """The per-run factor draws of a simulation as one DataArray ``(run, factor)``; a yearly
    factor enters as its mean over the horizon (``labour_market`` → ``labour_market (mean)``)."""
    columns, names = [], []
    if "factor" in ds:
        for name in ds["factor_name"].values:
            columns.append(ds["factor"].sel(factor_name=name).values)
            names.append(str(name))
    if "yearly_factor" in ds:
        for name in ds["yearly_factor_name"].values:
            columns.append(ds["yearly_factor"].sel(yearly_factor_name=name).mean("year").values)
            names.append(f"{name} (mean)")
    if not columns:
        return None
    return xr.DataArray(np.stack(columns, axis=1), dims=("run", "factor"), coords={"factor": names})


def tornado(ds: xr.Dataset) -> xr.Dataset | None:
    """Rank correlation (Spearman) and standardised regression coefficients of the balance in
    each year on each factor; None when the simulation has no uncertain factors.

    Returns
    -------
    xarray.Dataset
        ``rank_correlation(factor, year)`` and ``standardised_coefficient(factor, year)``,
        both dimensionless; a factor that does not vary (fixed in every run) gets NaN.
    """
    table = factor_table(ds)
    if table is None:
        return None
    x = table.values
    balance = ds["balance"].values
    n_f, n_y = x.shape[1], balance.shape[1]
    rho = np.full((n_f, n_y), np.nan)
    src = np.full((n_f, n_y), np.nan)
    # ptp, not std: the std of a constant column (a policy with probability 1) can be a
    # rounding error above 0, and spearmanr then warns (ConstantInputWarning) and gives NaN
    varies = np.ptp(x, axis=0) > 0
    xs = (x[:, varies] - x[:, varies].mean(axis=0)) / x[:, varies].std(axis=0)
    for y in range(n_y):
        b = balance[:, y]
        if np.ptp(b) == 0:
            continue
        for f in np.flatnonzero(varies):
            rho[f, y] = stats.spearmanr(x[:, f], b).statistic
        bs = (b - b.mean()) / b.std()
        coef, *_ = np.linalg.lstsq(xs, bs, rcond=None)
        src[varies, y] = coef
    out = xr.Dataset(
        {
            "rank_correlation": (("factor", "year"), rho),
            "standardised_coefficient": (("factor", "year"), src),
        },
        coords={"factor": table["factor"].values, "year": ds["year"].values},
    )
    out["rank_correlation"].attrs.update(
        units="1", long_name="Spearman rank correlation of the balance with the factor"
    )
    out["standardised_coefficient"].attrs.update(
        units="1",
        long_name="standardised regression coefficient of the balance on the factor",
        description="sd of balance per sd of factor, all factors in one linear regression",
    )
    return out


def _factor_names(ds: xr.Dataset) -> list[str]:
    names = [str(n) for n in ds["factor_name"].values] if "factor" in ds else []
    if "yearly_factor" in ds:
        names += [str(n) for n in ds["yearly_factor_name"].values]
    return names


def one_at_a_time(
    config: Config | str | Path,
    runs: int = 1000,
    seed: int | None = None,
    low: float = 0.10,
    high: float = 0.90,
    engine: str = "numba",
    step: Step = _no_step,
) -> xr.Dataset | None:
    """Each factor at its ``low`` and ``high`` quantile, the others at their median
    (``step``: :data:`Step`, before each of the 1 + 2 × factors simulations).

    Returns
    -------
    xarray.Dataset or None
        ``balance_low``, ``balance_high`` (factor, year) and ``balance_median`` (year): the mean
        balance over runs, SEK; ``swing = balance_high − balance_low`` (factor, year), SEK.
        None when the config has no uncertain factors.
    """
    config = as_config(config)
    _check_runs(config, runs)  # before the probe: refused at once, not after a compile
    probe = simulate(config, runs=1, seed=seed, engine=engine)
    names = _factor_names(probe)
    if not names:
        return None
    n = 1 + 2 * len(names)
    step("swings", 1, n)
    median = simulate(config, runs, seed, engine, factors_at={"*": 0.5})["balance"].mean("run")
    lows, highs = [], []
    for i, name in enumerate(names):
        for j, (q, store) in enumerate(((low, lows), (high, highs))):
            step("swings", 2 + 2 * i + j, n)
            ds = simulate(config, runs, seed, engine, factors_at={name: q, "*": 0.5})
            store.append(ds["balance"].mean("run").values)
    out = xr.Dataset(
        {
            "balance_low": (("factor", "year"), np.array(lows)),
            "balance_high": (("factor", "year"), np.array(highs)),
            "balance_median": (("year",), median.values),
        },
        coords={"factor": names, "year": median["year"].values},
        attrs={"low_quantile": low, "high_quantile": high, "runs": runs},
    )
    out["swing"] = out["balance_high"] - out["balance_low"]
    for name, long_name in (
        ("balance_low", f"mean balance, factor at its P{round(100 * low)}"),
        ("balance_high", f"mean balance, factor at its P{round(100 * high)}"),
        ("balance_median", "mean balance, every factor at its median"),
        ("swing", "balance at the high quantile minus at the low quantile"),
    ):
        out[name].attrs.update(units="SEK", long_name=long_name)
    return out


def _layer_at(layer: int, names: list[str]) -> dict[str, float]:
    """Factors held at their median while only layers ``0 … layer`` are on."""
    on = {
        "arrivals": layer >= 1,
        "labour_market": layer >= 2,
    }
    at = {}
    for name in names:
        if name in on:
            if not on[name]:
                at[name] = 0.5
        elif layer < 3:
            at[name] = 0.5
    return at


def variance_by_layer(
    config: Config | str | Path,
    runs: int = 1000,
    seed: int | None = None,
    engine: str = "numba",
    step: Step = _no_step,
) -> xr.Dataset:
    """Variance of the balance per year, switching the layers of uncertainty on one by one
    (individual paths; + arrivals; + labour market; + parameters) on the same random numbers
    (``step``: :data:`Step`, before each layer's simulation).

    Returns
    -------
    xarray.Dataset
        ``variance(layer, year)``: variance of the balance with layers up to and including
        ``layer`` on, SEK²; ``contribution(layer, year)``: its increase over the previous
        layer, SEK² (can be slightly negative where a layer adds nothing but noise);
        ``share(layer, year)``: contribution / total variance.
    """
    config = as_config(config)
    _check_runs(config, runs)
    names = _factor_names(simulate(config, runs=1, seed=seed, engine=engine))
    variances = []
    for layer in range(len(LAYERS)):
        step("layers", layer + 1, len(LAYERS))
        ds = simulate(
            config,
            runs,
            seed,
            engine,
            factors_at=_layer_at(layer, names),
            planned_arrivals=layer == 0,
        )
        variances.append(ds["balance"].var("run", ddof=1).values)
        years = ds["year"].values
    var = np.array(variances)
    contribution = np.diff(var, axis=0, prepend=0.0)
    total = var[-1]
    share = np.divide(contribution, total, out=np.zeros_like(contribution), where=total > 0)
    out = xr.Dataset(
        {
            "variance": (("layer", "year"), var),
            "contribution": (("layer", "year"), contribution),
            "share": (("layer", "year"), share),
        },
        coords={"layer": list(LAYERS), "year": years},
        attrs={"runs": runs},
    )
    out["variance"].attrs.update(units="SEK2", long_name="variance of the balance")
    out["contribution"].attrs.update(units="SEK2", long_name="variance added by the layer")
    out["share"].attrs.update(units="1", long_name="share of the total variance")
    return out


# --------------------------------------------------------------------------------------
# Command line: balanskonto sensitivity CONFIG
# --------------------------------------------------------------------------------------
def report(
    config: Config | str | Path,
    runs: int | None = None,
    seed: int | None = None,
    year: int | None = None,
    engine: str = "numba",
    swing_runs: int | None = None,
    step: Step = _no_step,
    progress: bool = False,
) -> xr.Dataset:
    """Everything of this module for one config, as one Dataset: the tornado, the swings, the
    variance by layer and the attribution of the P5 tail to components (for ``year``,
    default the last). ``step`` (:data:`Step`) is called before each simulation; ``progress``
    shows a progress bar for the first, the largest."""
    config = as_config(config)
    step("simulation", 1, 1)
    ds = simulate(config, runs=runs, seed=seed, engine=engine, progress=progress)
    runs = ds.sizes["run"]
    years = ds["year"].values
    year = int(years[-1]) if year is None else year
    if year not in years:
        raise ConfigError(f"--year: must be one of {years[0]}–{years[-1]} (got {year})")
    swing_runs = swing_runs or min(runs, 1000)
    tail = tail_attribution(ds["balance"], ds["revenue"], ds["cost"], year, tail=0.05)
    parts = [
        tail.rename("tail_attribution").to_dataset(),
        variance_by_layer(config, swing_runs, seed, engine, step).rename(
            {
                "variance": "layer_variance",
                "contribution": "layer_contribution",
                "share": "layer_share",
            }
        ),
    ]
    torn = tornado(ds)
    if torn is not None:
        parts.append(torn)
        oat = one_at_a_time(config, swing_runs, seed, engine=engine, step=step)
        parts.append(oat.rename({"factor": "swing_factor"}))
    out = xr.merge(parts, combine_attrs="drop")
    out["tail_attribution"].attrs.update(
        units="SEK",
        long_name=f"contribution to the gap between the P5 runs and the median runs in {year}",
        description="cumulative revenue − cost of the component, mean over the runs at or "
        "below P5 minus the mean over the runs within ± 5 % of the median",
        balance_gap=tail.attrs["balance_gap"],
        n_tail=tail.attrs["n_tail"],
        n_median=tail.attrs["n_median"],
    )
    out.attrs.update(
        title=ds.attrs["title"],
        seed=ds.attrs["seed"],
        runs=runs,
        swing_runs=swing_runs,
        year=year,
        engine=engine,
        config_sha256=ds.attrs["config_sha256"],
        config_toml=ds.attrs["config_toml"],
        **version_stamp(),
    )
    return out


def summary(out: xr.Dataset) -> str:
    """The tables ``balanskonto sensitivity`` prints (tkr)."""
    year = out.attrs["year"]
    lines = [f"{out.attrs['title']}: what drives the balance at the end of {year}"]
    if "rank_correlation" in out:
        rho = out["rank_correlation"].sel(year=year)
        src = out["standardised_coefficient"].sel(year=year)
        swing = out["swing"].sel(year=year)
        order = np.argsort(-np.abs(np.nan_to_num(rho.values)))
        rows = []
        for i in order:
            name = str(rho["factor"].values[i])
            plain = name.removesuffix(" (mean)")
            s = swing.sel(swing_factor=plain).item() if plain in swing["swing_factor"] else np.nan
            rows.append(
                [
                    name,
                    f"{rho.values[i]:+.2f}",
                    f"{src.values[i]:+.2f}",
                    "" if np.isnan(s) else tkr(s),
                ]
            )
        lines += [
            "",
            f"Factors ({out.attrs['runs']} runs; swing: mean balance with the factor at P90 "
            f"minus at P10, others at their median, {out.attrs['swing_runs']} runs, tkr)",
            table(["factor", "rank corr.", "std. coef.", "swing"], rows, left=1),
        ]
    else:
        lines += ["", "No uncertain factors in the config: only individual paths and arrivals."]
    share = out["layer_share"].sel(year=year)
    var = out["layer_variance"].sel(year=year)
    rows = [
        [
            str(layer),
            pct(float(share.sel(layer=layer))),
            tkr(float(np.sqrt(max(var.sel(layer=layer).item(), 0.0)))),
        ]
        for layer in out["layer"].values
    ]
    lines += [
        "",
        "Variance of the balance by layer (switched on in this order)",
        table(["layer", "share", "sd with layers so far"], rows, left=1),
    ]
    tail = out["tail_attribution"]
    order = np.argsort(tail.values)
    rows = [[str(tail["component"].values[i]), tkr(tail.values[i])] for i in order]
    lines += [
        "",
        "The P5 runs against the median runs, by component (tkr; negative = makes "
        "the bad runs worse)",
        table(["component", "contribution"], rows, left=1),
    ]
    return "\n".join(lines)


def _check_runs(config, runs: int | None) -> None:
    """``runs`` within the bound and the machine's memory (:func:`check_size`)."""
    runs = check_whole(
        RUNS_NAME, config.simulation.runs if runs is None else runs, maximum=MAX_RUNS
    )
    check_size(compile_model(config), runs, RUNS_NAME)
