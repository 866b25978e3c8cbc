"""Cumulative incidence of the exits of a state from case spells: the Aalen–Johansen
estimator in discrete (monthly) time, with right-censoring and competing exits.

Every spell of a person in a state is one entry into it: ``months`` in the state and the
state it went to, or censored. A closed spell left at the end of its last month; an open
spell is censored at its length ``as_of − start + 1`` (the person was still there after the
as-of month), so it is at risk in its last month and has no event there. Months are
discrete and events tied by construction: the estimator treats the ``d`` exits of a month
together (no jitter), which is the exact discrete-time form.

With ``n_k`` at risk in month k, ``d_jk`` exits to j at its end and ``d_k = Σ_j d_jk``:

    S(k) = Π_{m ≤ k} (1 − d_m / n_m)                    (still in the state after k months)
    F_j(k) = Σ_{m ≤ k} S(m − 1) · d_jm / n_m             (cumulative incidence of exit j)

The variance is the delta-method (Greenwood-type) estimate of Marubini & Valsecchi (1995)
and Collett (2015, §12.3; the one lifelines' ``AalenJohansenFitter`` implements):

    Var F_j(k) = Σ_{m ≤ k} [F_j(k) − F_j(m)]² d_m / (n_m (n_m − d_m))
               + Σ_{m ≤ k} S(m − 1)² d_jm (n_m − d_jm) / n_m³
               − 2 Σ_{m ≤ k} [F_j(k) − F_j(m)] S(m − 1) d_jm / n_m²

(a month that empties the risk set, ``n_m = d_m``, contributes 0 to the first and last sums:
nothing is left to change ``F_j`` after it). The band is pointwise, on the
``log(−log F)`` scale so that it stays in [0, 1]; where ``F_j = 0`` (no exit to j yet) the
upper bound is the exact binomial one for no event among the persons whose outcome by k is
known, ``1 − (α/2)^(1/n)``, and symmetrically where ``F_j = 1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..config.spells import Spells
from ..config.types import STATES

N_STATES = len(STATES)
CENSORED = -1


@dataclass(frozen=True)
class Entries:
    """Entries into one state of one group: months observed in it, and where each went."""

    months: np.ndarray  # int64 [n]: months in the state (0 for one entered after as-of)
    to: np.ndarray  # int64 [n]: state code of the exit, CENSORED for an open spell
    persons: int  # distinct persons among the entries
    n_states: int = N_STATES  # the config's states (codes 0 … n_states − 1)

    @property
    def entered(self) -> int:
        return len(self.months)

    def __add__(self, other: Entries) -> Entries:
        return Entries(
            np.concatenate([self.months, other.months]),
            np.concatenate([self.to, other.to]),
            self.persons + other.persons,
            self.n_states,
        )


def entries(spells: Spells) -> dict[tuple[str, str], Entries]:
    """The entries of every (group, state) of the extract but ``relocated``, state codes in
    the order of the extract's states (``spells.states``)."""
    states = spells.states
    cells: dict[tuple[str, str], tuple[list[int], list[int], set[str]]] = {}
    seq = spells.spells
    for i, sp in enumerate(seq):
        if sp.state == "relocated":
            continue
        if sp.end is None:
            months, to = spells.as_of - sp.start + 1, CENSORED
        else:  # validated: the next row is the same person's next spell
            months, to = sp.end - sp.start + 1, states.index(seq[i + 1].state)
        m, t, who = cells.setdefault((sp.group, sp.state), ([], [], set()))
        m.append(months)
        t.append(to)
        who.add(sp.person)
    return {
        key: Entries(
            np.array(m, dtype=np.int64), np.array(t, dtype=np.int64), len(who), len(states)
        )
        for key, (m, t, who) in cells.items()
    }


@dataclass(frozen=True)
class Incidence:
    """The Aalen–Johansen estimate of one state's exits, by month in the state.

    Arrays run over months ``k = 1 … K`` (row k − 1) and destination states (``S``: the config's).
    """

    at_risk: np.ndarray  # int64 [K]: n_k, in the state at the start of month k
    events: np.ndarray  # int64 [K, S]: d_jk, exits to j at the end of month k
    survival: np.ndarray  # [K]: S(k), still in the state after k months
    cumulative: np.ndarray  # [K, S]: F_j(k)
    variance: np.ndarray  # [K, S]: Var F_j(k)
    lower: np.ndarray  # [K, S]: pointwise band at ``level``
    upper: np.ndarray  # [K, S]
    level: float
    entered: int
    persons: int
    known: np.ndarray  # int64 [K]: persons whose outcome by month k is known

    @property
    def months(self) -> int:
        return len(self.at_risk)

    def band(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        """The pointwise band ``(lower, upper)`` ``[K, S]`` at another confidence level
        (e.g. a Bonferroni-adjusted one, for a band that holds at many months at once)."""
        return _band(self.cumulative, self.variance, level, self.known)

    def reliable_months(self, min_at_risk: int) -> int:
        """The last month k with at least ``min_at_risk`` persons at risk (0 if none)."""
        ok = np.flatnonzero(self.at_risk >= min_at_risk)
        return int(ok[-1]) + 1 if ok.size else 0


def aalen_johansen(cell: Entries, months: int | None = None, level: float = 0.95) -> Incidence:
    """Aalen–Johansen estimate of the cumulative incidence of every exit (module docstring).

    Parameters
    ----------
    cell : the entries of one state
    months : how many months to estimate (default: the longest observed)
    level : the confidence level of the pointwise band

    Returns
    -------
    Incidence
        Shares of everyone who entered the state (dimensionless, in [0, 1]).
    """
    K = int(months if months is not None else max(int(cell.months.max(initial=0)), 1))
    k = np.arange(1, K + 1)
    at_risk = (cell.months[None, :] >= k[:, None]).sum(axis=1)
    events = np.zeros((K, cell.n_states), dtype=np.int64)
    exited = (cell.to != CENSORED) & (cell.months >= 1) & (cell.months <= K)
    np.add.at(events, (cell.months[exited] - 1, cell.to[exited]), 1)
    n = at_risk.astype(float)
    d_all = events.sum(axis=1).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(n > 0, d_all / n, 0.0)
        cause = np.where(n[:, None] > 0, events / n[:, None], 0.0)  # d_jk / n_k
    survival = np.cumprod(1.0 - hazard)
    lagged = np.r_[1.0, survival[:-1]]  # S(k − 1)
    cumulative = np.cumsum(lagged[:, None] * cause, axis=0)
    variance = _variance(n, d_all, events.astype(float), lagged, cumulative)
    known = _known(at_risk, events)
    lower, upper = _band(cumulative, variance, level, known)
    return Incidence(
        at_risk, events, survival, cumulative, variance, lower, upper, level, cell.entered,
        cell.persons, known,
    )  # fmt: skip


def _variance(
    n: np.ndarray, d: np.ndarray, dj: np.ndarray, lagged: np.ndarray, cif: np.ndarray
) -> np.ndarray:
    """The delta-method variance, by the sums' expansions in F_j(k) (one pass over months)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.where((n > 0) & (n > d), d / (n * (n - d)), 0.0)  # [K]
        nn = n[:, None]
        second = np.where(nn > 0, lagged[:, None] ** 2 * dj * (nn - dj) / nn**3, 0.0)
        third = np.where(n[:, None] > 0, lagged[:, None] * dj / n[:, None] ** 2, 0.0)
    g = greenwood[:, None]
    # Σ_m c_m (F(k) − F(m))² = F(k)² Σc − 2 F(k) Σ c F(m) + Σ c F(m)²
    first = (
        cif**2 * np.cumsum(g * np.ones_like(cif), axis=0)
        - 2 * cif * np.cumsum(g * cif, axis=0)
        + np.cumsum(g * cif**2, axis=0)
    )
    cross = cif * np.cumsum(third, axis=0) - np.cumsum(third * cif, axis=0)
    var = first + np.cumsum(second, axis=0) - 2 * cross
    return np.clip(var, 0.0, None)


def _known(at_risk: np.ndarray, events: np.ndarray) -> np.ndarray:
    """Persons whose outcome by month k is known (left by then, or still there at k) [K]."""
    left_before = np.r_[0, np.cumsum(events.sum(axis=1))[:-1]]
    return at_risk + left_before


def _band(
    cif: np.ndarray, var: np.ndarray, level: float, known: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    z = stats.norm.ppf(0.5 + level / 2)
    alpha = 1.0 - level
    tiny = 1e-12
    inner = (cif > tiny) & (cif < 1 - tiny) & (var > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        logF = np.log(np.where(inner, cif, 0.5))
        g = np.log(-logF)
        se = np.sqrt(var) / (np.where(inner, cif, 0.5) * np.abs(logF))
        lower = np.exp(-np.exp(g + z * se))
        upper = np.exp(-np.exp(g - z * se))
        exact = 1.0 - (alpha / 2) ** (1.0 / np.maximum(known, 1))[:, None]
    lower = np.where(inner, lower, np.where(cif >= 1 - tiny, 1.0 - exact, cif))
    upper = np.where(inner, upper, np.where(cif <= tiny, exact, cif))
    lower = np.where(cif <= tiny, 0.0, lower)
    upper = np.where(cif >= 1 - tiny, 1.0, upper)
    return lower, upper
