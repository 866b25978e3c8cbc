"""The appendix of a batch result: one appendix per scenario and a comparison of them.

:func:`scenario_dataset` turns one scenario of a batch Dataset into a result of its own (its
own config text and checksum), which :func:`~balanskonto.report.files.report` writes like any
simulation. :func:`comparison` is the comparison as a :class:`~.document.Document`: each
scenario's percentiles and probability of a deficit in the last year, and its paired
difference to the reference scenario with the difference's standard error and the
probability of ending lower than the reference in the same run (the scenarios share their
random numbers, so the difference is the effect of the change, not noise).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

import xarray as xr

from . import i18n
from .data import ReportError
from .document import Column, Document, Heading, Paragraph, Sentence, Table
from .files import FORMATS, check_formats, check_lang, report, write_document
from .i18n import text

#: Variables of a batch result that compare scenarios (not part of one scenario's result).
COMPARING = (
    "balance_difference",
    "balance_difference_se",
    "p_worse",
    "p_worse_pairwise",
    "scenario_overrides",
    "scenario_config_toml",
    "scenario_config_sha256",
)
#: Base name of the comparison's files, by language.
COMPARISON_NAME = {"sv": "jamforelse", "en": "comparison"}


def scenario_names(ds: xr.Dataset) -> list[str]:
    return [str(s) for s in ds["scenario"].values]


def scenario_dataset(ds: xr.Dataset, name: str) -> xr.Dataset:
    """Scenario ``name`` of a batch result as a simulation result of its own.

    Raises
    ------
    ReportError
        If ``ds`` is not a batch result or has no scenario ``name`` (the message lists them).
    """
    if "scenario" not in ds.dims:
        raise ReportError("--scenario: the result is not a batch result (it has no scenarios)")
    names = scenario_names(ds)
    if name not in names:
        raise ReportError(
            f"--scenario: no scenario {name!r} in this result (its scenarios: {', '.join(names)})"
        )
    one = ds.sel(scenario=name)
    attrs = dict(ds.attrs)
    attrs["config_toml"] = str(one["scenario_config_toml"].item())
    attrs["config_sha256"] = str(one["scenario_config_sha256"].item())
    attrs["scenario"] = name
    attrs["title"] = f"{ds.attrs.get('title', '')} ({name})"
    drop = [v for v in ds.variables if v in COMPARING or "scenario_other" in ds[v].dims]
    one = one.drop_vars([*drop, "scenario"], errors="ignore")
    one.attrs = attrs
    return one


def folder_name(scenario: str) -> str:
    """A folder name for a scenario (``lagre/max_months=24`` → ``lagre_max_months=24``)."""
    return re.sub(r"[^\w.=-]+", "_", scenario).strip("._") or "scenario"


def comparison(ds: xr.Dataset, lang: str = "sv") -> Document:
    """The comparison of the scenarios of a batch result, in ``lang``."""
    lang = check_lang(lang)
    last = int(ds["year"].values[-1])
    ref = str(ds.attrs.get("reference", scenario_names(ds)[0]))
    title = text("h_comparison", lang).format(title=str(ds.attrs.get("title", "")))
    explain = Sentence(text("comparison", lang).format(reference=ref), labels=(ref,))
    blocks = [
        Heading(title, 1),
        Paragraph((explain,)),
        _last_year_table(ds, lang, last, ref),
        _per_year_table(ds, lang, ref),
    ]
    municipality = str(ds.attrs.get("municipality", "")).strip()
    return Document(lang, title, tuple(blocks), municipality=municipality)


def _last_year_table(ds: xr.Dataset, lang: str, last: int, ref: str) -> Table:
    cols = [Column(text("c_scenario", lang))]
    cols += [Column(i18n.percentile(q, lang), "tkr") for q in (0.05, 0.5, 0.95)]
    cols += [
        Column(text("c_p_deficit", lang), "share"),
        Column(text("c_difference", lang), "tkr"),
        Column(text("c_se", lang), "tkr"),
        Column(text("c_p_worse", lang), "share"),
    ]
    rows = []
    for name in scenario_names(ds):
        s = ds.sel(scenario=name, year=last)
        q = [
            s["balance_quantile"].sel(quantile=x, method="nearest").item()
            for x in (0.05, 0.5, 0.95)
        ]
        is_ref = name == ref
        rows.append(
            (
                name,
                *q,
                s["p_deficit"].item(),
                text("reference", lang) if is_ref else s["balance_difference"].item(),
                None if is_ref else s["balance_difference_se"].item(),
                None if is_ref else s["p_worse"].item(),
            )
        )
    caption = text("t_comparison", lang).format(year=last)
    return Table("comparison", caption, tuple(cols), tuple(rows), sheet=text("s_comparison", lang))


def _per_year_table(ds: xr.Dataset, lang: str, ref: str) -> Table:
    cols = (
        Column(text("c_scenario", lang)),
        Column(text("c_year", lang), "year"),
        Column(text("c_difference", lang), "tkr"),
        Column(text("c_se", lang), "tkr"),
        Column(text("c_p_worse", lang), "share"),
    )
    rows = []
    for name in scenario_names(ds):
        if name == ref:
            continue
        for y in ds["year"].values:
            s = ds.sel(scenario=name, year=y)
            rows.append(
                (
                    name,
                    int(y),
                    s["balance_difference"].item(),
                    s["balance_difference_se"].item(),
                    s["p_worse"].item(),
                )
            )
    return Table(
        "comparison_years",
        text("t_comparison_years", lang),
        cols,
        tuple(rows),
        sheet=text("s_comparison_years", lang),
        in_document=False,
    )


def report_batch(
    dataset: xr.Dataset,
    out_dir: str | os.PathLike[str],
    *,
    lang: str = "sv",
    formats: Iterable[str] = FORMATS,
    template: str | os.PathLike[str] | None = None,
) -> dict[str, Path]:
    """Write the appendix of every scenario of a batch result into ``out_dir/<scenario>/``
    and the comparison into ``out_dir`` (``jamforelse.*`` / ``comparison.*``).

    Returns
    -------
    dict of str to Path
        ``"comparison:<format>"`` for the comparison's files, ``"<scenario>:<key>"`` for each
        scenario's (the keys of :func:`~balanskonto.report.files.report`).
    """
    formats = check_formats(formats)
    if "scenario" not in dataset.dims:
        raise ReportError("dataset: not a batch result (no scenario dimension)")
    out_dir = Path(out_dir)
    written: dict[str, Path] = {}
    doc = comparison(dataset, lang)
    for fmt, path in write_document(doc, out_dir, COMPARISON_NAME[lang], formats).items():
        written[f"comparison:{fmt}"] = path
    for name in scenario_names(dataset):
        one = scenario_dataset(dataset, name)
        paths = report(one, out_dir / folder_name(name), lang=lang, formats=formats,
                       template=template)  # fmt: skip
        written.update({f"{name}:{key}": path for key, path in paths.items()})
    return written
