"""postmap, postalias and newaliases against Postfix: recorded golden
transcripts (tests/golden/postmap/), and, where real Postfix is
installed, the same cases run live by both."""

from __future__ import annotations

import difflib

import pytest

from tests.cli.maps_harness import (
    Case,
    expected_path,
    parse_cases,
    postfix_missing,
    run_case,
)

CASES = parse_cases()


def _diff(expected: str, actual: str, what: str) -> str:
    return "".join(difflib.unified_diff(
        expected.splitlines(keepends=True), actual.splitlines(keepends=True),
        f"{what} (Postfix)", "pyfix"))


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_golden(case: Case) -> None:
    expected = expected_path(case).read_text(encoding="utf-8", errors="surrogateescape")
    actual = run_case(case, "pyfix")
    assert actual == expected, _diff(expected, actual, str(expected_path(case)))


@pytest.mark.skipif(postfix_missing() is not None, reason=str(postfix_missing()))
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_live(case: Case) -> None:
    expected = run_case(case, "postfix")
    actual = run_case(case, "pyfix")
    assert actual == expected, _diff(expected, actual, "live")
