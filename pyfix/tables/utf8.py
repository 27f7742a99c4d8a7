"""NAME
    pyfix.tables.utf8 - key folding, UTF-8 checks and printable text

SUMMARY
    utf8_active(), fold_fixed(), valid_utf8(), non_utf8_key_text(),
    non_utf8_value_text()

DESCRIPTION
    Postfix folds the keys of fixed-key tables (hash, btree, lmdb, cdb,
    texthash) when the FOLD_FIX flag is set.  How it folds depends on
    whether UTF-8 support is active for the table: with "smtputf8_enable
    = yes" and a caller that sets UTF8_REQUEST (every caller except
    "postmap -u"), the key is checked for valid UTF-8 and folded with
    full Unicode case folding ("Straße" becomes "strasse"); otherwise
    only the ASCII letters A-Z are lowered.

    The UTF-8 switch is process-wide, like Postfix's util_utf8_enable:
    pyfix.log.printable keeps it (set_utf8_enable()), and the
    configuration loader sets it from smtputf8_enable.  The same switch
    decides what printable() lets into a log line.

    Text is carried as str decoded with "surrogateescape", so that a
    byte that is not UTF-8 shows up as a lone surrogate.

    Parameters read: none (the callers read smtputf8_enable).

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from pyfix.log.printable import utf8_enabled
from pyfix.tables.base import FOLD_FIX, UTF8_REQUEST

NON_UTF8 = "malformed UTF-8 or invalid codepoint"

_ASCII_LOWER = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}


def utf8_active(flags: int) -> bool:
    """True when a table opened with these flags checks and folds UTF-8."""
    return utf8_enabled() and bool(flags & UTF8_REQUEST)


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


def non_utf8_key_text(dict_type: str, dict_name: str, key: str) -> str:
    return f'{dict_type}:{dict_name}: non-UTF-8 key "{key}": {NON_UTF8}'


def non_utf8_value_text(dict_type: str, dict_name: str, key: str, value: str) -> str:
    return f'{dict_type}:{dict_name}: key "{key}": non-UTF-8 value "{value}": {NON_UTF8}'
