"""NAME
    pyfix.tables.cidr - network address tables (cidr:)

SUMMARY
    open_table(), CidrTable

DESCRIPTION
    "cidr:/etc/postfix/file" holds rules of the forms (cidr_table(5))

        network/prefix  result
        address         result          (the same as address/32 or /128)
        !pattern        result          (when the key is NOT in the network)
        if pattern      ...     endif   (nest; "if !pattern" too)

    where an address may be written inside "[]" ("[::1]/128", "[::1]",
    "[::1/128]").  An address with a ":" is IPv6, any other IPv4; both
    are read with the C library's inet_pton(), as Postfix does, so that
    exactly the same forms are accepted ("01.2.3.4" is not).  The host
    bits of a network must be zero.  Rules are tried in file order; the
    first match wins.

    A lookup key is an address in text form; a key that is not an
    address, or of the other family, matches no rule.

    Parameters read: none.

DIAGNOSTICS
    Each bad rule is reported as Postfix does, "cidr map NAME, line N:
    REASON: skipping this rule", and left out; so is an IF without
    ENDIF.  TableOpenError when the file cannot be read.
"""

from __future__ import annotations

import socket

from pyfix.tables.base import Table
from pyfix.tables.patternfile import (
    SPACE,
    Op,
    PatternTable,
    Rule,
    RuleList,
    bytetext,
    is_alnum,
    read_rule_lines,
    skip_space,
    text_of,
    warn_bytes,
)


class CidrError(Exception):
    """A rule that cannot be used; str() is Postfix's reason."""


class CidrRule(Rule):
    __slots__ = ("family", "mask", "network", "value")

    def __init__(self, op: Op, lineno: int, match: bool = True) -> None:
        super().__init__(op, lineno, match)
        self.family = socket.AF_INET
        self.network = 0
        self.mask = 0
        self.value = ""


def _family(address: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def _pton(family: socket.AddressFamily, address: str) -> int | None:
    """inet_pton() as an integer, or None when it is not an address."""
    try:
        return int.from_bytes(socket.inet_pton(family, address), "big")
    except (OSError, ValueError, UnicodeError):
        return None


def _ntop(family: socket.AddressFamily, value: int) -> str:
    size = 16 if family == socket.AF_INET6 else 4
    return socket.inet_ntop(family, value.to_bytes(size, "big"))


def parse_pattern(rule: CidrRule, pattern: str) -> None:
    """Set the rule's network and mask from "addr/len", "[addr]/len",
    "[addr/len]", "[addr]" or "addr"; raise CidrError."""
    if pattern.startswith("["):
        address, bracket, rest = pattern[1:].partition("]")
        if not bracket:
            raise CidrError(f"missing ']' character after \"[{address}\"")
        if rest and not rest.startswith("/"):
            raise CidrError(f'garbage after "[{address}]"')
        if rest:
            slash, length = "/", rest[1:]
        else:
            address, slash, length = address.partition("/")
    else:
        address, slash, length = pattern.partition("/")
    rule.family = _family(address)
    bits = 128 if rule.family == socket.AF_INET6 else 32
    if not slash:
        network = _pton(rule.family, address)
        if network is None:
            raise CidrError(f'bad address pattern: "{address}"')
        rule.network, rule.mask = network, (1 << bits) - 1
        return
    network = None
    if not length or not length.isascii() or not length.isdigit():
        reason = "bad mask value"
    elif int(length) > bits:
        reason = "bad mask length"
    else:
        network = _pton(rule.family, address)
        reason = "bad network value"
    if network is None:
        raise CidrError(f'{reason} in "{address}/{length}"')
    prefix = int(length)
    rule.mask = ((1 << bits) - 1) ^ ((1 << (bits - prefix)) - 1)
    if network & ~rule.mask:
        better = _ntop(rule.family, network & rule.mask)
        raise CidrError(f'non-null host address bits in "{address}/{length}", '
                        f'perhaps you should use "{better}/{prefix}" instead')
    rule.network = network


class CidrTable(PatternTable):
    dict_type = "cidr"

    def __init__(self, name: str, flags: int) -> None:
        lines, signature = read_rule_lines(self.dict_type, name)
        super().__init__(name, flags, signature)
        self.rules: RuleList[CidrRule] = RuleList(bytetext(f"cidr map {name}"))
        for line in lines:
            try:
                rule = self._parse_rule(line.text, line.lineno)
            except CidrError as exc:
                warn_bytes(f"{self.rules.where}, line {line.lineno}: {exc}: skipping this rule")
                continue
            self.rules.add(rule)
        self.rules.finish()

    def _parse_rule(self, line: str, lineno: int) -> CidrRule:
        if line[:2].upper() == "IF" and not is_alnum(line[2:3]):
            rule = CidrRule(Op.IF, lineno, self._negation(line, 2))
            pattern = line[self._skip_negation(line, 2) :].rstrip(SPACE)
            if not pattern:
                raise CidrError("no address pattern")
            parse_pattern(rule, pattern)
            return rule
        if line[:5].upper() == "ENDIF" and not is_alnum(line[5:6]):
            if skip_space(line, 5) < len(line):
                raise CidrError("garbage after ENDIF")
            if self.rules.nesting == 0:
                raise CidrError("ENDIF without IF")
            return CidrRule(Op.ENDIF, lineno)
        rule = CidrRule(Op.MATCH, lineno, self._negation(line, 0))
        start = self._skip_negation(line, 0)
        end = start
        while end < len(line) and line[end] not in SPACE:
            end += 1
        pattern, value = line[start:end], line[end:].strip(SPACE)
        if not pattern:
            raise CidrError("no address pattern")
        parse_pattern(rule, pattern)
        if not value:
            raise CidrError("no lookup result")
        rule.value = value
        return rule

    @staticmethod
    def _skip_negation(line: str, pos: int) -> int:
        while pos < len(line) and (line[pos] == "!" or line[pos] in SPACE):
            pos += 1
        return pos

    def _negation(self, line: str, pos: int) -> bool:
        """True (a positive match) unless an odd number of "!" precede."""
        return line[pos : self._skip_negation(line, pos)].count("!") % 2 == 0

    def lookup(self, key: str) -> str | None:
        address = self.fold(key).partition("\0")[0]
        family = _family(address)
        value = _pton(family, address)
        if value is None:
            return None

        def applies(rule: CidrRule) -> bool:
            if rule.family != family:
                return False
            return ((value & rule.mask) == rule.network) == rule.match

        rule = self.rules.search(applies)
        return None if rule is None else text_of(rule.value)


def open_table(name: str, flags: int) -> Table:
    return CidrTable(name, flags)
