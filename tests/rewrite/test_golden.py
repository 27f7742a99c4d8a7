"""pyfix's trivial-rewrite against answers recorded from Postfix 3.7.11.

Every request of every profile in tests/golden/rewrite/expected is
replayed through pyfix.rewrite.service.TrivialRewrite, built from the same
main.cf text; the answers (transport, nexthop, recipient, flags; rewritten
address) and the log lines must be Postfix's.  See
tests/golden/rewrite/README.md for how the answers were recorded.
"""

from __future__ import annotations

import pytest

from tests.rewrite.golden import (
    GOLDEN,
    load,
    load_cases,
    mismatches,
    profile_names,
    replay,
)


@pytest.mark.parametrize("name", profile_names())
def test_answers_match_postfix(name: str) -> None:
    recorded = load(name)
    got = replay(recorded)
    problems = mismatches(recorded, got)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", profile_names())
def test_log_matches_postfix(name: str) -> None:
    recorded = load(name)
    assert replay(recorded).log == recorded["log"]


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
