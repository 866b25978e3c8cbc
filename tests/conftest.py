"""Shared fixtures: the bundled configs, loaded once, and a small config builder."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import balanskonto as bk
from balanskonto.config import config_from_dict

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"


#: A group of minors arriving at 16 and leaving care (intro) at 18 for self-sufficiency.
CARE = """
[simulation]
start_year = 2018
years = 3

[arrivals]
per_year = 12
mix = { minor = 1.0 }

[groups.minor]
start = "intro"
[groups.minor.per_day.costs]
intro = { hvb = 1409 }
[groups.minor.leaves_care]
age_at_arrival = 16
at_age = 18
states = ["intro"]
to = { self_sufficient = 1.0 }
"""

#: Test folders that read the command line's English messages (the CLI speaks Swedish by
#: default; tests/cli and tests/report check the Swedish).
ENGLISH_OUTPUT = ("batch", "analysis")


@pytest.fixture(autouse=True)
def _cli_language(request, monkeypatch):
    if Path(str(request.node.fspath)).parent.name in ENGLISH_OUTPUT:
        monkeypatch.setenv("BALANSKONTO_LANG", "en")


@pytest.fixture(scope="session")
def sodertalje() -> bk.Config:
    return bk.load_config(CONFIGS / "sodertalje_2008.toml")


@pytest.fixture(scope="session")
def vingaker() -> bk.Config:
    return bk.load_config(CONFIGS / "vingaker_2017.toml")


@pytest.fixture(scope="session")
def example() -> bk.Config:
    from balanskonto.cli.run import _example_path

    return bk.load_config(_example_path())


@contextlib.contextmanager
def unblocking(fifo: Path) -> Iterator[None]:
    """While the block runs, should a reader of the FIFO ``fifo`` hang in its open, give it
    an end of file every 2 s (the test then fails instead of waiting for ever)."""
    done = threading.Event()

    def unblock() -> None:
        while not done.wait(2.0):
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    threading.Thread(target=unblock, daemon=True).start()
    try:
        yield
    finally:
        done.set()


def batch_file(folder: Path, body: str, name: str = "scen.toml") -> Path:
    """A batch file on a copy of Södertälje 2008 in ``folder``."""
    import shutil

    shutil.copy(CONFIGS / "sodertalje_2008.toml", folder / "sodertalje_2008.toml")
    path = folder / name
    path.write_text(f'base = "sodertalje_2008.toml"\n{body}', encoding="utf-8")
    return path


def make_config(groups: dict, *, years: int = 3, per_year=12, mix=None, **sections) -> bk.Config:
    """A small config from its parts (start 2020, fixed arrivals unless given)."""
    raw = {
        "simulation": {"start_year": 2020, "years": years, "runs": 100, "seed": 1},
        "arrivals": {
            "per_year": per_year,
            "distribution": "fixed",
            "mix": mix or {name: 1.0 / len(groups) for name in groups},
        },
        "groups": groups,
    }
    for key, value in sections.items():
        raw.setdefault(key, {}).update(value) if isinstance(value, dict) else None
    return config_from_dict(raw)


def uncertain_config(uncertainty=None, policy=None, **kw) -> bk.Config:
    """A small one-group config (adults, 6 years) with an optional uncertainty block."""
    groups = {
        "adult": {
            "start": "intro",
            "states": {
                "intro": {
                    "max_months": 12,
                    "on_expiry": {"income_support": 1.0},
                    "exits": [
                        {"to": "self_sufficient", "share": 0.5, "within_months": 12},
                        {"to": "relocated", "share": 0.1, "at_month": 6},
                    ],
                },
                "self_sufficient": {
                    "exits": [{"to": "income_support", "annual_probability": 0.05}]
                },
                "income_support": {"exits": [{"to": "self_sufficient", "annual_probability": 0.2}]},
            },
            "costs": {"intro": {"sfi": 3000.0}, "income_support": {"allowance": 7000.0}},
            "payments": {"schablon": {"amount": 150000.0, "by_calendar_year": [0.5, 0.5]}},
        }
    }
    extra = {}
    if uncertainty:
        extra["uncertainty"] = uncertainty
    config = make_config(groups, years=6, per_year=[60, 60, 60], fixed={"costs": {"admin": 5e5}})
    raw = config.to_dict()
    raw.update(extra)
    if policy:
        raw["policy"] = policy
    raw["simulation"].update(kw)
    return config_from_dict(raw)


def curve(rng: np.random.Generator, months: int, total: float) -> list[float]:
    """A ragged curve of ``months`` masses summing to ``total``, some of them 0."""
    raw = rng.gamma(0.6, size=months) * (rng.random(months) > 0.2)
    return list(total * raw / raw.sum())


def curve_groups(seed: int = 7) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "adult": {
            "start": "intro",
            "relocation": {"annual_probability": 0.1},
            "states": {
                "intro": {
                    "max_months": 24,
                    "on_expiry": {"prolonged": 0.3, "income_support": 0.7},
                    "exits": [
                        {"to": "self_sufficient", "monthly_shares": curve(rng, 23, 0.45)},
                        {"to": "income_support", "share": 0.05, "at_month": 6},
                        {"to": "relocated", "monthly_shares": curve(rng, 12, 0.08)},
                    ],
                },
                "prolonged": {"exits": [{"to": "self_sufficient", "monthly_shares": [0.1] * 9}]},
                "income_support": {
                    "exits": [{"to": "self_sufficient", "monthly_shares": curve(rng, 40, 0.6)}]
                },
            },
            "costs": {"intro": {"sfi": 3000.0}, "income_support": {"allowance": 7000.0}},
        }
    }
