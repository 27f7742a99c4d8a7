"""NAME
    pyfix.cli.postalias - Postfix alias database maintenance

SUMMARY
    postalias [-Nfinoprsuvw] [-c config_dir] [-d key] [-q key]
              [file_type:]file_name ...

DESCRIPTION
    Creates, queries and updates alias databases as Postfix's
    postalias(1) does.  The input is in aliases(5) format, parsed as
    Postfix parses it (aliases_source.py): "name: value, value, ...",
    continuation lines, "quoted names", and |command, /file and
    :include:/file values.  The name is stored folded to lower case and
    unquoted, the value re-quoted as needed.

    After the entries, postalias stores what Sendmail and NIS clients
    expect, exactly as Debian's Postfix does:

    - the entry "@" with value "@" (with -i it replaces an old one);
    - YP_LAST_MODIFIED (the time, ten digits) and YP_MASTER_NAME
      ($myhostname), stored without the terminating NUL and without
      case folding.

    -q, -d and -s work as for postmap, except that "-q -" and -s print
    "key:<TAB>value".  The options are those of postmap, without the
    message and file options.

    Parameters read: default_database_type, smtputf8_enable,
    lmdb_map_size, myhostname, config_directory (through -c and
    MAIL_CONFIG).

DIAGNOSTICS
    "postalias: warning: ..." and "postalias: fatal: ..." on stderr, as
    postmap; "need name:value pair" and "name must be local" for bad
    entries.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import NoReturn

from pyfix.cli.common import run_command
from pyfix.cli.mapbuild import build_map
from pyfix.cli.mapcmd import (
    MapCommand,
    MapOptions,
    fatal,
    getopt,
    load_settings,
    split_map,
    warn,
)
from pyfix.config.store import ExpansionError
from pyfix.log.msg import set_progname
from pyfix.tables.aliases_source import parse_alias_entry
from pyfix.tables.base import (
    DUP_REPLACE,
    FOLD_FIX,
    TRY0NULL,
    TRY1NULL,
)
from pyfix.tables.mkmap import MapBuilder
from pyfix.tables.source import SourceLine
from pyfix.tables.utf8 import utf8_active, valid_utf8

PROGNAME = "postalias"
OPTSTRING = "Nc:d:finopq:rsuvw"
USAGE = ("usage: {} [-Nfinoprsuvw] [-c config_dir] [-d key] [-q key]"
         " [map_type:]file...")


def usage() -> NoReturn:
    fatal(USAGE.format(PROGNAME))


def feed_aliases(builder: MapBuilder, lines: Iterable[SourceLine], source: str) -> None:
    """Postfix postalias(): parse "name: value, ..." entries."""
    for line in lines:
        text = line.text
        if utf8_active(builder.flags) and not valid_utf8(text):
            warn(f'{source}, line {line.lineno}: non-UTF-8 input "{text}"'
                 " -- ignoring this line")
            continue
        parsed = parse_alias_entry(text)
        if parsed is None:
            continue
        if isinstance(parsed, str):
            warn(f"{source}, line {line.lineno}: {parsed}")
            continue
        builder.update(*parsed)


def signatures(myhostname: str, truncate: bool) -> list[tuple[str, str, int, int]]:
    """The final entries: (key, value, flags to set, flags to clear)."""
    stamp = f"{int(time.time()):010d}"
    return [
        ("@", "@", 0 if truncate else DUP_REPLACE, 0),
        ("YP_LAST_MODIFIED", stamp, TRY0NULL, TRY1NULL | FOLD_FIX),
        ("YP_MASTER_NAME", myhostname, TRY0NULL, TRY1NULL | FOLD_FIX),
    ]


def run(argv: list[str]) -> int:
    set_progname(PROGNAME)
    opts = MapOptions()
    options, operands = getopt(argv, OPTSTRING, usage, PROGNAME)
    for opt, arg in options:
        opts.apply(opt, arg)
    settings = load_settings(PROGNAME)
    command = MapCommand(settings.db_type, alias_format=True)
    status = opts.run_lookup_mode(command, operands, usage)
    if status is not None:
        return status
    dict_flags, truncate = opts.dict_flags, opts.truncate
    save_perm, as_owner = opts.save_perm, opts.as_owner
    try:
        myhostname = settings.config.get("myhostname")
    except ExpansionError as exc:
        fatal(str(exc))

    def finish(builder: MapBuilder) -> None:
        for key, value, set_flags, clear_flags in signatures(myhostname, truncate):
            builder.flags = (builder.flags & ~clear_flags) | set_flags
            builder.update(key, value)

    for operand in operands:
        dict_type, name = split_map(operand, settings.db_type)
        build_map(dict_type, name, dict_flags, truncate, save_perm, as_owner,
                  feed_aliases, finish)
    return 0


def main() -> None:
    run_command(run)

if __name__ == "__main__":
    main()
