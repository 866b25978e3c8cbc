"""Words and labels of the appendix, in Swedish (default) and English.

The words are data: one catalogue per language, ``locale/sv.toml`` and ``locale/en.toml``
(:mod:`balanskonto.report.catalogue`), which a writer edits without touching code. This module
looks them up: :func:`text` for the templates, the ``*_label`` functions for the names of a
config (states, groups, components, uncertainty factors, config keys). No template contains a
digit: every number in the text is put in from the table of named quantities
(:mod:`balanskonto.report.quantities`), formatted by :mod:`balanskonto.report.numbers`, whose
functions are re-exported here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from . import catalogue
from .catalogue import LANGS, CatalogueError, check_lang
from .numbers import (
    MINUS,
    NBSP,
    Label,
    amount,
    amount_unit,
    level,
    number,
    percent,
    percentile,
    plain,
    points,
    toml_value,
)

__all__ = [
    "LANGS",
    "MINUS",
    "NBSP",
    "CatalogueError",
    "Label",
    "amount",
    "amount_unit",
    "capital",
    "check_lang",
    "component_label",
    "factor_label",
    "figure_text",
    "group_label",
    "key_label",
    "level",
    "number",
    "percent",
    "percentile",
    "plain",
    "points",
    "state_label",
    "text",
    "toml_value",
]


def text(key: str, lang: str = "sv") -> str:
    """The template ``key`` of ``[text]`` in ``lang``; CatalogueError if it has none."""
    return catalogue.entry("text", key, lang)


def figure_text(key: str, lang: str = "sv") -> str:
    """The words ``key`` of ``[figure]`` (titles, legends, axes) in ``lang``."""
    return catalogue.entry("figure", key, lang)


def capital(text: str) -> str:
    """``text`` with a capital first letter (for a label that starts a line)."""
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------------------
# Labels: states, groups, components. Every display name of the report, the workbook and the
# command line's tables comes from these three functions: first the config's own ``[labels]``
# (DESIGN §15: ``labels = {"lotsar": "Löner lotsar"}``), then the catalogue, then the name.
# --------------------------------------------------------------------------------------
def state_label(name: str, lang: str = "sv", labels: Mapping[str, str] | None = None) -> str:
    return _label("state", name, lang, labels)


def group_label(name: str, lang: str = "sv", labels: Mapping[str, str] | None = None) -> str:
    return _label("group", name, lang, labels)


def component_label(name: str, lang: str = "sv", labels: Mapping[str, str] | None = None) -> str:
    return _label("component", name, lang, labels)


def _label(kind: str, name: str, lang: str, labels: Mapping[str, str] | None) -> str:
    if labels and name in labels:
        return str(labels[name])
    return catalogue.label(kind, name, lang)


# --------------------------------------------------------------------------------------
# Uncertainty factors
# --------------------------------------------------------------------------------------
_SHARE = re.compile(
    r"^groups\.(?P<g>[a-z][a-z0-9_]*)\.(?:states\.(?P<s>[a-z_]+)\.exits\[(?P<i>\d+)\]"
    r"\.(?P<f>share|monthly_shares|annual_probability)|relocation\.annual_probability)$"
)


def factor_label(
    name: str,
    lang: str = "sv",
    exit_targets: dict[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> str:
    """A readable name for a factor of the tornado (``level:sfi`` → ``nivå: SFI``).

    ``exit_targets`` maps a share path to the state its exit leads to (from the config);
    ``labels`` are the config's display texts.
    """
    if name.startswith("level:"):
        comp = component_label(name.removeprefix("level:"), lang, labels)
        return catalogue.entry("factor", "level", lang).format(c=comp)
    if name.startswith("policy["):
        comp = component_label(name.split(":", 1)[1], lang, labels)
        return catalogue.entry("factor", "policy", lang).format(c=comp)
    if name.startswith("share:"):
        return _share_label(name.removeprefix("share:"), lang, exit_targets or {}, labels)
    base = name.removesuffix(" (mean)")
    if base in ("labour_market", "arrivals"):
        return catalogue.entry("factor", base, lang)
    return name


def _share_label(
    path: str, lang: str, targets: dict[str, str], labels: Mapping[str, str] | None = None
) -> str:
    m = _SHARE.match(path)
    if not m:
        return path
    group = group_label(m["g"], lang, labels)
    if m["s"] is None:
        return catalogue.entry("factor", "relocation", lang).format(g=group)
    src = state_label(m["s"], lang, labels)
    dst = state_label(targets[path], lang, labels) if path in targets else "?"
    words = catalogue.entry("factor", m["f"], lang)  # share or annual_probability
    return words.format_map({"from": src, "to": dst, "g": group})


# --------------------------------------------------------------------------------------
# Config keys
# --------------------------------------------------------------------------------------
#: (pattern of a config key, its name in ``[config_key]``), the first match wins; the slots
#: {g}, {s}, {c} of the words are filled with the labels of the group, state and component.
_KEYS: tuple[tuple[str, str], ...] = (
    (r"meta\.title", "meta.title"),
    (r"meta\.municipality", "meta.municipality"),
    (r"meta\.source", "meta.source"),
    (r"meta\.description", "meta.description"),
    (r"simulation\.start_year", "simulation.start_year"),
    (r"simulation\.years", "simulation.years"),
    (r"simulation\.runs", "simulation.runs"),
    (r"simulation\.seed", "simulation.seed"),
    (r"simulation\.quantiles", "simulation.quantiles"),
    (r"balance\.opening", "balance.opening"),
    (r"arrivals\.per_year", "arrivals.per_year"),
    (r"arrivals\.distribution", "arrivals.distribution"),
    (r"arrivals\.mix", "arrivals.mix"),
    (r"arrivals\.cv", "arrivals.cv"),
    (r"groups\.(?P<g>\w+)\.start", "groups.{g}.start"),
    (r"groups\.(?P<g>\w+)\.relocation", "groups.{g}.relocation"),
    (r"groups\.(?P<g>\w+)\.states\.(?P<s>\w+)\.max_months", "groups.{g}.states.{s}.max_months"),
    (r"groups\.(?P<g>\w+)\.states\.(?P<s>\w+)\.on_expiry", "groups.{g}.states.{s}.on_expiry"),
    (r"groups\.(?P<g>\w+)\.states\.(?P<s>\w+)\.exits", "groups.{g}.states.{s}.exits"),
    (r"groups\.(?P<g>\w+)\.costs\.(?P<s>\w+)", "groups.{g}.costs.{s}"),
    (r"groups\.(?P<g>\w+)\.revenue\.(?P<s>\w+)", "groups.{g}.revenue.{s}"),
    (r"groups\.(?P<g>\w+)\.payments\.(?P<c>\w+)\.amount\w*", "groups.{g}.payments.{c}.amount"),
    (
        r"groups\.(?P<g>\w+)\.payments\.(?P<c>\w+)\.relocated_share",
        "groups.{g}.payments.{c}.relocated_share",
    ),
    (
        r"groups\.(?P<g>\w+)\.payments\.(?P<c>\w+)\.relocated_share_of_amount",
        "groups.{g}.payments.{c}.relocated_share_of_amount",
    ),
    (
        r"groups\.(?P<g>\w+)\.payments\.(?P<c>\w+)\.relocated_within_months",
        "groups.{g}.payments.{c}.relocated_within_months",
    ),
    (r"groups\.(?P<g>\w+)\.payments\.(?P<c>\w+)\.\w+", "groups.{g}.payments.{c}.*"),
    (
        r"groups\.(?P<g>\w+)\.scheduled_costs\.(?P<c>\w+)\.amount\w*",
        "groups.{g}.scheduled_costs.{c}.amount",
    ),
    (
        r"groups\.(?P<g>\w+)\.scheduled_costs\.(?P<c>\w+)\.months",
        "groups.{g}.scheduled_costs.{c}.months",
    ),
    (
        r"groups\.(?P<g>\w+)\.scheduled_costs\.(?P<c>\w+)\.from_month",
        "groups.{g}.scheduled_costs.{c}.from_month",
    ),
    (
        r"groups\.(?P<g>\w+)\.scheduled_costs\.(?P<c>\w+)\.share_of_persons",
        "groups.{g}.scheduled_costs.{c}.share_of_persons",
    ),
    (r"groups\.(?P<g>\w+)\.scheduled_costs\.(?P<c>\w+)\.\w+", "groups.{g}.scheduled_costs.{c}.*"),
    (
        r"groups\.(?P<g>\w+)\.scheduled_revenue\.(?P<c>\w+)\.amount\w*",
        "groups.{g}.scheduled_revenue.{c}.amount",
    ),
    (
        r"groups\.(?P<g>\w+)\.scheduled_revenue\.(?P<c>\w+)\.months",
        "groups.{g}.scheduled_revenue.{c}.months",
    ),
    (
        r"groups\.(?P<g>\w+)\.scheduled_revenue\.(?P<c>\w+)\.\w+",
        "groups.{g}.scheduled_revenue.{c}.*",
    ),
    (r"groups\.(?P<g>\w+)\.members(\.\w+)?", "groups.{g}.members"),
    (r"groups\.(?P<g>\w+)\.per_household", "groups.{g}.per_household"),
    (r"groups\.(?P<g>\w+)\.per_day\.costs\.(?P<s>\w+)", "groups.{g}.per_day.costs.{s}"),
    (r"groups\.(?P<g>\w+)\.per_day\.revenue\.(?P<s>\w+)", "groups.{g}.per_day.revenue.{s}"),
    (r"groups\.(?P<g>\w+)\.leaves_care(\.\w+)?", "groups.{g}.leaves_care"),
    (r"fixed\.contracted\.(?P<c>\w+)\.places", "fixed.contracted.{c}.places"),
    (r"fixed\.contracted\.(?P<c>\w+)\.per_day", "fixed.contracted.{c}.per_day"),
    (r"fixed\.contracted\.(?P<c>\w+)\.per_month", "fixed.contracted.{c}.per_month"),
    (r"refused_claims\.(?P<c>\w+)\.probability", "refused_claims.{c}.probability"),
    (r"refused_claims\.(?P<c>\w+)\.lag_years", "refused_claims.{c}.lag_years"),
    (r"refused_claims\.(?P<c>\w+)\.\w+", "refused_claims.{c}.*"),
    (r"groups\.(?P<g>\w+)\.payments\.(?P<c>\w+)", "groups.{g}.payments.{c}"),
    (r"groups\.(?P<g>\w+)\.scheduled_costs\.(?P<c>\w+)", "groups.{g}.scheduled_costs.{c}"),
    (r"groups\.(?P<g>\w+)\.scheduled_revenue\.(?P<c>\w+)", "groups.{g}.scheduled_revenue.{c}"),
    (r"fixed\.contracted\.(?P<c>\w+)", "fixed.contracted.{c}"),
    (r"refused_claims\.(?P<c>\w+)", "refused_claims.{c}"),
    (r"fixed\.costs\.(?P<c>\w+)", "fixed.costs.{c}"),
    (r"fixed\.revenue\.(?P<c>\w+)", "fixed.revenue.{c}"),
    (r"indexation\.costs", "indexation.costs"),
    (r"indexation\.revenue", "indexation.revenue"),
    (r"population\.rows", "population.rows"),
    (r"uncertainty\.labour_market\.sd", "uncertainty.labour_market.sd"),
    (r"uncertainty\.labour_market\.autocorrelation", "uncertainty.labour_market.autocorrelation"),
    (r"uncertainty\.labour_market\.mean", "uncertainty.labour_market.mean"),
    (r"uncertainty\.labour_market\.effect", "uncertainty.labour_market.effect"),
    (r"uncertainty\.labour_market\.relapse_effect", "uncertainty.labour_market.relapse_effect"),
    (r"uncertainty\.arrivals\.sd", "uncertainty.arrivals.sd"),
    (r"uncertainty\.arrivals\.autocorrelation", "uncertainty.arrivals.autocorrelation"),
    (r"uncertainty\.arrivals\.scenarios", "uncertainty.arrivals.scenarios"),
    (r"uncertainty\.levels\.(?P<c>\w+)", "uncertainty.levels.{c}"),
    (r"uncertainty\.shares\..+", "uncertainty.shares.*"),
    (r"policy\[\d+\]\.component", "policy.component"),
    (r"policy\[\d+\]\.from_year", "policy.from_year"),
    (r"policy\[\d+\]\.factor", "policy.factor"),
    (r"policy\[\d+\]\.probability", "policy.probability"),
    (r"policy\[\d+\]\.\w+", "policy.*"),
)


def key_label(key: str, lang: str = "sv", labels: Mapping[str, str] | None = None) -> str:
    """What a config key means, in words (empty for a key the appendix does not know);
    ``labels`` are the config's display texts."""
    for pattern, name in _KEYS:
        m = re.fullmatch(pattern, key)
        if m:
            slots = m.groupdict()
            words = {
                "g": group_label(slots.get("g") or "", lang, labels),
                "s": state_label(slots.get("s") or "", lang, labels),
                "c": component_label(slots.get("c") or "", lang, labels),
            }
            return catalogue.entry("config_key", name, lang).format(**words)
    return ""
