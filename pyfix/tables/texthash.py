"""NAME
    pyfix.tables.texthash - texthash: tables, read from the text source

SUMMARY
    open_table(), TextHashTable

DESCRIPTION
    texthash:NAME reads the postmap(1) source file NAME itself, with the
    same syntax as postmap ("key whitespace value", comments,
    continuation lines, "quoted keys"), into memory; there is no index
    file.  As in Postfix (dict_thash.c):

    - the file is read when the table is opened, and never again for a
      lookup or a sequence, so its warnings appear once per open;
    - a file that changed while it was read (its time stamp is within a
      second of the read) is read again after a pause, so that a table
      is never half of an old and half of a new file (and its warnings
      repeat, as in Postfix);
    - a duplicate key is reported with its line number and the first
      value is kept (DUP_WARN), or it is ignored or replaces the old
      value; without any DUP_ flag the table cannot be opened;
    - keys are folded as for the other fixed-key tables.

    Postfix never reopens a texthash table; pyfix's changed() is true
    when the source file was modified or replaced, so that a long-running
    reader sees the new text.

    Parameters read: none.

DIAGNOSTICS
    Warnings for bad lines, in Postfix's words; TableOpenError for a
    missing file ("open database NAME: REASON") and a fatal duplicate.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from pyfix.tables.atomic import os_error_text
from pyfix.tables.base import (
    DUP_IGNORE,
    DUP_REPLACE,
    DUP_WARN,
    FIXED,
    Table,
    TableConfigError,
    TableOpenError,
)
from pyfix.tables.indexed import warn
from pyfix.tables.source import FORMAT, UNBALANCED, read_logical_lines, split_key_value
from pyfix.tables.utf8 import (
    fold_fixed,
    non_utf8_key_text,
    non_utf8_value_text,
    utf8_active,
    valid_utf8,
)

COOL_DOWN = 0.3


class TextHashTable(Table):
    dict_type = "texthash"
    impl_flags = FIXED

    def __init__(self, name: str, flags: int) -> None:
        super().__init__(name, flags)
        self.dict_name = name
        self._data: dict[str, str] = {}
        self._identity: tuple[int, int, int] = (0, 0, 0)
        self._load()

    def _load(self) -> None:
        before = int(time.time())
        while True:
            try:
                fp = open(self.name, "rb")  # noqa: SIM115
            except OSError as exc:
                raise TableOpenError(f"open database {self.name}: {os_error_text(exc)}") from None
            with fp:
                self._data = {}
                self._read(fp)
                st = os.fstat(fp.fileno())
            after = int(time.time())
            if int(st.st_mtime) < before - 1 or int(st.st_mtime) > after:
                break
            time.sleep(COOL_DOWN)
            before = after
        self._identity = (st.st_dev, st.st_ino, st.st_mtime_ns)

    def _read(self, fp: object) -> None:
        path = self.name
        utf8 = utf8_active(self.flags)
        for line in read_logical_lines(fp, path, warn):  # type: ignore[arg-type]
            text = line.text
            if utf8 and not valid_utf8(text):
                warn(f'{path}, line {line.lineno}: non-UTF-8 input "{text}"'
                     " -- ignoring this line")
                continue
            parsed = split_key_value(text)
            if parsed == UNBALANCED:
                warn(f"{path}, line {line.lineno}: unbalanced '\"' in '{text}'"
                     " -- ignoring this line")
                continue
            if parsed == FORMAT or isinstance(parsed, str):
                warn(f"{path}, line {line.lineno}: expected format: key whitespace value"
                     " -- ignoring this line")
                continue
            key, value = parsed
            if key.endswith(":"):
                warn(f'{path}, line {line.lineno}: record is in "key: value" format;'
                     " is this an alias file?")
            folded = fold_fixed(key, self.flags)
            if folded in self._data:
                if self.flags & DUP_IGNORE:
                    continue
                if self.flags & DUP_REPLACE:
                    self._data[folded] = value
                    continue
                text = f'{path}, line {line.lineno}: duplicate entry: "{key}"'
                if self.flags & DUP_WARN:
                    warn(text)
                    continue
                raise TableOpenError(text)
            self._data[folded] = value

    def lookup(self, key: str) -> str | None:
        if utf8_active(self.flags) and not valid_utf8(key):
            warn(non_utf8_key_text(self.dict_type, self.name, key))
            return None
        value = self._data.get(fold_fixed(key, self.flags))
        if value is not None and utf8_active(self.flags) and not valid_utf8(value):
            text = non_utf8_value_text(self.dict_type, self.name, key, value)
            warn(text)
            raise TableConfigError(text)
        return value

    def items(self) -> Iterator[tuple[str, str]]:
        yield from list(self._data.items())

    def changed(self) -> bool:
        try:
            st = os.stat(self.name)
        except OSError:
            return True
        return (st.st_dev, st.st_ino, st.st_mtime_ns) != self._identity


def open_table(name: str, flags: int) -> TextHashTable:
    return TextHashTable(name, flags)
