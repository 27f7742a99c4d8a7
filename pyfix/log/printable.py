"""NAME
    pyfix.log.printable - Postfix's printable(): what may reach a log line

SUMMARY
    printable(), printable_bytes(), set_utf8_enable(), utf8_enabled()

DESCRIPTION
    printable_bytes() keeps printable ASCII and, with utf8, well-formed
    runs of UTF-8 bytes, and replaces every other byte (control
    characters, CR, LF, bytes that are not UTF-8) with the replacement,
    as Postfix's printable() does for text that came from a client or a
    file.  With nul_ends, the text ends at the first NUL, as a C string
    does.  Text is taken in Python's internal form: bytes that were not
    UTF-8 arrive as surrogate escapes.

    printable() is what every log line and diagnostic passes through,
    with the process-wide UTF-8 switch, Postfix's util_utf8_enable: the
    configuration loader sets it from smtputf8_enable (and a daemon from
    its own master.cf view, -o included).  With "smtputf8_enable = no",
    as at compatibility_level 0, "müller" is logged as "m??ller".  The
    switch is on until then, the Postfix 3.7 default.

    Parameters read: none (the caller passes smtputf8_enable).

DIAGNOSTICS
    None.
"""

from __future__ import annotations

_state = {"utf8_enable": True}


def set_utf8_enable(enable: bool) -> None:
    """Turn UTF-8 support on or off for this process (smtputf8_enable)."""
    _state["utf8_enable"] = enable


def utf8_enabled() -> bool:
    return _state["utf8_enable"]


def printable(text: str) -> str:
    """Postfix's printable(text, '?') under this process's UTF-8 switch."""
    if text.isascii() and text.isprintable():  # the common case, at C speed
        return text
    return printable_bytes(text, _state["utf8_enable"])


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
