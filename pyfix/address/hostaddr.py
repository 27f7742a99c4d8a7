"""NAME
    pyfix.address.hostaddr - numeric address syntax, with Postfix's complaints

SUMMARY
    ipv4_problem(), ipv6_problem(), valid_mailhost_addr()

DESCRIPTION
    The syntax checks of an IP address in an address literal, each
    returning None for a valid address or the warning that Postfix logs
    when it is asked to complain (valid_ipv4_hostaddr,
    valid_ipv6_hostaddr, DO_GRIPE), for example

        valid_ipv4_hostaddr: invalid octet value: 300.1.1.1
        valid_ipv6_hostaddr: too many `:' in IPv6 address: 1:2:3:4:5:6:7:8:9

    The rules are those of pyfix.smtp.hostname: four decimal octets up
    to 255, no leading 0 octet except in 0.0.0.0; hex fields of up to
    four digits, two to eight of them, at most one "::", optionally
    ending in an IPv4 address.

    valid_mailhost_addr(text, warn) checks the inside of "[...]": "IPv6:"
    (any case) followed by an IPv6 address, or an IPv4 address.  It
    returns the bare address, or None after passing the complaint to
    warn.

    Parameters read: none.

DIAGNOSTICS
    The complaints above, through the caller's warn callback.
"""

from __future__ import annotations

from collections.abc import Callable

_DIGITS = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
IPV6_PREFIX = "ipv6:"


def _byte(ch: str) -> int:
    """The first byte of ch, as C's "%d" of an unsigned char shows it."""
    return ch.encode("utf-8", "surrogateescape")[0]


def ipv4_problem(addr: str) -> str | None:
    def problem(what: str) -> str:
        return f"valid_ipv4_hostaddr: {what}: {addr[:100]}"

    in_byte = False
    byte_count = byte_val = 0
    for index, ch in enumerate(addr):
        if ch in _DIGITS:
            if not in_byte:
                in_byte, byte_val = True, 0
                byte_count += 1
            byte_val = byte_val * 10 + int(ch)
            if byte_val > 255:
                return problem("invalid octet value")
        elif ch == ".":
            if not in_byte or index == len(addr) - 1:
                return problem("misplaced dot")
            if byte_count == 1 and byte_val == 0 and addr.strip("0."):
                return problem("bad initial octet value")
            in_byte = False
        else:
            return problem(f"invalid character {_byte(ch)}(decimal)")
    if byte_count != 4:
        return problem("invalid octet count")
    return None


def ipv6_problem(addr: str) -> str | None:
    def problem(what: str) -> str:
        return f"valid_ipv6_hostaddr: {what}: {addr[:100]}"

    null_field = field = length = pos = 0
    end = len(addr)
    while True:
        ch = addr[pos] if pos < end else ""
        if not ch:
            if field < 2:
                return problem("too few `:' in IPv6 address")
            if length == 0 and null_field != field - 1:
                return problem("bad null last field in IPv6 address")
            return None
        if ch == ".":
            if field < 2 or field > 6:
                return problem("malformed IPv4-in-IPv6 address")
            return ipv4_problem(addr[pos - length :])
        if ch == ":":
            following = addr[pos + 1 : pos + 2]
            if field == 0 and length == 0 and following in _ALNUM and following:
                return problem("bad null first field in IPv6 address")
            field += 1
            if field > 7:
                return problem("too many `:' in IPv6 address")
            pos += 1
            length = 0
            if addr[pos : pos + 1] == ":":
                if null_field > 0:
                    return problem("too many `::' in IPv6 address")
                null_field = field
            continue
        length = 0
        while pos + length < end and addr[pos + length] in _HEX:
            length += 1
        if length > 4:
            return problem("malformed IPv6 address")
        if length == 0:
            return problem(f"invalid character {_byte(ch)}(decimal) in IPv6 address")
        pos += length


def valid_mailhost_addr(text: str, warn: Callable[[str], None] | None = None) -> str | None:
    """The bare address of "1.2.3.4" or "IPv6:...", or None (complaint to warn)."""
    if text[: len(IPV6_PREFIX)].lower() == IPV6_PREFIX:
        bare = text[len(IPV6_PREFIX) :]
        problem = ipv6_problem(bare)
    else:
        bare = text
        problem = ipv4_problem(bare)
    if problem is not None:
        if warn is not None:
            warn(problem)
        return None
    return bare
