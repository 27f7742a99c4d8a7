"""NAME
    pyfix.config.conffile - read Postfix-style logical lines

SUMMARY
    read_logical_lines(), split_nameval()

DESCRIPTION
    Postfix configuration files (main.cf, master.cf, and the text form
    of lookup tables) share one line discipline:

    - empty lines, all-white-space lines and lines whose first non-space
      character is "#" are ignored, also in the middle of a logical line;
    - a line that starts with white space continues the previous logical
      line; the physical lines are joined as they are, without the newline;
    - a logical line that would start with white space is reported and
      skipped.

    Text is decoded with the "surrogateescape" error handler, so that a
    file with non-UTF-8 bytes is carried through unchanged. As in Postfix,
    a NUL byte ends the text of a logical line.

    split_nameval() splits "name = value" with Postfix's error texts.

    Parameters read: none.

DIAGNOSTICS
    Warning: a continuation line that does not continue preceding text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

WHITESPACE = " \t\r\n\v\f"


@dataclass(frozen=True, slots=True)
class LogicalLine:
    text: str
    first_line: int
    last_line: int


def decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _is_blank_or_comment(line: str) -> bool:
    stripped = line.lstrip(WHITESPACE)
    return not stripped or stripped[0] == "#"


def read_logical_lines(
    text: str, path: str, warn: Callable[[str], None]
) -> Iterator[LogicalLine]:
    """Yield the logical lines of a configuration text."""
    physical = text.split("\n")
    if physical and physical[-1] == "":
        physical.pop()
    parts: list[str] = []
    first = last = 0
    for lineno, line in enumerate(physical, start=1):
        if _is_blank_or_comment(line):
            continue
        if line[0] in WHITESPACE and parts:
            parts.append(line)
            last = lineno
            continue
        if parts:
            yield _finish(parts, first, last, path, warn)
        parts, first, last = [line], lineno, lineno
    if parts:
        yield _finish(parts, first, last, path, warn)


def _finish(
    parts: list[str], first: int, last: int, path: str, warn: Callable[[str], None]
) -> LogicalLine:
    text = "".join(parts)
    if text[0] in WHITESPACE:
        # Postfix reports this and drops the line; we do the same in the caller.
        shown = text[:30] + ("..." if len(text) > 30 else "")
        warn(f'{path}: logical line must not start with whitespace: "{shown}"')
        return LogicalLine("", first, last)
    nul = text.find("\0")
    if nul >= 0:
        text = text[:nul]
    return LogicalLine(text, first, last)


def split_nameval(text: str) -> tuple[str, str] | str:
    """Split "name = value"; return (name, value) or Postfix's error text."""
    body = text.lstrip(WHITESPACE)
    if not body or body[0] == "=":
        return "missing attribute name"
    end = 0
    while end < len(body) and body[end] not in WHITESPACE and body[end] != "=":
        end += 1
    name = body[:end]
    rest = body[end:].lstrip(WHITESPACE)
    if not rest.startswith("="):
        return "missing '=' after attribute name"
    return name, rest[1:].strip(WHITESPACE)


def split_qnameval(text: str) -> tuple[str, str] | str:
    """Like split_nameval(), but the name may hold "quoted text" and \\-escapes."""
    body = text.lstrip(WHITESPACE)
    if not body:
        return "no key found; expected format: key = value"
    in_quotes = False
    end = 0
    while end < len(body):
        ch = body[end]
        if ch == "\\":
            end += 2
            continue
        if ch in WHITESPACE or ch == "=":
            if not in_quotes:
                break
        elif ch == '"':
            in_quotes = not in_quotes
        end += 1
    if in_quotes:
        return "unbalanced '\"'"
    end = min(end, len(body))
    rest = body[end:].lstrip(WHITESPACE)
    if not rest.startswith("="):
        return "missing '=' after attribute name"
    return body[:end], rest[1:].strip(WHITESPACE)
