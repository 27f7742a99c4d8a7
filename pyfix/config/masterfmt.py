"""NAME
    pyfix.config.masterfmt - format master.cf entries as postconf does

SUMMARY
    format_master_entry()

DESCRIPTION
    Lays out one master.cf entry the way "postconf -M" prints it and the
    way "postconf -Me" writes it back: the eight standard columns at
    their preferred positions (at least one space apart), daemon
    options next, each "-o name=value" on a line of its own when
    folding, and arguments that hold white space wrapped in { }.

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from collections.abc import Callable

from pyfix.config.lists import BLANKS
from pyfix.config.mastercf import MIN_FIELDS, OPTIONS_WITH_VALUE, MasterEntry

COLUMN_GOAL = (0, 11, 17, 25, 33, 41, 49, 57)
LINE_LIMIT = 80
INDENT = "    "


def _has_blank(text: str) -> bool:
    return any(ch in BLANKS for ch in text)


def format_master_entry(
    entry: MasterEntry,
    fold: bool,
    expand: Callable[[str, MasterEntry], str] | None = None,
    start_field: int = 0,
    prefix_len: int = 0,
) -> str:
    """Format one entry as postconf -M does (from start_field on)."""
    argv = entry.argv
    out: list[str] = []
    line_len = prefix_len

    def add(text: str) -> None:
        nonlocal line_len
        out.append(text)
        line_len += len(text)

    for field in range(start_field, MIN_FIELDS):
        if line_len > prefix_len:
            add(" ")
            while line_len < COLUMN_GOAL[field]:
                add(" ")
        add(argv[field])
    field = MIN_FIELDS
    in_options = True
    while field < len(argv):
        arg = argv[field]
        arg_len = len(arg)
        value: str | None = None
        parens = False
        if in_options:
            if not arg.startswith("-") or arg == "--":
                in_options = False
            elif len(arg) > 1 and arg[1] in OPTIONS_WITH_VALUE and field + 1 < len(argv):
                value = argv[field + 1]
                line_len = LINE_LIMIT
                if arg == "-o" and expand is not None:
                    value = expand(value, entry)
                arg_len += len(value) + 3
                parens = _has_blank(value)
                if parens:
                    arg_len += 2
        if not in_options:
            parens = _has_blank(arg)
        if line_len > len(INDENT):
            if not fold or line_len + 1 + arg_len < LINE_LIMIT:
                add(" ")
            else:
                out.append("\n" + INDENT)
                line_len = len(INDENT)
        if not in_options and parens:
            add("{" + arg + "}")
        else:
            add(arg)
        if value is not None:
            add(" ")
            add("{" + value + "}" if parens else value)
            field += 1
            line_len = LINE_LIMIT
        field += 1
    return "".join(out)
