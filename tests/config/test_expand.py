"""Unit tests for $name expansion (postconf(5) macro language)."""

from __future__ import annotations

import pytest

from pyfix.config.expand import ERROR, UNDEF, compat_level_from_string, expand, scan_names


def run(value: str, params: dict[str, str]) -> tuple[str, int, list[str]]:
    warnings: list[str] = []

    def lookup(name: str, _mode: int) -> str | None:
        return params.get(name)

    result, status = expand(value, lookup, warnings.append)
    return result, status, warnings


P = {"a": "A", "b": "$a-$a", "empty": "", "host": "mx.example.com", "lvl": "3.6", "n": "10"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("$a", "A"),
        ("${a}", "A"),
        ("$(a)", "A"),
        ("x$a.y", "xA.y"),
        ("$b", "A-A"),
        ("$$a", "$a"),
        ("${a?yes}", "yes"),
        ("${empty?yes}", ""),
        ("${missing?yes}", ""),
        ("${a:no}", ""),
        ("${empty:no}", "no"),
        ("${missing:no}", "no"),
        ("${a?{T}:{F}}", "T"),
        ("${empty?{T}:{F}}", "F"),
        ("${a ? {T} : {F}}", "T"),
        ("${empty?{T}:F rest}", "F rest"),
        ("${a?$host}", "mx.example.com"),
        ("${{$a} == {A}?{eq}:{ne}}", "eq"),
        ("${{$a} != {A}?{eq}:{ne}}", "ne"),
        ("${{$n} < {9}?{lt}:{ge}}", "ge"),
        ("${{$n} > {9}?{gt}:{le}}", "gt"),
        ("${{abc} < {abd}?{lt}:{ge}}", "lt"),
        ("${{$n} <= {10}?{le}:{gt}}", "le"),
        ("${{$n} >= {11}?{ge}:{lt}}", "lt"),
        ("${{$lvl} <level {3.10}?{old}:{new}}", "old"),
        ("${{$lvl} >=level {2}?{new}:{old}}", "new"),
        ("${{0} <level {1} ? {yes} : {no}}", "yes"),
        ("${{$a} == {A}}", "true"),
        ("$missing", ""),
        ("", ""),
    ],
)
def test_forms(value: str, expected: str) -> None:
    result, status, warnings = run(value, P)
    assert result == expected
    assert not status & ERROR
    assert warnings == []


def test_undefined_sets_undef() -> None:
    _, status, _ = run("$missing", P)
    assert status & UNDEF


def test_self_reference_is_unreasonable_nesting() -> None:
    _, status, warnings = run("$y", {"y": "$y"})
    assert status & ERROR
    assert warnings == ['unreasonable macro call nesting: "y"']


def test_two_parameter_loop() -> None:
    _, status, warnings = run("$p", {"p": "$q", "q": "$p"})
    assert status & ERROR
    assert warnings[0].startswith("unreasonable macro call nesting")


def test_deep_chain_within_limit_and_beyond() -> None:
    chain = {f"p{i}": f"$p{i + 1}" for i in range(150)}
    chain["p150"] = "end"
    shallow = dict(chain)
    shallow["p40"] = "end"
    assert run("$p0", shallow)[0] == "end"
    _, status, warnings = run("$p0", chain)
    assert status & ERROR and "unreasonable macro call nesting" in warnings[0]


@pytest.mark.parametrize(
    ("value", "warning"),
    [
        ("${a", 'truncated macro reference: "${a"'),
        ("$(a", 'truncated macro reference: "$(a"'),
        ("x $", 'empty macro name: "x $"'),
        ("${}", 'empty macro name: "${}"'),
        ("${a b}", 'attribute name syntax error at: "...a>>> b"'),
        ("${a?{x}y}", '":" expected at: "...x}>>>y"'),
        (
            "${{a} ~ {b}}",
            '"==" or "!="" or "<"" or "<="" or ">="" or ">" expected at: "...a}>>>~ {b}"',
        ),
        ("${{a} == b}", '"{expression}" expected at: "...{a} ==>>> b"'),
        ("${{a} ==level  b}", '"{expression}" expected at: "...{a} ==>>>  b"'),
        ("${x{y}}", 'attribute name syntax error at: "...x>>>{y}"'),
        ("${x  {y}}", 'attribute name syntax error at: "...x>>>  {y}"'),
        ("${ x{y}}", 'attribute name syntax error at: "... x>>>{y}"'),
        ("${{a} == {b} x}", '"?" or ":" expected at: "...}>>>x"'),
        ("${{a} == {b}?{x", 'truncated macro reference: "${{a} == {b}?{x"'),
        ("$({a} == {b}?{x)", 'unbalanced {} in attribute expression: "{x"'),
        ("${{x} <level {1}}", 'malformed compatibility level syntax: "x"'),
    ],
)
def test_syntax_errors(value: str, warning: str) -> None:
    _, status, warnings = run(value, P)
    assert status & ERROR
    assert warnings == [warning]


def test_scan_names_sees_both_branches() -> None:
    names = scan_names("${a?{$b}:{$c}} $(d) ${{$e} == {x}?{$f}}", lambda _t: None)
    assert names == ["a", "b", "c", "d", "e", "f"]


def test_scan_names_counts_every_reference() -> None:
    """Postfix warns about an undefined name each time the scan meets it."""
    names = scan_names("${undefined?set}${undefined:dflt} $x ${x?{$x}}", lambda _t: None)
    assert names == ["undefined", "undefined", "x", "x", "x"]


def test_scan_names_visits_before_a_later_syntax_error() -> None:
    events: list[str] = []
    names = scan_names("$a ${b", events.append, lambda n: events.append("visit " + n))
    assert names == ["a"]
    assert events == ["visit a", 'truncated macro reference: "$a ${b"']


def test_compat_levels_order_numerically() -> None:
    def level(text: str) -> int:
        return compat_level_from_string(text, lambda _t: None)

    assert level("3.10") > level("3.9") > level("3") > level("2.11.1") > level("0")
    assert level("3.x") == -1
