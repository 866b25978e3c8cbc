"""``balanskonto validate``: check a config and show what its exits imply."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from .._format import number, pct
from .._format import table as _table
from .language import component, group, labels_of, lang, say, state, tr

if TYPE_CHECKING:
    from ..config.schema import Config
    from ..model.compiled import CompiledModel

#: The default states in the kernels' order (config.types.STATES; a test checks they agree);
#: a config's own are ``model.states``.
STATES = ("intro", "prolonged", "self_sufficient", "income_support", "relocated")


def _pct(x: float) -> str:
    return pct(x, lang())


def _key_months(config: Config, group: str, state: str) -> list[int]:
    spec = config.groups[group].states.get(state)
    months = {e.last_month for e in spec.exits} if spec else set()
    for e in spec.exits if spec else []:
        if e.monthly_shares is not None:  # a fitted curve: the usual months along it
            months.update(k for k in (6, 12, 18, 24, 36) if k < e.last_month)
    if spec and spec.max_months:
        months.add(spec.max_months)
    months.discard(0)
    return sorted(months) or [12, 24, 60]


def _state_table(model: CompiledModel, config: Config, g: int, s: int) -> str | None:
    """Cumulative shares leaving state s for each destination, by months since entering it."""
    from ..engines.expected import cumulative_exits

    if (model.stay[g, s] == 1.0).all():
        return None
    names = model.states
    months = _key_months(config, model.groups[g], names[s])
    cumulative, still = cumulative_exits(model, g, s, max(months))
    shown = [(d, cumulative[d - 1], still[d - 1]) for d in months]
    reached = [t for t in range(len(names)) if t != s and any(x[1][t] > 0 for x in shown)]
    labels = labels_of(config)
    header = [tr("month"), *[f"→{state(names[t], labels)}" for t in reached]]
    header.append(tr("still {state}", state=state(names[s], labels)))
    rows = [[str(d), *[_pct(cum[t]) for t in reached], _pct(a)] for d, cum, a in shown]
    return _table(header, rows)


def _reachable(model: CompiledModel, g: int) -> list[int]:
    """Non-absorbing states a person of group g can be in, from the start state on (by its
    exits, expiry and leaving care by age)."""
    import numpy as np

    seen, todo = set(), [int(model.start_state[g])]
    while todo:
        s = todo.pop()
        if s not in seen:
            seen.add(s)
            todo += [int(t) for t in np.flatnonzero(model.move[g, s].sum(axis=0) > 0)]
            if model.care_months[g] > 0 and model.care_state[g, s]:
                todo += [int(t) for t in np.flatnonzero(np.diff(model.care_cum[g], prepend=0.0))]
    return sorted(s for s in seen if s != model.relocated)


def _leaving_care(config: Config, gname: str, labels=None) -> str | None:
    """The line that says when a group with ``leaves_care`` leaves its care states, and where
    to (DESIGN §15): at the end of month 12 · (at_age − age_at_arrival) since arrival."""
    care = config.groups[gname].leaves_care
    if care is None:
        return None

    def age(x: float) -> str:
        return number(x, 0 if float(x).is_integer() else 1, lang())

    return tr(
        "{group}: leaves care ({states}) at {age} years, at the end of month {month} since "
        "arrival (arriving at {arrival_age} years): {to}",
        group=group(gname, labels),
        states=", ".join(state(s, labels) for s in care.states),
        age=age(care.at_age),
        month=care.months,
        arrival_age=age(care.age_at_arrival),
        to=", ".join(f"→{state(s, labels)} {_pct(x)}" for s, x in care.to.items()),
    )


def _cohort_table(model: CompiledModel, g: int, labels=None) -> str:
    from ..engines.expected import occupancy

    occ = occupancy(model, g)
    shown = {3, 6, 12, 18, 24, 36, 60, 120, int(model.care_months[g])}  # and leaving care
    months = [k for k in sorted(shown) if 0 < k < occ.shape[0]]
    rows = [[str(k), *[_pct(occ[k, s]) for s in range(len(model.states))]] for k in months]
    return _table([tr("month"), *(state(s, labels) for s in model.states)], rows)


def _cmd_validate(args: argparse.Namespace) -> int:
    from ..model.compiled import compile_model
    from ..simulation.run import load_config

    config = load_config(args.config)
    model = compile_model(config)
    labels = labels_of(config)
    say("{path}: valid. {title}", path=args.config, title=config.meta.title)
    sim = config.simulation
    say(
        "{years} years from {start}, {runs} runs, seed {seed}; components: {components}",
        years=sim.years,
        start=sim.start_year,
        runs=number(sim.runs, 0, lang()),
        seed=sim.seed,
        components=", ".join(component(c, labels) for c in model.components),
    )
    for g, gname in enumerate(model.groups):
        for s in _reachable(model, g):
            table = _state_table(model, config, g, s)
            if table:
                print()
                say(
                    "{group} / {state}: cumulative share of those entering it, by months since "
                    "entering",
                    group=group(gname, labels),
                    state=state(model.states[s], labels),
                )
                print(table)
        print()
        leaving = _leaving_care(config, gname, labels)
        if leaving:
            print(leaving)
        where = (
            "{group}: where an arriving household is, by months since arrival"
            if model.household[g]
            else "{group}: where an arriving person is, by months since arrival"
        )
        say(where, group=group(gname, labels))
        print(_cohort_table(model, g, labels))
    return 0


def add_parser(subparsers: Any) -> None:
    val = subparsers.add_parser("validate", help="check a config and show what its exits imply")
    val.add_argument("config")
    val.set_defaults(func=_cmd_validate)
