"""docs/anvandarguide.md: its TOML examples of the new keys (DESIGN §15) are the bundled
configs' own lines, so the guide stays in step when a config changes."""

from __future__ import annotations

import re
import tomllib

import pytest

from conftest import CONFIGS, ROOT

GUIDE = ROOT / "docs" / "anvandarguide.md"
CONFIG_FILES = ("ensamkommande.toml", "nacka_2018.toml")


def leaves(table: dict, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], object]:
    """Every value of a TOML table by its dotted path (lists and numbers as leaves)."""
    out: dict[tuple[str, ...], object] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(leaves(value, (*path, key)))
        else:
            out[(*path, key)] = value
    return out


def guide_examples() -> list[str]:
    section = GUIDE.read_text(encoding="utf-8").split("## Egna tillstånd, hushåll")[1]
    section = section.split("\n## ")[0]
    return re.findall(r"```toml\n(.*?)```", section, flags=re.S)


def test_the_guide_has_an_example_of_each_new_key():
    text = "".join(guide_examples())
    keys = ("[states]", "members", "per_household", "per_day", "leaves_care",
            "[fixed.contracted.", "[refused_claims.", "from_month", "share_of_persons",
            "scheduled_revenue")  # fmt: skip
    for key in keys:
        assert key in text, key


@pytest.mark.parametrize("example", range(len(guide_examples())))
def test_each_example_line_is_a_bundled_configs(example):
    """Every value the example sets is the same in one of the two configs it is taken from."""
    block = tomllib.loads(guide_examples()[example])
    configs = [
        leaves(tomllib.loads((CONFIGS / name).read_text(encoding="utf-8"))) for name in CONFIG_FILES
    ]
    matches = [c for c in configs if all(c.get(k, object()) == v for k, v in leaves(block).items())]
    assert matches, leaves(block)
