"""NAME
    pyfix.log.printable - Postfix's printable(): what may reach a log line

SUMMARY
    printable_bytes()

DESCRIPTION
    printable_bytes() keeps printable ASCII and, with utf8, well-formed
    runs of UTF-8 bytes, and replaces every other byte (control
    characters, CR, LF, bytes that are not UTF-8) with the replacement,
    as Postfix's printable() does for text that came from a client or a
    file.  With nul_ends, the text ends at the first NUL, as a C string
    does.  Text is taken in Python's internal form: bytes that were not
    UTF-8 arrive as surrogate escapes.

    Parameters read: none (the caller passes smtputf8_enable as utf8).

DIAGNOSTICS
    None.
"""

from __future__ import annotations


def printable_bytes(text: str, utf8: bool = True, replacement: str = "?",
                    nul_ends: bool = False) -> str:
    if text.isascii() and text.isprintable():  # the common case
        return text
    data = text.encode("utf-8", "surrogateescape")
    if nul_ends:
        data = data.split(b"\0", 1)[0]
    out = bytearray()
    rep = replacement.encode()
    size = len(data)
    pos = 0
    while pos < size:
        ch = data[pos]
        if 0x20 <= ch < 0x7F:
            out.append(ch)
        elif utf8 and 194 <= ch <= 254 and pos + 1 < size and 0x80 <= data[pos + 1] < 0xC0:
            out.append(ch)
            while pos + 1 < size and 0x80 <= data[pos + 1] < 0xC0:
                pos += 1
                out.append(data[pos])
        else:
            out += rep
        pos += 1
    return out.decode("utf-8", "surrogateescape")
