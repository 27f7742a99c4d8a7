"""NAME
    pyfix.config.hostinfo - defaults that Postfix computes from the host

SUMMARY
    default_myhostname(), default_mydomain(), default_mynetworks()

DESCRIPTION
    A few parameters have no fixed default; Postfix computes them at
    start-up, and so does pyfix:

    myhostname      the host name; if it has no dot, ".$mydomain" (or
                    ".localdomain") is appended;
    mydomain        what follows the first dot of $myhostname, or
                    "localdomain";
    mynetworks      the local interface networks, according to
                    mynetworks_style (host: each address; subnet: each
                    interface subnet; class: the IPv4 class A/B/C
                    network, subnet for IPv6), limited by
                    inet_interfaces and inet_protocols.

    Interface addresses come from getifaddrs(3) through ctypes.

    Parameters read: mydomain, myhostname, inet_interfaces,
    inet_protocols, mynetworks_style (values are passed in).

DIAGNOSTICS
    None. An interface list that cannot be read yields the loopback
    networks only.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import ipaddress
import socket
from collections.abc import Iterable

DEFAULT_MYDOMAIN = "localdomain"

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface


def default_myhostname(mydomain: str | None) -> str:
    name = socket.gethostname()
    if "." not in name:
        name = f"{name}.{mydomain if mydomain is not None else DEFAULT_MYDOMAIN}"
    return name


def default_mydomain(myhostname: str) -> str:
    dot = myhostname.find(".")
    return myhostname[dot + 1 :] if dot >= 0 else DEFAULT_MYDOMAIN


class _Sockaddr(ctypes.Structure):
    _fields_ = (("sa_family", ctypes.c_ushort), ("sa_data", ctypes.c_ubyte * 14))


class _Sockaddr4(ctypes.Structure):
    _fields_ = (
        ("sin_family", ctypes.c_ushort),
        ("sin_port", ctypes.c_uint16),
        ("sin_addr", ctypes.c_ubyte * 4),
    )


class _Sockaddr6(ctypes.Structure):
    _fields_ = (
        ("sin6_family", ctypes.c_ushort),
        ("sin6_port", ctypes.c_uint16),
        ("sin6_flowinfo", ctypes.c_uint32),
        ("sin6_addr", ctypes.c_ubyte * 16),
        ("sin6_scope_id", ctypes.c_uint32),
    )


class _Ifaddrs(ctypes.Structure):
    pass


_Ifaddrs._fields_ = (
    ("ifa_next", ctypes.POINTER(_Ifaddrs)),
    ("ifa_name", ctypes.c_char_p),
    ("ifa_flags", ctypes.c_uint),
    ("ifa_addr", ctypes.POINTER(_Sockaddr)),
    ("ifa_netmask", ctypes.POINTER(_Sockaddr)),
    ("ifa_ifu", ctypes.POINTER(_Sockaddr)),
    ("ifa_data", ctypes.c_void_p),
)


def _raw_address(sa: ctypes._Pointer[_Sockaddr]) -> bytes | None:
    family = sa.contents.sa_family
    if family == socket.AF_INET:
        return bytes(ctypes.cast(sa, ctypes.POINTER(_Sockaddr4)).contents.sin_addr)
    if family == socket.AF_INET6:
        return bytes(ctypes.cast(sa, ctypes.POINTER(_Sockaddr6)).contents.sin6_addr)
    return None


def local_interfaces() -> list[IPInterface]:
    """Every configured interface address with its netmask, IPv4 first."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    head = ctypes.POINTER(_Ifaddrs)()
    if libc.getifaddrs(ctypes.byref(head)) != 0:
        return [ipaddress.ip_interface("127.0.0.1/8"), ipaddress.ip_interface("::1/128")]
    found: list[IPInterface] = []
    try:
        node = head
        while node:
            entry = node.contents
            if entry.ifa_addr and entry.ifa_netmask:
                addr = _raw_address(entry.ifa_addr)
                mask = _raw_address(entry.ifa_netmask)
                if addr is not None and mask is not None and len(addr) == len(mask):
                    prefix = bin(int.from_bytes(mask, "big")).count("1")
                    ip = ipaddress.ip_address(addr)
                    found.append(ipaddress.ip_interface(f"{ip}/{prefix}"))
            node = entry.ifa_next
    finally:
        libc.freeifaddrs(head)
    return sorted(found, key=lambda i: i.version)


def _class_network(iface: IPInterface) -> IPNetwork:
    if iface.version == 6:
        return iface.network
    first = int(iface.ip) >> 24
    prefix = 8 if first < 128 else 16 if first < 192 else 24 if first < 224 else 32
    return ipaddress.ip_network(f"{iface.ip}/{prefix}", strict=False)


def _format(net: IPNetwork, host: bool, iface: IPInterface) -> str:
    plen: int
    if host:
        text, plen = str(iface.ip), iface.max_prefixlen
    else:
        text, plen = str(net.network_address), net.prefixlen
    return f"[{text}]/{plen}" if iface.version == 6 else f"{text}/{plen}"


def default_mynetworks(
    style: str,
    inet_interfaces: Iterable[str] = ("all",),
    inet_protocols: Iterable[str] = ("all",),
    interfaces: list[IPInterface] | None = None,
) -> str:
    """The mynetworks value Postfix computes for this host."""
    ifaces = local_interfaces() if interfaces is None else interfaces
    protocols = {p.lower() for p in inet_protocols}
    versions = {4, 6} if "all" in protocols else (
        ({4} if "ipv4" in protocols else set()) | ({6} if "ipv6" in protocols else set())
    )
    wanted = {i.lower() for i in inet_interfaces}
    if "all" not in wanted:
        selected: set[str] = set()
        for item in wanted:
            if item in ("loopback-only", "localhost"):
                selected |= {"127.0.0.1", "::1"}
            else:
                selected.add(item.strip("[]"))
        ifaces = [i for i in ifaces if str(i.ip) in selected]
    style = style.lower()
    result: list[str] = []
    for iface in ifaces:
        if iface.version not in versions:
            continue
        net = _class_network(iface) if style == "class" else iface.network
        text = _format(net, style == "host", iface)
        if text not in result:
            result.append(text)
    return " ".join(result)
