"""NAME
    pyfix.tables.indexed - what the indexed file tables have in common

SUMMARY
    IndexedTable, Naming, TableFatalError, c_string()

DESCRIPTION
    The indexed tables (lmdb:, cdb:, hash:, btree:) share Postfix's
    conventions for keys and values in their files:

    - with FOLD_FIX the key is folded before it is stored or looked up
      (utf8.py); with UTF-8 support active a key that is not valid UTF-8
      is not stored, and not found, with a warning;
    - a key and its value are stored with a terminating NUL (TRY1NULL)
      or without (TRY0NULL).  A lookup tries both unless the caller
      chose one (postmap -N, -n); the first hit settles it for the rest
      of the table's life.  An update picks the type's default (with
      NUL for lmdb, hash and btree; without NUL for cdb);
    - a value read back ends at its first NUL byte;
    - an update of an existing key warns ("duplicate entry"), is
      ignored, or replaces the old value, per DUP_WARN, DUP_IGNORE and
      DUP_REPLACE.

    Naming holds the words that Postfix uses for a table in its
    messages: "lmdb:NAME" for lmdb, "NAME.db" for hash and btree and
    "NAME" for cdb, which differ because they come from different
    Postfix modules.

    Parameters read: none.

DIAGNOSTICS
    TableFatalError is a problem that Postfix reports with a fatal error
    inside the table code (a key that LMDB cannot store, a corrupt
    file, a duplicate entry without DUP_WARN).  It is a TableConfigError
    for daemons; the commands print its text as "fatal: TEXT".
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from pyfix.log.msg import msg_warn
from pyfix.log.printable import printable
from pyfix.tables.base import (
    DUP_IGNORE,
    DUP_REPLACE,
    DUP_WARN,
    FIXED,
    FOLD_FIX,
    LOCK,
    TRY0NULL,
    TRY1NULL,
    Table,
    TableConfigError,
    TableError,
)
from pyfix.tables.utf8 import (
    fold_fixed,
    non_utf8_key_text,
    non_utf8_value_text,
    utf8_active,
    valid_utf8,
)

STALE_GRACE = 100


class TableFatalError(TableConfigError):
    """A failure that Postfix treats as fatal inside the table code."""


class TableRestart(TableError):
    """A bulk build must be fed its input again from the start (the map
    of a new LMDB table filled up and was made larger)."""


def warn(text: str) -> None:
    msg_warn(printable(text))


def c_string(data: bytes) -> str:
    """Bytes as Postfix's SCOPY sees them: up to the first NUL."""
    nul = data.find(b"\0")
    if nul >= 0:
        data = data[:nul]
    return data.decode("utf-8", "surrogateescape")


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


@dataclass(frozen=True)
class Naming:
    """How Postfix names one table in its messages."""

    dict_type: str
    dict_name: str
    dup_prefix: str
    error_prefix: str

    @classmethod
    def typed(cls, dict_type: str, dict_name: str) -> Naming:
        return cls(dict_type, dict_name, f"{dict_type}:{dict_name}", f"{dict_type}:{dict_name}")

    @classmethod
    def plain(cls, dict_type: str, dict_name: str, dup_prefix: str) -> Naming:
        return cls(dict_type, dict_name, dup_prefix, dict_name)

    def duplicate(self, key: str) -> str:
        return f'{self.dup_prefix}: duplicate entry: "{key}"'

    def error(self, action: str, detail: str) -> str:
        return f"error {action} {self.error_prefix}: {detail}"


class IndexedTable(Table):
    """Key handling shared by lmdb:, cdb:, hash: and btree: tables."""

    impl_flags = FIXED
    # Does an update append a NUL when the caller did not choose?
    nul_by_default = True

    def __init__(self, name: str, flags: int, naming: Naming) -> None:
        super().__init__(name, flags)
        self.dict_type = naming.dict_type
        self.naming = naming
        self.dict_name = naming.dict_name
        if not self.flags & (TRY0NULL | TRY1NULL):
            self.flags |= TRY0NULL | TRY1NULL

    # Keys ---------------------------------------------------------------

    def prepare_key(self, key: str) -> str | None:
        """The folded key, or None (after a warning) for bad UTF-8."""
        if key.isascii():
            return key.lower() if self.flags & FOLD_FIX else key
        if utf8_active(self.flags) and not valid_utf8(key):
            warn(non_utf8_key_text(self.dict_type, self.dict_name, key))
            return None
        return fold_fixed(key, self.flags)

    def check_value(self, key: str, value: str) -> str | None:
        if utf8_active(self.flags) and not valid_utf8(value):
            return non_utf8_value_text(self.dict_type, self.dict_name, key, value)
        return None

    def lookup_forms(self, key: str) -> list[tuple[bytes, int]]:
        """The stored forms to try, each with the flag that it confirms."""
        raw = encode(key)
        forms = []
        if self.flags & TRY1NULL:
            forms.append((raw + b"\0", TRY1NULL))
        if self.flags & TRY0NULL:
            forms.append((raw, TRY0NULL))
        return forms

    def found_with(self, which: int) -> None:
        """Settle the NUL convention after a hit."""
        self.flags &= ~(TRY0NULL if which == TRY1NULL else TRY1NULL)

    def update_form(self, key: str, value: str) -> tuple[bytes, bytes]:
        if self.flags & TRY1NULL and self.flags & TRY0NULL:
            self.flags &= ~(TRY0NULL if self.nul_by_default else TRY1NULL)
        if self.flags & TRY1NULL:
            return encode(key) + b"\0", encode(value) + b"\0"
        return encode(key), encode(value)

    def result(self, key: str, data: bytes) -> str:
        value = c_string(data)
        if not value.isascii() and utf8_active(self.flags) and not valid_utf8(value):
            text = non_utf8_value_text(self.dict_type, self.dict_name, key, value)
            warn(text)
            raise TableConfigError(text)
        return value

    # Duplicates ---------------------------------------------------------

    def duplicate(self, key: str) -> None:
        """Report an update of an existing key per the DUP_ flags."""
        if self.flags & (DUP_IGNORE | DUP_REPLACE):
            return
        text = self.naming.duplicate(key)
        if self.flags & DUP_WARN:
            warn(text)
            return
        raise TableFatalError(text)

    # Freshness ----------------------------------------------------------

    def warn_if_stale(self, index_path: str, index_mtime: float) -> None:
        """Postfix's "database X is older than source file Y"."""
        if not self.flags & LOCK:
            return
        try:
            source = os.stat(self.name)
        except OSError:
            return
        if int(source.st_mtime) > int(index_mtime) and (
            source.st_mtime < time.time() - STALE_GRACE
        ):
            warn(f"database {index_path} is older than source file {self.name}")


def file_identity(st: os.stat_result) -> tuple[int, int]:
    return st.st_dev, st.st_ino


def replaced(path: str, identity: tuple[int, int], fd: int) -> bool:
    """True when path no longer names the file that fd has open."""
    try:
        if os.fstat(fd).st_nlink == 0:
            return True
        return file_identity(os.stat(path)) != identity
    except OSError:
        return True

