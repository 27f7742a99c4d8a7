"""NAME
    pyfix.cli.postconf_print - postconf's output line discipline

SUMMARY
    print_line()

DESCRIPTION
    postconf prints every "name = value" line with white space between
    words normalized to one space and, with -f, folds lines longer than
    80 columns with a four-space indent, as Postfix's postconf does.

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

import re
import sys

LINE_LIMIT = 80
INDENT = "    "
SEPARATORS = " \t\r\n"
_WORD = re.compile(r"[^ \t\r\n]+")


def format_line(text: str, fold: bool) -> str:
    words = [w for w in _split(text) if w]
    out: list[str] = []
    line_len = 0
    for word in words:
        if line_len > 0:
            if not fold or line_len + len(word) < LINE_LIMIT:
                out.append(" ")
                line_len += 1
            else:
                out.append("\n" + INDENT)
                line_len = len(INDENT)
        out.append(word)
        line_len += len(word)
    return "".join(out) + "\n"


def _split(text: str) -> list[str]:
    return _WORD.findall(text)


def print_line(text: str, fold: bool = False) -> None:
    sys.stdout.write(format_line(text, fold))
