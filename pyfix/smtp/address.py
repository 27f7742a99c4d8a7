"""NAME
    pyfix.smtp.address - envelope addresses in MAIL, RCPT and VRFY

SUMMARY
    extract_address(), AddressResult, resolve_syntax_ok()

DESCRIPTION
    extract_address() takes the address word of a MAIL FROM, RCPT TO or
    VRFY command (quotes and brackets as received) and returns the
    address in internal (unquoted) form, as Postfix's SMTP server does:

    - one pair of enclosing "<>" is removed;
    - a source route "@a,@b:" in front of the address is dropped;
    - the rest is parsed as RFC 822 text (tok822.py).  More than one
      address is an error; comments and phrases are tolerated unless
      strict_rfc821_envelopes is set, which also requires the "<>" and
      rejects an address that still starts with "@";
    - the empty address is allowed only where the caller says so
      (MAIL FROM:<>);
    - finally the address must survive address resolution: its domain
      must be a valid host name or address literal, and a domain that is
      not ASCII needs SMTPUTF8.  The default check, resolve_syntax_ok(),
      looks at the domain after the last "@"; a caller with the real
      trivial-rewrite resolver passes its own check instead.

    Parameters read: none (callers pass strict_rfc821_envelopes and
    smtputf8_enable).

DIAGNOSTICS
    AddressResult.bad is True for every syntax error; the caller logs
    Postfix's warning "Illegal address syntax from CLIENT in CMD command:
    ADDRESS" and sends the reply for its command.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from pyfix.smtp.hostname import (
    valid_mailhost_literal,
    valid_utf8_hostname,
    valid_utf8_text,
)
from pyfix.smtp.tok822 import internalize, parse_addresses

ResolveCheck = Callable[[str, bool], bool]
"""(internal address, SMTPUTF8 requested) -> True when the address is usable."""


class AddressResult(NamedTuple):
    address: str  # internal form, "" for the null address
    bad: bool


def resolve_syntax_ok(address: str, smtputf8: bool, *, smtputf8_enable: bool = True) -> bool:
    """The syntax part of resolving address: is its domain usable?"""
    if not address:
        return True
    at = address.rfind("@")
    if at < 0:
        return True  # a local name: resolved with @$myhostname
    domain = address[at + 1 :]
    if domain.endswith(".") and not domain.endswith("..") and len(domain) > 1:
        domain = domain[:-1]
    if domain.startswith("["):
        ok = valid_mailhost_literal(domain)
    elif smtputf8_enable and not valid_utf8_text(address):
        ok = False
    elif not valid_utf8_hostname(domain, smtputf8_enable):
        ok = False  # resolve_numeric_domain = no: "user@1.2.3.4" is an error too
    else:
        ok = True
    if ok and not smtputf8 and not domain.isascii():
        ok = False
    return ok


def extract_address(
    word: str,
    *,
    allow_empty: bool,
    strict: bool,
    smtputf8: bool,
    resolve_ok: ResolveCheck,
) -> AddressResult:
    text = word[1:-1] if len(word) >= 2 and word[0] == "<" and word[-1] == ">" else word
    if text.startswith("@") and ":" in text:
        text = text[text.index(":") + 1 :]
    top = parse_addresses(text)
    addresses = [tok for tok in top if tok.type == "addr"]
    others = [tok for tok in top if tok.type not in ("addr", "<", ">")]
    address = internalize(addresses[-1].children) if addresses else ""
    if len(addresses) > 1 or (strict and (others or not word.startswith("<"))):
        return AddressResult(address, True)
    if (not address and not allow_empty) or (strict and address.startswith("@")):
        return AddressResult(address, True)
    if not resolve_ok(address, smtputf8):
        return AddressResult(address, True)
    return AddressResult(address, False)
