"""The Aalen–Johansen estimate: against a naive reference, exact cases, and recovery of the
true cumulative incidence from synthetic extracts drawn from a known config.

Coverage checks. Within one extract the estimates of one state at different months and
exits are correlated, so each extract contributes one check per state (a fixed exit and
month): estimates of different states rest on different spells, which in the model are
independent given their entries, so the count of covered checks is Binomial(n, 0.95) when
the bands are right. The test accepts the central 99.9 % range of that binomial (a false
alarm once in a thousand runs of a fixed seed, never in practice since the seeds are fixed).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import balanskonto as bk
from balanskonto.analysis.calibration import CENSORED, Entries, aalen_johansen, entries
from balanskonto.analysis.synthetic import spells_csv, synthetic_spells
from balanskonto.config import STATES
from balanskonto.config.spells import parse_month, parse_spells
from balanskonto.engines.expected import cumulative_exits
from balanskonto.model import compile_model

INTRO, PROLONGED, SELF, SUPPORT, RELOCATED = range(len(STATES))


def naive_aalen_johansen(months, to, K):
    """Textbook loops: S, F_j and the delta-method variance as literal double sums."""
    S = len(STATES)
    n = [sum(1 for m in months if m >= k) for k in range(1, K + 1)]
    d = [[sum(1 for m, t in zip(months, to, strict=True) if m == k and t == j) for j in range(S)]
         for k in range(1, K + 1)]  # fmt: skip
    surv, F = [], []
    s_prev, f = 1.0, [0.0] * S
    lag = []
    for k in range(K):
        lag.append(s_prev)
        dk = sum(d[k])
        f = [f[j] + (s_prev * d[k][j] / n[k] if n[k] else 0.0) for j in range(S)]
        s_prev = s_prev * (1 - dk / n[k]) if n[k] else s_prev
        surv.append(s_prev)
        F.append(f)
    var = np.zeros((K, S))
    for t in range(K):
        for j in range(S):
            v = 0.0
            for m in range(t + 1):
                if n[m] == 0:
                    continue
                dm, djm, nm = sum(d[m]), d[m][j], n[m]
                diff = F[t][j] - F[m][j]
                if nm > dm:
                    v += diff**2 * dm / (nm * (nm - dm))
                v += lag[m] ** 2 * djm * (nm - djm) / nm**3
                v -= 2 * diff * lag[m] * djm / nm**2
            var[t, j] = v
    return np.array(surv), np.array(F), var


def random_cell(rng, n=300, K=30):
    months = rng.integers(0, K + 1, size=n)
    to = rng.choice([SELF, SUPPORT, RELOCATED, CENSORED], p=[0.4, 0.2, 0.1, 0.3], size=n)
    return Entries(months.astype(np.int64), to.astype(np.int64), n)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_estimate_and_variance_equal_the_naive_reference(seed):
    cell = random_cell(np.random.default_rng(seed))
    inc = aalen_johansen(cell, months=30)
    surv, F, var = naive_aalen_johansen(list(cell.months), list(cell.to), 30)
    np.testing.assert_allclose(inc.survival, surv, atol=1e-12)
    np.testing.assert_allclose(inc.cumulative, F, atol=1e-12)
    np.testing.assert_allclose(inc.variance, var, atol=1e-12)
    assert np.all(inc.lower <= inc.cumulative + 1e-15) and np.all(inc.cumulative <= inc.upper)


def test_without_censoring_it_is_the_empirical_share_with_binomial_variance():
    rng = np.random.default_rng(4)
    months = rng.integers(1, 25, size=500)
    to = rng.choice([SELF, SUPPORT], size=500)
    inc = aalen_johansen(Entries(months, to, 500), months=24)
    for k in (3, 12, 24):
        for j in (SELF, SUPPORT):
            share = np.mean((months <= k) & (to == j))
            assert inc.cumulative[k - 1, j] == pytest.approx(share, abs=1e-12)
            assert inc.variance[k - 1, j] == pytest.approx(share * (1 - share) / 500, rel=1e-9)


def test_a_month_that_empties_the_risk_set_has_a_finite_variance_and_band():
    """Expiry: everyone left at month D goes (lifelines' variance is NaN here)."""
    months = np.array([1, 2, 3, 3, 3, 3, 3, 2])
    to = np.array([SELF, RELOCATED, SELF, SUPPORT, SUPPORT, SELF, SUPPORT, CENSORED])
    inc = aalen_johansen(Entries(months, to, 8), months=3)
    assert np.isfinite(inc.variance).all() and np.isfinite(inc.upper).all()
    assert inc.survival[-1] == 0.0
    assert inc.cumulative[-1].sum() == pytest.approx(1.0)


def test_no_exit_yet_gets_the_exact_binomial_upper_bound():
    months, to = np.full(50, 12), np.full(50, CENSORED)
    inc = aalen_johansen(Entries(months, to, 50), months=12)
    assert inc.cumulative.max() == 0.0 and inc.lower.max() == 0.0
    assert inc.upper[0, SELF] == pytest.approx(1 - 0.025 ** (1 / 50))


# --------------------------------------------------------------------------------------
# Recovery from synthetic extracts
# --------------------------------------------------------------------------------------
#: One check per state: (group, state, exit, month).
CHECKS = [
    ("adult", "intro", "self_sufficient", 12),
    ("adult", "self_sufficient", "relocated", 24),
    ("adult", "income_support", "self_sufficient", 12),
    ("child", "self_sufficient", "relocated", 24),
]


def coverage(config, seeds, persons, first_arrival, as_of, min_at_risk=30, checks=CHECKS):
    """Covered checks, all checks, and the mean band width of each check, over extracts."""
    model = compile_model(config)
    starts = {g: grp.start for g, grp in config.groups.items()}
    covered, total, widths = 0, 0, []
    for seed in seeds:
        rows = synthetic_spells(config, persons, first_arrival, as_of, seed)
        cells = entries(parse_spells(spells_csv(rows), parse_month(as_of), starts))
        for group, state, to, month in checks:
            g, s, j = model.groups.index(group), STATES.index(state), STATES.index(to)
            inc = aalen_johansen(cells[group, state])
            assert inc.at_risk[month - 1] >= min_at_risk, "a check needs persons at risk"
            truth = cumulative_exits(model, g, s, month)[0][month - 1, j]
            covered += bool(inc.lower[month - 1, j] <= truth <= inc.upper[month - 1, j])
            total += 1
            widths.append(inc.upper[month - 1, j] - inc.lower[month - 1, j])
    return covered, total, np.array(widths).reshape(len(seeds), len(checks)).mean(axis=0)


def assert_binomial_coverage(covered, total, level=0.95):
    lo, hi = stats.binom.ppf([0.0005, 0.9995], total, level)
    assert lo <= covered <= hi, f"{covered} of {total} covered, expected {lo:.0f}–{hi:.0f}"


@pytest.fixture(scope="module")
def example_config():
    from balanskonto.cli.run import _example_path

    return bk.load_config(_example_path())


def test_bands_cover_the_true_shares_at_the_nominal_rate(example_config):
    covered, total, _ = coverage(example_config, range(40), 2500, "2019-01", "2025-12")
    assert total == 160
    assert_binomial_coverage(covered, total)


def test_heavy_censoring_widens_the_bands_and_they_still_cover(example_config):
    """The same flow of arrivals (about 360 a year) followed three years instead of seven:
    most spells still open at the as-of month, few persons at risk at long durations."""
    checks = [*CHECKS[:2], ("adult", "income_support", "self_sufficient", 6), CHECKS[3]]
    light = coverage(example_config, range(100, 115), 2500, "2019-01", "2025-12", 5, checks)
    heavy = coverage(example_config, range(100, 140), 1070, "2023-01", "2025-12", 5, checks)
    assert np.all(heavy[2] > 1.15 * light[2]), (heavy[2], light[2])
    assert_binomial_coverage(heavy[0], heavy[1])


@pytest.mark.slow
def test_bands_cover_at_the_nominal_rate_over_many_extracts(example_config):
    covered, total, _ = coverage(example_config, range(1000, 1400), 3000, "2019-01", "2025-12")
    assert_binomial_coverage(covered, total)
