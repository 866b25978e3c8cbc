"""Household groups' keys (DESIGN §15): ``members`` and ``per_household``, refused where bad
with the dotted path, the value and the rule."""

from __future__ import annotations

import pytest
from test_config import DELETE, apply, assert_names_path, write

from balanskonto import ConfigError, load_config
from balanskonto.model import compile_model

FAMILY = "groups.adult"

BAD_MEMBERS = [
    pytest.param({f"{FAMILY}.members": {}}, f"{FAMILY}.members", ["at least one"], id="empty"),
    pytest.param(
        {f"{FAMILY}.members": {"adult": 0}},
        f"{FAMILY}.members.adult",
        ["0", "greater than or equal to 1"],
        id="zero",
    ),
    pytest.param(
        {f"{FAMILY}.members": {"adult": -2, "child": 1}},
        f"{FAMILY}.members.adult",
        ["-2"],
        id="negative",
    ),
    pytest.param(
        {f"{FAMILY}.members": {"adult": 1.5}}, f"{FAMILY}.members.adult", ["1.5"], id="fraction"
    ),
    pytest.param(
        {f"{FAMILY}.members": {"adult": "2"}}, f"{FAMILY}.members.adult", ["'2'"], id="text"
    ),
    pytest.param(
        {f"{FAMILY}.members": {"adult": 30, "child": 30}},
        f"{FAMILY}.members",
        ["at most 50", "60"],
        id="too-many",
    ),
    pytest.param(
        {f"{FAMILY}.members": {"Vuxen": 2}}, f"{FAMILY}.members.Vuxen", ["pattern"], id="kind"
    ),
    pytest.param(
        {f"{FAMILY}.members": 5}, f"{FAMILY}.members", ["5", "dictionary"], id="not-a-table"
    ),
    pytest.param(
        {f"{FAMILY}.per_household": ["allowance"]},
        f"{FAMILY}.per_household",
        ["household groups", "members"],
        id="per-household-without-members",
    ),
    pytest.param(
        {f"{FAMILY}.members": {"adult": 2}, f"{FAMILY}.per_household": ["allowance", "bistand"]},
        f"{FAMILY}.per_household[1]",
        ["'bistand'", "names no component of group 'adult'"],
        id="per-household-unknown",
    ),
    pytest.param(
        {f"{FAMILY}.members": {"adult": 2}, f"{FAMILY}.per_household": ["schablon", "schablon"]},
        f"{FAMILY}.per_household[1]",
        ["twice"],
        id="per-household-twice",
    ),
]


@pytest.mark.parametrize(("edit", "path", "fragments"), BAD_MEMBERS)
def test_bad_members_are_refused_with_their_path(tmp_path, edit, path, fragments):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, apply(edit)))
    message = str(info.value)
    assert_names_path(message, path)
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_a_household_group_compiles_its_amounts_per_household(tmp_path):
    """Per-month amounts and payments times the members (5), per_household ones once."""
    edit = {
        f"{FAMILY}.members": {"adult": 2, "child": 3},
        f"{FAMILY}.per_household": ["activities"],
        f"{FAMILY}.relocation": DELETE,
    }
    model = compile_model(load_config(write(tmp_path, apply(edit))))
    assert model.members.tolist() == [5, 1] and model.household.tolist() == [True, False]
    c = model.components
    intro = model.cost_rate[0, 0, 0]
    assert intro[c.index("allowance")] == 5 * 7000.0
    assert intro[c.index("activities")] == 4000.0
    adult_parts = model.part_group == 0
    assert (model.part_amount[adult_parts] == 5 * 200000.0).all()
    assert (model.part_amount[~adult_parts] == 120000.0).all()
