"""A config's states (DESIGN §15): every place that names a state checked against them, and
which exits the labour-market factor shifts.

Without ``[states]`` a config has the default states (:data:`~.types.STATES`); with it, the
states it lists, in order, and ``relocated`` last (absorbing, never declared with exits).
"""

from __future__ import annotations

from .errors import config_error
from .schema import Config
from .types import RELOCATED_STATE, RESIDENT

#: The default markings (today's model): finding work is a move to ``self_sufficient``, and
#: the relapse is the move from it to ``income_support``.
WORK_STATE, SUPPORT_STATE = "self_sufficient", "income_support"


def _allowed(states: tuple[str, ...] | list[str]) -> str:
    return ", ".join(repr(s) for s in states)


def _not_a_state(path: str, value: str, states: tuple[str, ...] | list[str]) -> Exception:
    return config_error(path, value, f"not a state of the config (states: {_allowed(states)})")


def check_state_table(config: Config) -> None:
    """The ``[states]`` table itself: ``resident`` is not a state, ``relocated`` is last."""
    if config.states is None:
        return
    names = list(config.states)
    for i, name in enumerate(names):
        if name == RESIDENT:
            raise config_error(
                f"states.{name}",
                name,
                "'resident' stands for every state but relocated in costs and revenue and "
                "cannot be a state's name",
            )
        if name == RELOCATED_STATE and i != len(names) - 1:
            raise config_error(
                f"states.{name}",
                name,
                "'relocated' is always the last state; list it last or leave it out (it is added)",
            )
    if len(config.state_names) < 2:
        raise config_error("states", names, "needs at least one state besides 'relocated'")


def check_states(config: Config) -> None:
    """Every state a group names (its start, its states' tables, exits and expiry splits,
    its costs and revenue by state) is one of the config's states, and the labour-market
    markings are unambiguous. Raises a ConfigError naming the dotted path."""
    check_state_table(config)
    states = config.state_names
    for gname, group in config.groups.items():
        base = f"groups.{gname}"
        if group.start not in states:
            raise _not_a_state(f"{base}.start", group.start, states[:-1])
        for sname, spec in group.states.items():
            spath = f"{base}.states.{sname}"
            if sname == RELOCATED_STATE:
                raise config_error(spath, sname, "'relocated' is absorbing and takes no exits")
            if sname not in states:
                raise _not_a_state(spath, sname, states[:-1])
            for i, ex in enumerate(spec.exits):
                if ex.to not in states:
                    raise _not_a_state(f"{spath}.exits[{i}].to", ex.to, states)
            for to in spec.on_expiry or {}:
                if to not in states:
                    raise _not_a_state(f"{spath}.on_expiry.{to}", to, states)
            labour_destinations(config, gname, sname)
        for side in ("costs", "revenue"):
            for state in getattr(group, side):
                if state != RESIDENT and state not in states:
                    raise _not_a_state(f"{base}.{side}.{state}", state, [*states, RESIDENT])


def labour_destinations(config: Config, gname: str, sname: str) -> tuple[str | None, str | None]:
    """(work, relapse): the destination of the moves from state ``sname`` of group ``gname``
    that the labour-market factor shifts as finding work, and the one it shifts the other way
    (``relapse_effect``); None where there is none.

    An exit or on_expiry destination marked ``labour_market = "work"`` (``"relapse"``, exits
    only) is one; unmarked, a move to ``self_sufficient`` is work and one from it to
    ``income_support`` a relapse (the default states' meaning). The factor acts on the move
    to a destination, so the exits of a state to one destination agree, and a state has at
    most one work and one relapse destination.

    Raises
    ------
    ConfigError
        Naming the exit or on_expiry target whose marking clashes.
    """
    spec = config.groups[gname].states.get(sname)
    if spec is None:
        return None, None
    spath = f"groups.{gname}.states.{sname}"
    marks: dict[str, tuple[str, str]] = {}  # destination → (marking, where it was given)
    marked = [(f"{spath}.exits[{i}]", e.to, e.labour_market) for i, e in enumerate(spec.exits)]
    marked += [(f"{spath}.on_expiry.{to}", to, m) for to, m in spec.expiry_marks.items()]
    for where, to, mark in marked:
        if mark is None:
            continue
        if mark != "none" and to == RELOCATED_STATE:
            raise config_error(
                f"{where}.labour_market", mark, "a move to 'relocated' is not a labour-market move"
            )
        if to in marks and marks[to][0] != mark:
            raise config_error(
                f"{where}.labour_market",
                mark,
                f"{marks[to][1]} to {to!r} is marked {marks[to][0]!r}: the labour-market factor "
                "acts on the move to a destination, so mark every exit to it alike",
            )
        marks[to] = (mark, where)
    found: dict[str, list[str]] = {"work": [], "relapse": []}
    for to in dict.fromkeys([e.to for e in spec.exits] + list(spec.on_expiry or {})):
        mark = marks[to][0] if to in marks else _default_mark(sname, to)
        if mark in found:
            found[mark].append(to)
    for mark, dests in found.items():
        if len(dests) > 1:
            raise config_error(
                f"{spath}.exits",
                dests,
                f"the moves to {_allowed(dests)} are all {mark!r} for the labour-market "
                f"factor; a state has at most one {mark} destination (mark the others "
                'labour_market = "none")',
            )
    return (found["work"] or [None])[0], (found["relapse"] or [None])[0]


def _default_mark(sname: str, to: str) -> str:
    if to == WORK_STATE:
        return "work"
    if sname == WORK_STATE and to == SUPPORT_STATE:
        return "relapse"
    return "none"
