"""NAME
    pyfix.bounce.original - the original message that a notice returns

SUMMARY
    Original, is_header()

DESCRIPTION
    Original opens the queue file of the message that a notice is about,
    read-only and without a lock (the queue manager that calls the
    bounce library holds its own lock on it), and gives what the notice
    needs from it: the content size from the size record (for
    $bounce_size_limit), the content records in order (continued
    records stay continued, so long lines come back as they were), and,
    for enable_threaded_bounces, the Message-ID header value.

    As Postfix's bounce(8), returning the original is a best effort: a
    missing, unreadable or damaged queue file is not an error; the
    notice then carries a placeholder instead of the message.

    is_header() is Postfix's test for a header line: a name of
    printable ASCII characters without ":", optional white space, and
    ":".

    Parameters read: none.

DIAGNOSTICS
    "QUEUEID: ignoring malformed Message-ID" as a warning; other
    problems make the original unavailable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from pyfix.queue.errors import QueueError
from pyfix.queue.reader import QueueFile
from pyfix.queue.records import REC_TYPE_CONT, REC_TYPE_NORM

_HEADER = re.compile(rb"[!-9;-~]+[ \t]*:")
_MESSAGE_ID = re.compile(rb"message-id[ \t]*:", re.IGNORECASE)


def is_header(line: bytes) -> bool:
    return _HEADER.match(line) is not None


class Original:
    """The original queue file, or nothing when it cannot be read."""

    def __init__(self, path: str, queue_id: str) -> None:
        self.queue_id = queue_id
        self.queue_file: QueueFile | None = None
        self.size = 0
        try:
            queue_file = QueueFile.open_path(path, queue_id, writable=False)
        except (OSError, QueueError):
            return
        try:
            message = queue_file.read_envelope()
        except (OSError, QueueError):
            queue_file.close()
            return
        self.queue_file = queue_file
        self.size = max(message.content_size, 0)

    @property
    def available(self) -> bool:
        return self.queue_file is not None

    def records(self) -> Iterator[tuple[bytes, bool]]:
        """(data, continued) for each content record; stops early on damage."""
        if self.queue_file is None:
            return
        try:
            for record in self.queue_file.iter_content():
                if record.type in (REC_TYPE_NORM, REC_TYPE_CONT):
                    yield record.data, record.type == REC_TYPE_CONT
        except (OSError, QueueError):
            return

    def copy(self, put: Callable[[bytes, bool], None], headers_only: bool) -> None:
        """Send the content, or only its header block, to put()."""
        at_line_start = True
        for data, continued in self.records():
            if headers_only and at_line_start and not (
                    data[:1] in (b" ", b"\t") or is_header(data)):
                return
            put(data, continued)
            at_line_start = not continued

    def message_id(self, warn: Callable[[str], None]) -> str:
        """The Message-ID header value ("<...>"), or ""."""
        at_line_start = True
        for data, continued in self.records():
            starts = at_line_start
            at_line_start = not continued
            if not starts or data[:1] in (b" ", b"\t"):
                continue
            if not is_header(data):
                return ""
            match = _MESSAGE_ID.match(data)
            if match is None or continued:
                continue
            value = data[match.end():].strip(b" \t").decode("utf-8", "surrogateescape")
            if value.startswith("<") and value.endswith(">"):
                return value
            warn(f"{self.queue_id}: ignoring malformed Message-ID")
            return ""
        return ""

    def close(self) -> None:
        if self.queue_file is not None:
            self.queue_file.close()
            self.queue_file = None
