"""A config with its own states (DESIGN §15), shared by the tests of own states: a care chain
HVB → stödboende → eget boende → arbete with timed, hazard and curve exits, an on_expiry
split, costs and revenue by state, work-marked exits and relocation."""

from __future__ import annotations

import tomllib
from typing import Any

import balanskonto as bk
from balanskonto.config import config_from_dict

CARE_CHAIN = """
[meta]
title = "Vårdkedja med egna tillstånd"

[simulation]
start_year = 2026
years = 4
runs = 200
seed = 11

[arrivals]
per_year = [30, 24, 18, 18]
distribution = "poisson"
mix = { ensam = 0.8, familj = 0.2 }

[states]
hvb = {}
stodboende = {}
eget_boende = {}
arbete = {}

[labels]
hvb = "HVB-hem"
stodboende = "Stödboende"
eget_boende = "Eget boende"
arbete = "Arbete"
placering = "Placeringskostnad"

[groups.ensam]
start = "hvb"
relocation = { annual_probability = 0.06 }

[groups.ensam.states.hvb]
max_months = 18
exits = [{ to = "stodboende", share = 0.5, within_months = 12 }]
on_expiry = { stodboende = 0.7, eget_boende = { share = 0.3, labour_market = "work" } }

[groups.ensam.states.stodboende]
exits = [
  { to = "eget_boende", annual_probability = 0.4 },
  { to = "arbete", share = 0.25, within_months = 15, labour_market = "work" },
]

[groups.ensam.states.eget_boende]
exits = [
  { to = "arbete", annual_probability = 0.3, labour_market = "work" },
  { to = "stodboende", monthly_shares = [0.02, 0.02, 0.01] },
]

[groups.ensam.costs]
hvb = { placering = 42857.0 }
stodboende = { placering = 20000.0 }
eget_boende = { bistand = 7000.0 }
resident = { handlaggning = 500.0 }

[groups.ensam.revenue]
hvb = { ersattning = 35000.0 }
stodboende = { ersattning = 19000.0 }

[groups.ensam.payments.schablon]
amount = 150000.0
by_calendar_year = [0.6, 0.4]

[groups.familj]
start = "eget_boende"
relocation = { annual_probability = 0.1 }

[groups.familj.states.eget_boende]
exits = [{ to = "arbete", share = 0.5, at_month = 9, labour_market = "work" }]

[groups.familj.costs]
eget_boende = { bistand = 9000.0 }

[fixed.costs]
samordnare = 400000.0
"""


def care_chain_raw() -> dict[str, Any]:
    """The care chain as a nested dict (to edit before validating)."""
    return tomllib.loads(CARE_CHAIN)


def care_chain(
    uncertainty: dict[str, Any] | None = None, extra_states: int = 0, **overrides: Any
) -> bk.Config:
    """The care chain, with an ``[uncertainty]`` block, ``extra_states`` unused states listed
    after its own (for tables of many states) and dotted overrides."""
    raw = care_chain_raw()
    if uncertainty is not None:
        raw["uncertainty"] = uncertainty
    for k in range(extra_states):
        raw["states"][f"reserv{k}"] = {}
    return config_from_dict(raw).with_overrides(overrides)
