"""NAME
    pyfix.cli.mapbuild - build a table from its source (postmap, postalias)

SUMMARY
    build_map(), set_eugid()

DESCRIPTION
    build_map() does for postmap and postalias what their Postfix
    counterparts do around the input parser, in the same order, so that
    the same problem gives the same message:

    1. without -i, refuse "proxy:" maps and open the source file NAME;
       with -i, read the entries from standard input (named "stdin");
    2. unless -p, create the table with the group and other read
       permissions of the source file (mode 0644 minus what the source
       does not grant);
    3. when running as root and unless -o, run as the owner of the
       source file, so that the table gets its ownership and a bug
       cannot be used to gain privileges;
    4. open the table (mkmap.py), feed it the source lines through the
       command's parser, add the command's final entries, and close it:
       a rebuilt table replaces the old one in one rename; after a fatal
       error the old table stays as it was.

    A source that cannot be read (a directory, an I/O error) ends the
    input, as in Postfix.  When a new LMDB table outgrows its map, the
    source is read again from the start into a larger one.

    Parameters read: none.

DIAGNOSTICS
    Fatal errors: "open NAME: REASON", "fstat NAME: REASON",
    "can't create maps via the proxy service", and those of the table
    code.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

from pyfix.cli.mapcmd import fatal, warn
from pyfix.log.msg import FatalError
from pyfix.tables.atomic import os_error_text
from pyfix.tables.base import BULK_UPDATE, TableError, TableOpenError
from pyfix.tables.indexed import TableFatalError, TableRestart
from pyfix.tables.mkmap import MapBuilder, mkmap_open
from pyfix.tables.source import SourceLine, read_logical_lines

Feed = Callable[[MapBuilder, Iterable[SourceLine], str], None]
Finish = Callable[[MapBuilder], None]


def set_eugid(uid: int, gid: int) -> None:
    """Run with the given effective user and group (Postfix set_eugid)."""
    try:
        if os.geteuid() != 0:
            os.seteuid(0)
        os.setegid(gid)
        os.setgroups([gid])
        os.seteuid(uid)
    except OSError as exc:
        fatal(f"set_eugid({uid}, {gid}): {os_error_text(exc)}")


def _lines(fp: BinaryIO) -> Iterator[bytes]:
    """The physical lines; a read error ends the input, as in Postfix."""
    try:
        yield from fp
    except OSError:
        return


def build_map(dict_type: str, name: str, flags: int, truncate: bool, save_perm: bool,
              as_owner: bool, feed: Feed, finish: Finish | None = None) -> None:
    if truncate:
        if dict_type == "proxy":
            fatal("can't create maps via the proxy service")
        flags |= BULK_UPDATE
        try:
            fd = os.open(name, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            fatal(f"open {name}: {os_error_text(exc)}")
        source: BinaryIO = os.fdopen(fd, "rb", buffering=1 << 16)
        source_name = name
    else:
        source = sys.stdin.buffer
        source_name = "stdin"
    try:
        st = os.fstat(source.fileno())
    except OSError as exc:
        fatal(f"fstat {name}: {os_error_text(exc)}")
    mask = 0o022
    if save_perm and stat.S_ISREG(st.st_mode):
        mask = 0o022 | (~st.st_mode & 0o077)
    if as_owner and os.getuid() == 0 and (st.st_uid != os.geteuid()
                                          or st.st_gid != os.getegid()):
        set_eugid(st.st_uid, st.st_gid)
    saved_mask = os.umask(mask)
    try:
        builder = mkmap_open(dict_type, name, flags, truncate, mode=0o644 & ~mask,
                             size_hint=st.st_size if stat.S_ISREG(st.st_mode) else 0)
    except (TableOpenError, TableFatalError) as exc:
        fatal(str(exc))
    finally:
        os.umask(saved_mask)
    try:
        while True:
            try:
                feed(builder, read_logical_lines(_lines(source), source_name, warn),
                     source_name)
                if finish is not None:
                    finish(builder)
                builder.close()
                break
            except TableRestart:
                try:
                    source.seek(0)
                except OSError as exc:
                    fatal(f"seek {source_name}: {os_error_text(exc)}")
    except TableError as exc:
        builder.abort()
        fatal(str(exc))
    except (FatalError, KeyboardInterrupt, BrokenPipeError):
        builder.abort()
        raise
    finally:
        if source is not sys.stdin.buffer:
            source.close()

