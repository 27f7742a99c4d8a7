"""NAME
    pyfix.tables.patternfile - rule files of the regexp, pcre and cidr tables

SUMMARY
    read_rule_lines(), RuleList, PatternTable, bytetext(), text_of()

DESCRIPTION
    The regexp:, pcre: and cidr: tables read a file of rules, one per
    logical line (comments, blank lines and continuation lines as in
    main.cf, see pyfix.config.conffile), and evaluate the rules in file
    order; "if PATTERN" ... "endif" blocks nest.  This module holds what
    the three types share:

    read_rule_lines()
        reads "/path/name", or the Postfix 3.7 inline form
        "{ {rule-1}, {rule-2}, ... }", and returns the non-empty logical
        lines with the number of the physical line each starts on.

    RuleList
        the rules in file order, with each IF linked to its ENDIF, and
        the search that skips an IF block whose condition fails.  An IF
        without ENDIF extends to the end of the file.

    PatternTable
        the Table base class: PATTERN flag, and changed() when the file's
        device, inode, size or modification time differ from the version
        that was loaded (inline tables never change).

    Postfix parses these files as bytes in the C locale.  To keep the
    same byte semantics (a regular expression "." matches one byte; case
    folding and character classes are ASCII only), the rule text is held
    as "byte text": a str with one character per byte (ISO 8859-1
    decoding).  bytetext() and text_of() convert between byte text and
    ordinary text (UTF-8 with surrogate escapes, as the rest of pyfix).

    Parameters read: none.

DIAGNOSTICS
    TableOpenError for a file that cannot be read ("open NAME: REASON")
    or a malformed inline table ("TYPE map: missing '}' in ...").
    Warnings (via pyfix.log.msg) for a logical line that starts with
    white space and for an IF without ENDIF, worded as in Postfix.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

from pyfix.config.conffile import read_logical_lines
from pyfix.config.lists import LIST_SEPARATORS, extract_braces, split_quoted
from pyfix.log.msg import msg_warn
from pyfix.tables.base import PATTERN, Table, TableOpenError

# Postfix's ISSPACE(): the ASCII white-space characters.
SPACE = " \t\n\v\f\r"
_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

Signature = tuple[int, int, int, int]


def is_alnum(ch: str) -> bool:
    """Postfix's ISALNUM(): ASCII letters and digits only ("" is not)."""
    return ch in _ALNUM if ch else False


def skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in SPACE:
        pos += 1
    return pos


def bytetext(text: str) -> str:
    """Ordinary text to byte text (one character per UTF-8 byte)."""
    return text.encode("utf-8", "surrogateescape").decode("latin-1")


def text_of(data: str) -> str:
    """Byte text back to ordinary text."""
    return data.encode("latin-1").decode("utf-8", "surrogateescape")


def warn_bytes(message: str) -> None:
    """msg_warn() for a message composed in byte text."""
    msg_warn(text_of(message))


@dataclass(frozen=True, slots=True)
class RuleLine:
    text: str  # byte text, trailing white space kept
    lineno: int  # physical line where the logical line starts


def _signature(st: os.stat_result) -> Signature:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _inline_text(dict_type: str, name: str) -> str:
    """The in-memory file of an inline "{ {rule}, ... }" table."""
    body, err = extract_braces(name, strip=False)
    rules: list[str] = []
    if err is None:
        for element in split_quoted(body, LIST_SEPARATORS):
            rule, err = extract_braces(element)
            if err is not None:
                break
            rules.append(rule + "\n")
    if err is not None:
        raise TableOpenError(f"{dict_type} map: {err}")
    return "".join(rules)


def _read_file(dict_type: str, name: str) -> tuple[str, Signature]:
    try:
        fd = os.open(name, os.O_RDONLY)
    except OSError as exc:
        raise TableOpenError(f"open {name}: {os.strerror(exc.errno or 0)}") from None
    chunks: list[bytes] = []
    try:
        signature = _signature(os.fstat(fd))
        try:
            while chunk := os.read(fd, 1 << 16):
                chunks.append(chunk)
        except OSError as exc:
            # Postfix's regexp and pcre tables take a read error (such as
            # a directory) for the end of the file; a cidr table gives up.
            if dict_type == "cidr":
                reason = os.strerror(exc.errno or 0)
                raise TableOpenError(f"cidr map {name}: read error: {reason}") from None
    finally:
        os.close(fd)
    return b"".join(chunks).decode("latin-1"), signature


def read_rule_lines(dict_type: str, name: str) -> tuple[list[RuleLine], Signature | None]:
    """Read a rule file (or inline rules) as byte-text logical lines.

    Lines that are empty because they start with a NUL byte are kept
    (Postfix still parses them); white-space-led lines are reported and
    dropped.
    """
    signature: Signature | None = None
    if name.startswith("{"):
        data = bytetext(_inline_text(dict_type, name))
    else:
        data, signature = _read_file(dict_type, name)
    physical = data.split("\n")
    lines = [
        RuleLine(line.text, line.first_line)
        for line in read_logical_lines(data, bytetext(name), warn_bytes)
        if line.text or physical[line.first_line - 1].startswith("\0")
    ]
    return lines, signature


class Op(Enum):
    MATCH = "match"
    IF = "if"
    ENDIF = "endif"


class Rule:
    """One compiled rule; subclasses add the pattern and the result."""

    __slots__ = ("end", "lineno", "match", "op")

    def __init__(self, op: Op, lineno: int, match: bool = True) -> None:
        self.op = op
        self.lineno = lineno
        self.match = match  # False: the rule applies when the pattern does NOT match
        self.end: int | None = None  # IF: index of the matching ENDIF


R = TypeVar("R", bound=Rule)


class RuleList(Generic[R]):
    """Rules in file order, with IF/ENDIF blocks."""

    def __init__(self, where: str) -> None:
        self.where = where  # "regexp map /path" in byte text, for warnings
        self.rules: list[R] = []
        self._open_ifs: list[int] = []

    @property
    def nesting(self) -> int:
        return len(self._open_ifs)

    def add(self, rule: R) -> None:
        index = len(self.rules)
        self.rules.append(rule)
        if rule.op is Op.IF:
            self._open_ifs.append(index)
        elif rule.op is Op.ENDIF:
            self.rules[self._open_ifs.pop()].end = index

    def finish(self) -> None:
        """Report every IF that has no ENDIF, innermost first."""
        for index in reversed(self._open_ifs):
            lineno = self.rules[index].lineno
            warn_bytes(f"{self.where}, line {lineno}: IF has no matching ENDIF")

    def search(self, applies: Callable[[R], bool]) -> R | None:
        """The first MATCH rule that applies, honouring IF blocks.

        applies(rule) tells whether a MATCH or IF rule's condition holds
        for the key, negation included.
        """
        rules = self.rules
        index = 0
        while index < len(rules):
            rule = rules[index]
            if rule.op is Op.MATCH:
                if applies(rule):
                    return rule
            elif rule.op is Op.IF and not applies(rule):
                if rule.end is None:
                    return None
                index = rule.end
            index += 1
        return None


class PatternTable(Table):
    """Base class of the tables that are read from a rule file."""

    impl_flags = PATTERN

    def __init__(self, name: str, flags: int, signature: Signature | None) -> None:
        super().__init__(name, flags)
        self._signature = signature

    def changed(self) -> bool:
        if self._signature is None:
            return False
        try:
            return _signature(os.stat(self.name)) != self._signature
        except OSError:
            return True
