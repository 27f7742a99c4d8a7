"""NAME
    pyfix.address.matchlist - Postfix's match lists

SUMMARY
    MatchList, string_list(), domain_list(), addr_list(), namadr_list()

DESCRIPTION
    Parameters such as mydestination, relay_domains, mynetworks and
    debug_peer_list hold lists of patterns.  As in Postfix:

    - patterns are separated by commas and white space; { } groups;
    - the first pattern that matches decides; "!pattern" negates it (the
      list then answers "no" at once);
    - "/file/name" stands for the patterns in that file (one or more per
      line; lines starting with "#" are comments);
    - "type:table" looks the name up in a table (and, for host names in
      fixed-key tables, its parent domains);
    - matching ignores case.

    Kinds of match:
    string    exact string (mydestination);
    hostname  the name, and its subdomains: with the parent style (the
              parameter is listed in parent_domain_matches_subdomains)
              "example.com" also matches "sub.example.com"; otherwise
              only ".example.com" does (relay_domains, ...);
    hostaddr  an address: "1.2.3.4", "[::1]", or "net/mask" in CIDR
              form, IPv4 or IPv6 (mynetworks).

    Parameters read: parent_domain_matches_subdomains (by the callers,
    through parent_style()), and the list parameter itself.

DIAGNOSTICS
    A table lookup problem raises pyfix.tables.base.TableError (the
    caller answers 4xx); with a warn callback it is also reported first
    in Postfix's words ("mydestination: hash:/etc/x: table lookup
    problem").  A pattern with nothing after "!" raises
    MatchListError with Postfix's text.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from pyfix.config.lists import LIST_SEPARATORS, split_quoted
from pyfix.tables.base import FIXED, TableConfigError

_V4_CHARS = frozenset("01234567890.")
_V6_CHARS = _V4_CHARS | frozenset("abcdefABCDEF:")


class MatchListError(ValueError):
    """A list that cannot be parsed; str() is Postfix's text."""


def is_dictionary(pattern: str) -> bool:
    return not pattern.startswith("[") and ":" in pattern


@dataclass
class _Pattern:
    text: str
    match: bool  # False when negated
    table: object | None = None  # an opened Table for type:name patterns
    missing_file: str | None = None


def _parse(pname: str, text: str, init_match: bool, out: list[_Pattern]) -> None:
    from pyfix.tables.open import open_table

    for item in split_quoted(text, LIST_SEPARATORS):
        if item.startswith("#"):
            break
        match = init_match
        while item.startswith("!"):
            match = not match
            item = item[1:]
        if not item:
            raise MatchListError(f"{pname}: no pattern after '!'")
        if item.startswith("/"):
            try:
                with open(item, encoding="utf-8", errors="surrogateescape") as fh:
                    lines = [line for line in fh if not line.startswith("#")]
            except OSError as exc:
                out.append(_Pattern(item, match, missing_file=f"open file {item}: "
                                                                f"{exc.strerror}"))
                continue
            for line in lines:
                _parse(pname, line, match, out)
        elif is_dictionary(item):
            out.append(_Pattern(item, match, table=open_table(item)))
        else:
            out.append(_Pattern(item.lower(), match))


def _match_string(name: str, pattern: _Pattern, parent: bool) -> bool:
    return name == pattern.text


def _match_hostname(name: str, pattern: _Pattern, parent: bool) -> bool:
    text = pattern.text
    if name == text:
        return True
    if parent:
        return name.endswith("." + text) and len(name) > len(text) + 1
    return text.startswith(".") and name.endswith(text) and len(name) > len(text)


def _match_hostaddr(addr: str, pattern: _Pattern, parent: bool) -> bool:
    if not addr or any(ch not in _V6_CHARS for ch in addr):
        return False
    text = pattern.text
    if text == addr or text == f"[{addr}]":
        return True
    if ("/" not in text) or ((":" in addr) != (":" in text)):
        return False
    try:
        network = ipaddress.ip_network(text.replace("[", "").replace("]", ""), strict=False)
        return ipaddress.ip_address(addr) in network
    except ValueError:
        return False


MATCHERS: dict[str, Callable[[str, _Pattern, bool], bool]] = {
    "string": _match_string,
    "hostname": _match_hostname,
    "hostaddr": _match_hostaddr,
}


class MatchList:
    def __init__(self, pname: str, text: str, kinds: tuple[str, ...],
                 parent_style: bool = False,
                 warn: Callable[[str], None] | None = None) -> None:
        self.pname = pname
        self.kinds = kinds
        self.parent_style = parent_style
        self.warn = warn
        self.patterns: list[_Pattern] = []
        _parse(pname, text, True, self.patterns)

    def _table_match(self, kind: str, name: str, pattern: _Pattern) -> bool:
        from pyfix.tables.base import Table

        table = pattern.table
        assert isinstance(table, Table)
        if kind != "hostname":
            return table.lookup(name) is not None
        entry = name
        first = True
        while entry:
            if (first or table.flags & FIXED) and table.lookup(entry) is not None:
                return True
            first = False
            dot = entry.find(".", 1)
            if dot < 0:
                return False
            entry = entry[dot + 1 :] if self.parent_style else entry[dot:]
        return False

    def _reporting_table_match(self, kind: str, name: str, pattern: _Pattern) -> bool:
        from pyfix.tables.base import Table, TableError

        try:
            return self._table_match(kind, name, pattern)
        except TableError:
            if self.warn is not None:
                table = pattern.table
                spec = table.spec if isinstance(table, Table) else pattern.text
                self.warn(f"{self.pname}: {spec}: table lookup problem")
            raise

    def match(self, *args: str) -> bool:
        """True when the list matches; one argument per kind, in order."""
        folded = [arg.lower() for arg in args]
        for pattern in self.patterns:
            if pattern.missing_file is not None:
                raise TableConfigError(pattern.missing_file)
            for kind, name in zip(self.kinds, folded, strict=True):
                if pattern.table is not None:
                    hit = self._reporting_table_match(kind, name, pattern)
                else:
                    hit = MATCHERS[kind](name, pattern, self.parent_style)
                if hit:
                    return pattern.match
        return False


def parent_style(parent_domain_matches_subdomains: str, pname: str) -> bool:
    from pyfix.config.lists import split_list

    return pname in split_list(parent_domain_matches_subdomains)


def string_list(pname: str, text: str,
                warn: Callable[[str], None] | None = None) -> MatchList:
    return MatchList(pname, text, ("string",), warn=warn)


def domain_list(pname: str, text: str, parent: bool,
                warn: Callable[[str], None] | None = None) -> MatchList:
    return MatchList(pname, text, ("hostname",), parent, warn=warn)


def addr_list(pname: str, text: str) -> MatchList:
    return MatchList(pname, text, ("hostaddr",))


def namadr_list(pname: str, text: str, parent: bool) -> MatchList:
    return MatchList(pname, text, ("hostname", "hostaddr"), parent)
