"""NAME
    pyfix.tables.pcre - Perl-compatible regular expression tables (pcre:)

SUMMARY
    open_table(), PcreTable

DESCRIPTION
    "pcre:/etc/postfix/file" is a table of PCRE patterns, with the rule
    syntax of pcre_table(5) (see regextable.py).  The flags after a
    pattern toggle: i (caseless, on by default), s (dot matches newline,
    on by default), m (multi-line), x (extended), A (anchored), E ("$"
    only at the very end), U (ungreedy); X is accepted with a warning,
    as with PCRE2.

    Postfix (Debian) compiles the patterns with PCRE2; pcre_syntax.py
    and pcre_lex.py translate them to Python, with the same meaning and
    the same $n substrings.  What Python's engine cannot do is reported
    and the rule skipped: recursion and subroutine calls ((?R), (?1),
    (?&n), (?P>n), \\g<n>), (*VERB)s and (*alpha:...) assertions,
    non-atomic assertions, callouts, branch reset (?|...), \\K, \\p, \\P,
    \\X, duplicate names under (?J), conditions other than a group
    number or name, and back-references to a group that is still open
    or comes later in the pattern.  Unlike PCRE2, Python's engine has
    no backtracking limit.

    Parameters read: none.

DIAGNOSTICS
    As regextable.py.  A pattern that PCRE2 rejects is reported as
    "pcre map NAME, line N: error in regex at offset K: MESSAGE", in
    PCRE2's words; a construct that pyfix cannot translate the same way,
    with a message ending in "is not supported by pyfix".  Either way
    the rule is skipped.
"""

from __future__ import annotations

import re

from pyfix.tables.base import Table
from pyfix.tables.pcre_lex import unsupported
from pyfix.tables.pcre_syntax import translate_pcre
from pyfix.tables.regextable import Compiled, RegexSyntaxError, RegexTable


class PcreTable(RegexTable):
    dict_type = "pcre"
    default_options = frozenset("is")
    option_letters = "imsxAEU"
    obsolete_letters = "X"
    delimiter_verdict = "ignoring"

    def compile(self, pattern: str, options: frozenset[str]) -> Compiled:
        text, captures = translate_pcre(pattern, options)
        flags = re.ASCII | re.DOTALL | (re.IGNORECASE if "i" in options else 0)
        try:
            return Compiled(re.compile(text, flags), captures)
        except re.error as exc:  # a construct the translation cannot express
            raise unsupported(f"this pattern ({exc})", 0) from None

    def compile_error(self, where: str, error: RegexSyntaxError) -> str:
        return f"{where}: error in regex at offset {error.offset}: {error}"


def open_table(name: str, flags: int) -> Table:
    return PcreTable(name, flags)
