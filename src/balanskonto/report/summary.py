"""The summary's points and the sentences on what drives the balance: drawn from the numbers
(the reserve against the opening balance, the first year of material deficit risk, the
drivers in kronor where a sensitivity result gives their swings, how to read percentiles)."""

from __future__ import annotations

import numpy as np

from . import i18n
from .data import ReportData, exit_targets
from .document import Block, Bullets, Heading, Sentence
from .i18n import text
from .writer import Label, Writer, levels, median, n


def summary(data: ReportData, w: Writer) -> list[Block]:
    """Three to four points drawn from the numbers: is the opening balance enough, when the
    deficit risk becomes material, what moves the balance, how to read the percentiles."""
    year = data.last_year
    items = [_summary_reserve(data, w), _summary_risk(data, w)]
    if data.tornado is not None:
        items.append(tuple(_summary_drivers(data, w)))
    lv = levels(data)
    percentile = w(
        "percentile",
        plabel=n("quantile", "percentile", quantile=lv.low),
        q=n("quantile", quantile=lv.low),
        midlabel=n("quantile", "percentile", quantile=lv.mid),
    )
    items.append((percentile, median(data, w, year)))
    return [Heading(text("h_summary", w.lang)), Bullets(tuple(items))]


def _summary_reserve(data: ReportData, w: Writer) -> tuple[Sentence, ...]:
    """The reserve that holds at the reserve level against the config's opening balance."""
    year, level = data.last_year, levels(data).reserve
    reserve = n("reserve_needed", level=level, year=year)
    out = []
    if w.quantities[reserve].value == 0:
        out.append(w("reserve_none", level=n("level", level=level), year=n("year", year=year)))
    else:
        short = w.quantities[reserve].value > w.quantities[n("attrs.opening_balance")].value
        out.append(
            w(
                "summary_reserve_short" if short else "summary_reserve_enough",
                opening=n("attrs.opening_balance"),
                level=n("level", level=level),
                year=n("year", year=year),
                reserve=reserve,
                gap=n("reserve_gap", level=level, year=year),
            )
        )
    if w.has("plan.balance", year=year):
        out.append(w("summary_plan", plan=n("plan.balance", year=year), year=n("year", year=year)))
    return tuple(out)


def material_year(data: ReportData) -> int | None:
    """The first year whose P(deficit) reaches 1 − the reserve level (5 % at 95 %)."""
    threshold = 1 - levels(data).reserve
    p = data.ds["p_deficit"].values
    hit = np.flatnonzero(p >= threshold - 1e-12)
    return int(data.years[hit[0]]) if hit.size else None


def _summary_risk(data: ReportData, w: Writer) -> tuple[Sentence, ...]:
    first, last = int(data.years[0]), data.last_year
    span = {"first": n("year", year=first), "last": n("year", year=last)}
    p_ever = n("p_depleted_by", year=last)
    if w.quantities[p_ever].value == 0:
        return (w("depletion_none", **span),)
    threshold = n("level", complement=True, level=levels(data).reserve)
    year = material_year(data)
    if year is not None:
        head = w(
            "summary_risk_year",
            year=n("year", year=year),
            threshold=threshold,
            p=n("p_deficit", year=year),
        )
    else:
        peak = int(data.years[int(np.argmax(data.ds["p_deficit"].values))])
        head = w(
            "summary_risk_low",
            threshold=threshold,
            year=n("year", year=peak),
            p=n("p_deficit", year=peak),
            **span,
        )
    return (head, w("summary_ever", p=p_ever, **span))


def _summary_drivers(data: ReportData, w: Writer) -> list[Sentence]:
    year = data.last_year
    if data.swing is not None:
        ranked, policies = swing_order(data)
        if ranked:
            name = ranked[0]
            label = i18n.factor_label(name, w.lang, exit_targets(data.config), data.labels)
            out = [
                w(
                    "summary_drivers_swing",
                    f1=Label(label),
                    year=n("year", year=year),
                    low=n("swing.attrs.low_quantile"),
                    high=n("swing.attrs.high_quantile"),
                    s1=n("swing.swing", factor=name, year=year),
                )
            ]
            return out + [_policy_sentence(data, w, p) for p in policies]
    rho = data.tornado["rank_correlation"].sel(year=year)
    i = int(np.nanargmax(np.abs(rho.values)))
    name = str(rho["factor"].values[i])
    label = i18n.factor_label(name, w.lang, exit_targets(data.config), data.labels)
    return [
        w(
            "summary_drivers_rho",
            year=n("year", year=year),
            f1=Label(label),
            r1=n("tornado.rank_correlation", factor=name, year=year),
        )
    ]


def swing_order(data: ReportData) -> tuple[list[str], list[str]]:
    """(factors by |swing| of the last year, largest first; yes/no policies with an effect)."""
    sw = data.swing.sel(year=data.last_year)
    names = [str(f) for f in sw["factor"].values]
    policies = [f for f, e in zip(names, sw["effect"].values, strict=True) if np.isfinite(e)]
    others = [(abs(float(v)), f) for f, v in zip(names, sw["swing"].values, strict=True)]
    ranked = [f for v, f in sorted(others, key=lambda x: -x[0]) if f not in policies and v > 0]
    return ranked, policies


def _policy_sentence(data: ReportData, w: Writer, name: str) -> Sentence:
    label = i18n.factor_label(name, w.lang, exit_targets(data.config), data.labels)
    return w(
        "drivers_policy",
        f=Label(label),
        year=n("year", year=data.last_year),
        e=n("swing.effect", factor=name, year=data.last_year),
    )


def driver_sentences(data: ReportData, w: Writer) -> list[Sentence]:
    if data.swing is not None:
        return _swing_sentences(data, w)
    year = data.last_year
    rho = data.tornado["rank_correlation"].sel(year=year)
    finite = [i for i in np.argsort(-np.abs(np.nan_to_num(rho.values))) if np.isfinite(rho[i])]
    targets = exit_targets(data.config)
    slots: dict[str, str | Label] = {}
    for k, i in enumerate(finite[:3], start=1):
        name = str(rho["factor"].values[i])
        label = i18n.factor_label(name, w.lang, targets, data.labels)
        slots[f"f{k}"] = Label(label)
        slots[f"r{k}"] = n("tornado.rank_correlation", factor=name, year=year)
    out = [w("drivers", year=n("year", year=year), f1=slots["f1"], r1=slots["r1"])]
    if len(finite) >= 3:
        out.append(w("drivers_more", **{k: v for k, v in slots.items() if k[1] in "23"}))
    return out


def _swing_sentences(data: ReportData, w: Writer) -> list[Sentence]:
    year = data.last_year
    ranked, policies = swing_order(data)
    targets = exit_targets(data.config)
    slots: dict[str, str | Label] = {}
    for k, name in enumerate(ranked[:3], start=1):
        slots[f"f{k}"] = Label(i18n.factor_label(name, w.lang, targets, data.labels))
        slots[f"s{k}"] = n("swing.swing", factor=name, year=year)
    span = {"low": n("swing.attrs.low_quantile"), "high": n("swing.attrs.high_quantile")}
    out = []
    if ranked:
        out.append(
            w("drivers_swing", year=n("year", year=year), f1=slots["f1"], s1=slots["s1"], **span)
        )
    more = {k: v for k, v in slots.items() if k[1] in "23"}
    if len(ranked) >= 3:
        out.append(w("drivers_swing_more", **more))
    elif len(ranked) == 2:
        out.append(w("drivers_swing_one_more", **more))
    out += [_policy_sentence(data, w, p) for p in policies]
    return out
