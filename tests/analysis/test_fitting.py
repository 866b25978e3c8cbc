"""The fitted config: it reproduces the estimate, its population is the extract's open
spells, small cells are pooled or kept and say so, and the shipped example is the
generator's output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import balanskonto as bk
from balanskonto.analysis.calibration import entries
from balanskonto.analysis.fitted_config import (
    fitted_config,
    fitted_toml,
    population_csv,
    population_rows,
)
from balanskonto.analysis.fitting import deviation, fit_states
from balanskonto.analysis.synthetic import spells_csv, synthetic_spells
from balanskonto.config import STATES
from balanskonto.config.spells import format_month, parse_month, parse_spells
from balanskonto.engines.expected import cumulative_exits
from balanskonto.model import compile_model

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "configs" / "exempel_2026.toml"
AS_OF = "2025-12"


def calibrate(config, persons, seed, first="2020-01"):
    starts = {g: grp.start for g, grp in config.groups.items()}
    rows = synthetic_spells(config, persons, first, AS_OF, seed)
    spells = parse_spells(spells_csv(rows), parse_month(AS_OF), starts)
    states = fit_states(entries(spells), config)
    pop = population_rows(spells)
    base_text = BASE.read_text(encoding="utf-8")
    text = fitted_toml(base_text, config, states, spells.as_of, "p.csv", "", pop)
    return spells, states, pop, fitted_config(text, population_csv(pop), "p.csv")


@pytest.fixture(scope="module")
def base():
    return bk.load_config(BASE)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_fitted_config_reproduces_the_estimate(base, seed):
    """Its exits, compiled and propagated (what ``expected`` uses), equal the estimate where
    a curve was written (to the written rounding) and stay inside the simultaneous band the
    summary was checked against, at every month checked, for every exit."""
    _, states, _, fitted = calibrate(base, 2000, seed)
    model = compile_model(fitted)
    forms = set()
    for fs in states:
        if fs.status == "kept":
            continue
        inc = fs.incidence
        g, s = model.groups.index(fs.group), STATES.index(fs.state)
        implied, _ = cumulative_exits(model, g, s, inc.months)
        months = list(range(1, fs.covered + 1))
        if fs.checked > fs.covered:  # on_expiry refitted: the expiry month is checked too
            months.append(fs.checked)
        dests = [STATES.index(e.to) for e in fs.exits]
        assert deviation(implied, inc, months, dests, inc.band(fs.joint_level)) <= 1.0
        for ex in fs.exits:
            forms.add(ex.form)
            if ex.form == "monthly_shares":
                j = STATES.index(ex.to)
                err = np.abs(implied[: fs.covered, j] - inc.cumulative[: fs.covered, j])
                assert err.max() < 1e-9 * fs.covered + 1e-12
    assert {"annual_probability", "within_months"} & forms


def test_the_population_is_the_extracts_open_spells(base):
    spells, _, pop, fitted = calibrate(base, 600, 7)
    open_spells = [sp for sp in spells.spells if sp.end is None]
    assert len(open_spells) == spells.persons == sum(r[-1] for r in pop)
    for sp in open_spells:
        key = (format_month(sp.arrival), sp.group, sp.state, spells.as_of - sp.start + 1)
        assert any(r[:4] == key for r in pop)
    rows = fitted.population.rows
    assert sorted((r.arrival, r.group, r.state, r.months_in_state, r.count) for r in rows) == pop


def test_the_fitted_config_runs_from_its_population(base):
    _, _, _, fitted = calibrate(base, 600, 8)
    plan = bk.expected(fitted)
    assert plan["persons"].sel(year=2026).sum() > 0  # the population is there in 2026
    assert fitted.simulation.start_year == 2026


def test_small_cells_are_pooled_or_kept_and_flagged(base):
    starts = {g: grp.start for g, grp in base.groups.items()}
    rows = synthetic_spells(base, 400, "2021-01", AS_OF, 3)
    elderly = [r for r in rows if r[1] == "elderly"]
    assert 0 < len({r[0] for r in elderly}) < 10
    spells = parse_spells(spells_csv(rows), parse_month(AS_OF), starts)
    states = {(fs.group, fs.state): fs for fs in fit_states(entries(spells), base)}
    pooled = states["elderly", "income_support"]
    assert pooled.status == "pooled" and "pooled" in pooled.notes[0]
    assert pooled.incidence.persons > len({r[0] for r in elderly})
    assert states["adult", "prolonged"].status == "kept"
    text = BASE.read_text(encoding="utf-8")
    text = fitted_toml(text, base, list(states.values()), spells.as_of, "p.csv", "")
    assert "# NB: pooled: " in text


def test_the_shipped_example_is_the_generators_output_and_marked_synthetic(base):
    shipped = (ROOT / "configs" / "exempel_spells.csv").read_text(encoding="utf-8")
    assert shipped.startswith("# SYNTHETIC extract")
    rows = synthetic_spells(base, 400, "2021-01", AS_OF, 2026)
    body = shipped[shipped.index("person,group") :]
    assert body == spells_csv(rows)
