"""NAME
    pyfix.queue.queue_id - queue IDs in Postfix's short and long forms

SUMMARY
    make_queue_id(), parse_queue_id(), QueueIdInfo, hash_key(),
    queue_id_ok(), queue_name_ok(), safe_ultostr(), safe_strtoul()

DESCRIPTION
    A queue file is named after the time it was created and its inode
    number, so that no two files in the queue share a name
    (global/mail_queue.h):

    Short form (enable_long_queue_ids = no)
        The microseconds in upper-case hexadecimal, exactly five
        digits, then the inode number in upper-case hexadecimal:
        "6683D1640E8" is microsecond 0x6683D, inode 0x1640E8.

    Long form (enable_long_queue_ids = yes)
        The seconds in base 52 (at least six characters), the
        microseconds in base 52 (exactly four), the letter "z", and the
        inode number in base 51.  The alphabet is the digits and the
        letters without vowels, "0-9BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";
        base 51 stops before "z", so the last "z" separates time from
        inode: "4jbyRC3GzGzByhk".

    hash_key() gives the text that hashed queue directories are named
    from: the queue ID itself in the short form, and in the long form
    the microseconds converted to the short form's five hex digits, so
    that both forms spread over the same subdirectories.

    queue_id_ok() is mail_queue_id_ok(): 1 to 255 characters, letters,
    digits and "_" (the last for fast-flush log names).  Temporary
    names such as "385297.4711" therefore never pass as queue IDs.

    Parameters read: none (the caller passes enable_long_queue_ids).

DIAGNOSTICS
    parse_queue_id() raises ValueError for an ID whose inode part does
    not decode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

SAFE_CHARS: Final = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz"
_SAFE_VALUE: Final = {ch: value for value, ch in enumerate(SAFE_CHARS)}

LONG_SEC_BASE: Final = 52
LONG_SEC_PAD: Final = 6
LONG_USEC_BASE: Final = 52
LONG_USEC_PAD: Final = 4
LONG_TIME_PAD: Final = LONG_SEC_PAD + LONG_USEC_PAD
LONG_INUM_SEP: Final = "z"
LONG_INUM_BASE: Final = 51
SHORT_USEC_PAD: Final = 5

VALID_HOSTNAME_LEN: Final = 255
QUEUE_NAME_MAX: Final = 100
ULONG_MAX: Final = 2**64 - 1


def safe_ultostr(value: int, base: int, padlen: int = 0, padchar: str = "0") -> str:
    """value in the given base (2..52) over SAFE_CHARS, left-padded."""
    if not 2 <= base <= len(SAFE_CHARS):
        raise ValueError(f"bad base: {base}")
    digits = []
    while value:
        value, digit = divmod(value, base)
        digits.append(SAFE_CHARS[digit])
    text = "".join(reversed(digits))
    return text.rjust(padlen, padchar)


def safe_strtoul(text: str, base: int) -> int:
    """Decode all of text in the given base; ValueError on any bad digit.

    As Postfix: an empty string is 0; a value above ULONG_MAX is an error.
    """
    if not 2 <= base <= len(SAFE_CHARS):
        raise ValueError(f"bad base: {base}")
    value = 0
    for ch in text:
        digit = _SAFE_VALUE.get(ch, base)
        if digit >= base:
            raise ValueError(f"bad base-{base} digit {ch!r}")
        value = value * base + digit
    if value > ULONG_MAX:
        raise ValueError("value out of range")
    return value


_HEX_DIGITS: Final = frozenset("0123456789abcdefABCDEF")


def _strtoul_hex(text: str) -> int:
    """strtoul(text, &end, 16) that must consume all of text ("" is 0)."""
    body = text[2:] if text[:2] in ("0x", "0X") and len(text) > 2 else text
    if not all(ch in _HEX_DIGITS for ch in body):
        raise ValueError("bad hex digit")
    value = int(body, 16) if body else 0
    if value > ULONG_MAX:
        raise ValueError("value out of range")
    return value


def make_queue_id(inode: int, seconds: int, microseconds: int, long_form: bool) -> str:
    """The queue ID of a file with this inode, created at this time."""
    if long_form:
        return (
            safe_ultostr(seconds, LONG_SEC_BASE, LONG_SEC_PAD)
            + safe_ultostr(microseconds, LONG_USEC_BASE, LONG_USEC_PAD)
            + LONG_INUM_SEP
            + safe_ultostr(inode, LONG_INUM_BASE)
        )
    return f"{microseconds:0{SHORT_USEC_PAD}X}{inode:X}"


def _long_separator(queue_id: str) -> int:
    """Index of the time/inode separator of a long ID, or -1."""
    index = queue_id.rfind(LONG_INUM_SEP)
    return index if index >= LONG_TIME_PAD else -1


def is_long_form(queue_id: str) -> bool:
    return _long_separator(queue_id) >= 0


@dataclass(frozen=True, slots=True)
class QueueIdInfo:
    queue_id: str
    long_form: bool
    inode: int
    microseconds: int
    seconds: int | None  # only the long form records the seconds


def parse_queue_id(queue_id: str) -> QueueIdInfo:
    """Decode the parts of a queue ID (MQID_GET_INUM and friends)."""
    sep = _long_separator(queue_id)
    if sep >= 0:
        inode = safe_strtoul(queue_id[sep + 1 :], LONG_INUM_BASE)
        try:
            usec = safe_strtoul(queue_id[sep - LONG_USEC_PAD : sep], LONG_USEC_BASE)
        except ValueError:
            usec = 0
        try:
            seconds: int | None = safe_strtoul(queue_id[: sep - LONG_USEC_PAD], LONG_SEC_BASE)
        except ValueError:
            seconds = None
        return QueueIdInfo(queue_id, True, inode, usec, seconds)
    inode = _strtoul_hex(queue_id[SHORT_USEC_PAD:])
    try:
        usec = int(queue_id[:SHORT_USEC_PAD], 16)
    except ValueError:
        usec = 0
    return QueueIdInfo(queue_id, False, inode, usec, None)


def hash_key(queue_id: str) -> str:
    """The text whose first characters name a hashed subdirectory."""
    sep = _long_separator(queue_id)
    if sep < 0:
        return queue_id
    try:
        usec = safe_strtoul(queue_id[sep - LONG_USEC_PAD : sep], LONG_USEC_BASE)
    except ValueError:
        usec = 0
    return f"{usec:0{SHORT_USEC_PAD}X}"


def queue_id_ok(queue_id: str) -> bool:
    """mail_queue_id_ok(): a queue ID or a fast-flush log file name."""
    if not queue_id or len(queue_id) > VALID_HOSTNAME_LEN:
        return False
    return queue_id.isascii() and queue_id.replace("_", "a").isalnum()


def queue_name_ok(queue_name: str) -> bool:
    """mail_queue_name_ok(): 1 to 100 letters and digits."""
    if not queue_name or len(queue_name) > QUEUE_NAME_MAX:
        return False
    return queue_name.isascii() and queue_name.isalnum()
