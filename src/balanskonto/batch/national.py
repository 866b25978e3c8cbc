"""A batch of municipalities combined: a ``municipality`` dimension, and per run the sums over
each län and over riket (the whole table), with their comparisons between scenarios.

The sums are added municipality by municipality in the table's order (one fixed order of
floating-point additions), reading one municipality's balance at a time: the same numbers
whether the municipalities' Datasets are in memory or read lazily from disk, and memory that
does not grow with the number of municipalities.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import xarray as xr

from .combine import combine_along, paired
from .municipalities import Municipality

#: Units and long names of the variables added here (the others come from one municipality).
ATTRS = {
    "municipality": (None, "kommunkod (municipality code)"),
    "municipality_name": (None, "municipality name"),
    "municipality_lan": (None, "län code of the municipality (first two digits of kommunkod)"),
    "lan": (None, "län code"),
    "lan_name": (None, "län name"),
    "lan_balance": ("SEK", "balance account, sum over the län's municipalities, per run"),
    "riket_balance": ("SEK", "balance account, sum over every municipality, per run"),
    "lan_p_deficit": ("1", "probability that the län's summed balance is below 0"),
    "riket_p_deficit": ("1", "probability that the summed balance of riket is below 0"),
    "riket_balance_difference": (
        "SEK",
        "mean difference in riket_balance to the reference scenario (paired by run)",
    ),
    "riket_balance_difference_se": ("SEK", "standard error of riket_balance_difference"),
    "riket_p_worse": ("1", "probability of a lower riket_balance than the reference"),
}


def combine_municipalities(
    names: Sequence[str],
    municipalities: Sequence[Municipality],
    parts: Sequence[xr.Dataset],
    reference: str,
) -> xr.Dataset:
    """The Datasets of every scenario × municipality (scenario by scenario, the table's order
    within) as one Dataset with ``scenario`` and ``municipality`` dimensions, the comparisons
    with ``reference`` per municipality, and the län and riket sums per run (no attributes)."""
    M, names = len(municipalities), list(names)
    codes = [m.code for m in municipalities]
    per_scenario = [
        combine_along("municipality", codes, parts[s * M : (s + 1) * M]) for s in range(len(names))
    ]
    ds = with_municipality_coords(combine_along("scenario", names, per_scenario), municipalities)
    balance = ds["balance"]

    def balance_of(m: int) -> np.ndarray:
        return balance.isel(municipality=m).transpose("scenario", "run", "year").values

    last = int(ds["year"].values[-1])
    extra = national_variables(balance_of, municipalities, names, reference, last)
    return ds.assign_coords(extra.coords).assign(extra.data_vars)


def with_municipality_coords(ds: xr.Dataset, municipalities: Sequence[Municipality]) -> xr.Dataset:
    """``ds`` with the municipalities' names and län codes along ``municipality``."""
    return ds.assign_coords(
        municipality_name=("municipality", np.array([m.name for m in municipalities], object)),
        municipality_lan=("municipality", np.array([m.lan for m in municipalities], object)),
    )


def national_variables(
    balance_of: Callable[[int], np.ndarray],
    municipalities: Sequence[Municipality],
    names: Sequence[str],
    reference: str,
    last_year: int,
) -> xr.Dataset:
    """The comparisons with ``reference`` per municipality and the län and riket sums per
    run, from each municipality's balance ``balance_of(m) [scenario, run, year]`` read one
    at a time, added in the table's order."""
    M, names = len(municipalities), list(names)
    lans = sorted({m.lan for m in municipalities})
    ref = names.index(reference)
    lan = riket = mean = se = worse = pairwise = None
    for m, municipality in enumerate(municipalities):
        values = balance_of(m)
        if riket is None:
            S, R, Y = values.shape
            lan, riket = np.zeros((S, len(lans), R, Y)), np.zeros((S, R, Y))
            mean, se = np.empty((S, M, Y)), np.empty((S, M, Y))
            worse, pairwise = np.empty((S, M, Y)), np.empty((S, S, M))
        mean[:, m], se[:, m], worse[:, m], pairwise[:, :, m] = paired(values, ref)
        lan[:, lans.index(municipality.lan)] += values
        riket += values
    r_mean, r_se, r_worse, _ = paired(riket, ref)
    ds = xr.Dataset(
        {
            "balance_difference": (("scenario", "municipality", "year"), mean),
            "balance_difference_se": (("scenario", "municipality", "year"), se),
            "p_worse": (("scenario", "municipality", "year"), worse),
            "p_worse_pairwise": (("scenario", "scenario_other", "municipality"), pairwise),
            "lan_balance": (("scenario", "lan", "run", "year"), lan),
            "riket_balance": (("scenario", "run", "year"), riket),
            "lan_p_deficit": (("scenario", "lan", "year"), (lan < 0).mean(axis=2)),
            "riket_p_deficit": (("scenario", "year"), (riket < 0).mean(axis=1)),
            "riket_balance_difference": (("scenario", "year"), r_mean),
            "riket_balance_difference_se": (("scenario", "year"), r_se),
            "riket_p_worse": (("scenario", "year"), r_worse),
        },
        coords={
            "lan": np.array(lans, dtype=object),
            "scenario_other": np.array(names, dtype=object),
        },
    )
    ds = ds.assign_coords(
        lan_name=("lan", np.array([municipalities_lan_name(municipalities, c) for c in lans]))
    )
    ds["balance_difference"].attrs["reference"] = reference
    ds["p_worse"].attrs["reference"] = reference
    ds["riket_balance_difference"].attrs["reference"] = reference
    ds["p_worse_pairwise"].attrs["year"] = last_year
    return ds


def municipalities_of(ds: xr.Dataset) -> list[Municipality]:
    """The municipalities of a combined Dataset, from its coordinates (code, name, län)."""
    return [
        Municipality(str(code), str(name), str(lan))
        for code, name, lan in zip(
            ds["municipality"].values,
            ds["municipality_name"].values,
            ds["municipality_lan"].values,
            strict=True,
        )
    ]


def municipalities_lan_name(municipalities: Sequence, code: str) -> str:
    return next(m.lan_name for m in municipalities if m.lan == code)


def annotate_national(ds: xr.Dataset) -> xr.Dataset:
    """Units and long names of the variables of :func:`combine_municipalities` (in place)."""
    for name, (units, long_name) in ATTRS.items():
        if name in ds.variables:
            ds[name].attrs["long_name"] = long_name
            if units is not None:
                ds[name].attrs["units"] = units
            if units == "SEK":
                ds[name].attrs["currency"] = "SEK"
    return ds
