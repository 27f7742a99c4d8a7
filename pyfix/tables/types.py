"""NAME
    pyfix.tables.types - the table of lookup-table types

SUMMARY
    TABLE_TYPES, supported_types(), opener()

DESCRIPTION
    Maps each Postfix map type name ("hash", "regexp", ...) to the module
    under pyfix.tables that implements it ("module" or "module:function").
    The function (open_table by default) is

        open_table(name: str, flags: int) -> Table

    and raises TableOpenError when the table cannot be opened.  Modules
    are imported only when a table of their type is opened, so listing
    the types (postconf -m) stays cheap.

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyfix.tables.base import Table

# type name -> module under pyfix.tables that provides open_table().
# A type is listed here only once its module exists.
TABLE_TYPES: dict[str, str] = {
    "btree": "db_table:open_btree",
    "cdb": "cdb_table",
    "cidr": "cidr",
    "environ": "static:open_environ",
    "fail": "static:open_fail",
    "hash": "db_table",
    "inline": "inline",
    "lmdb": "lmdb_table",
    "pcre": "pcre",
    "pipemap": "compose:open_pipemap",
    "proxy": "compose:open_proxy",
    "proxywrite": "compose:open_proxy",
    "regexp": "regexp",
    "static": "static:open_static",
    "texthash": "texthash",
    "unionmap": "compose:open_unionmap",
    "unix": "unix",
}


def supported_types() -> list[str]:
    return list(TABLE_TYPES)


def opener(dict_type: str) -> Callable[[str, int], Table] | None:
    module_name = TABLE_TYPES.get(dict_type)
    if module_name is None:
        return None
    module_name, _, function = module_name.partition(":")
    module = importlib.import_module(f"pyfix.tables.{module_name}")
    fn: Callable[[str, int], Table] = getattr(module, function or "open_table")
    return fn
