"""The keys of a configuration file: their kinds and ranges, and the error naming a bad one.

Every value the command line reads from its TOML file is checked against a :class:`Key` (its
kind, whether it is required, its default, its choices or range) by :func:`check_table`; a value
that does not fit raises a :class:`ConfigError` naming the key (``[integrator].dt``), what is
allowed and what was given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class ConfigError(ValueError):
    """A configuration that cannot be used; ``key`` is the key path (``'[integrator].dt'``)."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


def _invalid(key: str, allowed: str, given) -> ConfigError:
    return ConfigError(
        key, f"Invalid value for {key}. Allowed {allowed}, but got {given!r} instead."
    )


def _missing(key: str, required: str) -> ConfigError:
    return ConfigError(key, f"Missing key {key}. {required}, but it was not given.")


def _names(names) -> str:
    return ", ".join(repr(n) for n in names)


@dataclass(frozen=True)
class Key:
    """One key of a section: its type, whether it is required, its default and its range."""

    kind: str  # 'str', 'number', 'numbers', 'int', 'bool', 'table', 'list', 'any'
    required: bool = False
    default: object = None
    choices: tuple | None = None
    check: object = None  # value -> bool
    allowed: str = ""  # what ``check`` allows, for the message


KINDS = {
    "str": ("a string", lambda v: isinstance(v, str)),
    "number": ("a number", lambda v: _is_number(v)),
    "numbers": ("a number or a list of numbers", lambda v: _is_numbers(v)),
    "int": ("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "bool": ("true or false", lambda v: isinstance(v, bool)),
    "table": ("a table", lambda v: isinstance(v, dict)),
    "list": ("a list", lambda v: isinstance(v, list)),
    "any": ("any value", lambda v: True),
}


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)


def _is_numbers(value) -> bool:
    if isinstance(value, list):
        return bool(value) and all(_is_numbers(v) for v in value)
    return _is_number(value)


def check_table(table, schema: dict, where: str) -> dict:
    """The table's values, checked against ``schema``, with defaults filled in."""
    if not isinstance(table, dict):
        raise _invalid(where, "is a table", table)
    unknown = [k for k in table if k not in schema]
    if unknown:
        raise ConfigError(
            f"{where}.{unknown[0]}",
            f"Unknown key {where}.{unknown[0]}. Allowed keys of {where} are "
            f"{_names(schema)}, but got {unknown[0]!r}.",
        )
    out = {}
    for name, key in schema.items():
        path = f"{where}.{name}"
        if name not in table:
            if key.required:
                required = _names([n for n, k in schema.items() if k.required])
                raise _missing(path, f"Required keys of {where} are {required}")
            out[name] = key.default
            continue
        value = table[name]
        what, is_kind = KINDS[key.kind]
        if not is_kind(value):
            raise _invalid(path, f"is {what}", value)
        if key.choices is not None and value not in key.choices:
            raise _invalid(path, f"values are {_names(key.choices)}", value)
        if key.check is not None and not key.check(value):
            raise _invalid(path, f"values are {key.allowed}", value)
        out[name] = value
    return out


def _positive(v) -> bool:
    return bool(np.all(np.asarray(v, dtype=float) > 0))


def _non_negative(v) -> bool:
    return bool(np.all(np.asarray(v, dtype=float) >= 0))
