"""NAME
    pyfix.smtpd.checks.rblfilter - the "domain=d.d.d.d" argument of the
    DNS list restrictions

SUMMARY
    RblFilter, parse_rbl_argument()

DESCRIPTION
    reject_rbl_client and its relatives take "domain" or
    "domain=d.d.d.d".  Each "d" of the filter is a number (0-255) or a
    pattern in "[]": numbers and number..number ranges separated by
    ";", e.g. 127.0.0.[2..11;15].  An A record of the listed name
    counts only when each of its four octets matches.

    Parameters read: none.

DIAGNOSTICS
    ValueError with Postfix's text, which marks the bad place with
    ">" and "<": 'RBL reply error: need "." at "127.0.0><"',
    'RBL reply error: numeric range error at "127.0.0.[2..>x<]"'.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass

_NUMBER = re.compile(r"\d+")
Octet = tuple[tuple[int, int], ...]  # allowed (low, high) ranges


@dataclass(frozen=True, slots=True)
class RblFilter:
    octets: tuple[Octet, Octet, Octet, Octet]

    def match(self, address: str) -> bool:
        try:
            ip = ipaddress.IPv4Address(address)
        except ValueError:
            return False
        return all(any(low <= value <= high for low, high in allowed)
                   for value, allowed in zip(ip.packed, self.octets, strict=True))


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, what: str, end: int | None = None) -> ValueError:
        end = self.pos if end is None else end
        marked = f"{self.text[:self.pos]}>{self.text[self.pos:end]}<{self.text[end:]}"
        return ValueError(f'RBL reply error: {what} at "{marked}"')

    def number(self) -> int:
        match = _NUMBER.match(self.text, self.pos)
        if match is None or int(match.group()) > 255:
            end = self.pos
            while end < len(self.text) and self.text[end] not in ".;]":
                end += 1
            raise self.error("numeric range error", max(end, self.pos + 1))
        self.pos = match.end()
        return int(match.group())

    def octet(self) -> Octet:
        if not self.text.startswith("[", self.pos):
            value = self.number()
            return ((value, value),)
        self.pos += 1
        ranges: list[tuple[int, int]] = []
        while True:
            low = high = self.number()
            if self.text.startswith("..", self.pos):
                self.pos += 2
                high = self.number()
                if high < low:
                    raise self.error("numeric range error")
            ranges.append((low, high))
            if self.text.startswith(";", self.pos):
                self.pos += 1
                continue
            if self.text.startswith("]", self.pos):
                self.pos += 1
                return tuple(ranges)
            raise self.error('need ";" or "]"')

    def parse(self) -> RblFilter:
        octets: list[Octet] = []
        for index in range(4):
            if index:
                if not self.text.startswith(".", self.pos):
                    raise self.error('need "."')
                self.pos += 1
            octets.append(self.octet())
        if self.pos != len(self.text):
            raise self.error("garbage after pattern", len(self.text))
        return RblFilter((octets[0], octets[1], octets[2], octets[3]))


@functools.lru_cache(maxsize=256)
def parse_rbl_argument(argument: str) -> tuple[str, RblFilter | None]:
    """"domain" or "domain=d.d.d.d" -> (domain, filter or None); the
    answers are kept (a restriction list names few arguments)."""
    domain, sep, pattern = argument.partition("=")
    if not sep:
        return domain, None
    return domain, _Parser(pattern).parse()
