"""NAME
    pyfix.tables.maps - search a list of lookup tables

SUMMARY
    Maps

DESCRIPTION
    A parameter such as "transport_maps = hash:/etc/postfix/transport,
    regexp:/etc/postfix/transport.re" names tables to search in order.
    Maps.find(key) returns the first value found, or None when no table
    has the key.  A table error stops the search: it is logged as
    "TYPE:NAME lookup error for "KEY"" and raised to the caller, which
    turns a TableRetryError into 4xx/defer and a TableConfigError into
    "451 4.3.5 Server configuration error".

    With require_flags=FIXED only fixed-key tables are searched; this is
    how partial keys (".domain", "user@", "@domain") skip regexp and
    cidr tables, as in Postfix.

    A table rebuilt by postmap is noticed: at most once per
    REFRESH_SECONDS each table is checked for changes and reopened, so
    that the next request sees the new version without a restart.

    Parameters read: the one whose value the caller passes in.

DIAGNOSTICS
    Warnings in Postfix's words for lookup errors and for a table that
    returns an empty string ("... should return NO RESULT in case of
    NOT FOUND").
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pyfix.config.lists import split_list
from pyfix.log.msg import msg_warn
from pyfix.tables.base import DEFAULT_FLAGS, Table, TableConfigError, TableError
from pyfix.tables.open import open_table

REFRESH_SECONDS = 1.0


class Maps:
    def __init__(
        self,
        title: str,
        spec_text: str,
        flags: int = DEFAULT_FLAGS,
        warn: Callable[[str], None] = msg_warn,
    ) -> None:
        self.title = title
        self.flags = flags
        self.warn = warn
        self.specs = split_list(spec_text)
        self.tables: list[Table] = [open_table(spec, flags) for spec in self.specs]
        self.checked = time.monotonic()

    def __bool__(self) -> bool:
        return bool(self.specs)

    def refresh(self) -> None:
        now = time.monotonic()
        if now - self.checked < REFRESH_SECONDS:
            return
        self.checked = now
        self.tables = [open_table(spec, self.flags) for spec in self.specs]

    def find(self, key: str, require_flags: int = 0) -> str | None:
        if not key:
            return None
        self.refresh()
        for table in self.tables:
            if require_flags and not table.flags & require_flags:
                continue
            try:
                value = table.lookup(key)
            except TableError as exc:
                if str(exc):  # the table's own complaint, where it has one
                    self.warn(str(exc))
                self.warn(f'{table.spec} lookup error for "{key}"')
                raise
            if value is None:
                continue
            if value == "":
                self.warn(f"{self.title} lookup of {key} returns an empty string result")
                self.warn(f"{self.title} should return NO RESULT in case of NOT FOUND")
                raise TableConfigError(f"{self.title}: empty lookup result for {key}")
            return value
        return None
