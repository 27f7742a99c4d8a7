"""NAME
    pyfix.cli.postmap - Postfix lookup table management

SUMMARY
    postmap [-finNoprsuvw] [-c config_dir] [-d key] [-q key]
            [file_type:]file_name ...

DESCRIPTION
    Creates, queries and updates lookup tables as Postfix's postmap(1)
    does, with the same options, input syntax, messages and exit status:

    - "postmap [type:]file" builds the table from the text file ("key
      whitespace value" lines, comments, continuation lines, "quoted
      keys"); the type defaults to default_database_type.  lmdb, hash,
      btree and cdb tables can be built (docs/tables.md: pyfix keeps
      hash and btree tables in NAME.lmdb);
    - -i adds entries from standard input to an existing table;
    - -q key prints the value from the first table that has the key;
      "-q -" reads keys from standard input and prints "key<TAB>value";
    - -d key deletes the key from every table ("-d -": keys from stdin);
    - -s lists the first table;
    - -f (no case folding), -N/-n (with/without the terminating NUL),
      -r/-w (replace/ignore duplicates), -o (do not run as the source
      owner), -p (do not copy the source permissions), -u (no UTF-8),
      -v (verbose), -c config_dir.

    The -b, -h and -m (message key) and -F (file content) options are
    recognized and checked as Postfix checks them, but not carried out.

    Parameters read: default_database_type, smtputf8_enable,
    lmdb_map_size, config_directory (through -c and MAIL_CONFIG).

DIAGNOSTICS
    "postmap: warning: ..." and "postmap: fatal: ..." on stderr; a
    fatal error exits with status 1.  A successful query, delete or
    build exits with 0, a key that is not found with 1.
"""

from __future__ import annotations

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
from pyfix.log.msg import set_progname
from pyfix.tables.base import (
    SRC_RHS_IS_FILE,
    UTF8_REQUEST,
)
from pyfix.tables.mkmap import MapBuilder
from pyfix.tables.source import FORMAT, UNBALANCED, SourceLine, split_key_value
from pyfix.tables.utf8 import utf8_active, valid_utf8

PROGNAME = "postmap"
OPTSTRING = "bc:d:fFhimnNopq:rsuUvw"
USAGE = ("usage: {} [-bfFhimnNoprsuUvw] [-c config_dir] [-d key] [-q key]"
         " [map_type:]file...")

HEADER_KEY = 1 << 2
BODY_KEY = 1 << 3
MIME_KEY = 1 << 4
ANY_KEY = HEADER_KEY | BODY_KEY | MIME_KEY


def usage() -> NoReturn:
    fatal(USAGE.format(PROGNAME))


def feed_postmap(builder: MapBuilder, lines: Iterable[SourceLine], source: str) -> None:
    """Postfix postmap(): parse "key whitespace value" lines."""
    for line in lines:
        text = line.text
        if utf8_active(builder.flags) and not valid_utf8(text):
            warn(f'{source}, line {line.lineno}: non-UTF-8 input "{text}"'
                 " -- ignoring this line")
            continue
        parsed = split_key_value(text)
        if parsed == UNBALANCED:
            warn(f"{source}, line {line.lineno}: unbalanced '\"' in '{text}'"
                 " -- ignoring this line")
            continue
        if parsed == FORMAT or isinstance(parsed, str):
            warn(f"{source}, line {line.lineno}: expected format: key whitespace value")
            continue
        key, value = parsed
        if key.endswith(":"):
            warn(f'{source}, line {line.lineno}: record is in "key: value" format;'
                 " is this an alias file?")
        builder.update(key, value)


def run(argv: list[str]) -> int:
    set_progname(PROGNAME)
    opts = MapOptions()
    key_flags = 0
    force_utf8 = False
    options, operands = getopt(argv, OPTSTRING, usage, PROGNAME)
    for opt, arg in options:
        if opts.apply(opt, arg):
            continue
        if opt == "b":
            key_flags |= BODY_KEY
        elif opt == "h":
            key_flags |= HEADER_KEY
        elif opt == "m":
            key_flags |= MIME_KEY
        elif opt == "F":
            opts.dict_flags |= SRC_RHS_IS_FILE
        elif opt == "U":
            force_utf8 = True
    settings = load_settings(PROGNAME)
    if (opts.query is None or opts.query != "-") and key_flags:
        fatal('specify -b -h or -m only with "-q -"')
    if key_flags and key_flags == key_flags & MIME_KEY:
        warn("ignoring -m option without -b or -h")
    if key_flags & (HEADER_KEY | BODY_KEY) and not force_utf8:
        opts.dict_flags &= ~UTF8_REQUEST
    if opts.dict_flags & SRC_RHS_IS_FILE or key_flags & (HEADER_KEY | BODY_KEY):
        fatal("the -b, -h, -m and -F options are not supported by pyfix")
    command = MapCommand(settings.db_type, alias_format=False)
    status = opts.run_lookup_mode(command, operands, usage)
    if status is not None:
        return status
    dict_flags, truncate = opts.dict_flags, opts.truncate
    save_perm, as_owner = opts.save_perm, opts.as_owner
    for operand in operands:
        dict_type, name = split_map(operand, settings.db_type)
        build_map(dict_type, name, dict_flags, truncate, save_perm, as_owner, feed_postmap)
    return 0


def main() -> None:
    run_command(run)

if __name__ == "__main__":
    main()
