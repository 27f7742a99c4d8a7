"""NAME
    pyfix.cleanup.origin - what a client tells cleanup about a message

SUMMARY
    Origin, SmtpClient

DESCRIPTION
    Origin holds the envelope information that a cleanup client sends
    besides the sender and the recipients, and records() lists it as
    queue file records in the order that Postfix's smtpd sends them:

        before the sender   REC_TYPE_FULL (full name, from sendmail -F),
                            content_filter (REC_TYPE_FILT), log_ident,
                            rewrite_context, sasl_method, sasl_username,
                            sasl_sender, envelope_id, ret_flags
        after the sender    encoding, then the client attributes
                            (log_client_name, log_client_address,
                            log_client_port, log_message_origin,
                            log_helo_name, log_protocol_name, client_name,
                            reverse_client_name, client_address,
                            client_port, server_address, server_port,
                            helo_name, protocol_name,
                            client_address_type), then VERP delimiters

    rewrite_context is "local" or "remote" (smtpd decides it with
    local_header_rewrite_clients); None sends nothing, which cleanup
    treats as "local" (pickup).  log_ident=True writes
    "log_ident=QUEUEID", as smtpd does without XFORWARD.

    SmtpClient is the client part: the log_* attributes use the
    address in RFC form ("IPv6:..." for IPv6), the others the plain
    address, as Postfix does.

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from pyfix.queue.records import REC_TYPE_ATTR, REC_TYPE_FILT, REC_TYPE_FULL, REC_TYPE_VERP

Record = tuple[int, str]


def _attr(name: str, value: str | int) -> Record:
    return (REC_TYPE_ATTR, f"{name}={value}")


@dataclass(frozen=True, slots=True)
class SmtpClient:
    name: str = "unknown"
    addr: str = "unknown"
    port: str = "unknown"
    reverse_name: str | None = None  # defaults to name
    server_addr: str = "unknown"
    server_port: str = "unknown"
    helo: str | None = None
    protocol: str = "SMTP"
    namaddr: str | None = None  # "name[addr]" (with ":port" when smtpd logs ports)

    @property
    def rfc_addr(self) -> str:
        return f"IPv6:{self.addr}" if ":" in self.addr else self.addr

    @property
    def addr_family(self) -> int:
        return int(socket.AF_INET6 if ":" in self.addr else socket.AF_INET)

    def records(self) -> list[Record]:
        namaddr = self.namaddr or f"{self.name}[{self.addr}]"
        out = [
            _attr("log_client_name", self.name),
            _attr("log_client_address", self.rfc_addr),
            _attr("log_client_port", self.port),
            _attr("log_message_origin", namaddr),
        ]
        if self.helo is not None:
            out.append(_attr("log_helo_name", self.helo))
        out += [
            _attr("log_protocol_name", self.protocol),
            _attr("client_name", self.name),
            _attr("reverse_client_name",
                  self.name if self.reverse_name is None else self.reverse_name),
            _attr("client_address", self.addr),
            _attr("client_port", self.port),
            _attr("server_address", self.server_addr),
            _attr("server_port", self.server_port),
        ]
        if self.helo is not None:
            out.append(_attr("helo_name", self.helo))
        out += [
            _attr("protocol_name", self.protocol),
            _attr("client_address_type", self.addr_family),
        ]
        return out


@dataclass(frozen=True, slots=True)
class Origin:
    rewrite_context: str | None = None
    log_ident: bool = False
    fullname: str | None = None
    content_filter: str = ""
    sasl_method: str | None = None
    sasl_username: str | None = None
    sasl_sender: str | None = None
    dsn_envid: str | None = None
    dsn_ret: int = 0
    encoding: str | None = None
    client: SmtpClient | None = None
    verp_delims: str | None = None
    trace_flags: int = 0  # DEL_REQ_TRACE_* bits: verify probes, sendmail -bv / -v

    def before_sender(self, queue_id: str) -> list[Record]:
        out: list[Record] = []
        if self.fullname is not None:
            out.append((REC_TYPE_FULL, self.fullname))
        if self.content_filter:
            out.append((REC_TYPE_FILT, self.content_filter))
        if self.log_ident:
            out.append(_attr("log_ident", queue_id))
        if self.rewrite_context is not None:
            out.append(_attr("rewrite_context", self.rewrite_context))
        for name in ("sasl_method", "sasl_username", "sasl_sender"):
            value = getattr(self, name)
            if value:
                out.append(_attr(name, value))
        if self.dsn_envid:
            out.append(_attr("envelope_id", self.dsn_envid))
        if self.dsn_ret:
            out.append(_attr("ret_flags", self.dsn_ret))
        if self.trace_flags:
            out.append(_attr("trace_flags", self.trace_flags))
        return out

    def after_sender(self) -> list[Record]:
        out: list[Record] = []
        if self.encoding is not None:
            out.append(_attr("encoding", self.encoding))
        if self.client is not None:
            out += self.client.records()
        if self.verp_delims is not None:
            out.append((REC_TYPE_VERP, self.verp_delims))
        return out
