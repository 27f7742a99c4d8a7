"""NAME
    pyfix.cli.sendmail_enqueue - turn a sendmail submission into records

SUMMARY
    EnqueueRequest, enqueue_records(), probe_records(), parse_address_list(),
    dsn_notify_mask(), dsn_ret_code(), user_fullname()

DESCRIPTION
    enqueue_records() yields the (type, data) records of a local
    submission in the order Postfix's sendmail writes them for
    postdrop (pyfix.pickup.submit adds the time record):

        A envelope_id=ID        -V envid
        A ret_flags=N           -R full|hdrs
        A rewrite_context=local
        F full name             -F, else $NAME, else the password entry
        S sender                -f, else the login name
        A encoding=8bit|7bit    -B
        A trace_flags=N         -v (record delivery)
        V delimiters            -XV
        A notify_flags=N        -N, before each recipient
        R recipient             per address in each argument; an
                                argument without an address gives R ""
        M
        N/L content lines       as rec_streamlf_get(): N for a line
                                that ended in newline, L for a piece
                                of $line_length_limit bytes or a last
                                line without newline
                                (-bv: no input; From: sender,
                                Subject: probe, To: the arguments)
        X
        R recipient             -t: from To/Cc/Bcc (Resent-To/Cc/Bcc
                                when the header has any of those)
        E

    Content: leading lines that read "From " after any ">" characters
    are dropped; with sendmail_fix_line_endings = always (strict: when
    the first line ends in CR) carriage returns before the newline are
    removed; unless -i/-oi, a line holding just "." ends the input.
    Addresses are parsed as RFC 822 address lists and stored in
    internal (unquoted) form; unqualified addresses stay unqualified
    (cleanup appends @$myorigin).

    Parameters read: none (the caller passes line_length_limit and
    sendmail_fix_line_endings).

DIAGNOSTICS
    EnqueueError carries the sysexits status and Postfix's text, for
    "No recipient addresses found in message header" and "Recipient
    addresses must be specified on the command line or via the -t
    option".
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Final

from pyfix.queue.records import (
    REC_TYPE_ATTR,
    REC_TYPE_CONT,
    REC_TYPE_END,
    REC_TYPE_FROM,
    REC_TYPE_FULL,
    REC_TYPE_MESG,
    REC_TYPE_NORM,
    REC_TYPE_RCPT,
    REC_TYPE_VERP,
    REC_TYPE_XTRA,
)
from pyfix.smtp.tok822 import internalize, parse_addresses

EX_USAGE: Final = 64
EX_DATAERR: Final = 65

DSN_NOTIFY: Final = {"NEVER": 1, "SUCCESS": 2, "FAILURE": 4, "DELAY": 8}
DSN_RET: Final = {"FULL": 1, "HDRS": 2}
_EXTRACT: Final = frozenset({"to", "cc", "bcc"})
_RESENT_EXTRACT: Final = frozenset({"resent-to", "resent-cc", "resent-bcc"})


class EnqueueError(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status


@dataclass
class EnqueueRequest:
    sender: str
    recipients: list[str]
    full_name: str | None = None
    extract: bool = False
    dot_ends: bool = True  # without -i
    dsn_envid: str | None = None
    dsn_ret: int = 0
    dsn_notify: int = 0
    encoding: str | None = None
    trace_flags: int = 0
    probe: bool = False  # -bv: probe_records() instead of a message
    verp: str | None = None
    rewrite_context: str = "local"
    line_limit: int = 2048
    fix_eol: str = "always"
    uid: int = field(default_factory=os.getuid)


def dsn_notify_mask(text: str) -> int:
    """-N value to mask; 0 when invalid (as dsn_notify_mask())."""
    mask = 0
    for name in text.replace(",", " ").split():
        bit = DSN_NOTIFY.get(name.upper())
        if bit is None:
            return 0
        mask |= bit
    if mask & DSN_NOTIFY["NEVER"] and mask != DSN_NOTIFY["NEVER"]:
        return 0
    return mask


def dsn_ret_code(text: str) -> int:
    return DSN_RET.get(text.upper(), 0)


def parse_address_list(text: str) -> list[str]:
    """Internal forms of the addresses in RFC 822 address list text."""
    return [internalize(tok.children) for tok in parse_addresses(text) if tok.type == "addr"]


def user_fullname(uid: int) -> str | None:
    """$NAME, else the password entry's GECOS name ("&" is the login)."""
    name = os.environ.get("NAME")
    if name:
        return name
    try:
        pw = pwd.getpwuid(uid)
    except KeyError:
        return None
    gecos = pw.pw_gecos.split(",", 1)[0]
    gecos = gecos.replace("&", pw.pw_name[:1].upper() + pw.pw_name[1:])
    return gecos or None


def _text(value: str) -> bytes:
    return value.encode("utf-8", "surrogateescape")


def read_lines(stream: BinaryIO, limit: int) -> Iterator[tuple[int, bytes]]:
    """rec_streamlf_get(): (N, line) or (L, piece) records from stream."""
    pending = b""
    while True:
        chunk = stream.read(65536)
        if not chunk:
            break
        pending += chunk
        start = 0
        while True:
            end = pending.find(b"\n", start, start + limit + 1)
            if end >= 0:
                yield REC_TYPE_NORM, pending[start:end]
                start = end + 1
            elif len(pending) - start > limit:
                yield REC_TYPE_CONT, pending[start:start + limit]
                start += limit
            else:
                break
        pending = pending[start:]
    if pending:
        yield REC_TYPE_CONT, pending


class _HeaderScanner:
    """Finds recipient headers among the primary message headers."""

    def __init__(self) -> None:
        self.in_header = True
        self.current: bytearray | None = None
        self.recipients: list[str] = []
        self.resent: list[str] = []
        self.saw_resent = False

    def _finish(self) -> None:
        if self.current is None:
            return
        name, _, value = bytes(self.current).partition(b":")
        key = name.strip().decode("ascii", "replace").lower()
        text = value.decode("utf-8", "surrogateescape")
        if key in _RESENT_EXTRACT:
            self.saw_resent = True
            self.resent.extend(parse_address_list(text))
        elif key in _EXTRACT and not self.saw_resent:
            self.recipients.extend(parse_address_list(text))
        self.current = None

    def line(self, rec_type: int, data: bytes, prev_type: int) -> None:
        if not self.in_header:
            return
        if prev_type == REC_TYPE_CONT and self.current is not None:
            self.current += data
            return
        if data[:1] in (b" ", b"\t") and self.current is not None:
            self.current += b"\n" + data
            return
        self._finish()
        colon = data.find(b":")
        name = data[:colon] if colon > 0 else b""
        if name and all(33 <= ch <= 126 for ch in name.rstrip(b" \t")):
            self.current = bytearray(data)
        else:
            self.in_header = False

    def result(self) -> list[str]:
        self._finish()
        return self.resent if self.saw_resent else self.recipients


def probe_records(sender: str, recipients: list[str]) -> Iterator[tuple[int, bytes]]:
    """The content that "sendmail -bv" posts instead of reading a
    message, record for record as Postfix's: From: the sender, Subject:
    probe, and a To: header that continues with each recipient argument
    as given."""
    yield REC_TYPE_NORM, _text(f"From: {sender}")
    yield REC_TYPE_NORM, b"Subject: probe"
    if recipients:
        yield REC_TYPE_CONT, b"To:"
        for index, arg in enumerate(recipients):
            comma = "," if index < len(recipients) - 1 else ""
            yield REC_TYPE_NORM, _text(f"\t{arg}{comma}")


def enqueue_records(req: EnqueueRequest, stdin: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """The submission's records; EnqueueError when it has no recipient."""
    if req.dsn_envid is not None:
        yield REC_TYPE_ATTR, _text(f"envelope_id={req.dsn_envid}")
    if req.dsn_ret:
        yield REC_TYPE_ATTR, _text(f"ret_flags={req.dsn_ret}")
    yield REC_TYPE_ATTR, _text(f"rewrite_context={req.rewrite_context}")
    full_name = req.full_name if req.full_name is not None else user_fullname(req.uid)
    if full_name is not None:
        yield REC_TYPE_FULL, _text(full_name)
    yield REC_TYPE_FROM, _text(req.sender)
    if req.encoding:
        yield REC_TYPE_ATTR, _text(f"encoding={req.encoding}")
    if req.trace_flags:
        yield REC_TYPE_ATTR, _text(f"trace_flags={req.trace_flags}")
    if req.verp:
        yield REC_TYPE_VERP, _text(req.verp)
    rcpt_count = 0
    notify = _text(f"notify_flags={req.dsn_notify}") if req.dsn_notify else None
    for arg in req.recipients:
        addresses = parse_address_list(arg) or [""]
        for address in addresses:
            if notify is not None and address:
                yield REC_TYPE_ATTR, notify
            yield REC_TYPE_RCPT, _text(address)
            rcpt_count += 1
    yield REC_TYPE_MESG, b""
    scanner = _HeaderScanner() if req.extract else None
    if req.probe:
        yield from probe_records(req.sender, req.recipients)
    else:
        yield from _content(req, stdin, scanner)
    yield REC_TYPE_XTRA, b""
    if scanner is not None:
        for address in scanner.result():
            if notify is not None:
                yield REC_TYPE_ATTR, notify
            yield REC_TYPE_RCPT, _text(address)
            rcpt_count += 1
    if rcpt_count == 0:
        who = f"{req.sender}({req.uid})"
        if req.extract:
            raise EnqueueError(EX_USAGE, f"{who}: No recipient addresses found in message header")
        raise EnqueueError(EX_USAGE, f"{who}: Recipient addresses must be specified on"
                                     " the command line or via the -t option")
    yield REC_TYPE_END, b""


def _content(req: EnqueueRequest, stdin: BinaryIO,
             scanner: _HeaderScanner | None) -> Iterator[tuple[int, bytes]]:
    strip_cr = {"always": True, "never": False}.get(req.fix_eol)
    skip_from = True
    prev_type = 0
    for rec_type, data in read_lines(stdin, req.line_limit):
        if strip_cr is None and rec_type == REC_TYPE_NORM:
            strip_cr = data.endswith(b"\r")
        if skip_from:
            if rec_type == REC_TYPE_NORM and data.lstrip(b">").startswith(b"From "):
                prev_type = rec_type
                continue
            skip_from = False
        if strip_cr and rec_type == REC_TYPE_NORM:
            data = data.rstrip(b"\r")
        if req.dot_ends and prev_type != REC_TYPE_CONT and data == b".":
            break
        if scanner is not None:
            scanner.line(rec_type, data, prev_type)
        yield rec_type, data
        prev_type = rec_type
