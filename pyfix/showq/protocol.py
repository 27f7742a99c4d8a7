"""NAME
    pyfix.showq.protocol - the wire format between showq and its clients

SUMMARY
    PROTOCOL_LINE, END_LINE, encode_entry(), read_entries(), ShowqProtocolError

DESCRIPTION
    The showq service answers every connection with one JSON object per
    line: first {"protocol": "showq"}, then one object per message
    (QueueEntry.to_json()), then {"end": true}.  A client that misses
    the greeting or the end, or gets an object it cannot read, reports
    Postfix's "malformed showq server response".

    Parameters read: none.

DIAGNOSTICS
    ShowqProtocolError from read_entries().
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Final

from pyfix.showq.listing import QueueEntry, QueueRecipient

PROTOCOL_LINE: Final = b'{"protocol": "showq"}\n'
END_LINE: Final = b'{"end": true}\n'


class ShowqProtocolError(Exception):
    """The server's answer cannot be read."""


def encode_entry(entry: QueueEntry) -> bytes:
    return json.dumps(entry.to_json(), ensure_ascii=True).encode() + b"\n"


def _entry(data: object) -> QueueEntry:
    if not isinstance(data, dict):
        raise ShowqProtocolError("not an object")
    try:
        rcpts = [QueueRecipient(str(r["address"]), str(r["reason"]))
                 for r in data["recipients"]]
        return QueueEntry(str(data["queue_name"]), str(data["queue_id"]),
                          int(data["arrival_time"]), int(data["message_size"]),
                          bool(data["forced_expire"]), str(data["sender"]), rcpts)
    except (KeyError, TypeError, ValueError) as exc:
        raise ShowqProtocolError(str(exc)) from None


def read_entries(lines: Iterable[bytes]) -> Iterator[QueueEntry]:
    """The messages a showq server sent, in order."""
    stream = iter(lines)
    if next(stream, b"") != PROTOCOL_LINE:
        raise ShowqProtocolError("no protocol greeting")
    for line in stream:
        if line == END_LINE:
            return
        if not line.endswith(b"\n"):
            break
        try:
            data = json.loads(line)
        except ValueError:
            raise ShowqProtocolError("bad JSON") from None
        yield _entry(data)
    raise ShowqProtocolError("no end of listing")
