"""Python values written as TOML, for tests that write config files."""

from __future__ import annotations

import json
from typing import Any


def toml_value(value: Any) -> str:
    """A Python value as TOML (strings, numbers, booleans, lists, flat dicts)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
        )
    raise TypeError(value)
