"""NAME
    pyfix.tables.static - static:, fail: and environ: tables

SUMMARY
    open_static(), open_fail(), open_environ()

DESCRIPTION
    static:value and static:{ value with spaces } return the same value
    for every key.  fail:name fails every lookup with a temporary error
    (Postfix's DICT_ERR_RETRY), which is how administrators test defer
    paths.  environ:name looks the key up in the process environment.

    Parameters read: none.

DIAGNOSTICS
    TableOpenError for "static:{" without its "}"; TableRetryError for
    every fail: lookup, without text: Postfix's fail: table logs nothing
    of its own, only the caller's "fail:name lookup error for ..." shows.
"""

from __future__ import annotations

import os

from pyfix.config.lists import extract_braces
from pyfix.tables.base import FIXED, Table, TableOpenError, TableRetryError


class StaticTable(Table):
    dict_type = "static"
    impl_flags = FIXED

    def __init__(self, name: str, flags: int, value: str) -> None:
        super().__init__(name, flags)
        self.value = value

    def lookup(self, key: str) -> str | None:
        return self.value


class FailTable(Table):
    dict_type = "fail"
    impl_flags = FIXED

    def lookup(self, key: str) -> str | None:
        raise TableRetryError()


class EnvironTable(Table):
    dict_type = "environ"
    impl_flags = FIXED

    def lookup(self, key: str) -> str | None:
        return os.environ.get(self.fold(key))


def open_static(name: str, flags: int) -> Table:
    value = name
    if name.startswith("{"):
        value, err = extract_braces(name)
        if err is not None:
            raise TableOpenError(f"bad static:name syntax: {err}")
    return StaticTable(name, flags, value)


def open_fail(name: str, flags: int) -> Table:
    return FailTable(name, flags)


def open_environ(name: str, flags: int) -> Table:
    return EnvironTable(name, flags)
