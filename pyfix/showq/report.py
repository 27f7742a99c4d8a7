"""NAME
    pyfix.showq.report - mailq and postqueue -j output

SUMMARY
    MailqFormatter, json_line(), json_quote()

DESCRIPTION
    MailqFormatter prints Postfix's traditional listing (postqueue -p,
    mailq, sendmail -bp): a heading, then per message the queue ID
    ("*" when active, "!" when on hold, "#" when forced to expire), size,
    arrival time (asctime() cut to 20 characters, 19 with long queue
    IDs) and sender; under it each recipient, preceded by its deferral
    reason in parentheses, right-aligned to column 78, whenever the
    reason differs from the previous recipient's ("reason unavailable"
    after a recipient that had one).  The summary reads "-- N Kbytes in
    M Requests." or "Mail queue is empty".

    json_line() is one line of postqueue -j (Postfix 3.1 and later):
    queue_name, queue_id, arrival_time, message_size, forced_expire,
    sender and recipients (address and, when there is one,
    delay_reason), with Postfix's JSON string quoting.

    Parameters read: none; the caller says whether queue IDs are long
    (enable_long_queue_ids).

DIAGNOSTICS
    None.
"""

from __future__ import annotations

import time
from typing import Final, TextIO

from pyfix.showq.listing import QueueEntry

S_HEADINGS: Final = ("-Queue ID-", "--Size--", "----Arrival Time----",
                     "-Sender/Recipient-------")
L_HEADINGS: Final = ("----Queue ID-----", "--Size--", "---Arrival Time----",
                     "--Sender/Recipient------")
_JSON_ESCAPES: Final = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
                        "\\": "\\\\", '"': '\\"'}


def _columns(long_ids: bool, first: str, size: str, when: str, who: str) -> str:
    if long_ids:
        return f"{first:<17} {size:>8} {when:<19} {who}\n"
    return f"{first:<11} {size:>7} {when:<20} {who}\n"


class MailqFormatter:
    """The traditional listing, written message by message."""

    def __init__(self, out: TextIO, long_ids: bool) -> None:
        self.out = out
        self.long_ids = long_ids
        self.count = 0
        self.total = 0

    def message(self, entry: QueueEntry) -> None:
        if self.count:
            self.out.write("\n")
        else:
            self.out.write(_columns(self.long_ids, *(L_HEADINGS if self.long_ids
                                                     else S_HEADINGS)))
        ident = entry.queue_id + {"active": "*", "hold": "!"}.get(entry.queue_name, "")
        if entry.forced_expire:
            ident += "#"
        width = 19 if self.long_ids else 20
        when = time.asctime(time.localtime(entry.arrival_time))[:width]
        self.out.write(_columns(self.long_ids, ident, str(entry.message_size),
                                when, entry.sender))
        previous = ""
        for rcpt in entry.recipients:
            if rcpt.reason != previous:
                previous = rcpt.reason
                shown = previous or "reason unavailable"
                self.out.write(" " * max(0, 76 - len(shown)) + f"({shown})\n")
            self.out.write(_columns(self.long_ids, "", "", "", rcpt.address))
        self.count += 1
        self.total += entry.message_size

    def finish(self) -> None:
        if self.count == 0:
            self.out.write("Mail queue is empty\n")
        else:
            plural = "" if self.count == 1 else "s"
            self.out.write(f"\n-- {self.total // 1024} Kbytes in {self.count}"
                           f" Request{plural}.\n")


def json_quote(text: str) -> str:
    out = []
    for ch in text:
        if ch in _JSON_ESCAPES:
            out.append(_JSON_ESCAPES[ch])
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


def json_line(entry: QueueEntry) -> str:
    rcpts = []
    for rcpt in entry.recipients:
        item = f'{{"address": "{json_quote(rcpt.address)}"'
        if rcpt.reason:
            item += f', "delay_reason": "{json_quote(rcpt.reason)}"'
        rcpts.append(item + "}")
    return (f'{{"queue_name": "{json_quote(entry.queue_name)}", '
            f'"queue_id": "{json_quote(entry.queue_id)}", '
            f'"arrival_time": {entry.arrival_time}, '
            f'"message_size": {entry.message_size}, '
            f'"forced_expire": {"true" if entry.forced_expire else "false"}, '
            f'"sender": "{json_quote(entry.sender)}", '
            f'"recipients": [{", ".join(rcpts)}]}}\n')
