"""Config validation (DESIGN §5): every bad config is a ConfigError naming its dotted path.

Each bad case is one small edit of a valid base config: either dotted-path edits of the parsed
TOML (written back with tomli_w) or an edit of the TOML text itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import threading
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from balanskonto import Config, ConfigError, load_config

BASE_TOML = """\
[meta]
title = "test base"

[simulation]
start_year = 2020
years = 5
runs = 10
seed = 1
quantiles = [0.05, 0.5, 0.95]

[balance]
opening = 0.0

[arrivals]
per_year = [100, 100, 100]
distribution = "fixed"
mix = { adult = 0.7, child = 0.3 }

[groups.adult]
start = "intro"
relocation = { annual_probability = 0.02 }

[groups.adult.states.intro]
max_months = 24
on_expiry = { prolonged = 0.5, income_support = 0.5 }
exits = [
  { to = "relocated", share = 0.1, within_months = 12 },
  { to = "self_sufficient", share = 0.1, at_month = 6 },
  { to = "self_sufficient", share = 0.4, at_month = 24 },
]

[groups.adult.states.prolonged]
max_months = 6
on_expiry = { income_support = 1.0 }
exits = [{ to = "self_sufficient", share = 0.5, at_month = 6 }]

[groups.adult.costs]
intro = { allowance = 7000.0, activities = 4000.0 }
income_support = { allowance = 8000.0 }

[groups.adult.payments.schablon]
amount = 200000.0
by_calendar_year = [0.3, 0.6, 0.1]
relocated_share = 0.5

[groups.child]
start = "self_sufficient"

[groups.child.payments.schablon]
amount = 120000.0
installments = [{ month = 0, share = 0.5 }, { month = 12, share = 0.5 }]

[fixed.revenue]
grundersattning = 500000.0

[fixed.costs]
admin = [100000.0, 100000.0, 100000.0]
"""

DELETE = object()  # an edit value: remove the key

Edit = dict[str, Any] | Callable[[str], str]


def _steps(path: str) -> list[str | int]:
    return [
        int(s[1:-1]) if s.startswith("[") else s for s in re.findall(r"[^.\[\]]+|\[\d+\]", path)
    ]


def _set(raw: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = _steps(path)
    node: Any = raw
    for step in parents:
        node = node[step]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value


def _text_edit(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert text.count(old) == 1, f"{old!r} is not once in the base config"
        return text.replace(old, new)

    return edit


def apply(edit: Edit) -> str:
    """The base config's TOML text with one edit applied."""
    if callable(edit):
        return edit(BASE_TOML)
    raw = tomllib.loads(BASE_TOML)
    for path, value in edit.items():
        _set(raw, path, value)
    return tomli_w.dumps(raw)


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def assert_names_path(message: str, path: str) -> None:
    """The message names ``path`` as a whole dotted path followed by a colon."""
    assert re.search(rf"(?:^|\s){re.escape(path)}: ", message), (path, message)


INTRO = "groups.adult.states.intro"
SCHABLON = "groups.adult.payments.schablon"
NEG_BINOM = {"arrivals.distribution": "negative_binomial"}

# (edit, dotted path the message must name, further fragments it must contain)
BAD = [
    # --- wrong types --------------------------------------------------------------------
    pytest.param(
        {"balance.opening": "0"}, "balance.opening", ["'0'", "number"], id="str-for-float"
    ),
    pytest.param(
        {"arrivals.per_year[1]": "100"},
        "arrivals.per_year[1]",
        ["'100'", "number"],
        id="str-in-number-list",
    ),
    pytest.param(
        {"simulation.years": True}, "simulation.years", ["True", "integer"], id="bool-int"
    ),
    pytest.param(
        _text_edit("years = 5", "years = 10.5"),
        "simulation.years",
        ["10.5", "integer"],
        id="float-for-int",
    ),
    pytest.param(
        {f"{INTRO}.max_months": 12.0}, f"{INTRO}.max_months", ["12.0", "integer"], id="float-months"
    ),
    pytest.param({"meta.title": 3}, "meta.title", ["3", "string"], id="int-for-str"),
    pytest.param(
        {"arrivals.mix": [0.7, 0.3]}, "arrivals.mix", ["[0.7, 0.3]", "dictionary"], id="list-mix"
    ),
    pytest.param({"balance": [0.0]}, "balance", ["[0.0]"], id="list-for-section"),
    pytest.param(
        {"groups.adult.costs.intro": 5000.0},
        "groups.adult.costs.intro",
        ["5000.0", "dictionary"],
        id="number-for-table",
    ),
    # --- unknown keys at several depths ----------------------------------------------------
    pytest.param({"extra": 1}, "extra", ["unknown key"], id="unknown-top"),
    pytest.param({"simulation.run": 5}, "simulation.run", ["unknown key"], id="unknown-simulation"),
    pytest.param(
        {"groups.adult.cost": {"intro": {"allowance": 1.0}}},
        "groups.adult.cost",
        ["unknown key"],
        id="unknown-group",
    ),
    pytest.param(
        {f"{INTRO}.max_month": 3}, f"{INTRO}.max_month", ["unknown key"], id="unknown-state"
    ),
    pytest.param(
        {f"{INTRO}.exits[2].months": 3},
        f"{INTRO}.exits[2].months",
        ["unknown key"],
        id="unknown-exit",
    ),
    pytest.param(
        {f"{SCHABLON}.amout": 1.0}, f"{SCHABLON}.amout", ["unknown key"], id="unknown-payment"
    ),
    pytest.param(
        {"groups.adult.relocation": {"annual_probability": 0.1, "share": 0.1}},
        "groups.adult.relocation",
        ["share", "only annual_probability"],
        id="unknown-relocation",
    ),
    pytest.param(
        {"groups.adult.relocation.to": "intro"},
        "groups.adult.relocation",
        ["['to']", "only annual_probability"],
        id="relocation-elsewhere",
    ),
    # --- shares and probabilities outside [0, 1] -------------------------------------------
    pytest.param(
        {f"{INTRO}.exits[2].share": 1.5},
        f"{INTRO}.exits[2].share",
        ["1.5", "less than or equal to 1"],
        id="share-above-1",
    ),
    pytest.param(
        {f"{INTRO}.exits[0].share": -0.1},
        f"{INTRO}.exits[0].share",
        ["-0.1", "greater than or equal to 0"],
        id="share-below-0",
    ),
    pytest.param(
        {f"{SCHABLON}.relocated_share": -0.5},
        f"{SCHABLON}.relocated_share",
        ["-0.5", "greater than or equal to 0"],
        id="relocated-share-below-0",
    ),
    pytest.param(
        {
            f"{SCHABLON}.relocated_share": DELETE,
            f"{SCHABLON}.relocated_share_of_amount": 1.5,
            f"{SCHABLON}.relocated_within_months": 12,
        },
        f"{SCHABLON}.relocated_share_of_amount",
        ["1.5", "less than or equal to 1"],
        id="relocated-share-of-amount-above-1",
    ),
    # --- the two rules for movers ----------------------------------------------------------------
    pytest.param(
        {f"{SCHABLON}.relocated_share_of_amount": 0.5, f"{SCHABLON}.relocated_within_months": 12},
        f"{SCHABLON}.relocated_share_of_amount",
        ["0.5", "relocated_share", "not both"],
        id="both-rules-for-movers",
    ),
    pytest.param(
        {f"{SCHABLON}.relocated_share": DELETE, f"{SCHABLON}.relocated_share_of_amount": 0.5},
        f"{SCHABLON}.relocated_within_months",
        ["None", "required with relocated_share_of_amount"],
        id="share-of-amount-without-window",
    ),
    pytest.param(
        {f"{SCHABLON}.relocated_within_months": 12},
        f"{SCHABLON}.relocated_within_months",
        ["12", "goes with relocated_share_of_amount"],
        id="window-without-share-of-amount",
    ),
    pytest.param(
        {
            f"{SCHABLON}.relocated_share": DELETE,
            f"{SCHABLON}.relocated_share_of_amount": 0.5,
            f"{SCHABLON}.relocated_within_months": 0,
        },
        f"{SCHABLON}.relocated_within_months",
        ["0", "greater than or equal to 1"],
        id="window-of-0-months",
    ),
    pytest.param(
        {"arrivals.mix.adult": 1.3}, "arrivals.mix.adult", ["1.3", "less than"], id="mix-above-1"
    ),
    pytest.param(
        {"groups.adult.relocation.annual_probability": 1.2},
        "groups.adult.relocation.annual_probability",
        ["1.2", "less than or equal to 1"],
        id="probability-above-1",
    ),
    # --- sums to 1 and cross references --------------------------------------------------------
    pytest.param({"arrivals.mix.adult": 0.6}, "arrivals.mix", ["0.9", "sum to 1"], id="mix-sum"),
    pytest.param(
        {"arrivals.mix.elderly": 0.0}, "arrivals.mix.elderly", ["names no group"], id="mix-no-group"
    ),
    pytest.param(
        {"arrivals.mix": {"adult": 1.0}}, "arrivals.mix", ["child", "every group"], id="mix-missing"
    ),
    pytest.param(
        {f"{INTRO}.on_expiry.prolonged": 0.4},
        f"{INTRO}.on_expiry",
        ["0.9", "sum to 1"],
        id="on-expiry-sum",
    ),
    pytest.param(
        {f"{INTRO}.on_expiry": DELETE},
        INTRO,
        ["max_months and on_expiry"],
        id="max-months-without-on-expiry",
    ),
    pytest.param(
        {f"{INTRO}.max_months": DELETE},
        INTRO,
        ["max_months and on_expiry"],
        id="on-expiry-without-max-months",
    ),
    pytest.param(
        {f"{INTRO}.on_expiry": {"intro": 0.5, "income_support": 0.5}},
        f"{INTRO}.on_expiry.intro",
        ["another state"],
        id="expiry-to-own-state",
    ),
    # --- exits ---------------------------------------------------------------------------------
    pytest.param(
        {f"{INTRO}.exits[1].at_month": 30},
        f"{INTRO}.exits[1]",
        ["30", "max_months = 24"],
        id="exit-after-max-months",
    ),
    pytest.param(
        {f"{INTRO}.exits[1].within_months": 6},
        f"{INTRO}.exits[1]",
        ["exactly one of at_month or within_months"],
        id="exit-two-timings",
    ),
    pytest.param(
        {f"{INTRO}.exits[1].at_month": DELETE},
        f"{INTRO}.exits[1]",
        ["exactly one of at_month or within_months"],
        id="exit-no-timing",
    ),
    pytest.param(
        {f"{INTRO}.exits[1].to": "intro"},
        f"{INTRO}.exits[1].to",
        ["'intro'", "another state"],
        id="exit-to-own-state",
    ),
    pytest.param(
        {
            f"{INTRO}.exits": [
                {"to": "self_sufficient", "share": 0.6, "at_month": 3},
                {"to": "income_support", "share": 0.6, "at_month": 3},
            ]
        },
        f"{INTRO}.exits",
        ["'adult'", "'intro'", "month 3"],
        id="exits-over-subscribed",
    ),
    pytest.param(
        {"groups.adult.states.relocated": {"exits": [{"to": "intro", "annual_probability": 0.1}]}},
        "groups.adult.states.relocated",
        ["absorbing"],
        id="exits-from-relocated",
    ),
    # --- negative amounts -----------------------------------------------------------------------
    pytest.param(
        {"groups.adult.costs.intro.allowance": -1.0},
        "groups.adult.costs.intro.allowance",
        ["-1.0", "greater than or equal to 0"],
        id="negative-state-cost",
    ),
    pytest.param(
        {f"{SCHABLON}.amount": -5.0},
        f"{SCHABLON}.amount",
        ["-5.0", "greater than or equal to 0"],
        id="negative-payment",
    ),
    pytest.param(
        {"fixed.revenue.grundersattning": -1},
        "fixed.revenue.grundersattning",
        ["-1", "greater than or equal to 0"],
        id="negative-fixed-item",
    ),
    pytest.param(
        {"fixed.costs.admin[1]": -5.0},
        "fixed.costs.admin[1]",
        ["-5.0", "greater than or equal to 0"],
        id="negative-fixed-list-entry",
    ),
    pytest.param(
        {"arrivals.per_year[0]": -100},
        "arrivals.per_year[0]",
        ["-100", "greater than or equal to 0"],
        id="negative-arrivals",
    ),
    # --- lists longer than the horizon (years = 5) ---------------------------------------------
    pytest.param(
        {"arrivals.per_year": [100] * 6},
        "arrivals.per_year",
        ["simulation.years = 5"],
        id="per-year-too-long",
    ),
    pytest.param(
        {"fixed.costs.admin": [1.0] * 6},
        "fixed.costs.admin",
        ["simulation.years = 5"],
        id="fixed-list-too-long",
    ),
    pytest.param(
        {f"{SCHABLON}.by_calendar_year": [0.5, 0.1, 0.1, 0.1, 0.1, 0.1]},
        f"{SCHABLON}.by_calendar_year",
        ["simulation.years = 5"],
        id="by-calendar-year-too-long",
    ),
    # --- payments ------------------------------------------------------------------------------
    pytest.param(
        {f"{SCHABLON}.by_calendar_year": [0.3, 0.6]},
        f"{SCHABLON}.by_calendar_year",
        ["0.9", "sum to 1"],
        id="payment-parts-sum",
    ),
    pytest.param(
        {"groups.child.payments.schablon.installments[1].share": 0.4},
        "groups.child.payments.schablon.installments",
        ["0.9", "sum to 1"],
        id="installments-sum",
    ),
    pytest.param(
        {f"{SCHABLON}.installments": [{"month": 0, "share": 1.0}]},
        SCHABLON,
        ["exactly one of by_calendar_year or installments"],
        id="payment-two-forms",
    ),
    # --- arrivals ------------------------------------------------------------------------------
    pytest.param(
        {"arrivals.per_year[1]": 100.5},
        "arrivals.per_year[1]",
        ["100.5", "whole persons"],
        id="fixed-arrivals-not-whole",
    ),
    pytest.param(NEG_BINOM, "arrivals.cv", ["negative_binomial"], id="neg-binomial-without-cv"),
    pytest.param(
        {**NEG_BINOM, "arrivals.cv": 0.05},
        "arrivals.cv",
        ["0.05", "Poisson CV", "0.1"],
        id="cv-below-poisson",
    ),
    pytest.param({"arrivals.cv": 0.3}, "arrivals.cv", ["0.3", "negative_binomial"], id="cv-fixed"),
    pytest.param(
        {"arrivals.distribution": "normal"},
        "arrivals.distribution",
        ["'normal'", "'poisson'"],
        id="unknown-distribution",
    ),
    # --- NaN and inf -----------------------------------------------------------------------------
    pytest.param({"balance.opening": math.nan}, "balance.opening", ["nan", "finite"], id="nan"),
    pytest.param(
        {f"{SCHABLON}.amount": math.inf}, f"{SCHABLON}.amount", ["inf", "finite"], id="inf-amount"
    ),
    pytest.param(
        {f"{INTRO}.exits[0].share": math.nan},
        f"{INTRO}.exits[0].share",
        ["nan", "finite"],
        id="nan-share",
    ),
    pytest.param(
        {"arrivals.per_year[2]": math.inf},
        "arrivals.per_year[2]",
        ["inf", "finite"],
        id="inf-in-list",
    ),
    # --- state names -----------------------------------------------------------------------------
    pytest.param(
        {"groups.adult.start": "relocated"},
        "groups.adult.start",
        ["'relocated'", "cannot start"],
        id="start-relocated",
    ),
    pytest.param(
        {"groups.adult.start": "working"},
        "groups.adult.start",
        ["'working'", "'income_support'"],
        id="unknown-start-state",
    ),
    pytest.param(
        {f"{INTRO}.exits[0].to": "moved"},
        f"{INTRO}.exits[0].to",
        ["'moved'", "'relocated'"],
        id="unknown-exit-state",
    ),
    pytest.param(
        {"groups.adult.states.working": {}},
        "groups.adult.states.working",
        ["'working'", "'intro'"],
        id="unknown-state-table",
    ),
    pytest.param(
        {"groups.adult.costs.idle": {"allowance": 1.0}},
        "groups.adult.costs.idle",
        ["'idle'", "'resident'"],
        id="unknown-cost-state",
    ),
    # --- quantiles ----------------------------------------------------------------------------
    pytest.param(
        {"simulation.quantiles": [0.0, 0.5]},
        "simulation.quantiles[0]",
        ["0.0", "greater than 0"],
        id="quantile-0",
    ),
    pytest.param(
        {"simulation.quantiles": [0.5, 1.0]},
        "simulation.quantiles[1]",
        ["1.0", "less than 1"],
        id="quantile-1",
    ),
    pytest.param(
        {"simulation.quantiles": [0.5, 0.25]},
        "simulation.quantiles",
        ["[0.5, 0.25]", "strictly increasing"],
        id="quantiles-not-increasing",
    ),
    # --- structure -------------------------------------------------------------------------------
    pytest.param(
        {"simulation.start_year": DELETE}, "simulation.start_year", ["missing"], id="missing-key"
    ),
    pytest.param(
        {"groups.Adult": {"start": "intro"}}, "groups.Adult", ["'Adult'", "pattern"], id="bad-name"
    ),
    # --- uncertainty parameters: bounded by what can be simulated ---------------------------
    pytest.param(
        {"uncertainty": {"shares": {f"{INTRO}.exits[1].share": {"mean": 0.1, "sd": 1e300}}}},
        f"uncertainty.shares.{INTRO}.exits[1].share.sd",
        ["1e+300", "less than or equal to 0.5"],
        id="share-sd-huge",  # OverflowError in validate
    ),
    pytest.param(
        {"uncertainty": {"shares": {f"{INTRO}.exits[1].share": {"mean": 0.1, "sd": 5e-324}}}},
        f"uncertainty.shares.{INTRO}.exits[1].share.sd",
        ["5e-324", "greater than or equal to 0.0001"],
        id="share-sd-tiny",  # ZeroDivisionError in run
    ),
    pytest.param(
        {"uncertainty": {"levels": {"allowance": {"dist": "lognormal", "sd": 1e300}}}},
        "uncertainty.levels.allowance.sd",
        ["1e+300", "less than or equal to 3"],
        id="level-sd-huge",  # OverflowError in run
    ),
    pytest.param(
        {"uncertainty": {"levels": {"allowance": {"dist": "lognormal", "sd": 0.1, "mean": 1e300}}}},
        "uncertainty.levels.allowance.mean",
        ["1e+300", "less than or equal to 10"],
        id="level-mean-huge",  # balances of 10^300 tkr
    ),
    pytest.param(
        {
            "uncertainty": {
                "levels": {"allowance": {"dist": "pert", "min": 0.5, "mode": 1.0, "max": 1e300}}
            }
        },
        "uncertainty.levels.allowance.max",
        ["1e+300", "less than or equal to 10"],
        id="pert-max-huge",
    ),
    pytest.param(
        {"uncertainty": {"levels": {"allowance": {"dist": "normal", "sd": 2**63, "mean": 8.0}}}},
        "uncertainty.levels.allowance.sd",
        ["9223372036854775808", "less than or equal to 3"],
        id="level-sd-2-63",
    ),
    # --- text: one line, no control characters (Excel, Word, NetCDF and the terminal) ----
    pytest.param(
        {"meta.title": "Budget\x1b[2J 2026"},
        "meta.title",
        ["U+001B", "control characters", "'Budget\\x1b[2J 2026'"],
        id="esc-in-title",
    ),
    pytest.param({"meta.title": "a\x00b"}, "meta.title", ["U+0000"], id="nul-in-title"),
    pytest.param({"meta.municipality": "Vingåker\x07"}, "meta.municipality", ["U+0007"], id="bel"),
    pytest.param({"meta.description": "two\nlines"}, "meta.description", ["U+000A"], id="nl"),
    pytest.param({"meta.source": "a\tb"}, "meta.source", ["U+0009"], id="tab-in-source"),
    pytest.param({"meta.source": "a\x85b"}, "meta.source", ["U+0085"], id="c1-next-line"),
    pytest.param({"meta.title": "a\u2028b"}, "meta.title", ["U+2028"], id="line-separator"),
    pytest.param(
        {
            "policy": [
                {"component": "schablon", "from_year": 2021, "factor": 0.9, "description": "\r"}
            ]
        },
        "policy[0].description",
        ["U+000D"],
        id="cr-in-policy-description",
    ),
    # --- not a config at all ----------------------------------------------------------------------
    pytest.param(lambda text: "", "(file)", ["empty"], id="empty-file"),
    pytest.param(lambda text: " \n\n  \n", "(file)", ["empty"], id="blank-file"),
    pytest.param(
        lambda text: "[simulation\nyears = 5\n", "(file)", ["not valid TOML"], id="not-toml"
    ),
    pytest.param(
        lambda text: text + "\n[balance]\nopening = 1.0\n",
        "(file)",
        ["not valid TOML"],
        id="duplicate-table",
    ),
]


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


@pytest.mark.parametrize(("edit", "path", "fragments"), BAD)
def test_bad_config_names_path_value_and_rule(tmp_path, edit, path, fragments):
    file = write(tmp_path, apply(edit))
    with pytest.raises(ConfigError) as info:
        load_config(file)
    message = str(info.value)
    assert_names_path(message, path)
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    # one edit, one problem: no noise from the other branch of a number-or-list value
    assert "\n" not in message, message
    assert "[key]" not in message, message


def test_base_config_loads(tmp_path):
    config = load_config(write(tmp_path, BASE_TOML))
    assert isinstance(config, Config)
    assert config.simulation.years == 5
    assert list(config.groups) == ["adult", "child"]
    assert config.groups["adult"].states["intro"].exits[2].share == 0.4
    assert config.fixed.costs["admin"] == [100000.0] * 3


def test_integers_are_accepted_where_floats_are_expected(tmp_path):
    text = apply(_text_edit("opening = 0.0", "opening = 0"))
    text = text.replace("allowance = 7000.0", "allowance = 7000")
    text = text.replace("grundersattning = 500000.0", "grundersattning = 500000")
    config = load_config(write(tmp_path, text))
    assert config.balance.opening == 0.0
    assert isinstance(config.balance.opening, float)
    assert config.groups["adult"].costs["intro"]["allowance"] == 7000.0
    assert config.fixed.revenue["grundersattning"] == 500000.0


def test_text_and_sha256_are_the_files(tmp_path):
    text = BASE_TOML + "# a trailing comment is part of the provenance\n"
    config = load_config(write(tmp_path, text))
    assert config.toml == text
    assert config.sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    other = load_config(write(tmp_path, BASE_TOML, "other.toml"))
    assert other.sha256 != config.sha256


def test_with_overrides_gives_a_new_validated_config(tmp_path):
    config = load_config(write(tmp_path, BASE_TOML))
    changed = config.with_overrides({"arrivals.per_year": [900], f"{INTRO}.exits[2].share": 0.3})
    assert changed.arrivals.per_year == [900]
    assert changed.groups["adult"].states["intro"].exits[2].share == 0.3
    assert config.arrivals.per_year == [100, 100, 100]  # the original is unchanged
    # a changed config's text is a canonical dump of itself, and its hash is of that text
    assert tomllib.loads(changed.toml)["arrivals"]["per_year"] == [900]
    assert changed.sha256 == hashlib.sha256(changed.toml.encode("utf-8")).hexdigest()
    assert changed.sha256 != config.sha256
    reloaded = load_config(write(tmp_path, changed.toml, "changed.toml"))
    assert reloaded.to_dict() == changed.to_dict()


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("arrivals.per_yeer", "arrivals.per_yeer"),
        ("arrival.per_year", "arrival.per_year"),
        ("simulation.nope.runs", "simulation.nope"),
        (f"{INTRO}.exits[7].share", f"{INTRO}.exits[7]"),
        ("groups.adult.states.nowhere.max_months", "groups.adult.states.nowhere"),
    ],
)
def test_with_overrides_unknown_path_is_named(tmp_path, path, named):
    config = load_config(write(tmp_path, BASE_TOML))
    with pytest.raises(ConfigError, match=re.escape(named)):
        config.with_overrides({path: 1})


def test_with_overrides_bad_value_names_path(tmp_path):
    config = load_config(write(tmp_path, BASE_TOML))
    with pytest.raises(ConfigError) as info:
        config.with_overrides({f"{INTRO}.exits[2].share": 1.5})
    assert_names_path(str(info.value), f"{INTRO}.exits[2].share")
    assert "1.5" in str(info.value)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"nothere\.toml: no such config file"):
        load_config(tmp_path / "nothere.toml")


def test_non_utf8_file_is_a_config_error(tmp_path):
    file = tmp_path / "latin1.toml"
    file.write_bytes(BASE_TOML.replace("test base", "Södertälje").encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(file)


# --------------------------------------------------------------------------------------
# Small files that would exhaust memory, recursion or patience: refused before parsing
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "said"),
    [
        # 50 000 parts took 26 s and ended in MemoryError (quadratic inside tomllib)
        ("a" + ".a" * 5000 + " = 1\n", "a dotted key or table header of more than 32 parts"),
        ("[" + ".".join(["t"] * 40) + "]\nx = 1\n", "of more than 32 parts"),
        ("a = " + "[" * 5000 + "]" * 5000 + "\n", "nested more than 32 deep"),  # RecursionError
        ("a = " + "{ b = " * 2000 + "1" + " }" * 2000 + "\n", "nested more than 32 deep"),
        # headers, dotted keys and arrays within the limits one by one, too deep together
        ("[" + ".".join(["t"] * 20) + "]\n" + ".".join(["k"] * 20) + " = [[1]]\n", "32 deep"),
    ],
    ids=["dotted-key", "header", "arrays", "inline-tables", "together"],
)
def test_deep_toml_is_refused_before_anything_recurses(tmp_path, text, said):
    with pytest.raises(ConfigError, match=re.escape(said)) as info:
        load_config(write(tmp_path, text))
    assert str(info.value).startswith(f"{tmp_path / 'config.toml'}: (file): ")


def test_strings_and_comments_do_not_count_as_nesting(tmp_path):
    deep = "[" * 40 + "." * 40
    strings = f'title = "{deep}"  # {deep}\nsource = \'{deep}\'\ndescription = """{deep}"""'
    text = BASE_TOML.replace('title = "test base"', strings) + f"# {deep}\n"
    config = load_config(write(tmp_path, text))
    assert config.meta.title == config.meta.source == config.meta.description == deep


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path):
    text = BASE_TOML + "#" * 1_000_000 + "\n"
    with pytest.raises(ConfigError, match=r"config\.toml: 1\d{6} bytes, more than the 1000000"):
        load_config(write(tmp_path, text))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_being_opened(tmp_path):
    """It was opened, and the open waited for a writer for ever."""
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)

    def unblock() -> None:  # should the reader hang, give it an end of file: the test fails
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    watchdog = threading.Timer(5.0, unblock)
    watchdog.start()
    try:
        with pytest.raises(ConfigError, match=r"pipe\.toml: a FIFO \(named pipe\), not a config"):
            load_config(fifo)
    finally:
        watchdog.cancel()


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_a_device_is_refused_without_being_read():
    """/dev/zero was read without limit."""
    with pytest.raises(ConfigError, match="/dev/zero: a device or socket, not a config file"):
        load_config("/dev/zero")


def test_a_folder_and_a_nul_in_the_name_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="a folder, not a config file"):
        load_config(tmp_path)
    with pytest.raises(ConfigError, match="a file name cannot hold a NUL character"):
        load_config(tmp_path / "a\x00b.toml")  # ValueError: embedded null byte


def test_a_message_lists_at_most_20_problems_and_caps_each_value(tmp_path):
    extra = "".join(f"unknown_{i} = {i}\n" for i in range(30))
    text = BASE_TOML.replace("[simulation]\n", "[simulation]\n" + extra)
    text = text.replace('title = "test base"', f"title = {['x' * 200] * 3}")
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    lines = str(info.value).splitlines()
    assert lines[0].endswith(": 31 problems in the config:")
    assert len(lines) == 1 + 20 + 1 and lines[-1] == "  … and 11 more"
    title = next(line for line in lines if line.startswith("  meta.title: "))
    assert title.endswith("…)") and len(title) < 160
