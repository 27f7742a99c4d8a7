"""NAME
    pyfix.log.vstream - Postfix-style buffered standard output

SUMMARY
    BlockStdout, install_block_stdout()

DESCRIPTION
    Postfix commands write standard output through a 4096-byte buffer that
    is written out only when it fills up or when the program ends
    normally; a fatal error exits without flushing it.  Administrators'
    scripts see exactly that (for example "postconf -n" with a broken
    main.cf prints nothing before its fatal message), so pyfix's
    commands reproduce it: text is written in whole 4096-byte blocks,
    and what is pending at a fatal error is discarded.

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

import os
import sys

BLOCK = 4096


class BlockStdout:
    """A text stream that writes fd 1 in 4096-byte blocks."""

    def __init__(self, fd: int = 1) -> None:
        self.fd = fd
        self.pending = bytearray()

    def write(self, text: str) -> int:
        self.pending += text.encode("utf-8", "surrogateescape")
        while len(self.pending) >= BLOCK:
            self._write(bytes(self.pending[:BLOCK]))
            del self.pending[:BLOCK]
        return len(text)

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]

    def flush(self) -> None:
        """Writes nothing: Postfix flushes only full blocks and at exit."""

    def finish(self) -> None:
        if self.pending:
            self._write(bytes(self.pending))
            self.pending.clear()

    def discard(self) -> None:
        self.pending.clear()

    def isatty(self) -> bool:
        return os.isatty(self.fd)


def install_block_stdout() -> BlockStdout:
    stream = BlockStdout()
    sys.stdout = stream  # type: ignore[assignment,unused-ignore]
    return stream
