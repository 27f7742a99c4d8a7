"""Unit tests for typed parameter values and Postfix's messages."""

from __future__ import annotations

import pytest

from pyfix.config.types import ConfigValueError, to_bool, to_int, to_long, to_time


def test_bool() -> None:
    assert to_bool("x", "yes") is True
    assert to_bool("x", "NO") is False
    with pytest.raises(ConfigValueError, match=r"^bad boolean configuration: x = maybe$"):
        to_bool("x", "maybe")
    with pytest.raises(ConfigValueError):
        to_bool("x", "")


def test_int_and_range() -> None:
    assert to_int("n", "42") == 42
    assert to_int("n", " -3") == -3
    with pytest.raises(ConfigValueError, match=r"^bad numerical configuration: n = 10k$"):
        to_int("n", "10k")
    with pytest.raises(ConfigValueError, match=r"^bad numerical configuration: n = $"):
        to_int("n", "")
    with pytest.raises(ConfigValueError, match=r"^bad numerical configuration"):
        to_int("n", str(2**31))
    with pytest.raises(ConfigValueError, match=r"^invalid n parameter value 0 < 1$"):
        to_int("n", "0", lo=1)
    with pytest.raises(ConfigValueError, match=r"^invalid n parameter value 9 > 5$"):
        to_int("n", "9", hi=5)


def test_long_holds_sizes() -> None:
    assert to_long("message_size_limit", "31457280") == 31457280
    assert to_long("message_size_limit", str(2**40)) == 2**40


@pytest.mark.parametrize(
    ("value", "unit", "seconds"),
    [("300s", "s", 300), ("5m", "s", 300), ("2h", "s", 7200), ("1d", "s", 86400),
     ("1w", "s", 604800), ("5", "d", 432000), ("0", "s", 0), ("10sx", "s", 10)],
)
def test_time(value: str, unit: str, seconds: int) -> None:
    assert to_time("t", value, unit) == seconds


def test_time_errors() -> None:
    with pytest.raises(ConfigValueError, match=r"^parameter t: bad time value or unit: 5x$"):
        to_time("t", "5x")
    with pytest.raises(ConfigValueError, match=r"^parameter t: bad time value or unit: -1$"):
        to_time("t", "-1")
    with pytest.raises(ConfigValueError, match=r"^invalid t: 0 \(min 1\)$"):
        to_time("t", "0", lo=1)
    with pytest.raises(ConfigValueError, match=r"^invalid t: 7200 \(max 3600\)$"):
        to_time("t", "2h", hi=3600)
