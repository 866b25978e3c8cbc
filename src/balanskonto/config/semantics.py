"""Cross-field rules of a config, each naming its dotted path."""

from __future__ import annotations

import math
import re

from .errors import config_error
from .schema import Config
from .states import check_states
from .types import RELOCATED_STATE, RESIDENT, SUM_TOLERANCE


# --------------------------------------------------------------------------------------
# Cross-field rules: each names its dotted path.
# --------------------------------------------------------------------------------------
def component_names(config: Config) -> set[str]:
    """Every component the config names (per-state amounts, payments, scheduled costs,
    fixed items)."""
    names: set[str] = set()
    for group in config.groups.values():
        for flows in (group.costs, group.revenue):
            for amounts in flows.values():
                names.update(amounts)
        names.update(group.payments)
        names.update(group.scheduled_costs)
        names.update(group.scheduled_revenue or {})
        if group.per_day is not None:
            for flows in (group.per_day.costs, group.per_day.revenue):
                for amounts in flows.values():
                    names.update(amounts)
    names.update(config.fixed.revenue)
    names.update(config.fixed.costs)
    names.update(config.fixed.contracted or {})
    names.update(config.refused_claims or {})
    return names


def revenue_names(config: Config) -> set[str]:
    """The components that carry revenue (what a refused claim's ``of`` may name)."""
    names: set[str] = set(config.fixed.revenue)
    for group in config.groups.values():
        for amounts in group.revenue.values():
            names.update(amounts)
        names.update(group.payments)
        names.update(group.scheduled_revenue or {})
        if group.per_day is not None:
            for amounts in group.per_day.revenue.values():
                names.update(amounts)
    return names


def check_care(config: Config) -> None:
    """Rules of care that span the config (DESIGN §15): the states named by leaving care and
    by per-day amounts are the config's, contracted places and refused claims fit the
    horizon, and a share of revenue names a revenue component."""
    years = config.simulation.years
    states = config.state_names
    for gname, group in config.groups.items():
        care = group.leaves_care
        named = []
        if care is not None:
            base = f"groups.{gname}.leaves_care"
            named += [(f"{base}.states[{i}]", s, states[:-1]) for i, s in enumerate(care.states)]
            named += [(f"{base}.to.{s}", s, states) for s in care.to]
        for side in ("costs", "revenue"):
            for state in getattr(group.per_day, side, {}) if group.per_day else {}:
                if state != RESIDENT:
                    named.append((f"groups.{gname}.per_day.{side}.{state}", state, states))
        for path, state, allowed in named:
            if state not in allowed:
                raise config_error(
                    path, state, f"not a state of the config (states: {', '.join(allowed)})"
                )
    for name, place in (config.fixed.contracted or {}).items():
        if isinstance(place.places, list) and len(place.places) > years:
            raise config_error(
                f"fixed.contracted.{name}.places",
                place.places,
                f"has more entries than simulation.years = {years}",
            )
    revenue = revenue_names(config)
    for name, claim in (config.refused_claims or {}).items():
        path = f"refused_claims.{name}"
        if isinstance(claim.amount, list) and len(claim.amount) > years:
            raise config_error(
                f"{path}.amount", claim.amount, f"has more entries than simulation.years = {years}"
            )
        if claim.of is not None and claim.of not in revenue:
            raise config_error(
                f"{path}.of",
                claim.of,
                f"names no revenue component of the config (revenue: {sorted(revenue)})",
            )
        if claim.of == name:
            raise config_error(
                path, name, "the loss is booked as a cost under its own name, not under 'of'"
            )


_SHARE_PATH = re.compile(
    r"^groups\.(?P<group>[a-z][a-z0-9_]*)\.(?:states\.(?P<state>[a-z][a-z0-9_]*)\.exits\[(?P<exit>\d+)\]"
    r"\.(?P<field>share|monthly_shares|annual_probability)|relocation\.annual_probability)$"
)


_SHARE_FIELDS = ("share", "monthly_shares", "annual_probability")


def share_target(config: Config, path: str) -> tuple[str, str | None, int | None, str]:
    """(group, state, exit index, field) of an ``uncertainty.shares`` key; state and exit are
    None for a group's relocation hazard. Raises ConfigError naming the key."""
    where = f'uncertainty.shares."{path}"'
    m = _SHARE_PATH.match(path)
    if not m:
        raise config_error(
            where,
            path,
            "must name an exit's share, monthly_shares or annual_probability "
            "(groups.G.states.S.exits[i].share) or groups.G.relocation.annual_probability",
        )
    group = config.groups.get(m["group"])
    if group is None:
        raise config_error(where, path, f"names no group (groups: {sorted(config.groups)})")
    if m["state"] is None:
        if group.relocation is None:
            raise config_error(where, path, f"group {m['group']!r} has no relocation hazard")
        return m["group"], None, None, "annual_probability"
    spec = group.states.get(m["state"])
    i = int(m["exit"])
    if spec is None or i >= len(spec.exits):
        raise config_error(where, path, "names no exit of the config")
    ex = spec.exits[i]
    if getattr(ex, m["field"]) is None:
        other = next(f for f in _SHARE_FIELDS if getattr(ex, f) is not None)
        raise config_error(where, path, f"this exit has {other}, not {m['field']}")
    if m["field"] == "monthly_shares" and sum(ex.monthly_shares) <= 0.0:
        raise config_error(
            where, path, "the curve's total is 0, and a draw scales the curve by its total"
        )
    return m["group"], m["state"], i, m["field"]


def check_uncertainty(config: Config) -> None:
    years, start = config.simulation.years, config.simulation.start_year
    components = component_names(config)
    for name in config.uncertainty.levels:
        if name not in components:
            raise config_error(
                f"uncertainty.levels.{name}",
                name,
                f"names no component of the config (components: {sorted(components)})",
            )
    for path in config.uncertainty.shares:
        share_target(config, path)
    for i, pol in enumerate(config.policy):
        if pol.component not in components:
            raise config_error(
                f"policy[{i}].component",
                pol.component,
                f"names no component of the config (components: {sorted(components)})",
            )
        if not start <= pol.from_year < start + years:
            raise config_error(
                f"policy[{i}].from_year",
                pol.from_year,
                f"year outside the horizon {start}–{start + years - 1}",
            )


def check_labels(config: Config) -> None:
    """Every ``[labels]`` key names a group, state or component of the config."""
    known = set(config.groups) | set(config.state_names) | component_names(config)
    for key, text in config.labels.items():
        if key not in known:
            raise config_error(
                f"labels.{key}",
                text,
                "names no group, state or component of the config (groups: "
                f"{sorted(config.groups)}; states: {list(config.state_names)}; components: "
                f"{sorted(component_names(config))})",
            )


def check_households(config: Config) -> None:
    """``per_household`` names components of its own group, and only a household group's."""
    for gname, group in config.groups.items():
        path = f"groups.{gname}.per_household"
        named = group.household_components
        if named and group.members is None:
            raise config_error(
                path,
                group.per_household,
                "is for household groups: give the group members (e.g. members = "
                "{ adult = 2, child = 3 }), or leave per_household out for single persons",
            )
        own = {c for flows in (group.costs, group.revenue) for a in flows.values() for c in a}
        own |= set(group.payments) | set(group.scheduled_costs)
        for i, name in enumerate(named):
            if name not in own:
                raise config_error(
                    f"{path}[{i}]",
                    name,
                    f"names no component of group {gname!r} (its components: {sorted(own)})",
                )
            if name in named[:i]:
                raise config_error(f"{path}[{i}]", name, "is named twice")


def check_semantics(config: Config) -> None:
    years = config.simulation.years
    start = config.simulation.start_year
    groups = config.groups
    mix = config.arrivals.mix
    check_states(config)
    check_labels(config)
    check_care(config)
    check_households(config)

    for name in mix:
        if name not in groups:
            raise config_error(
                f"arrivals.mix.{name}", mix[name], f"names no group (groups: {sorted(groups)})"
            )
    for name in groups:
        if name not in mix:
            raise config_error(
                "arrivals.mix",
                dict(mix),
                f"must give a share for every group; add {name} = 0.0 if none arrive",
            )
    total = sum(mix.values())
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise config_error(
            "arrivals.mix", dict(mix), f"shares must sum to 1 (they sum to {total:g})"
        )

    per_year = config.arrivals.per_year
    counts = per_year if isinstance(per_year, list) else [per_year] * years
    if isinstance(per_year, list) and len(per_year) > years:
        raise config_error(
            "arrivals.per_year", per_year, f"has more entries than simulation.years = {years}"
        )
    if config.arrivals.distribution == "fixed":
        for i, n in enumerate(counts):
            if n != math.floor(n):
                path = (
                    f"arrivals.per_year[{i}]" if isinstance(per_year, list) else "arrivals.per_year"
                )
                raise config_error(path, n, "fixed arrivals are whole persons")
    if config.arrivals.distribution != "negative_binomial" and config.arrivals.cv is not None:
        raise config_error(
            "arrivals.cv",
            config.arrivals.cv,
            "is only used with distribution = 'negative_binomial'",
        )
    if config.arrivals.distribution == "negative_binomial":
        cv = config.arrivals.cv
        if cv is None:
            raise config_error(
                "arrivals.cv",
                cv,
                "is required with distribution = 'negative_binomial' (the CV of a year's count)",
            )
        for i, n in enumerate(counts):
            if n > 0 and cv * cv <= 1.0 / n:
                raise config_error(
                    "arrivals.cv",
                    cv,
                    f"must exceed the Poisson CV 1/sqrt(per_year) = {1 / math.sqrt(n):.4g} "
                    f"of year {start + i} (use distribution = 'poisson' for less spread)",
                )

    for side in ("revenue", "costs"):
        for comp, amount in getattr(config.fixed, side).items():
            if isinstance(amount, list) and len(amount) > years:
                raise config_error(
                    f"fixed.{side}.{comp}",
                    amount,
                    f"has more entries than simulation.years = {years}",
                )

    for gname, group in groups.items():
        base = f"groups.{gname}"
        for sname, spec in group.states.items():
            spath = f"{base}.states.{sname}"
            if sname == "relocated":
                raise config_error(spath, sname, "'relocated' is absorbing and takes no exits")
            for i, ex in enumerate(spec.exits):
                if ex.to == sname:
                    raise config_error(
                        f"{spath}.exits[{i}].to", ex.to, "an exit leads to another state"
                    )
                if spec.max_months is not None and ex.last_month > spec.max_months:
                    raise config_error(
                        f"{spath}.exits[{i}]",
                        ex.last_month,
                        f"is timed after max_months = {spec.max_months}",
                    )
            if spec.on_expiry is not None and sname in spec.on_expiry:
                raise config_error(
                    f"{spath}.on_expiry.{sname}",
                    spec.on_expiry[sname],
                    "expiry leads to another state",
                )
        for side in ("costs", "revenue"):
            flows = getattr(group, side)
            if RESIDENT in flows:
                for state in flows:
                    if state != RESIDENT and state != RELOCATED_STATE:
                        clash = set(flows[state]) & set(flows[RESIDENT])
                        if clash:
                            raise config_error(
                                f"{base}.{side}.{state}.{sorted(clash)[0]}",
                                flows[state][sorted(clash)[0]],
                                "is also given for 'resident' (which covers every state but "
                                "relocated); give it in one place",
                            )
        schedules = [("payments", c, p) for c, p in group.payments.items()]
        schedules += [("scheduled_costs", c, p) for c, p in group.scheduled_costs.items()]
        schedules += [
            ("scheduled_revenue", c, p) for c, p in (group.scheduled_revenue or {}).items()
        ]
        for table, comp, pay in schedules:
            ppath = f"{base}.{table}.{comp}"
            if pay.amount_by_arrival_year is not None:
                for key in pay.amount_by_arrival_year:
                    if not int(key) < start + years:  # earlier years: the population's (§11)
                        raise config_error(
                            f"{ppath}.amount_by_arrival_year.{key}",
                            pay.amount_by_arrival_year[key],
                            f"year after the horizon {start}–{start + years - 1}",
                        )
                first = min(int(y) for y in pay.amount_by_arrival_year)
                for i, n in enumerate(counts):
                    if n > 0 and start + i < first:
                        raise config_error(
                            f"{ppath}.amount_by_arrival_year",
                            pay.amount_by_arrival_year,
                            f"gives no amount for arrival year {start + i} "
                            "(a level holds from its year on; list an earlier year)",
                        )
            if pay.by_calendar_year is not None and len(pay.by_calendar_year) > years:
                raise config_error(
                    f"{ppath}.by_calendar_year",
                    pay.by_calendar_year,
                    f"has more parts than simulation.years = {years}",
                )
