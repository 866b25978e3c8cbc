"""Own states (DESIGN §15) in the per-run tables: the compiled kernels equal the numpy
reference bit for bit for a config of its own states, with few and with many (sums over 8 or
more states follow numpy's pairwise order), and the labour-market markings compile to each
state's work and relapse destination."""

from __future__ import annotations

import numpy as np
import pytest

from balanskonto.engines.draws import draw
from balanskonto.model import compile_model
from balanskonto.model.tables import chunk_tables_numpy

from own_states import care_chain
from reference import assert_tables_match

FIELDS = ("stay", "cum", "absorbing_from", "move")
STRONG = {
    "labour_market": {"sd": 2.5, "autocorrelation": 0.3, "effect": 3.0, "relapse_effect": 1.0}
}
SHARES = {
    "groups.ensam.states.stodboende.exits[1].share": {"min": 0.1, "max": 0.9},
    "groups.ensam.states.hvb.exits[0].share": {"mean": 0.5, "sd": 0.2},
    "groups.familj.relocation.annual_probability": {"min": 0.0, "max": 0.5},
}
RELAPSE = {"groups.ensam.states.arbete": {"exits": [
    {"to": "eget_boende", "annual_probability": 0.2, "labour_market": "relapse"}
]}}  # fmt: skip
#: Rows with three moves among the first four states (0, 2, 3): a sum of 8 or more numbers
#: in numpy's pairwise order differs from one first to last.
SPREAD = {
    "groups.ensam.states.stodboende.exits": [
        {"to": "eget_boende", "annual_probability": 0.4},
        {"to": "arbete", "share": 0.25, "within_months": 15, "labour_market": "work"},
        {"to": "hvb", "annual_probability": 0.1},
    ],
}
CASES = {
    "own states, strong years": lambda: care_chain(STRONG),
    "own states, shares and shock": lambda: care_chain({**STRONG, "shares": SHARES}),
    "own states, relapse marked": lambda: care_chain(STRONG, **RELAPSE),
    "13 states (pairwise sums)": lambda: care_chain(
        {**STRONG, "shares": SHARES}, extra_states=8, **SPREAD
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_compiled_tables_equal_the_numpy_reference_bit_for_bit(case):
    assert_tables_match(compile_model(CASES[case]()), case, (1, 37, 200))


def test_many_states_reach_the_pairwise_sum_and_the_excess_step():
    model = compile_model(CASES["13 states (pairwise sums)"]())
    assert len(model.states) == 13 and model.states[-1] == "relocated"
    t = chunk_tables_numpy(model, draw(model, 3, np.arange(200)))
    assert (t.stay == 0.0).any()  # a strong year asked for more than was left


def test_markings_compile_to_work_and_relapse_destinations():
    model = compile_model(care_chain(**RELAPSE))
    code = {s: i for i, s in enumerate(model.states)}
    ensam = {model.states[s]: model.work_to[0, s] for s in range(len(model.states))}
    assert ensam == {
        "hvb": code["eget_boende"],  # by its on_expiry target's marking
        "stodboende": code["arbete"],
        "eget_boende": code["arbete"],
        "arbete": -1,
        "relocated": -1,
    }
    assert model.relapse_to[0, code["arbete"]] == code["eget_boende"]
    assert (np.delete(model.relapse_to[0], code["arbete"]) == -1).all()


def test_the_default_states_keep_todays_markings(example):
    """Without markings: every move to self_sufficient is work, the move from it to
    income_support the relapse (the default states' meaning)."""
    model = compile_model(example)
    self_, support = model.states.index("self_sufficient"), model.states.index("income_support")
    for g in range(len(model.groups)):
        for s in range(len(model.states) - 1):
            to_self = model.q[g, s, :, self_].any() or model.expiry[g, s, self_] > 0
            if to_self:
                assert model.work_to[g, s] == self_
        assert model.relapse_to[g, self_] in (support, -1)
