"""NAME
    pyfix.smtp.logfields - the SMTP server's log line texts

SUMMARY
    printable(), escape(), disconnect_text(), lost_connection_text(),
    whatsup()

DESCRIPTION
    Pure functions that build the text of smtpd's log lines exactly as
    Postfix 3.7 writes them (the "postfix/smtpd[pid]: " prefix is the
    logger's job):

    disconnect_text(namaddr, stats)
        "disconnect from host[addr] ehlo=1 mail=1 rcpt=1 data=1 quit=1
        commands=5", with "N/M" where commands failed (commands.py keeps
        the counts).
    lost_connection_text(reason, where, namaddr, size)
        "lost connection after RCPT from host[addr]", "timeout after
        DATA (1234 bytes) from host[addr]", "too many errors after ...";
        None where Postfix logs nothing (a client that goes away right
        after the end of a message).
    whatsup(...)
        the "from=<...> to=<...> proto=ESMTP helo=<...>" tail of reject
        lines.

    printable() replaces what is not printable ASCII or plausible UTF-8
    with "?", escape() shows bytes with C escapes (\\r, \\n, \\ooo), as
    Postfix does for client text in logs.

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyfix.address.quote import quote_822_local
from pyfix.log.printable import printable_bytes


def printable(text: str, utf8: bool = True, replacement: str = "?") -> str:
    """Postfix's printable(): keep printable ASCII and (utf8) UTF-8 runs."""
    return printable_bytes(text, utf8, replacement, nul_ends=True)


_ESCAPES = {
    0x07: "\\a", 0x08: "\\b", 0x0C: "\\f", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x0B: "\\v"
}


def escape(data: bytes) -> str:
    out: list[str] = []
    for ch in data:
        if 0x20 <= ch < 0x7F:
            out.append("\\\\" if ch == 0x5C else chr(ch))
        elif ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        else:
            out.append(f"\\{ch:03o}")
    return "".join(out)


def format_stats(counts: Iterable[tuple[str, int, int]]) -> str:
    """" name=ok[/total] ... commands=ok[/total]" from (name, ok, total)."""
    parts: list[str] = []
    all_ok = all_total = 0
    for name, ok, total in counts:
        if total > 0:
            parts.append(f" {name.lower()}={ok}" + (f"/{total}" if ok != total else ""))
            all_ok += ok
            all_total += total
    parts.append(f" commands={all_ok}")
    if all_ok != all_total or all_total == 0:
        parts.append(f"/{all_total}")
    return "".join(parts)


def disconnect_text(namaddr: str, counts: Iterable[tuple[str, int, int]]) -> str:
    return f"disconnect from {namaddr}{format_stats(counts)}"


def lost_connection_text(
    reason: str | None, where: str | None, namaddr: str, size: int
) -> str | None:
    if not reason or not where:
        return None
    if where == "DATA content":
        return f"{reason} after DATA ({size} bytes) from {namaddr}"
    if where == "BDAT content":
        return f"{reason} after BDAT ({size} bytes) from {namaddr}"
    if where != "END-OF-MESSAGE" or reason != "lost connection":
        return f"{reason} after {where} from {namaddr}"
    return None


def log_address(address: str | None) -> str | None:
    """An address as info_log_address_format = external shows it."""
    if not address:
        return address
    return quote_822_local(address)


def whatsup(
    sender: str | None, recipient: str | None, protocol: str | None, helo: str | None
) -> str:
    text = ""
    if sender is not None:
        text += f" from=<{sender}>"
    if recipient is not None:
        text += f" to=<{recipient}>"
    if protocol:
        text += f" proto={protocol}"
    if helo is not None:
        text += f" helo=<{helo}>"
    return text
