"""NAME
    pyfix.smtp.ehlo - the EHLO reply and smtpd_discard_ehlo_keywords

SUMMARY
    discard_mask(), mask_names(), ehlo_lines(), EhloFeatures

DESCRIPTION
    discard_mask() reads a smtpd_discard_ehlo_keywords value (names
    separated by commas or white space, any case; unknown names are
    ignored so that one main.cf works with several Postfix versions) and
    returns the set of discarded keywords.  "silent-discard" suppresses
    the "discarding EHLO keywords" log line.

    ehlo_lines() builds the EHLO reply in Postfix's order:

        myhostname, PIPELINING, SIZE [limit], VRFY, ETRN, STARTTLS,
        AUTH mechanisms [and AUTH=mechanisms], XVERP, (XCLIENT,
        XFORWARD: not offered yet), ENHANCEDSTATUSCODES, 8BITMIME, DSN,
        SMTPUTF8, CHUNKING

    SIZE shows message_size_limit when it is not zero; VRFY is left out
    with disable_vrfy_command; SMTPUTF8 needs smtputf8_enable.  STARTTLS,
    AUTH and XVERP are announced only when the caller says so in
    EhloFeatures (TLS, SASL and smtpd_authorized_verp_clients are not the
    protocol core's business).

    Parameters read: none (the caller passes smtpd_discard_ehlo_keywords,
    message_size_limit, disable_vrfy_command, smtputf8_enable and
    broken_sasl_auth_clients).

DIAGNOSTICS
    None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyfix.smtp.tokens import ascii_lower

# Postfix's ehlo_mask table, in its order; two names share one bit.
MASK_TABLE = (
    ("8BITMIME", "8BITMIME"),
    ("AUTH", "AUTH"),
    ("ETRN", "ETRN"),
    ("PIPELINING", "PIPELINING"),
    ("SIZE", "SIZE"),
    ("VERP", "VERP"),
    ("VRFY", "VRFY"),
    ("XCLIENT", "XCLIENT"),
    ("XFORWARD", "XFORWARD"),
    ("STARTTLS", "STARTTLS"),
    ("ENHANCEDSTATUSCODES", "ENHANCEDSTATUSCODES"),
    ("DSN", "DSN"),
    ("EHLO_MASK_SMTPUTF8", "SMTPUTF8"),
    ("SMTPUTF8", "SMTPUTF8"),
    ("CHUNKING", "CHUNKING"),
    ("SILENT-DISCARD", "SILENT-DISCARD"),
)
_BY_NAME = {ascii_lower(name): bit for name, bit in MASK_TABLE}

def discard_mask(text: str) -> frozenset[str]:
    found = {_BY_NAME.get(ascii_lower(word)) for word in re.split(r"[, \t\r\n]+", text) if word}
    return frozenset(bit for bit in found if bit is not None)


def mask_names(mask: frozenset[str]) -> str:
    """The mask as Postfix's str_ehlo_mask() spells it (first name per bit)."""
    names: list[str] = []
    seen: set[str] = set()
    for name, bit in MASK_TABLE:
        if bit in mask and bit not in seen:
            seen.add(bit)
            names.append(name)
    return " ".join(names)


@dataclass(frozen=True)
class EhloFeatures:
    """What the caller offers beyond the core protocol."""

    starttls: bool = False
    auth_mechanisms: str = ""
    broken_auth_clients: bool = False
    verp: bool = False


def ehlo_lines(
    myhostname: str,
    discard: frozenset[str],
    *,
    message_size_limit: int,
    disable_vrfy: bool,
    smtputf8_enable: bool,
    features: EhloFeatures,
) -> list[str]:
    lines = [myhostname]

    def offer(bit: str, line: str, wanted: bool = True) -> None:
        if wanted and bit not in discard:
            lines.append(line)

    offer("PIPELINING", "PIPELINING")
    offer("SIZE", f"SIZE {message_size_limit}" if message_size_limit > 0 else "SIZE")
    offer("VRFY", "VRFY", not disable_vrfy)
    offer("ETRN", "ETRN")
    offer("STARTTLS", "STARTTLS", features.starttls)
    if features.auth_mechanisms and "AUTH" not in discard:
        lines.append(f"AUTH {features.auth_mechanisms}")
        if features.broken_auth_clients:
            lines.append(f"AUTH={features.auth_mechanisms}")
    offer("VERP", "XVERP", features.verp)
    offer("ENHANCEDSTATUSCODES", "ENHANCEDSTATUSCODES")
    offer("8BITMIME", "8BITMIME")
    offer("DSN", "DSN")
    offer("SMTPUTF8", "SMTPUTF8", smtputf8_enable)
    offer("CHUNKING", "CHUNKING")
    return lines
