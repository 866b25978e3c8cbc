"""The fitted config as TOML (tomlkit, so that the base config's comments and other tables
survive), and the population at the as-of month (DESIGN §11) from the open spells."""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import tomlkit

from ..config.reading import parse_config
from ..config.schema import Config
from ..config.spells import Spells, format_month
from .fitting import FittedExit, FittedState

POPULATION_COLUMNS = ("arrival", "group", "state", "months_in_state", "count")


# --------------------------------------------------------------------------------------
# Population at the as-of month
# --------------------------------------------------------------------------------------
def population_rows(spells: Spells) -> list[tuple[str, str, str, int, int]]:
    """Who is where after the as-of month: every open spell (relocated included) as
    ``(arrival, group, state, months_in_state, count)``, persons with the same values
    counted together, in order of arrival, group, state and months.

    ``months_in_state`` is ``as_of − start + 1``, the months completed in the state (0 for
    a person who moved at the end of the as-of month)."""
    counts = Counter(
        (format_month(sp.arrival), sp.group, sp.state, spells.as_of - sp.start + 1)
        for sp in spells.spells
        if sp.end is None
    )
    return [(*key, n) for key, n in sorted(counts.items())]


def population_csv(rows: list[tuple[str, str, str, int, int]]) -> str:
    lines = [",".join(POPULATION_COLUMNS), *(",".join(map(str, r)) for r in rows)]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------
# The fitted config
# --------------------------------------------------------------------------------------
def _number(x: float) -> str:
    text = f"{x:.9f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _marks(base: Config, fs: FittedState) -> dict[str, str]:
    """The base config's ``labour_market`` markings of the state's moves, by destination
    (kept by the fitted exits and split: which moves are work is not in the extract)."""
    spec = base.groups[fs.group].states.get(fs.state)
    if spec is None:
        return {}
    marks = {e.to: e.labour_market for e in spec.exits if e.labour_market is not None}
    return {**marks, **spec.expiry_marks}


def _exit_text(path: str, ex: FittedExit, mark: str | None = None) -> str:
    lines = [f"# → {ex.to}: {ex.note}", f"[[{path}.exits]]", f'to = "{ex.to}"']
    if mark is not None:
        lines.append(f'labour_market = "{mark}"')
    for key, value in ex.fields.items():
        if key == "monthly_shares":
            lines.append("monthly_shares = [")
            for i in range(0, len(value), 6):
                chunk = ", ".join(_number(v) for v in value[i : i + 6])
                last = min(i + 6, len(value))
                lines.append(f"  {chunk},  # months {i + 1}–{last}")
            lines.append("]")
        elif isinstance(value, int):
            lines.append(f"{key} = {value}")
        else:
            lines.append(f"{key} = {_number(value)}")
    return "\n".join(lines)


def _state_text(fs: FittedState, persons_note: str, marks: dict[str, str] | None = None) -> str:
    path = f"groups.{fs.group}.states.{fs.state}"
    inc = fs.incidence
    assert inc is not None
    head = [
        f"[{path}]",
        f"# Fitted by balanskonto kalibrera from {inc.entered} entries of {inc.persons} "
        f"persons{persons_note};",
        f"# the curves cover months 1–{fs.covered} (at least 10 at risk).",
    ]
    head += [f"# NB: {note}" for note in fs.notes]
    if fs.max_months is not None:
        head.append(f"max_months = {fs.max_months}")
        marks = marks or {}

        def target(k: str, v: float) -> str:
            if marks.get(k) in ("work", "none"):
                return f'{k} = {{ share = {_number(v)}, labour_market = "{marks[k]}" }}'
            return f"{k} = {_number(v)}"

        split = ", ".join(target(k, v) for k, v in (fs.on_expiry or {}).items())
        head.append(f"on_expiry = {{ {split} }}")
    if not fs.exits:
        head.append("exits = []  # no exit in the extract's months covered")
    exits = "\n\n".join(_exit_text(path, e, (marks or {}).get(e.to)) for e in fs.exits)
    return "\n".join(head) + "\n\n" + exits + "\n"


def _table_at(doc: Any, *keys: str) -> Any:
    node = doc
    for key in keys:
        if key not in node:
            node[key] = tomlkit.table(is_super_table=True)
        node = node[key]
    return node


_FITTED_PATH = re.compile(r"^groups\.(?P<g>\w+)\.(?:states\.(?P<s>\w+)\.|relocation\.)")


def fitted_toml(
    base_text: str,
    base: Config,
    states: list[FittedState],
    as_of: int,
    population_file: str,
    header: str,
    population: list[tuple[str, str, str, int, int]] | None = None,
    notes: list[str] | None = None,
) -> str:
    """The base config's text with the fitted states, their uncertainty and the population.

    Per group with a fitted state, the group's ``relocation`` hazard goes (the extract's
    moves are exits of each fitted state) and becomes an explicit exit of every kept state.
    ``[uncertainty.shares]`` entries on what was refitted are replaced by the fitted ones.
    A payment's ``amount_by_arrival_year`` without a level for the population's earliest
    arrival year gets its earliest level from that year on, flagged as an assumption (the
    parts still due need an amount); ``notes`` (if given) collects such flags.
    """
    notes = [] if notes is None else notes
    population = population or []
    doc = tomlkit.parse(base_text)
    fitted = [fs for fs in states if fs.status != "kept"]
    refitted_groups = {fs.group for fs in fitted}
    removed = {(fs.group, fs.state) for fs in fitted}
    for gname in sorted(refitted_groups):
        group = base.groups[gname]
        if group.relocation is None:
            continue
        del doc["groups"][gname]["relocation"]
        removed.add((gname, None))
        p = group.relocation.annual_probability
        for fs in states:
            if fs.group == gname and fs.status == "kept":
                table = _table_at(doc, "groups", gname, "states", fs.state)
                if "exits" not in table:
                    table["exits"] = tomlkit.array()
                table["exits"].append({"to": "relocated", "annual_probability": p})
                table["exits"].comment(
                    "relocation: the base config's group hazard, now one exit of each state"
                )
    for fs in fitted:
        note = "" if fs.status == "fitted" else f" (all groups: {fs.group} had too few)"
        fragment = tomlkit.parse(_state_text(fs, note, _marks(base, fs)))
        _table_at(doc, "groups", fs.group, "states")[fs.state] = fragment["groups"][fs.group][
            "states"
        ][fs.state]
    _uncertainty(doc, base, fitted, removed)
    notes += _earlier_levels(doc, base, population)
    sim = doc["simulation"]
    if base.simulation.start_year <= as_of // 12:
        sim["start_year"] = as_of // 12 + 1
        sim["start_year"].comment(
            f"the year after --as-of {format_month(as_of)}, where the population starts "
            f"(the base config said {base.simulation.start_year})"
        )
    pop = tomlkit.table()
    pop.add(tomlkit.comment(f"Who is where after {format_month(as_of)}: the extract's open "))
    pop.add(tomlkit.comment("spells (DESIGN §11), counted by arrival, group, state, months."))
    if as_of % 12 != 11:
        pop.add(tomlkit.comment(f"NB: {format_month(as_of)} is not a December; the population "))
        pop.add(tomlkit.comment("is read as the start of start_year all the same."))
    pop["file"] = population_file
    doc["population"] = pop
    return header + tomlkit.dumps(doc)


def _earlier_levels(
    doc: Any, base: Config, population: list[tuple[str, str, str, int, int]]
) -> list[str]:
    """Give every payment by arrival year a level for the population's earliest arrival."""
    notes = []
    for gname, group in base.groups.items():
        years = [int(r[0][:4]) for r in population if r[1] == gname]
        for comp, pay in group.payments.items():
            if pay.amount_by_arrival_year is None or not years:
                continue
            first = min(int(y) for y in pay.amount_by_arrival_year)
            if min(years) >= first:
                continue
            level = pay.amount_by_arrival_year[str(first)]
            table = doc["groups"][gname]["payments"][comp]["amount_by_arrival_year"]
            table[str(min(years))] = level
            text = (
                f"ASSUMPTION: the {first} level {level:g} also for arrivals {min(years)}–"
                f"{first - 1} (the population's; the base config has no level for them)"
            )
            doc["groups"][gname]["payments"][comp]["amount_by_arrival_year"].comment(f"NB: {text}")
            notes.append(f"groups.{gname}.payments.{comp}.amount_by_arrival_year: {text}")
    return notes


def _uncertainty(
    doc: Any, base: Config, fitted: list[FittedState], removed: set[tuple[str, str | None]]
) -> None:
    entries = []
    for fs in fitted:
        for i, ex in enumerate(fs.exits):
            if ex.uncertainty is not None:
                name, mean, sd = ex.uncertainty
                path = f"groups.{fs.group}.states.{fs.state}.exits[{i}].{name}"
                entries.append((path, mean, sd))
    stale = []
    for path in base.uncertainty.shares:
        m = _FITTED_PATH.match(path)
        if m and (m["g"], m["s"]) in removed:
            stale.append(path)
    if not entries and not stale:
        return
    shares = _table_at(doc, "uncertainty", "shares")
    for path in stale:
        del shares[path]
    if stale:
        shares.add(tomlkit.comment(f"replaced by the fit: {', '.join(stale)}"))
    if entries:
        shares.add(tomlkit.comment("sampling uncertainty of the fitted exits (beta, mean ± sd)"))
    for path, mean, sd in entries:
        entry = tomlkit.inline_table()
        entry.update({"mean": mean, "sd": sd})
        shares[path] = entry


def fitted_config(text: str, population_text: str, population_file: str) -> Config:
    """Validate the fitted TOML as a config, with its population CSV (as ``read_config``
    would read the two files side by side)."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / population_file).write_text(population_text, encoding="utf-8")
        return parse_config(text, base=Path(tmp))
