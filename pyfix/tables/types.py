"""NAME
    pyfix.tables.types - the table of lookup-table types

SUMMARY
    supported_types(), TABLE_TYPES

DESCRIPTION
    Maps each Postfix map type name ("hash", "regexp", ...) to the module
    that implements it.  Modules are imported only when a table of that
    type is opened, so that listing the types (postconf -m) stays cheap.

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

# type name -> module under pyfix.tables that provides open_table()
TABLE_TYPES: dict[str, str] = {}


def supported_types() -> list[str]:
    return list(TABLE_TYPES)
