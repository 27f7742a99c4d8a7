"""NAME
    pyfix.smtpd.peer - the client's name, as smtpd finds it at connect

SUMMARY
    PeerName, NAME_OK, NAME_TEMP, NAME_PERM, lookup_peer(), complete()

DESCRIPTION
    At connect, smtpd names the client as Postfix does, with the C
    library's resolver (so /etc/hosts and /etc/resolv.conf count):

    1. the reverse name: the PTR lookup of the client address
       (getnameinfo).  It fails temporarily (EAI_AGAIN: a SERVFAIL or a
       time-out) or for good (no PTR record); either way the reverse
       name is "unknown".
    2. the verified name: the reverse name, when a forward lookup of it
       (getaddrinfo) gives the client address back.  When the forward
       lookup fails, smtpd logs "warning: hostname NAME does not resolve
       to address ADDR: ERROR" (ERROR is the resolver's text, e.g.
       "Name or service not known", "Temporary failure in name
       resolution"); when it gives other addresses, "warning: hostname
       NAME does not resolve to address ADDR".  The name is then
       "unknown".

    Each name keeps its status: NAME_OK, NAME_TEMP (a temporary DNS
    failure) or NAME_PERM.  reject_unknown_client_hostname and
    reject_unknown_reverse_client_hostname (checks/names.py) answer 450
    for a temporary failure, whatever unknown_client_reject_code says.

    With smtpd_peername_lookup = no nothing is looked up: both names are
    "unknown" with status NAME_PERM.

    Parameters read: none (session.py reads smtpd_peername_lookup).

DIAGNOSTICS
    The warnings above, returned for the caller to log before "connect
    from".  A lookup never raises.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field

NAME_OK = "ok"
NAME_TEMP = "temp"
NAME_PERM = "perm"
UNKNOWN = "unknown"
# How long one resolver call may take (the resolver's own timeouts come first).
LOOKUP_TIMEOUT = 10.0


@dataclass(frozen=True)
class PeerName:
    """The verified and the reverse client name, with their statuses."""

    name: str = UNKNOWN
    name_status: str = NAME_PERM
    reverse_name: str = UNKNOWN
    reverse_status: str = NAME_PERM
    warnings: tuple[str, ...] = field(default=(), compare=False)


def name_status_of(name: str) -> str:
    """The status that a name alone implies (for callers that know no more)."""
    return NAME_PERM if name == UNKNOWN else NAME_OK


def complete(client_name: str, name_status: str, reverse_name: str,
             reverse_status: str) -> tuple[str, str, str]:
    """(name_status, reverse_name, reverse_status), with what client_name
    implies where a value is "" (for callers that know no more)."""
    reverse_name = reverse_name or client_name
    return (name_status or name_status_of(client_name), reverse_name,
            reverse_status or name_status_of(reverse_name))


def _status(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return NAME_TEMP
    if isinstance(exc, socket.gaierror) and exc.errno == socket.EAI_AGAIN:
        return NAME_TEMP
    return NAME_PERM


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror) and exc.strerror:
        return exc.strerror
    return "Temporary failure in name resolution"


async def lookup_peer(addr: str) -> PeerName:
    """The client names of addr (see above)."""
    loop = asyncio.get_running_loop()
    try:
        reverse, _ = await asyncio.wait_for(
            loop.getnameinfo((addr, 0), socket.NI_NAMEREQD), timeout=LOOKUP_TIMEOUT)
    except (TimeoutError, OSError) as exc:
        status = _status(exc)
        return PeerName(UNKNOWN, status, UNKNOWN, status)
    reverse = str(reverse)
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(reverse, None, type=socket.SOCK_STREAM), timeout=LOOKUP_TIMEOUT)
    except (TimeoutError, OSError) as exc:
        warning = f"hostname {reverse} does not resolve to address {addr}: {_error_text(exc)}"
        return PeerName(UNKNOWN, _status(exc), reverse, NAME_OK, (warning,))
    if any(info[4][0] == addr for info in infos):
        return PeerName(reverse, NAME_OK, reverse, NAME_OK)
    warning = f"hostname {reverse} does not resolve to address {addr}"
    return PeerName(UNKNOWN, NAME_PERM, reverse, NAME_OK, (warning,))
