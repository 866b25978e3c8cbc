"""Reading and validating every input file: schema, cross-checks, errors, overrides.

This package is the only one that reads files. Every error is a :class:`ConfigError` whose
message names the dotted path (``groups.adult.states.intro.exits[2].share``), shows the bad
value and states the rule.
"""

from .errors import ConfigError, config_error
from .reading import config_from_dict, parse_config, read_config, read_text_file
from .schema import Config
from .semantics import component_names, share_target
from .types import RESIDENT, STATES

__all__ = [
    "RESIDENT",
    "STATES",
    "Config",
    "ConfigError",
    "component_names",
    "config_error",
    "config_from_dict",
    "parse_config",
    "read_config",
    "read_text_file",
    "share_target",
]
