"""A config's own states (DESIGN §15): ``[states]`` replaces the default states, ``relocated``
is always the last; every place that names a state is checked against them, with the dotted
path, the bad value and the states allowed."""

from __future__ import annotations

import pytest

from balanskonto.config import STATES, ConfigError, config_from_dict

from own_states import care_chain, care_chain_raw

OWN = "'hvb', 'stodboende', 'eget_boende', 'arbete'"


def test_without_states_the_five_defaults(example):
    assert example.state_names == STATES
    assert STATES[-1] == "relocated"


def test_states_in_their_order_and_relocated_last():
    assert care_chain().state_names == ("hvb", "stodboende", "eget_boende", "arbete", "relocated")
    raw = care_chain_raw()
    raw["states"]["relocated"] = {}  # listed last: allowed, and the same
    assert config_from_dict(raw).state_names == care_chain().state_names


def test_a_config_round_trips_through_its_dict():
    config = care_chain()
    again = config_from_dict(config.to_dict())
    assert again.state_names == config.state_names
    assert again.groups["ensam"].states["hvb"].expiry_marks == {"eget_boende": "work"}
    assert again.groups["ensam"].states["hvb"].expiry_shares == {
        "stodboende": 0.7,
        "eget_boende": 0.3,
    }


def _edit(path: str, value) -> dict:
    raw = care_chain_raw()
    *head, last = path.split(".")
    node = raw
    for key in head:
        node = node.setdefault(key, {})
    node[last] = value
    return raw


ENSAM = "groups.ensam"
STOD = f"{ENSAM}.states.stodboende"
BAD = [
    pytest.param(f"{ENSAM}.start", "intro", f"{ENSAM}.start", [OWN, "'intro'"], id="start"),
    pytest.param(
        f"{ENSAM}.states.intro", {}, f"{ENSAM}.states.intro", [OWN, "not a state"], id="state"
    ),
    pytest.param(
        f"{ENSAM}.states.relocated",
        {"exits": [{"to": "hvb", "annual_probability": 0.1}]},
        f"{ENSAM}.states.relocated",
        ["absorbing"],
        id="exits-from-relocated",
    ),
    pytest.param(
        f"{STOD}.exits",
        [{"to": "self_sufficient", "annual_probability": 0.1}],
        f"{STOD}.exits[0].to",
        ["'self_sufficient'", OWN + ", 'relocated'"],
        id="exit-to",
    ),
    pytest.param(
        f"{ENSAM}.states.hvb.on_expiry",
        {"stodboende": 0.5, "familjehem": 0.5},
        f"{ENSAM}.states.hvb.on_expiry.familjehem",
        ["'familjehem'", "not a state"],
        id="on-expiry",
    ),
    pytest.param(
        f"{ENSAM}.costs.intro",
        {"placering": 1.0},
        f"{ENSAM}.costs.intro",
        ["'intro'", "'resident'"],
        id="cost-state",
    ),
    pytest.param(
        f"{ENSAM}.revenue.familjehem",
        {"ersattning": 1.0},
        f"{ENSAM}.revenue.familjehem",
        ["'familjehem'", OWN],
        id="revenue-state",
    ),
    pytest.param(
        "labels.intro", "Etablering", "labels.intro", ["names no group, state"], id="label"
    ),
    pytest.param("states.resident", {}, "states.resident", ["'resident'"], id="resident"),
    pytest.param(
        "states",
        {"relocated": {}, "hvb": {}, "stodboende": {}, "eget_boende": {}, "arbete": {}},
        "states.relocated",
        ["always the last state"],
        id="relocated-not-last",
    ),
    pytest.param("states", {}, "states", ["at least one state"], id="no-states"),
    pytest.param(
        f"{STOD}.exits",
        [
            {"to": "eget_boende", "annual_probability": 0.2, "labour_market": "work"},
            {"to": "arbete", "annual_probability": 0.2, "labour_market": "work"},
        ],
        f"{STOD}.exits",
        ["at most one work destination", "'eget_boende', 'arbete'"],
        id="two-work-destinations",
    ),
    pytest.param(
        f"{STOD}.exits",
        [
            {"to": "arbete", "share": 0.2, "at_month": 3, "labour_market": "work"},
            {"to": "arbete", "annual_probability": 0.2, "labour_market": "none"},
        ],
        f"{STOD}.exits[1].labour_market",
        ["'none'", "mark every exit to it alike"],
        id="clashing-marks",
    ),
    pytest.param(
        f"{STOD}.exits",
        [{"to": "relocated", "annual_probability": 0.2, "labour_market": "work"}],
        f"{STOD}.exits[0].labour_market",
        ["not a labour-market move"],
        id="work-to-relocated",
    ),
    pytest.param(
        f"{ENSAM}.states.hvb.on_expiry",
        {"stodboende": 0.7, "eget_boende": {"share": 0.3, "labour_market": "relapse"}},
        f"{ENSAM}.states.hvb.on_expiry.eget_boende",
        ["labour_market", "'work'"],
        id="relapse-on-expiry",
    ),
    pytest.param(
        "population",
        {
            "rows": [
                {
                    "arrival": "2025-03",
                    "group": "ensam",
                    "state": "intro",
                    "months_in_state": 2,
                    "count": 3,
                }
            ]
        },
        "population.rows[0]: state",
        [OWN, "'intro'"],
        id="population-row",
    ),
    pytest.param(
        "uncertainty",
        {"shares": {"groups.ensam.states.intro.exits[0].share": {"min": 0.1, "max": 0.2}}},
        "uncertainty.shares",
        ["names no exit"],
        id="share-path",
    ),
]


@pytest.mark.parametrize(("path", "value", "where", "words"), BAD)
def test_a_bad_state_is_a_located_error(path, value, where, words):
    with pytest.raises(ConfigError) as err:
        config_from_dict(_edit(path, value))
    message = str(err.value)
    assert message.startswith(where) or f"\n  {where}" in message, message
    for word in words:
        assert word in message, message


def test_an_uncertain_share_may_name_an_own_state_with_digits():
    from balanskonto.model import compile_model

    raw = care_chain_raw()
    raw["states"]["steg2"] = {}
    raw["groups"]["ensam"]["states"]["steg2"] = {
        "exits": [{"to": "arbete", "share": 0.3, "within_months": 6}]
    }
    path = "groups.ensam.states.steg2.exits[0].share"
    raw["uncertainty"] = {"shares": {path: {"min": 0.1, "max": 0.5}}}
    model = compile_model(config_from_dict(raw))
    assert [f.name for f in model.shares] == [f"share:{path}"]
    assert model.shares[0].state == model.states.index("steg2")


def test_spells_are_checked_against_the_configs_states():
    from balanskonto.config.spells import parse_month, parse_spells

    text = "person,group,arrival,state,start,end\np1,ensam,2025-01,hvb,2025-01,2025-04\n"
    text += "p1,ensam,2025-01,intro,2025-05,\n"
    states = care_chain().state_names
    with pytest.raises(ConfigError) as err:
        parse_spells(text, parse_month("2025-12"), {"ensam": "hvb"}, states=states)
    assert "row 3 (p1): state: not a state" in str(err.value) and "'intro'" in str(err.value)
    good = text.replace("intro", "stodboende")
    spells = parse_spells(good, parse_month("2025-12"), {"ensam": "hvb"}, states=states)
    assert spells.states == states and len(spells.spells) == 2
