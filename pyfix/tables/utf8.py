"""NAME
    pyfix.tables.utf8 - key folding, UTF-8 checks and printable text

SUMMARY
    set_utf8_enable(), utf8_active(), fold_fixed(), valid_utf8(),
    printable(), non_utf8_key_text(), non_utf8_value_text()

DESCRIPTION
    Postfix folds the keys of fixed-key tables (hash, btree, lmdb, cdb,
    texthash) when the FOLD_FIX flag is set.  How it folds depends on
    whether UTF-8 support is active for the table: with "smtputf8_enable
    = yes" and a caller that sets UTF8_REQUEST (every caller except
    "postmap -u"), the key is checked for valid UTF-8 and folded with
    full Unicode case folding ("Straße" becomes "strasse"); otherwise
    only the ASCII letters A-Z are lowered.

    utf8_enable is process-wide, like Postfix's util_utf8_enable: the
    commands set it from smtputf8_enable after reading main.cf.  The
    default is on, the Postfix 3.7 value once compatibility_level is 1
    or more.

    printable() is Postfix's printable(): every logged message passes
    through it, and bytes that are neither printable ASCII nor (with
    UTF-8 enabled) part of a UTF-8 sequence become "?".

    Text is carried as str decoded with "surrogateescape", so that a
    byte that is not UTF-8 shows up as a lone surrogate.

    Parameters read: none (the callers read smtputf8_enable).

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from pyfix.log.printable import printable_bytes
from pyfix.tables.base import FOLD_FIX, UTF8_REQUEST

NON_UTF8 = "malformed UTF-8 or invalid codepoint"

_state = {"utf8_enable": True}

_ASCII_LOWER = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}


def set_utf8_enable(enable: bool) -> None:
    """Turn UTF-8 support on or off for this process."""
    _state["utf8_enable"] = enable


def utf8_active(flags: int) -> bool:
    """True when a table opened with these flags checks and folds UTF-8."""
    return _state["utf8_enable"] and bool(flags & UTF8_REQUEST)


def valid_utf8(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def fold_fixed(key: str, flags: int) -> str:
    """Fold a fixed-table key as Postfix does for these flags."""
    if not flags & FOLD_FIX:
        return key
    if key.isascii():
        return key.lower()
    if utf8_active(flags):
        return key.casefold()
    return key.translate(_ASCII_LOWER)


def printable(text: str) -> str:
    """Replace what Postfix's printable() replaces with "?"."""
    return printable_bytes(text, bool(_state["utf8_enable"]))


def non_utf8_key_text(dict_type: str, dict_name: str, key: str) -> str:
    return f'{dict_type}:{dict_name}: non-UTF-8 key "{key}": {NON_UTF8}'


def non_utf8_value_text(dict_type: str, dict_name: str, key: str, value: str) -> str:
    return f'{dict_type}:{dict_name}: key "{key}": non-UTF-8 value "{value}": {NON_UTF8}'
