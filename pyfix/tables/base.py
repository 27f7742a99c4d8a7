"""NAME
    pyfix.tables.base - the lookup-table interface

SUMMARY
    Table, TableError, TableRetryError, TableConfigError, flags

DESCRIPTION
    Every Postfix map type ("hash:", "regexp:", "cidr:", ...) is a Table.
    A lookup has three outcomes:

    - a value (str);
    - None: not found;
    - an exception: TableRetryError for a temporary problem (the caller
      answers 4xx or defers the mail), TableConfigError for a
      configuration problem (the caller answers "451 4.3.5 Server
      configuration error" or defers, and logs a warning).

    The flags are Postfix's dictionary flags with the same meanings, so
    that option handling (postmap -f, -r, -w, ...) maps one to one:

    FOLD_FIX    fold the key to lower case before looking it up in a
                fixed-key table (the default for every caller);
    FOLD_MUL    fold the key to lower case for a pattern table;
    FIXED       set by a table whose keys are fixed strings;
    PATTERN     set by a table whose keys are patterns (regexp, cidr...);
    DUP_WARN, DUP_IGNORE, DUP_REPLACE
                what an update of an existing key does;
    TRY0NULL, TRY1NULL
                key encoding in Berkeley-DB style files (kept for
                postmap -n/-N compatibility).

    Tables that postmap can build or edit also implement update(),
    delete() and items(); the others raise TableUnsupported.

    Parameters read: none.

DIAGNOSTICS
    The exceptions above; their str() is the warning text in Postfix's
    words, without the "warning: " prefix.
"""

from __future__ import annotations

from collections.abc import Iterator

DUP_WARN = 1 << 0
DUP_IGNORE = 1 << 1
TRY0NULL = 1 << 2
TRY1NULL = 1 << 3
FIXED = 1 << 4
PATTERN = 1 << 5
LOCK = 1 << 6
DUP_REPLACE = 1 << 7
SYNC_UPDATE = 1 << 8
NO_REGSUB = 1 << 11
NO_PROXY = 1 << 12
NO_UNAUTH = 1 << 13
FOLD_FIX = 1 << 14
FOLD_MUL = 1 << 15
FOLD_ANY = FOLD_FIX | FOLD_MUL
BULK_UPDATE = 1 << 17
UTF8_REQUEST = 1 << 19
SRC_RHS_IS_FILE = 1 << 21

# What a daemon passes by default (Postfix's DICT_FLAG_DEFAULT family).
DEFAULT_FLAGS = DUP_WARN | FOLD_FIX | UTF8_REQUEST


class TableError(Exception):
    """A lookup that could not be answered."""


class TableRetryError(TableError):
    """Temporary failure: answer 4xx or defer, and try again later."""


class TableConfigError(TableError):
    """Configuration failure: 451 4.3.5 Server configuration error."""


class TableOpenError(Exception):
    """A table that could not be opened; str() is the reason, in Postfix's
    words (for example "open database /etc/postfix/x.lmdb: No such file or
    directory")."""


class TableUnsupported(TableError):
    """The table type does not support the requested operation."""


class Table:
    """Base class: a named table of one type."""

    dict_type: str = ""
    impl_flags: int = 0

    def __init__(self, name: str, flags: int = DEFAULT_FLAGS) -> None:
        self.name = name
        self.flags = flags | self.impl_flags

    @property
    def spec(self) -> str:
        return f"{self.dict_type}:{self.name}"

    def fold(self, key: str) -> str:
        """Fold the key as the flags ask (Postfix folds with ASCII rules)."""
        want = FOLD_FIX if self.flags & FIXED else FOLD_MUL
        return key.lower() if self.flags & want else key

    def lookup(self, key: str) -> str | None:
        raise NotImplementedError

    def update(self, key: str, value: str) -> None:
        raise TableUnsupported(f"{self.spec}: update operation is not supported")

    def delete(self, key: str) -> bool:
        raise TableUnsupported(f"{self.spec}: delete operation is not supported")

    def items(self) -> Iterator[tuple[str, str]]:
        raise TableUnsupported(f"{self.spec}: sequence operation is not supported")

    def changed(self) -> bool:
        """True when the table's files changed since it was opened."""
        return False

    def close(self) -> None:
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec}>"


class SurrogateTable(Table):
    """A table that could not be opened: every lookup is a config error.

    Postfix does the same, so that one bad map does not stop a daemon;
    each lookup reports "TYPE:NAME is unavailable. REASON".
    """

    def __init__(self, dict_type: str, name: str, reason: str, flags: int = DEFAULT_FLAGS) -> None:
        super().__init__(name, flags)
        self.dict_type = dict_type
        self.reason = reason

    def lookup(self, key: str) -> str | None:
        raise TableConfigError(f"{self.spec} is unavailable. {self.reason}")

    def update(self, key: str, value: str) -> None:
        raise TableConfigError(f"{self.spec} is unavailable. {self.reason}")

    def delete(self, key: str) -> bool:
        raise TableConfigError(f"{self.spec} is unavailable. {self.reason}")

    def items(self) -> Iterator[tuple[str, str]]:
        raise TableConfigError(f"{self.spec} is unavailable. {self.reason}")
