"""The tables of the appendix, with raw values from :class:`~.data.ReportData`.

Amounts are SEK here (Word, HTML and Markdown show whole tkr; Excel stores tkr), shares are
fractions, persons are person-years (the yearly average number of persons).
"""

from __future__ import annotations

import numpy as np

from .._version import __version__
from ..results.convergence import deficit_bound
from . import i18n
from .data import ReportData, balance_quantiles, exit_targets, persons_by_state
from .document import Column, Shown, Table
from .i18n import text

#: Quantiles of the fan chart and of the document's balance table.
FAN_QUANTILES = (0.05, 0.25, 0.50, 0.75, 0.95)


def _years(data: ReportData) -> list[int]:
    return [int(y) for y in data.years]


def plan_name(data: ReportData) -> str:
    """The i18n key naming the plan line: the plan without uncertainty, or the deterministic
    calculation (the exact mean when the config has no uncertain factors)."""
    return "plan_name_without_uncertainty" if data.plan_without_uncertainty else "plan_name"


def p_deficit_cell(ds, i: int, lang: str) -> float:
    """P(deficit) of year ``i`` as a table cell: the share, or where no run (every run) is in
    deficit the 95 % Wilson bound as text ("< 0,2 %" for 2 000 runs; DESIGN §6, defect 5 of
    issue 10), since 0,0 % would claim a certainty the runs cannot give."""
    p = float(ds["p_deficit"].values[i])
    bound = deficit_bound(p, ds.sizes["run"]) if ds.sizes.get("run", 0) >= 1 else None
    if bound is None:
        return p
    sign, value = bound
    percent = i18n.catalogue.entry("units", "percent", lang)
    return Shown(p, f"{sign} " + percent.format(x=i18n.number(value, 1, lang)))


def quantile_table(data: ReportData, lang: str) -> Table:
    """The balance per year: P5 … P95, mean with its standard error, the plan, P(deficit)."""
    ds = data.ds
    q = balance_quantiles(ds, FAN_QUANTILES)
    cols = [Column(text("c_year", lang), "year")]
    cols += [Column(i18n.percentile(x, lang), "tkr") for x in FAN_QUANTILES]
    cols += [Column(text("c_mean", lang), "tkr"), Column(text("c_se", lang), "tkr")]
    if data.plan is not None:
        cols.append(Column(text("c_plan", lang), "tkr"))
    cols.append(Column(text("c_p_deficit", lang), "share"))
    rows = []
    for i, y in enumerate(_years(data)):
        row = [y, *q.values[:, i], ds["expected_balance"].values[i]]
        row.append(ds["mc_standard_error"].values[i])
        if data.plan is not None:
            row.append(data.plan["balance"].values[i])
        rows.append((*row, p_deficit_cell(ds, i, lang)))
    caption = text("t_quantiles", lang).format(plan=text(plan_name(data), lang))
    return Table("quantiles", caption, tuple(cols), tuple(rows))


def quantile_sheet(data: ReportData, lang: str) -> Table:
    """Every quantile of the Dataset with its Monte Carlo standard error (workbook only)."""
    ds = data.ds
    cols = [Column(text("c_year", lang), "year")]
    for x in ds["quantile"].values:
        label = i18n.percentile(float(x), lang)
        cols += [Column(label, "tkr"), Column(f"{label} {text('c_se', lang)}", "tkr")]
    cols += [Column(text("c_mean", lang), "tkr"), Column(text("c_se", lang), "tkr")]
    if data.plan is not None:
        cols.append(Column(text("c_plan", lang), "tkr"))
    rows = []
    for i, y in enumerate(_years(data)):
        row: list = [y]
        for k in range(ds.sizes["quantile"]):
            row += [ds["balance_quantile"].values[k, i], ds["balance_quantile_se"].values[k, i]]
        row += [ds["expected_balance"].values[i], ds["mc_standard_error"].values[i]]
        if data.plan is not None:
            row.append(data.plan["balance"].values[i])
        rows.append(tuple(row))
    return Table(
        "quantiles_all",
        text("t_quantiles_all", lang),
        tuple(cols),
        tuple(rows),
        sheet=text("s_quantiles", lang),
        in_document=False,
    )


def deficit_table(data: ReportData, lang: str) -> Table:
    """P(deficit) with its standard error, and the distribution of the depletion year."""
    ds = data.ds
    cols = (
        Column(text("c_year", lang), "year"),
        Column(text("c_p_deficit", lang), "share"),
        Column(text("c_se", lang), "share"),
        Column(text("c_p_first", lang), "share"),
        Column(text("c_p_by", lang), "share"),
    )
    names = ("p_deficit", "p_deficit_se", "p_first_depletion", "p_depleted_by")
    rows: list[tuple] = []
    for i, y in enumerate(_years(data)):
        _, se, first, by = (ds[v].values[i] for v in names)
        if isinstance(shown := p_deficit_cell(ds, i, lang), Shown):
            se = Shown(se, "–")  # no run (every run) in deficit: the standard error says nothing
        rows.append((y, shown, se, first, by))
    rows.append((text("never", lang), None, None, ds["p_never_depleted"].item(), None))
    return Table(
        "deficit",
        text("t_deficit", lang),
        cols,
        tuple(rows),
        sheet=text("s_deficit", lang),
    )


def reserve_table(data: ReportData, lang: str) -> Table:
    """The reserve needed per year, for each probability level."""
    r = data.ds["reserve_needed"]
    levels = [float(x) for x in r["level"].values]
    cols = [Column(text("c_year", lang), "year")]
    cols += [
        Column(text("c_reserve", lang).format(level=i18n.level(x, lang)), "tkr") for x in levels
    ]
    rows = [(y, *(r.sel(level=x, year=y).item() for x in r["level"].values)) for y in _years(data)]
    return Table(
        "reserve", text("t_reserve", lang), tuple(cols), tuple(rows), sheet=text("s_reserve", lang)
    )


def _states_shown(persons) -> list[str]:
    """The states anyone is ever in (relocated persons are not counted: they have left)."""
    return [
        str(s)
        for s in persons["state"].values
        if s != "relocated" and float(persons.sel(state=s).max()) > 0
    ]


def persons_table(data: ReportData, lang: str) -> Table:
    """Median number of persons per state (over runs, summed over groups), per year."""
    persons = persons_by_state(data.ds)
    states = _states_shown(persons)
    median = persons.median("run")
    cols = [Column(text("c_year", lang), "year")]
    cols += [
        Column(i18n.capital(i18n.state_label(s, lang, data.labels)), "persons") for s in states
    ]
    rows = [(y, *(median.sel(year=y, state=s).item() for s in states)) for y in _years(data)]
    return Table("persons", text("t_persons", lang), tuple(cols), tuple(rows))


def persons_sheet(data: ReportData, lang: str) -> Table:
    """Persons per state and year: median, P5 and P95 over runs (workbook only)."""
    persons = persons_by_state(data.ds)
    qs = persons.quantile([0.05, 0.5, 0.95], dim="run")
    cols = (
        Column(text("c_year", lang), "year"),
        Column(text("c_state", lang)),
        Column(text("c_key", lang)),
        Column(text("c_median", lang), "persons"),
        Column(i18n.percentile(0.05, lang), "persons"),
        Column(i18n.percentile(0.95, lang), "persons"),
    )
    rows = []
    for y in _years(data):
        for s in persons["state"].values:
            at = qs.sel(year=y, state=s).values
            label = i18n.capital(i18n.state_label(str(s), lang, data.labels))
            rows.append((y, label, str(s), at[1], at[0], at[2]))
    return Table(
        "persons_all",
        text("t_persons_all", lang),
        cols,
        tuple(rows),
        sheet=text("s_persons", lang),
        in_document=False,
    )


def _component_rows(data: ReportData, lang: str) -> list[tuple]:
    """(side, label, mean per year …) for every component with an amount, the totals and the
    net: means over the runs, so that the rows add up to the totals and the net."""
    ds = data.ds
    rows = []
    for side in ("revenue", "cost"):
        mean = ds[side].mean("run")
        for c in ds["component"].values:
            if float(np.abs(ds[side].sel(component=c)).max()) > 0:
                label = i18n.capital(i18n.component_label(str(c), lang, data.labels))
                rows.append((text(side, lang), label, *mean.sel(component=c).values))
        total = ds[side].sum("component").mean("run").values
        rows.append((text(side, lang), text(f"total_{side}", lang), *total))
    net = (ds["revenue"].sum("component") - ds["cost"].sum("component")).mean("run")
    rows.append((text("net", lang), text("total_net", lang), *net.values))
    return rows


def shown_sums(rows: list[tuple]) -> list[tuple]:
    """The rows of :func:`_component_rows` (SEK) rounded to whole tkr so that they add up as
    shown: each total rounded, its items rounded by largest remainders to that total, and the
    net the shown revenue total minus the shown cost total (each off by less than 1 tkr)."""
    body = np.array([r[2:] for r in rows], dtype=float) / 1000.0
    out = np.empty_like(body)
    start = 0
    for end in (i for i, r in enumerate(rows[:-1]) if rows[i + 1][0] != r[0]):  # the totals
        out[end] = np.round(body[end])
        for j in range(body.shape[1]):
            out[start:end, j] = _largest_remainders(body[start:end, j], out[end, j])
        start = end + 1
    totals = [i for i in range(len(rows) - 1) if rows[i + 1][0] != rows[i][0]]
    out[-1] = out[totals[0]] - out[totals[1]]
    return [(*r[:2], *(out[i] * 1000.0)) for i, r in enumerate(rows)]


def _largest_remainders(x: np.ndarray, total: float) -> np.ndarray:
    """Whole numbers near ``x`` (non-negative) that sum to ``total``: rounded down, then one
    more for the largest remainders."""
    down = np.floor(x + 1e-9)
    k = round(float(total - down.sum()))
    order = np.argsort(-(x - down), kind="stable")
    if k >= 0:
        down[order[:k]] += 1
    else:
        down[order[::-1][:-k]] -= 1
    return down


def component_sheet(data: ReportData, lang: str) -> Table:
    """The component table with a row per year (years as numbers, a column per component):
    the workbook's version."""
    rows = _component_rows(data, lang)
    cols = [Column(text("c_year", lang), "year")]
    cols += [Column(f"{side}: {label}" if label[:1] != side[:1] else label, "tkr")
             for side, label, *_ in rows]  # fmt: skip
    out = [(y, *(r[2 + i] for r in rows)) for i, y in enumerate(_years(data))]
    return Table(
        "components_sheet",
        text("t_components_sheet", lang),
        tuple(cols),
        tuple(out),
        sheet=text("s_components", lang),
        in_document=False,
    )


def component_table(data: ReportData, lang: str) -> Table:
    """Mean revenue and cost per component and year, the totals and the net (means add up;
    medians per row would not), rounded to whole tkr so that the rows as shown add up
    (:func:`shown_sums`)."""
    cols = [Column(text("c_side", lang)), Column(text("c_component", lang))]
    cols += [Column(str(y), "tkr") for y in _years(data)]
    rows = shown_sums(_component_rows(data, lang))
    return Table(
        "components",
        text("t_components", lang),
        tuple(cols),
        tuple(rows),
        note=text("n_components", lang),
    )


def tail_table(data: ReportData, lang: str) -> Table:
    """The tail attribution per component, most harmful first, and the total gap."""
    tail = data.tail
    order = [i for i in np.argsort(tail.values) if i in set(moving_components(tail))]
    rows = [
        (
            i18n.capital(i18n.component_label(str(tail["component"].values[i]), lang, data.labels)),
            tail.values[i],
        )
        for i in order
    ]
    if len(order) < tail.sizes["component"]:
        rest = text("tail_rest", lang).format(n=tail.sizes["component"] - len(order))
        rows.append((rest, 0.0))
    rows.append((text("total_gap", lang), float(tail.attrs["balance_gap"])))
    caption = text("t_tail", lang).format(
        tail=i18n.level(tail.attrs["tail"], lang), year=tail.attrs["year"]
    )
    cols = (Column(text("c_component", lang)), Column(text("c_contribution", lang), "tkr"))
    return Table("tail", caption, cols, tuple(rows), sheet=text("s_tail", lang))


def moving_components(tail) -> list[int]:
    """Indices of the components whose tail contribution is not 0 (to the krona): a fixed
    item, the same in every run, cannot tell the worst runs apart and is not listed; all of
    them where every contribution is 0."""
    moving = [i for i, v in enumerate(tail.values) if abs(v) >= 0.5]
    return moving or list(range(tail.sizes["component"]))


def tornado_table(data: ReportData, lang: str) -> Table | None:
    """Rank correlation and standardised coefficient of each factor with the last year's
    balance, strongest first, with the swing in SEK where a sensitivity result gives it (a
    yes/no policy: its effect if carried out); None without factors."""
    if data.tornado is None:
        return None
    year = data.last_year
    rho = data.tornado["rank_correlation"].sel(year=year)
    src = data.tornado["standardised_coefficient"].sel(year=year)
    targets = exit_targets(data.config)
    order = np.argsort(-np.abs(np.nan_to_num(rho.values)))
    swing = {}
    if data.swing is not None:
        sw = data.swing.sel(year=year)
        for f, v, e in zip(
            sw["factor"].values, sw["swing"].values, sw["effect"].values, strict=True
        ):
            swing[str(f)] = float(e) if np.isfinite(e) else float(v)
    rows = []
    for i in order:
        name = str(rho["factor"].values[i])
        label = i18n.capital(i18n.factor_label(name, lang, targets, data.labels))
        row = (label, name, float(rho.values[i]), float(src.values[i]))
        if data.swing is not None:
            row += (swing.get(name.removesuffix(" (mean)"), float("nan")),)
        rows.append(row)
    cols = (
        Column(text("c_factor", lang)),
        Column(text("c_key", lang), "code"),
        Column(text("c_rank", lang), "ratio"),
        Column(text("c_src", lang), "ratio"),
    )
    if data.swing is not None:
        cols += (Column(text("c_swing", lang), "tkr"),)
    caption = text("t_tornado", lang).format(year=year)
    return Table("tornado", caption, cols, tuple(rows), sheet=text("s_tornado", lang))


def assumption_table(data: ReportData, lang: str) -> Table:
    """Every key of the config: what it is, the key, its value and the source comment."""
    runs, seed = data.ds.attrs.get("runs"), data.ds.attrs.get("seed")
    rows = []
    for a in data.assumptions:
        if a.key in HIDDEN_KEYS or a.key.startswith("labels."):  # display texts, not assumptions
            continue
        source = a.source
        used = {"simulation.runs": runs, "simulation.seed": seed}.get(a.key)
        if used is not None and used != a.value:
            note = text("used_instead", lang).format(value=i18n.plain(int(used), lang))
            source = f"{source} {note}".strip()
        value = a.value
        if a.key == "population.rows":  # the rows themselves are in the config and the CSV
            persons = i18n.plain(sum(int(r.get("count", 0)) for r in value), lang)
            value = text("population_rows", lang).format(persons=persons, rows=len(value))
        if _is_label(a.key) and isinstance(value, int) and not isinstance(value, bool):
            value = i18n.Label(value)
        rows.append((i18n.key_label(a.key, lang, data.labels), a.key, value, source or "–"))
    cols = (
        Column(text("c_assumption", lang)),
        Column(text("c_key", lang), "code"),
        Column(text("c_value", lang), "value"),
        Column(text("c_source", lang)),
    )
    return Table(
        "assumptions",
        text("t_assumptions", lang),
        cols,
        tuple(rows),
        sheet=text("s_assumptions", lang),
    )


#: Keys the assumptions table leaves out: where the population's rows came from (a file name,
#: in the config's own text and comments).
HIDDEN_KEYS = ("population.source_file",)


def _is_label(key: str) -> bool:
    """A key whose whole-number value is a year or a seed (shown without grouping)."""
    return key.endswith(("year", "seed"))


def provenance_table(data: ReportData, lang: str) -> Table:
    """Title, municipality, checksum, seed, runs, engine, versions, creation time, command."""
    a = data.ds.attrs
    rows = [
        (text("p_title", lang), str(a.get("title", ""))),
        (text("p_municipality", lang), str(a.get("municipality", ""))),
        (text("p_sha", lang), str(a.get("config_sha256", ""))),
        (text("p_seed", lang), int(a.get("seed", 0))),
        (text("p_runs", lang), int(a.get("runs", data.ds.sizes["run"]))),
        (text("p_engine", lang), str(a.get("engine", ""))),
        (text("p_version", lang), str(a.get("balanskonto_version", ""))),
        (text("p_created", lang), str(a.get("created", ""))),
        (text("p_report_version", lang), __version__),
        (
            text("p_command", lang),
            f"balanskonto run CONFIG.toml --seed {a.get('seed')} --runs {a.get('runs')} "
            f"--engine {a.get('engine')}",
        ),
    ]
    cols = (Column(text("c_field", lang)), Column(text("c_value", lang), "code"))
    return Table(
        "provenance",
        text("t_provenance", lang),
        cols,
        tuple(rows),
        sheet=text("s_provenance", lang),
    )
