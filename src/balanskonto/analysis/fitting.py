"""Exits fitted to the cumulative incidence of each state (:mod:`.calibration`): a
``monthly_shares`` curve that holds the estimate exactly, or a parametric summary where
one stays within the confidence band, with the sampling uncertainty of each.

The rules, per group and state of the base config:

- **Cells.** A state entered by fewer than ``min_persons`` persons of the group is estimated
  from the spells of every group together (*pooled*, flagged); if those are still too few,
  or the state is not in the extract, the base config's exits are *kept* (flagged).
- **Months covered.** The curves run to the last month with at least ``min_at_risk`` persons
  at risk; after it the estimate rests on too few persons to be used. With the base's
  ``max_months = D`` (and no spell longer), the curves stop at D − 1 and ``on_expiry`` is
  refitted from the exits at month D (kept from the base, flagged, if fewer than
  ``min_at_risk`` reach it); a spell longer than D drops ``max_months`` (flagged).
- **Form.** Every exit starts as its curve. Then, destination by destination (largest
  first), a summary replaces the curve where the fitted state's implied cumulative incidence
  stays inside the pointwise band at every month covered, for every exit: a constant hazard
  ``annual_probability`` (events over person-months at risk), or ``share`` spread evenly
  ``within_months`` (share = the estimate at the last month covered; the best W). Of the two,
  the one closer to the estimate (largest deviation, in band half-widths) is taken. A summary
  reads like a target and a hazard goes on after the data end; a curve stops there.
- **Uncertainty.** Each exit's sampling uncertainty as a beta ``{ mean, sd }`` for
  ``[uncertainty.shares]``: the share or the curve's total with the Aalen–Johansen standard
  error at the last month covered, a hazard's annual probability with the delta-method
  standard error of events / person-months.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..config.errors import ConfigError
from ..config.schema import Config
from ..config.types import STATES
from ..model.transitions import EXIT_AT, EXIT_HAZARD, EXIT_WITHIN, state_q
from .calibration import Entries, Incidence, aalen_johansen

DIGITS = 9  # decimals of a written mass (rounded down, so a month never takes too much)


@dataclass(frozen=True)
class FittedExit:
    to: str
    form: str  # "monthly_shares", "annual_probability" or "within_months"
    fields: dict  # the exit's keys besides ``to``, as written
    uncertainty: tuple[str, float, float] | None  # (field, mean, sd) of a beta, or None
    note: str


@dataclass
class FittedState:
    group: str
    state: str
    status: str  # "fitted", "pooled" (estimated with every group's spells) or "kept"
    incidence: Incidence | None
    covered: int  # months the curves cover
    max_months: int | None
    on_expiry: dict[str, float] | None
    exits: list[FittedExit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: int = 0  # the last month the fitted exits were checked against the band
    joint_level: float = 0.0  # pointwise level of the simultaneous band of the check

    def fitted_at(self, month: int) -> bool:
        """Whether the fitted exits rest on the estimate at ``month`` (enough at risk)."""
        return month <= self.covered or (self.checked == month == self.max_months)


# --------------------------------------------------------------------------------------
def _floor(x: float) -> float:
    return math.floor(max(x, 0.0) * 10**DIGITS) / 10**DIGITS


def implied(rows: np.ndarray, max_months: int, expiry: np.ndarray, months: int) -> np.ndarray:
    """Cumulative incidence ``[months, S]`` of a state with exit ``rows`` (the compiled form,
    ``[to, kind, months, value]``), as the model compiles and propagates it. Raises
    ConfigError where the exits need more than is left."""
    n_rows = max(months, max_months, int(rows[:, 2].max(initial=0))) + 1
    q = state_q(rows, max_months, n_rows, "?", "?", len(expiry))
    if max_months:
        q[max_months - 1] += max(1.0 - q[max_months - 1].sum(), 0.0) * expiry
    S = len(expiry)  # the config's states
    out = np.zeros((months, S))
    left, alive = np.zeros(S), 1.0
    for d in range(months):
        row = q[min(d, n_rows - 1)]
        left = left + alive * row
        alive *= max(1.0 - row.sum(), 0.0)
        out[d] = left
    return out


def deviation(
    model: np.ndarray,
    inc: Incidence,
    months: list[int],
    dests: list[int],
    band: tuple[np.ndarray, np.ndarray],
) -> float:
    """Largest distance of ``model`` from the estimate over ``months`` and ``dests``, in
    half-widths of ``band`` on its side (≤ 1: inside the band everywhere)."""
    k = np.array(months) - 1
    est, got = inc.cumulative[k][:, dests], model[k][:, dests]
    lo, hi = band[0][k][:, dests], band[1][k][:, dests]
    width = np.where(got >= est, hi - est, est - lo)
    gap = np.abs(got - est)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(gap <= 1e-9, 0.0, np.where(width > 0, gap / width, np.inf))
    return float(d.max(initial=0.0))


def _first_out(model: np.ndarray, inc: Incidence, months: list[int], dests: list[int],
               band: tuple[np.ndarray, np.ndarray]) -> int:  # fmt: skip
    for m in months:
        if deviation(model, inc, [m], dests, band) > 1.0:
            return m
    return 0


def simultaneous_level(level: float, checks: int) -> float:
    """The pointwise level of a Bonferroni band that holds at ``checks`` points at once with
    probability at least ``level``."""
    return 1.0 - (1.0 - level) / max(checks, 1)


def _curve_rows(j: int, inc: Incidence, covered: int) -> np.ndarray:
    masses = np.diff(np.r_[0.0, inc.cumulative[:covered, j]])
    return np.array([(j, EXIT_AT, k + 1, _floor(m)) for k, m in enumerate(masses)])


def _beta(mean: float, sd: float) -> tuple[float, float] | None:
    """A beta's (mean, sd), rounded, where one exists (0 < mean < 1, sd² < mean(1 − mean))."""
    mean, sd = round(mean, 6), round(sd, 6)
    if not 0 < mean < 1 or sd <= 0 or sd**2 >= mean * (1 - mean):
        return None
    return mean, sd


def fit_state(
    inc: Incidence,
    covered: int,
    max_months: int,
    expiry: np.ndarray,
    refit_expiry: bool = True,
    states: tuple[str, ...] = STATES,
) -> tuple[list[FittedExit], int, float]:
    """The exits of one state (the module's rules), the last month checked (the expiry
    month ``max_months`` too where ``on_expiry`` was refitted) and the pointwise level of
    the simultaneous band they were checked against."""
    dests = [j for j in range(len(states)) if inc.events[:covered, j].sum() > 0]
    dests.sort(key=lambda j: -inc.cumulative[covered - 1, j])
    checked = list(range(1, covered + 1)) + ([max_months] if max_months and refit_expiry else [])
    checked = [m for m in checked if m <= inc.months and inc.at_risk[m - 1] > 0]
    rows = {j: _curve_rows(j, inc, covered) for j in dests}
    chosen = dict.fromkeys(dests, "monthly_shares")
    notes: dict[int, str] = {}
    exposure = float(inc.at_risk[:covered].sum())
    joint = simultaneous_level(inc.level, len(checked) * len(dests))
    band = inc.band(joint)
    hazards: dict[int, tuple[float, float]] = {}

    def model_of(candidate: dict[int, np.ndarray]) -> np.ndarray | None:
        stacked = np.concatenate([candidate[j] for j in dests]) if dests else np.zeros((0, 4))
        try:
            return implied(stacked, max_months, expiry, max(checked, default=1))
        except ConfigError:
            return None

    for j in dests:
        h = inc.events[:covered, j].sum() / exposure
        p = 1.0 - (1.0 - h) ** 12
        hazards[j] = (p, 12 * (1 - h) ** 11 * math.sqrt(h * (1 - h) / exposure))
        share = _floor(inc.cumulative[covered - 1, j])
        k = np.arange(1, covered + 1)
        err = [np.abs(share * np.minimum(k, w) / w - inc.cumulative[:covered, j]).max()
               for w in range(1, covered + 1)]  # fmt: skip
        w = int(np.argmin(err)) + 1
        options = {
            "annual_probability": np.array([(j, EXIT_HAZARD, 0, round(p, DIGITS))]),
            "within_months": np.array([(j, EXIT_WITHIN, w, share)]),
        }
        scores, outside = {}, {}
        for form, candidate_rows in options.items():
            model = model_of({**rows, j: candidate_rows})
            if model is None:
                outside[form] = "over-subscribes the state"
                continue
            dev = deviation(model, inc, checked, dests, band)
            if dev <= 1.0:
                scores[form] = dev
            else:
                first = _first_out(model, inc, checked, dests, band)
                outside[form] = f"leaves the band at month {first}"
        if scores:
            best = min(scores, key=scores.get)
            rows[j], chosen[j] = options[best], best
            notes[j] = (
                f"{best}: inside the simultaneous {inc.level:.0%} band at months "
                f"1–{checked[-1]} (at most {scores[best]:.2f} of its half-width away)"
            )
        else:
            why = "; ".join(f"{f} {t}" for f, t in outside.items())
            notes[j] = f"the curve (no summary fits: {why})"
    exits = []
    for j in dests:
        r, sd_total = rows[j], math.sqrt(inc.variance[covered - 1, j])
        if chosen[j] == "monthly_shares":
            fields = {"monthly_shares": [float(x) for x in r[:, 3]]}
            unc = _beta(float(r[:, 3].sum()), sd_total)
        elif chosen[j] == "annual_probability":
            fields = {"annual_probability": float(r[0, 3])}
            unc = _beta(*hazards[j])
        else:
            fields = {"share": float(r[0, 3]), "within_months": int(r[0, 2])}
            unc = _beta(float(r[0, 3]), sd_total)
        field_name = "share" if chosen[j] == "within_months" else chosen[j]
        exits.append(
            FittedExit(states[j], chosen[j], fields, (field_name, *unc) if unc else None, notes[j])
        )
    return exits, max(checked, default=0), joint


def _longest(cell: Entries) -> int:
    """Months of the longest stay, counting an open one as lasting past its length."""
    open_ = cell.months + (cell.to < 0)
    return int(open_.max(initial=0))


def fit_states(
    cells: dict[tuple[str, str], Entries],
    base: Config,
    min_persons: int = 10,
    min_at_risk: int = 10,
    level: float = 0.95,
) -> list[FittedState]:
    """Every group and state (but relocated) of ``base``, fitted, pooled or kept."""
    out = []
    states = base.state_names
    for gname, group in base.groups.items():
        for sname in states[:-1]:
            spec = group.states.get(sname)
            base_mm = spec.max_months if spec is not None else None
            base_expiry = spec.expiry_shares if spec is not None and spec.on_expiry else None
            own = cells.get((gname, sname))
            pooled = [c for (g, s), c in cells.items() if s == sname]
            fs = FittedState(gname, sname, "kept", None, 0, base_mm, base_expiry)
            out.append(fs)
            if own is None:
                fs.notes.append(f"kept from the base config: no {gname} entered {sname}")
                continue
            if own.persons >= min_persons:
                cell, fs.status = own, "fitted"
            elif sum(c.persons for c in pooled) >= min_persons:
                cell, fs.status = sum(pooled[1:], pooled[0]), "pooled"
                fs.notes.append(
                    f"pooled: {own.persons} person(s) of {gname} entered "
                    f"{sname} (fewer than {min_persons}); estimated from all groups' "
                    f"{cell.persons} persons"
                )
            else:
                seen = (own.persons, sum(c.persons for c in pooled))
                fs.notes.append(
                    f"kept from the base config: {seen[0]} person(s) of {gname} and {seen[1]} "
                    f"of all groups entered {sname} in the extract (fewer than {min_persons})"
                )
                continue
            if base_mm is not None and _longest(cell) > base_mm:
                fs.notes.append(
                    f"max_months = {base_mm} dropped: the extract has stays in {sname} longer "
                    f"than {base_mm} months"
                )
                fs.max_months, fs.on_expiry = None, None
            inc = aalen_johansen(cell, level=level)
            fs.incidence = inc
            covered = inc.reliable_months(min_at_risk)
            mm, refit = fs.max_months or 0, False
            if mm:
                covered = min(covered, mm - 1)
                reached = int(inc.at_risk[mm - 1]) if mm <= inc.months else 0
                if reached >= min_at_risk:
                    d = inc.events[mm - 1]
                    fs.on_expiry = {states[t]: round(d[t] / d.sum(), 6) for t in np.flatnonzero(d)}
                    _close_to_one(fs.on_expiry)
                    refit = True
                else:
                    fs.notes.append(
                        f"on_expiry kept from the base config: {reached} person(s) reached "
                        f"month {mm} (fewer than {min_at_risk})"
                    )
            if covered < 1:
                fs.status = "kept"
                fs.notes.append(f"kept from the base config: fewer than {min_at_risk} at risk")
                fs.max_months, fs.on_expiry = base_mm, base_expiry
                continue
            fs.covered = covered
            last = inc.reliable_months(min_at_risk)
            if last < (mm - 1 if mm else inc.months):
                fs.notes.append(
                    f"estimated through month {covered}: fewer than {min_at_risk} at risk after it"
                )
            expiry = np.zeros(len(states))
            for t, x in (fs.on_expiry or {}).items():
                expiry[states.index(t)] = x
            fs.exits, fs.checked, fs.joint_level = fit_state(
                inc, covered, mm, expiry, refit, states
            )
    return out


def _close_to_one(split: dict[str, float]) -> None:
    """Make rounded shares sum to 1 exactly (the largest takes the rounding)."""
    if split:
        top = max(split, key=split.get)
        split[top] = round(1.0 - sum(v for k, v in split.items() if k != top), 6)
