"""NAME
    pyfix.tables.search - Postfix's key search orders, in one place

SUMMARY
    find_address(), find_domain(), find_client_address(), find_transport()

DESCRIPTION
    Every caller that looks an address, domain or client up in tables
    uses these functions, so that the search order is Postfix's
    everywhere:

    find_address(maps, "user+ext@domain", strategy)
        FULL        user+ext@domain (all tables)
        NOEXT       user@domain (fixed tables), with recipient_delimiter
        LOCALPART_IF_LOCAL
                    user+ext, then user, when the domain is local
                    ($myorigin, $mydestination, ...): virtual(5),
                    canonical(5)
        AT_DOMAIN   @domain: virtual(5), canonical(5)
        DOMAIN      domain, then its parents: "example.com" for
                    sub.example.com with PDMS (the feature is listed in
                    parent_domain_matches_subdomains), ".example.com"
                    otherwise (PDDMDS): access(5), transport(5)
        LOCALPART_AT
                    user+ext@, then user@: access(5)
    Addresses are looked up in quoted (external) form first and then in
    unquoted form when the two differ.

    find_domain()         hostname or domain with its parent domains;
    find_client_address() 1.2.3.4, 1.2.3, 1.2, 1 (IPv6: split at ":");
    find_transport()      transport(5): address, domain, parents, then "*".

    Partial keys (everything after the first lookup) go to fixed-key
    tables only, as in Postfix.

    Parameters read: none directly; callers pass recipient_delimiter and
    the parent-domain style.

DIAGNOSTICS
    Table errors propagate from Maps.find().
"""

from __future__ import annotations

from collections.abc import Callable

from pyfix.address.extension import strip_extension
from pyfix.address.quote import quote_822_local
from pyfix.tables.base import FIXED
from pyfix.tables.maps import Maps

FULL = 1 << 0
NOEXT = 1 << 1
LOCALPART_IF_LOCAL = 1 << 2
AT_DOMAIN = 1 << 3
DOMAIN = 1 << 4
PDMS = 1 << 5
PDDMDS = 1 << 6
LOCALPART_AT = 1 << 7
DEFAULT = FULL | NOEXT | LOCALPART_IF_LOCAL | AT_DOMAIN

ACCESS = FULL | NOEXT | DOMAIN | LOCALPART_AT
TRANSPORT = FULL | NOEXT | DOMAIN

PARTIAL = FIXED


def _find_external_first(maps: Maps, address: str, flags: int, bare: bool = False) -> str | None:
    external = quote_822_local(address, bare_localpart=bare)
    value = maps.find(external, flags)
    if value is None and external != address:
        value = maps.find(address, flags)
    return value


def find_address(
    maps: Maps,
    address: str,
    strategy: int = DEFAULT,
    *,
    recipient_delimiter: str = "",
    is_local_domain: Callable[[str], bool] | None = None,
) -> tuple[str | None, str]:
    """Search maps for address; return (value, extension that was removed)."""
    stripped = strip_extension(address, recipient_delimiter) if strategy & NOEXT else None
    bare, extension = stripped if stripped else (None, "")
    if strategy & FULL:
        value = _find_external_first(maps, address, 0)
        if value is not None:
            return value, ""
    if bare is not None:
        value = _find_external_first(maps, bare, PARTIAL)
        if value is not None:
            return value, extension
    at = address.rfind("@")
    domain = address[at + 1 :] if at >= 0 else ""
    if at >= 0 and strategy & LOCALPART_IF_LOCAL and is_local_domain and is_local_domain(domain):
        found = _find_local(maps, address, bare, extension, with_at=False)
        if found[0] is not None:
            return found
    if at >= 0 and strategy & AT_DOMAIN:
        value = maps.find(address[at:], PARTIAL)
        if value is not None:
            return value, ""
    if at >= 0 and strategy & DOMAIN:
        # Postfix looks domains up as partial keys: fixed-key tables only.
        value = _find_parents(maps, domain, PARTIAL, bool(strategy & PDMS),
                              bool(strategy & (PDMS | PDDMDS)))
        if value is not None:
            return value, ""
    if strategy & LOCALPART_AT:
        return _find_local(maps, address, bare, extension, with_at=True)
    return None, ""


def _find_local(
    maps: Maps, address: str, bare: str | None, extension: str, with_at: bool
) -> tuple[str | None, str]:
    for key, ext in ((address, ""), (bare, extension)):
        if key is None:
            continue
        at = key.rfind("@")
        local = (key[: at + 1] if with_at else key[:at]) if at >= 0 else key
        value = _find_external_first(maps, local, PARTIAL, bare=not with_at)
        if value is not None:
            return value, ext
    return None, ""


def _find_parents(
    maps: Maps, domain: str, first_flags: int, parent_style: bool, parents: bool
) -> str | None:
    name = domain
    flags = first_flags
    while name:
        value = maps.find(name, flags)
        if value is not None or not parents:
            return value
        dot = name.find(".", 1)
        if dot < 0:
            return None
        name = name[dot + 1 :] if parent_style else name[dot:]
        flags = PARTIAL
    return None


def _looks_numeric(name: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def find_domain(maps: Maps, domain: str, parent_style: bool) -> str | None:
    """check_domain_access: the name, then (unless numeric) its parents."""
    if _looks_numeric(domain):
        return maps.find(domain)
    return _find_parents(maps, domain, 0, parent_style, True)


def find_client_address(maps: Maps, address: str) -> str | None:
    """1.2.3.4, then 1.2.3, 1.2, 1 (fixed tables); IPv6 splits at ":"."""
    delim = ":" if ":" in address else "."
    key = address
    flags = 0
    while True:
        value = maps.find(key, flags)
        if value is not None:
            return value
        cut = key.rfind(delim)
        if cut <= 0:
            return None
        key = key[:cut]
        flags = PARTIAL


def find_transport(
    maps: Maps, address: str, parent_style: bool, recipient_delimiter: str = ""
) -> str | None:
    """transport(5): the address, its domain and parent domains, then "*"."""
    strategy = TRANSPORT | (PDMS if parent_style else PDDMDS)
    value, _ = find_address(maps, address, strategy, recipient_delimiter=recipient_delimiter)
    if value is None:
        value = maps.find("*")
    return value
