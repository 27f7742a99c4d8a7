"""NAME
    pyfix.config.types - typed Postfix parameter values

SUMMARY
    to_bool(), to_int(), to_long(), to_time(), ConfigValueError

DESCRIPTION
    Converts an expanded parameter value to its type, with Postfix's
    range checks and its error texts:

    boolean   "yes" or "no", in any case;
    int       a decimal C int, optionally range-checked;
    long      a decimal C long (sizes in bytes, such as
              message_size_limit), optionally range-checked;
    time      a number with an optional unit s, m, h, d or w; a bare
              number takes the parameter's default unit.

    A minimum or maximum of 0 means "no limit", as in Postfix.

    Parameters read: none; callers pass name and value.

DIAGNOSTICS
    ConfigValueError carries the text that Postfix's daemons print
    with "fatal:", for example "bad boolean configuration: name = value".
"""

from __future__ import annotations

import re

INT_MAX = 2**31 - 1
INT_MIN = -(2**31)
LONG_MAX = 2**63 - 1
LONG_MIN = -(2**63)

_STRTOL = re.compile(r"[ \t\n\v\f\r]*([+-]?\d+)")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class ConfigValueError(ValueError):
    """A parameter value that its type rejects; str() is Postfix's text."""


def _strtol(text: str) -> tuple[int, str] | None:
    match = _STRTOL.match(text)
    if match is None:
        return None
    return int(match.group(1)), text[match.end() :]


def to_bool(name: str, value: str) -> bool:
    folded = value.lower()
    if folded == "yes":
        return True
    if folded == "no":
        return False
    raise ConfigValueError(f"bad boolean configuration: {name} = {value}")


def _check_range(name: str, number: int, lo: int, hi: int) -> None:
    if lo and number < lo:
        raise ConfigValueError(f"invalid {name} parameter value {number} < {lo}")
    if hi and number > hi:
        raise ConfigValueError(f"invalid {name} parameter value {number} > {hi}")


def _to_integer(name: str, value: str, lo: int, hi: int, width: tuple[int, int]) -> int:
    parsed = _strtol(value)
    if parsed is None or parsed[1] or not width[0] <= parsed[0] <= width[1]:
        raise ConfigValueError(f"bad numerical configuration: {name} = {value}")
    _check_range(name, parsed[0], lo, hi)
    return parsed[0]


def to_int(name: str, value: str, lo: int = 0, hi: int = 0) -> int:
    return _to_integer(name, value, lo, hi, (INT_MIN, INT_MAX))


def to_long(name: str, value: str, lo: int = 0, hi: int = 0) -> int:
    return _to_integer(name, value, lo, hi, (LONG_MIN, LONG_MAX))


def time_seconds(value: str, default_unit: str) -> int | None:
    """Convert a time value to seconds, or None when Postfix would refuse it."""
    parsed = _strtol(value)
    if parsed is None or not value:
        return None
    number, rest = parsed
    if number < 0 or number > INT_MAX:
        return None
    unit = rest[0] if rest else default_unit
    scale = _UNITS.get(unit)
    if scale is None:
        return None
    if scale > 1 and number >= INT_MAX // scale:
        return None
    return number * scale


def to_time(name: str, value: str, default_unit: str = "s", lo: int = 0, hi: int = 0) -> int:
    seconds = time_seconds(value, default_unit)
    if seconds is None:
        raise ConfigValueError(f"parameter {name}: bad time value or unit: {value}")
    if lo and seconds < lo:
        raise ConfigValueError(f"invalid {name}: {seconds} (min {lo})")
    if hi and seconds > hi:
        raise ConfigValueError(f"invalid {name}: {seconds} (max {hi})")
    return seconds
