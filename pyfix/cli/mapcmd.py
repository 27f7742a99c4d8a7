"""NAME
    pyfix.cli.mapcmd - what postmap(1) and postalias(1) have in common

SUMMARY
    getopt(), load_settings(), MapCommand

DESCRIPTION
    postmap and postalias share their option syntax, their reading of
    main.cf and their query (-q), delete (-d) and sequence (-s) modes;
    they differ in the input syntax they build from and in the output
    format ("key<TAB>value" or "key:<TAB>value").

    getopt() (from common.py) is re-exported for both commands.

    load_settings() reads main.cf from $MAIL_CONFIG (set by -c) or
    /etc/postfix, and applies what the table code needs: UTF-8 support
    (smtputf8_enable), the initial LMDB map size (lmdb_map_size).

    MapCommand carries out -q, -q -, -d, -d - and -s exactly as Postfix
    does: the same lazily opened maps, the same first-map-wins rule, the
    same warnings for empty keys and values and the same exit status.

    Parameters read: default_database_type, smtputf8_enable,
    lmdb_map_size, config_directory (through -c and MAIL_CONFIG).

DIAGNOSTICS
    Every failure ends with msg_fatal() (FatalError, exit status 1), in
    Postfix's words, with non-printable text replaced by "?".
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NoReturn

from pyfix.cli.common import getopt
from pyfix.config.maincf import MainCfError, config_directory, read_main_cf
from pyfix.config.store import Config, ExpansionError
from pyfix.config.types import ConfigValueError
from pyfix.log.msg import msg_fatal, msg_warn
from pyfix.log.printable import printable, set_utf8_enable
from pyfix.tables import lmdb_table
from pyfix.tables.base import (
    DUP_IGNORE,
    DUP_REPLACE,
    DUP_WARN,
    FOLD_FIX,
    LOCK,
    TRY0NULL,
    TRY1NULL,
    UTF8_REQUEST,
    Table,
    TableConfigError,
    TableError,
    TableOpenError,
    TableUnsupported,
)
from pyfix.tables.indexed import TableFatalError
from pyfix.tables.mkmap import open_for_update
from pyfix.tables.open import TableSpecError, open_table


def warn(text: str) -> None:
    msg_warn(printable(text))


def fatal(text: str) -> NoReturn:
    msg_fatal(printable(text))


@dataclass
class Settings:
    config: Config
    db_type: str


def load_settings(process_name: str) -> Settings:
    """Read main.cf and apply the table settings (Postfix mail_conf_read)."""
    confdir = config_directory()
    path = f"{confdir}/main.cf"
    try:
        main = read_main_cf(path, warn)
    except MainCfError as exc:
        fatal(str(exc))
    if os.environ.get("MAIL_CONFIG"):
        main.params.setdefault("config_directory", confdir)
    config = Config(main, {}, [], process_name=process_name, warn=warn)
    try:
        set_utf8_enable(config.get_bool("smtputf8_enable"))
        lmdb_table.set_map_size(config.get_long("lmdb_map_size"))
        db_type = config.get("default_database_type")
    except (ConfigValueError, ExpansionError) as exc:
        fatal(str(exc))
    return Settings(config, db_type)


def split_map(operand: str, db_type: str) -> tuple[str, str]:
    """Postfix's split_at(map, ':') with the default type."""
    dict_type, sep, name = operand.partition(":")
    return (dict_type, name) if sep else (db_type, operand)


def dict_label(table: Table) -> str:
    return f"{table.dict_type}:{getattr(table, 'dict_name', table.name)}"


def open_query(dict_type: str, name: str, flags: int) -> Table:
    try:
        return open_table(f"{dict_type}:{name}", flags, surrogate=False, cache=False)
    except (TableOpenError, TableSpecError, TableFatalError) as exc:
        fatal(str(exc))


class MapCommand:
    """The query, delete and sequence modes of postmap and postalias."""

    def __init__(self, db_type: str, alias_format: bool) -> None:
        self.db_type = db_type
        self.alias_format = alias_format
        self.out = sys.stdout

    def _line(self, key: str, value: str) -> str:
        return f"{key}:\t{value}\n" if self.alias_format else f"{key}\t{value}\n"

    def _empty_value(self, label: str, key: str) -> None:
        warn(f"table {label}: key {key}: empty string result is not allowed")
        warn(f"table {label} should return NO RESULT in case of NOT FOUND")

    def _query_failed(self, table: Table, exc: TableError) -> NoReturn:
        if isinstance(exc, TableFatalError):
            fatal(str(exc))
        label = dict_label(table)
        if isinstance(exc, TableConfigError) and not self.alias_format:
            fatal(f"table {label}: query error")
        fatal(f"table {label}: query error: {errno_text(exc)}")

    def lookup(self, table: Table, key: str) -> str | None:
        try:
            return table.lookup(key)
        except TableError as exc:
            self._query_failed(table, exc)

    def query(self, maps: list[str], key: str, flags: int) -> int:
        """-q key: the first map that has the key wins; exit status."""
        for operand in maps:
            dict_type, name = split_map(operand, self.db_type)
            table = open_query(dict_type, name, flags)
            value = self.lookup(table, key)
            if value is not None:
                if value == "":
                    self._empty_value(f"{dict_type}:{name}", key)
                self.out.write(value + "\n")
                self.out.flush()
                table.close()
                return 0
            table.close()
        return 1

    def queries(self, maps: list[str], flags: int, stream: Iterable[bytes]) -> int:
        """-q -: one lookup per input line, maps opened when first used."""
        tables: list[Table | None] = [None] * len(maps)
        found = False
        for line in stream:
            key = input_key(line)
            for index, operand in enumerate(maps):
                table = tables[index]
                if table is None:
                    dict_type, name = split_map(operand, self.db_type)
                    table = tables[index] = open_query(dict_type, name, flags)
                value = self.lookup(table, key)
                if value is not None:
                    if value == "":
                        self._empty_value(dict_label(table), key)
                    self.out.write(self._line(key, value))
                    found = True
                    break
        self.out.flush()
        for table in tables:
            if table is not None:
                table.close()
        return 0 if found else 1

    def _open_update(self, operand: str, flags: int) -> Table:
        dict_type, name = split_map(operand, self.db_type)
        try:
            return open_for_update(dict_type, name, flags)
        except (TableOpenError, TableSpecError, TableFatalError) as exc:
            fatal(str(exc))

    def _delete(self, table: Table, key: str) -> bool:
        try:
            return table.delete(key)
        except TableUnsupported:
            fatal(f"table {dict_label(table)}: delete operation is not supported")
        except TableFatalError as exc:
            fatal(str(exc))
        except TableError as exc:
            fatal(f"table {dict_label(table)}: delete error: {errno_text(exc)}")

    def delete(self, maps: list[str], key: str, flags: int) -> int:
        """-d key: remove one entry from every map; exit status."""
        found = False
        for operand in maps:
            table = self._open_update(operand, flags)
            found |= self._delete(table, key)
            table.close()
        return 0 if found else 1

    def deletes(self, maps: list[str], flags: int, stream: Iterable[bytes]) -> int:
        """-d -: maps opened first, then one delete per input line."""
        tables = [self._open_update(operand, flags) for operand in maps]
        found = False
        for line in stream:
            key = input_key(line)
            for table in tables:
                found |= self._delete(table, key)
        for table in tables:
            table.close()
        return 0 if found else 1

    def sequence(self, maps: list[str], flags: int) -> int:
        """-s: list the first map; Postfix stops after one."""
        if not maps:
            return 1
        dict_type, name = split_map(maps[0], self.db_type)
        if dict_type == "proxy":
            fatal("can't sequence maps via the proxy service")
        table = open_query(dict_type, name, flags)
        label = f"{dict_type}:{name}"
        try:
            for key, value in table.items():
                if key == "":
                    warn(f"table {label}: empty lookup key value is not allowed")
                elif value == "":
                    self._empty_value(label, key)
                self.out.write(self._line(key, value))
        except TableUnsupported:
            fatal(f"table {dict_label(table)}: sequence operation is not supported")
        except TableFatalError as exc:
            fatal(str(exc))
        except TableError as exc:
            fatal(f"table {dict_label(table)}: sequence error: {errno_text(exc)}")
        self.out.flush()
        table.close()
        return 0


@dataclass
class MapOptions:
    """The options postmap and postalias share, as Postfix parses them."""

    dict_flags: int = DUP_WARN | FOLD_FIX | UTF8_REQUEST
    truncate: bool = True
    save_perm: bool = True
    as_owner: bool = True
    query: str | None = None
    delkey: str | None = None
    sequence: bool = False

    def apply(self, opt: str, arg: str) -> bool:
        """Apply one shared option; False when the option is not shared."""
        if opt == "N":
            self.dict_flags = (self.dict_flags | TRY1NULL) & ~TRY0NULL
        elif opt == "n":
            self.dict_flags = (self.dict_flags | TRY0NULL) & ~TRY1NULL
        elif opt == "c":
            os.environ["MAIL_CONFIG"] = arg
        elif opt in "dq":
            if self.sequence or self.query is not None or self.delkey is not None:
                fatal("specify only one of -s -q or -d")
            if opt == "d":
                self.delkey = arg
            else:
                self.query = arg
        elif opt == "s":
            if self.query is not None or self.delkey is not None:
                fatal("specify only one of -s or -q or -d")
            self.sequence = True
        elif opt == "f":
            self.dict_flags &= ~FOLD_FIX
        elif opt == "i":
            self.truncate = False
        elif opt == "o":
            self.as_owner = False
        elif opt == "p":
            self.save_perm = False
        elif opt == "r":
            self.dict_flags = (self.dict_flags & ~(DUP_WARN | DUP_IGNORE)) | DUP_REPLACE
        elif opt == "w":
            self.dict_flags = (self.dict_flags & ~(DUP_WARN | DUP_REPLACE)) | DUP_IGNORE
        elif opt == "u":
            self.dict_flags &= ~UTF8_REQUEST
        else:
            return False
        return True

    def run_lookup_mode(
        self, command: MapCommand, operands: list[str], usage: Callable[[], NoReturn]
    ) -> int | None:
        """Carry out -d, -q or -s; None when the request is a build."""
        flags = self.dict_flags | LOCK
        if self.delkey is not None:
            if not operands:
                usage()
            if self.delkey == "-":
                return command.deletes(operands, flags, sys.stdin.buffer)
            return command.delete(operands, self.delkey, flags)
        if self.query is not None:
            if not operands:
                usage()
            if self.query == "-":
                return command.queries(operands, flags, sys.stdin.buffer)
            return command.query(operands, self.query, flags)
        if self.sequence:
            return command.sequence(operands, flags)
        if not operands:
            usage()
        return None


def input_key(line: bytes) -> str:
    """A key read from standard input: the line without its newline."""
    if line.endswith(b"\n"):
        line = line[:-1]
    nul = line.find(b"\0")
    if nul >= 0:
        line = line[:nul]
    return line.decode("utf-8", "surrogateescape")


def errno_text(exc: BaseException) -> str:
    """What Postfix's %m shows: the errno text, or "Application error"."""
    code = getattr(exc, "errno", None)
    if isinstance(code, int) and code:
        return os.strerror(code)
    return "Application error"


__all__ = ["MapCommand", "MapOptions", "Settings", "fatal", "getopt", "load_settings", "warn"]
