"""NAME
    pyfix.tables.source - read the text form of a lookup table

SUMMARY
    read_logical_lines(), split_key_value(), SourceLine

DESCRIPTION
    The input of postmap(1), postalias(1) and the texthash: table type
    is read one logical line at a time, with Postfix's readllines()
    rules (the same rules as conffile.py, but streamed from a binary
    file so that a million-line table is never held in memory):

    - empty lines, all-white-space lines and lines whose first
      non-space character is "#" are skipped, also in the middle of a
      logical line;
    - a line that starts with white space continues the logical line;
      the physical lines are joined without their newline;
    - a logical line that starts with white space is reported
      ("logical line must not start with whitespace") and skipped;
    - a NUL byte ends the text of a logical line.

    Each logical line comes with the number of its first physical line
    and its text, decoded with "surrogateescape".

    split_key_value() splits "key whitespace value" as postmap does: the
    key ends at the first white space that is neither quoted with "..."
    nor escaped with a backslash, and is kept in its quoted form; the
    value is trimmed.  It returns the pair, or the kind of error.

    Parameters read: none.

DIAGNOSTICS
    The warning about a logical line that starts with white space goes
    to the warn callback.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

SPACE_BYTES = b" \t\n\v\f\r"
SPACE = " \t\n\v\f\r"

_FIRST_SPACE = re.compile(r"[ \t\n\v\f\r]")


@dataclass(frozen=True, slots=True)
class SourceLine:
    lineno: int
    raw: bytes
    text: str


def _finish(parts: list[bytes], lineno: int, path: str,
            warn: Callable[[str], None]) -> SourceLine | None:
    raw = b"".join(parts)
    if raw[0] in SPACE_BYTES:
        text = raw.decode("utf-8", "surrogateescape")
        shown = text[:30] + ("..." if len(text) > 30 else "")
        warn(f'{path}: logical line must not start with whitespace: "{shown}"')
        return None
    nul = raw.find(b"\0")
    if nul >= 0:
        raw = raw[:nul]
    return SourceLine(lineno, raw, raw.decode("utf-8", "surrogateescape"))


def read_logical_lines(lines: Iterable[bytes], path: str,
                       warn: Callable[[str], None]) -> Iterator[SourceLine]:
    """Yield the logical lines of a binary line iterator (a file)."""
    parts: list[bytes] = []
    first = 0
    lineno = 0
    for line in lines:
        lineno += 1
        if line.endswith(b"\n"):
            line = line[:-1]
        stripped = line.lstrip(SPACE_BYTES)
        if not stripped or stripped[0] == 0x23:  # "#"
            continue
        if line[0] in SPACE_BYTES and parts:
            parts.append(line)
            continue
        if parts:
            result = _finish(parts, first, path, warn)
            if result is not None:
                yield result
        parts = [line]
        first = lineno
    if parts:
        result = _finish(parts, first, path, warn)
        if result is not None:
            yield result


UNBALANCED = "unbalanced"
FORMAT = "format"


def split_key_value(text: str) -> tuple[str, str] | str:
    """Split "key whitespace value"; return the pair or UNBALANCED/FORMAT."""
    if '"' not in text and "\\" not in text:
        match = _FIRST_SPACE.search(text)
        if match is None:
            return FORMAT
        key = text[: match.start()]
        value = text[match.end():].strip(SPACE)
    else:
        in_quotes = False
        index = 0
        size = len(text)
        end = size
        while index < size:
            ch = text[index]
            if ch == "\\":
                index += 1
                if index >= size:
                    break
            elif ch in SPACE:
                if not in_quotes:
                    end = index
                    break
            elif ch == '"':
                in_quotes = not in_quotes
            index += 1
        if in_quotes:
            return UNBALANCED
        key = text[:end]
        value = text[end + 1:].strip(SPACE) if end < size else ""
    if not key or not value:
        return FORMAT
    return key, value
