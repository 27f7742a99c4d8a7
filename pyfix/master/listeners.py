"""NAME
    pyfix.master.listeners - bind the sockets master.cf names

SUMMARY
    bind_service(), inet_endpoints(), ListenerError

DESCRIPTION
    An "inet" service is "[host:]port"; port is a number or a name from
    /etc/services (smtp, submission, smtps).  Without a host the service
    listens on every address of $inet_interfaces ("all" means the
    wildcard address of each protocol in $inet_protocols, "loopback-only"
    means 127.0.0.1 and ::1).  A "unix" service is a socket
    $queue_directory/private/NAME (public/NAME when the private column
    is "n"); "fifo" and "unix-dgram" are not used by pyfix's services.

    The sockets are created by the master, which may run as root, and
    are inherited by the service processes, so privileged ports work
    while the services themselves run unprivileged.

    Parameters read: inet_interfaces, inet_protocols, queue_directory.

DIAGNOSTICS
    ListenerError with Postfix-style text ("bind 127.0.0.1 port 25:
    Address already in use"), which the master reports as fatal at start.
"""

from __future__ import annotations

import contextlib
import os
import socket

from pyfix.config.lists import split_list
from pyfix.config.store import Config
from pyfix.master.services import ServiceSpec


class ListenerError(Exception):
    """A listener that cannot be created; str() is the reason."""


def _port(text: str) -> int:
    if text.isdigit():
        return int(text)
    try:
        return socket.getservbyname(text, "tcp")
    except OSError:
        raise ListenerError(f"unknown service: {text}/tcp") from None


def _protocols(config: Config) -> list[int]:
    wanted = {p.lower() for p in split_list(config.get("inet_protocols"))}
    families: list[int] = []
    if "all" in wanted:
        families.append(socket.AF_INET)
        if socket.has_ipv6 and os.path.exists("/proc/net/if_inet6"):
            families.append(socket.AF_INET6)
        return families
    if "ipv4" in wanted:
        families.append(socket.AF_INET)
    if "ipv6" in wanted:
        families.append(socket.AF_INET6)
    return families


def inet_endpoints(config: Config, service: str) -> list[tuple[int, str, int]]:
    """(family, address, port) for an inet service name such as "127.0.0.1:2525"."""
    host, sep, port_text = service.rpartition(":")
    port = _port(port_text if sep else service)
    families = _protocols(config)
    if sep and host:
        host = host.strip("[]")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        return [(family, host, port)]
    endpoints: list[tuple[int, str, int]] = []
    for iface in split_list(config.get("inet_interfaces")):
        lowered = iface.lower()
        if lowered == "all":
            endpoints += [(f, "::" if f == socket.AF_INET6 else "0.0.0.0", port) for f in families]
        elif lowered in ("loopback-only", "localhost"):
            endpoints += [(f, "::1" if f == socket.AF_INET6 else "127.0.0.1", port)
                          for f in families]
        else:
            addr = iface.strip("[]")
            family = socket.AF_INET6 if ":" in addr else socket.AF_INET
            if family in families:
                endpoints.append((family, addr, port))
    return endpoints


def _bind_inet(family: int, address: str, port: int, backlog: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    try:
        sock.bind((address, port))
    except OSError as exc:
        sock.close()
        raise ListenerError(f"bind {address} port {port}: {exc.strerror}") from None
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def _bind_unix(path: str, backlog: int) -> socket.socket:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
    except OSError as exc:
        sock.close()
        raise ListenerError(f"bind {path}: {exc.strerror}") from None
    os.chmod(path, 0o666)  # as Postfix: access is controlled by private/ and public/
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def bind_service(config: Config, spec: ServiceSpec, backlog: int = 1024) -> list[socket.socket]:
    if spec.type == "inet":
        return [_bind_inet(f, a, p, backlog) for f, a, p in inet_endpoints(config, spec.name)]
    if spec.type in ("unix", "pass"):
        sub = "private" if spec.entry.private != "n" else "public"
        directory = os.path.join(config.get("queue_directory"), sub)
        os.makedirs(directory, exist_ok=True)
        return [_bind_unix(os.path.join(directory, spec.name), backlog)]
    return []
