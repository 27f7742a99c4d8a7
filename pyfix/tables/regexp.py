"""NAME
    pyfix.tables.regexp - POSIX regular expression tables (regexp:)

SUMMARY
    open_table(), RegexpTable

DESCRIPTION
    "regexp:/etc/postfix/file" is a table of POSIX regular expressions,
    with the rule syntax of regexp_table(5) (see regextable.py).  The
    flags after a pattern toggle:

    i   case-insensitive matching (on by default);
    m   REG_NEWLINE: "^" and "$" also match at embedded newlines, and
        "." and non-matching lists do not match a newline (off);
    x   extended syntax (ERE, on by default); with x the pattern is a
        basic regular expression (BRE).

    A second pattern may follow the first: "/pat1/!/pat2/ result" means
    "pat1 matches and pat2 does not".  A final backslash ends the
    pattern, as in Postfix ("/abc\\" is the pattern "abc").

    Postfix compiles the patterns with the C library's regcomp();
    regexp_syntax.py translates them, with the GNU C library's rules, to
    Python.  See there for what is and is not reproduced.

    Parameters read: none.

DIAGNOSTICS
    As regextable.py; a pattern that does not compile is reported as
    "regexp map NAME, line N: REGERROR-TEXT" and the rule is skipped.
"""

from __future__ import annotations

import re

from pyfix.tables.base import Table
from pyfix.tables.regexp_syntax import translate_posix
from pyfix.tables.regextable import Compiled, RegexSyntaxError, RegexTable


class RegexpTable(RegexTable):
    dict_type = "regexp"
    default_options = frozenset("ix")
    option_letters = "imx"
    option_stop = " \t\n\v\f\r!"
    second_pattern = True
    backslash_ends_pattern = True
    range_word = "out-of-range"

    def compile(self, pattern: str, options: frozenset[str]) -> Compiled:
        icase, newline = "i" in options, "m" in options
        text, nsub = translate_posix(pattern, extended="x" in options, icase=icase,
                                     newline=newline)
        flags = re.ASCII | (re.IGNORECASE if icase else 0)
        flags |= re.MULTILINE if newline else re.DOTALL
        try:
            return Compiled(re.compile(text, flags), nsub)
        except re.error as exc:  # a translation pyfix cannot express
            raise RegexSyntaxError(f"Invalid regular expression ({exc})") from None

    def compile_error(self, where: str, error: RegexSyntaxError) -> str:
        return f"{where}: {error}"


def open_table(name: str, flags: int) -> Table:
    return RegexpTable(name, flags)
