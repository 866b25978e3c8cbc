"""The worked example's population already received (configs/exempel_2026_befolkning.csv):
marked as synthetic, made by the recipe its config names, and simulated (DESIGN §11)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np

import balanskonto as bk
from balanskonto.analysis.fitted_config import population_csv
from balanskonto.analysis.synthetic import synthetic_population
from balanskonto.config import config_from_dict

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "configs" / "exempel_2026.toml"
POPULATION = ROOT / "configs" / "exempel_2026_befolkning.csv"


def test_the_population_file_is_marked_synthetic_and_is_what_its_recipe_gives():
    text = POPULATION.read_text(encoding="utf-8")
    assert text.startswith("# SYNTETISK") and "Synthetic" in text.splitlines()[0]
    raw = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert raw["population"]["file"] == POPULATION.name
    del raw["population"]  # the recipe: 180 persons of 2023–2025 simulated from the config
    rows = synthetic_population(config_from_dict(raw), 180, "2023-01", "2025-12", 2025)
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#")) + "\n"
    assert body == population_csv(rows)


def test_the_example_starts_from_its_population():
    config = bk.load_config(CONFIG)
    assert sum(r.count for r in config.population.rows) == 180
    assert "exempel_2026_befolkning.csv" in config.toml and "2023-01" in config.toml
    ds = bk.simulate(config, runs=200, seed=1)
    empty = bk.simulate(config.with_overrides({"population.rows": []}), runs=200, seed=1)
    # the arrivals' draws are the same with and without the population (common random numbers)
    np.testing.assert_array_equal(ds["arrivals"].values, empty["arrivals"].values)
    more = ds["persons"].sum(["group", "state"]) - empty["persons"].sum(["group", "state"])
    assert (more.isel(year=0) > 100).all()  # most of the 180 are still counted in December
