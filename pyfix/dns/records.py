"""NAME
    pyfix.dns.records - DNS answers and lookup errors in Postfix's terms

SUMMARY
    Record, DnsLookupError, DNS_* statuses, lookup_error_text()

DESCRIPTION
    A Record is one resource record of an answer: the owner name, the
    type ("MX", "A", "AAAA", ...), the MX preference (0 for other
    types), the data as text (an address, or a host name without the
    trailing dot) and the TTL.

    DnsLookupError carries one of Postfix's dns_lookup() statuses, in
    Postfix's order of preference (DNS_RETRY is preferred over
    DNS_NOTFOUND when several record types are looked up):
    DNS_NOTFOUND (the name or data does not exist: a hard error),
    DNS_NULLMX (RFC 7505 "MX 0 ."), DNS_FAIL (non-recoverable server
    error), DNS_INVAL (malformed reply), DNS_RETRY (server failure or
    timeout: a soft error); and the text that Postfix's resolver
    reports, e.g. "Host or domain name not found. Name service error for
    name=example.invalid type=MX: Host not found".

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# Postfix's dns.h status values; higher is better ("more found").
DNS_NOTFOUND: Final = -6
DNS_NULLMX: Final = -5
DNS_FAIL: Final = -4
DNS_INVAL: Final = -3
DNS_RETRY: Final = -2
DNS_OK: Final = 0

# h_errno texts (Postfix's dns_strerror()).
HOST_NOT_FOUND: Final = "Host not found"
TRY_AGAIN: Final = "Host not found, try again"
NO_RECOVERY: Final = "Non-recoverable error"
NO_DATA: Final = "Host found but no data record of requested type"


@dataclass(frozen=True, slots=True)
class Record:
    name: str
    rtype: str
    data: str
    pref: int = 0
    ttl: int = 0


class DnsLookupError(Exception):
    """A lookup that found nothing usable: status and Postfix's text."""

    def __init__(self, status: int, text: str, negative_ttl: int = 0) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
        self.negative_ttl = negative_ttl  # SOA minimum, for caching NOTFOUND

    @property
    def soft(self) -> bool:
        return self.status == DNS_RETRY

    def __repr__(self) -> str:
        return f"DnsLookupError({self.status}, {self.text!r})"


def lookup_error_text(name: str, rtype: str, herror: str) -> str:
    return (f"Host or domain name not found. Name service error for name={name} "
            f"type={rtype}: {herror}")


def lookup_error(status: int, name: str, rtype: str, herror: str,
                 negative_ttl: int = 0) -> DnsLookupError:
    return DnsLookupError(status, lookup_error_text(name, rtype, herror), negative_ttl)


def nullmx_error(name: str) -> DnsLookupError:
    return DnsLookupError(DNS_NULLMX, f"Domain {name} does not accept mail (nullMX)")


def malformed_error(name: str, rtype: str) -> DnsLookupError:
    return DnsLookupError(DNS_INVAL, f"Name service error for name={name} type={rtype}: "
                                     "Malformed or unexpected name server reply")
