"""NAME
    pyfix.smtp.hostname - host name, address literal and UTF-8 syntax

SUMMARY
    valid_hostname(), valid_ipv4_hostaddr(), valid_ipv6_hostaddr(),
    valid_hostaddr(), valid_mailhost_literal(), valid_utf8_bytes(),
    valid_utf8_hostname()

DESCRIPTION
    The syntax rules that Postfix applies to names and addresses that
    arrive over SMTP (ETRN arguments, address domains):

    - a host name has labels of letters, digits, "_" and inner "-", at
      most 63 bytes each and 255 bytes in all, no empty label, and at
      least one label that is not all digits;
    - an IPv4 address has four decimal octets up to 255 and may not start
      with 0 (except 0.0.0.0);
    - an IPv6 address has hex fields of up to four digits, at most eight
      fields and one "::", and may end in an IPv4 address;
    - an address literal is "[ipv4]" or "[IPv6:ipv6]";
    - UTF-8 must be well-formed: no over-long forms, no surrogates, no
      code point above U+10FFFF.  A non-ASCII domain name is valid when
      its IDNA (A-label) form is a valid host name.

    Parameters read: none.

DIAGNOSTICS
    None: every function returns True or False.
"""

from __future__ import annotations

_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_DIGITS = frozenset("0123456789")
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")
VALID_LABEL_LEN = 63
VALID_HOSTNAME_LEN = 255


def valid_hostname(name: str) -> bool:
    if not name:
        return False
    label_length = 0
    non_numeric = False
    last = len(name) - 1
    for index, ch in enumerate(name):
        if ch in _HOST_CHARS:
            label_length += 1
            if label_length > VALID_LABEL_LEN:
                return False
            if ch not in _DIGITS:
                non_numeric = True
        elif ch == ".":
            if label_length == 0 or index == last:
                return False
            label_length = 0
        elif ch == "-":
            non_numeric = True
            label_length += 1
            if label_length == 1 or index == last or name[index + 1] == ".":
                return False
        else:
            return False
    return non_numeric and len(name.encode("utf-8", "surrogateescape")) <= VALID_HOSTNAME_LEN


def valid_ipv4_hostaddr(addr: str) -> bool:
    if not addr or addr[-1] == ".":
        return False
    parts = addr.split(".")
    if len(parts) != 4:
        return False
    for part in parts:
        if not part or any(ch not in _DIGITS for ch in part) or int(part) > 255:
            return False
    # 0.0.0.0 is valid, 0.1.2.3 is not.
    return not (int(parts[0]) == 0 and addr.strip("0."))


def valid_ipv6_hostaddr(addr: str) -> bool:
    fields = 0
    null_field = 0
    length = 0
    pos = 0
    end = len(addr)
    while True:
        ch = addr[pos] if pos < end else ""
        if ch == "":
            if fields < 2:
                return False
            return not (length == 0 and null_field != fields - 1)
        if ch == ".":
            if fields < 2 or fields > 6:
                return False
            return valid_ipv4_hostaddr(addr[pos - length :])
        if ch == ":":
            following = addr[pos + 1 : pos + 2]
            if fields == 0 and length == 0 and following and following in _ALNUM:
                return False
            fields += 1
            if fields > 7:
                return False
            pos += 1
            length = 0
            if addr[pos : pos + 1] == ":":
                if null_field > 0:
                    return False
                null_field = fields
            continue
        length = 0
        while pos + length < end and addr[pos + length] in _HEX:
            length += 1
        if length == 0 or length > 4:
            return False
        pos += length


def valid_hostaddr(addr: str) -> bool:
    if not addr:
        return False
    return valid_ipv6_hostaddr(addr) if ":" in addr else valid_ipv4_hostaddr(addr)


def valid_mailhost_literal(literal: str) -> bool:
    """"[1.2.3.4]" or "[IPv6:...]"."""
    if not literal.startswith("["):
        return False
    close = literal.find("]")
    if close < 0 or close != len(literal) - 1:
        return False
    inner = literal[1:close]
    if len(inner) >= 46:  # INET6_ADDRSTRLEN
        return False
    if inner[:5].lower() == "ipv6:":
        return valid_ipv6_hostaddr(inner[5:])
    return valid_ipv4_hostaddr(inner)


def valid_utf8_bytes(data: bytes) -> bool:
    try:
        data.decode("utf-8", "strict")
    except UnicodeDecodeError:
        return False
    return True


def valid_utf8_text(text: str) -> bool:
    """text came from bytes decoded with surrogateescape."""
    return valid_utf8_bytes(text.encode("utf-8", "surrogateescape"))


def valid_utf8_hostname(name: str, smtputf8_enable: bool) -> bool:
    if not name:
        return False
    if smtputf8_enable and not name.isascii():
        if not valid_utf8_text(name):
            return False
        try:
            ascii_name = name.encode("idna").decode("ascii")
        except UnicodeError:
            return False
        return valid_hostname(ascii_name)
    return valid_hostname(name)
