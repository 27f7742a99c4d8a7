"""NAME
    pyfix.dns - DNS lookups for pyfix, as Postfix's dns(3) library

SUMMARY
    Resolver (resolver.py), Record and DnsLookupError (records.py),
    servers_from_config() (servers.py)

DESCRIPTION
    The DNS client that the SMTP client (MX and address lookups) and,
    later, smtpd's restrictions use.  It is dnspython's message code
    behind a small interface: lookup(name, type) returns the records or
    raises DnsLookupError with Postfix's status (not found, try again,
    non-recoverable, null MX, malformed) and Postfix's error text.
    Answers are cached for their TTL, and concurrent identical queries
    share one network query.

    Parameters read: pyfix_dns_servers (servers.py).

DIAGNOSTICS
    See resolver.py.
"""

from pyfix.dns.records import (
    DNS_FAIL,
    DNS_INVAL,
    DNS_NOTFOUND,
    DNS_NULLMX,
    DNS_RETRY,
    DnsLookupError,
    Record,
)
from pyfix.dns.resolver import Resolver
from pyfix.dns.servers import Nameservers, servers_from_config

__all__ = [
    "DNS_FAIL",
    "DNS_INVAL",
    "DNS_NOTFOUND",
    "DNS_NULLMX",
    "DNS_RETRY",
    "DnsLookupError",
    "Nameservers",
    "Record",
    "Resolver",
    "servers_from_config",
]
