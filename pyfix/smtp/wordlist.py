"""NAME
    pyfix.smtp.wordlist - match a command name against a string list

SUMMARY
    WordList, TableMatch

DESCRIPTION
    smtpd_forbidden_commands and smtpd_noop_commands are Postfix string
    lists: words that match without regard to case, "!word" to exclude,
    and "type:table" lookups that match when the table has a result for
    the command name.  The first element that decides wins.

    Tables are not opened here (that would be I/O in the protocol core):
    a caller that has table support passes table_match.  Without it, the
    inline forms "regexp:{...}" and "pcre:{...}" of the default
    (smtpd_forbidden_commands = CONNECT GET POST regexp:{{/^[^A-Z]/
    Bogus}}) are understood here: each rule is "/pattern/flags result",
    matching without regard to case unless the "i" flag turns that off.
    Other tables never match.

    Parameters read: none (callers pass the list text).

DIAGNOSTICS
    A malformed inline rule or pattern is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pyfix.config.lists import extract_braces, split_list
from pyfix.smtp.tokens import ascii_lower

TableMatch = Callable[[str, str], bool]
"""(table spec, key) -> True when the table has a result for key."""

_RULE = re.compile(r"/((?:[^/\\]|\\.)*)/(\w*)\s*(.*)", re.S)


def _inline_rules(spec: str) -> list[re.Pattern[str]]:
    dict_type, _, name = spec.partition(":")
    body, error = extract_braces(name)
    if error is not None:
        return []
    rules: list[re.Pattern[str]] = []
    for rule in split_list(body):
        text, error = extract_braces(rule)
        match = _RULE.fullmatch(text.strip()) if error is None else None
        if match is None:
            continue
        flags = re.NOFLAG if "i" in match.group(2) else re.IGNORECASE
        try:
            rules.append(re.compile(match.group(1), flags))
        except re.error:
            continue
    return rules if dict_type in ("regexp", "pcre") else []


class WordList:
    def __init__(self, text: str, table_match: TableMatch | None = None) -> None:
        self.patterns = split_list(text)
        self._table_match = table_match
        self._inline: dict[str, list[re.Pattern[str]]] = {}
        for pattern in self.patterns:
            spec = pattern.lstrip("!")
            if ":" in spec and spec.split(":", 1)[1].startswith("{"):
                self._inline[spec] = _inline_rules(spec)

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def _matches(self, spec: str, word: str) -> bool:
        if ":" not in spec:
            return ascii_lower(spec) == ascii_lower(word)
        if self._table_match is not None:
            return self._table_match(spec, word)
        return any(rule.search(word) for rule in self._inline.get(spec, ()))

    def __call__(self, word: str) -> bool:
        for pattern in self.patterns:
            negate = pattern.startswith("!")
            if self._matches(pattern.lstrip("!"), word):
                return not negate
        return False
