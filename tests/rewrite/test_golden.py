"""pyfix's trivial-rewrite against answers recorded from Postfix 3.7.11.

Every request of every profile in tests/golden/rewrite/expected is
replayed through pyfix.rewrite.service.TrivialRewrite, built from the same
main.cf text; the answers (transport, nexthop, recipient, flags; rewritten
address) and the log lines must be Postfix's.  See
tests/golden/rewrite/README.md for how the answers were recorded.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.rewrite.golden import (
    GOLDEN,
    Replay,
    load,
    load_cases,
    mismatches,
    profile_names,
    replay,
)


def _postfix_printable(text: str, utf8: bool) -> str:
    """Postfix's log sanitizing: non-ASCII shows as "?" unless SMTPUTF8 is on."""
    if utf8:
        return text
    return "".join(ch if ord(ch) < 128 else "?" * len(ch.encode()) for ch in text)


def _normalized_log(recorded: dict[str, Any], got: Replay) -> list[str]:
    utf8 = "compatibility_level = 0" not in recorded["main_cf"]
    lines = []
    for line in got.log:
        # pyfix.tables.maps reports the table's own error text before
        # Postfix's "TYPE:NAME lookup error for KEY"; Postfix's fail:
        # table says nothing of its own.
        if line.startswith("warning: fail:") and line.endswith(": table lookup failed"):
            continue
        lines.append(_postfix_printable(line, utf8))
    return lines


@pytest.mark.parametrize("name", profile_names())
def test_answers_match_postfix(name: str) -> None:
    recorded = load(name)
    got = replay(recorded)
    problems = mismatches(recorded, got)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", profile_names())
def test_log_matches_postfix(name: str) -> None:
    recorded = load(name)
    assert _normalized_log(recorded, replay(recorded)) == recorded["log"]


def test_every_profile_was_recorded() -> None:
    cases = load_cases()
    assert sorted(cases.PROFILES) == profile_names()
    base = (GOLDEN / "postfix" / "main.cf").read_text()
    for name, profile in cases.PROFILES.items():
        recorded = load(name)
        requests = [(e["request"], e.get("rule", e.get("sender")), e["address"])
                    for e in recorded["replies"]]
        assert requests == profile.requests, f"{name}: re-record (cases.py changed)"
        assert recorded["main_cf"] == base + "\n" + profile.settings, f"{name}: re-record"
