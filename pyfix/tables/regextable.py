"""NAME
    pyfix.tables.regextable - rule syntax shared by regexp: and pcre: tables

SUMMARY
    RegexTable, Replacement, parse_replacement(), RegexSyntaxError, charset()

DESCRIPTION
    A regexp or pcre table holds rules of the forms

        /pattern/flags result
        !/pattern/flags result
        /pattern1/flags!/pattern2/flags result     (regexp only)
        if /pattern/flags    ...    endif
        if !/pattern/flags   ...    endif

    The delimiter is the first character after any "!" (and white
    space); a backslash escapes the next character.  The flags after the
    closing delimiter toggle options; which letters exist is up to the
    dialect.  In the result, $1 .. $n, ${n} and $(n) stand for the text
    matched by the n-th parenthesized subexpression (empty when it did
    not take part in the match), and $$ is a literal "$".

    RegexTable does the parsing, the $number checks and the lookup; a
    subclass (regexp.py, pcre.py) provides the dialect: its option
    letters and defaults, and compile(), which translates the pattern
    to a Python regular expression and reports the number of capturing
    subexpressions.  Patterns are compiled as str patterns over byte
    text (see patternfile.py) with re.ASCII, so that they see the key
    bytes as Postfix does.

    Parameters read: none.

DIAGNOSTICS
    Bad rules are reported as Postfix does ("regexp map NAME, line N:
    ...: skipping this rule") and left out; the rest of the table works.
    The NO_REGSUB dictionary flag turns $number into such an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyfix.tables.base import NO_REGSUB
from pyfix.tables.patternfile import (
    SPACE,
    Op,
    PatternTable,
    Rule,
    RuleList,
    bytetext,
    is_alnum,
    read_rule_lines,
    skip_space,
    text_of,
    warn_bytes,
)

_DIGITS = frozenset("0123456789")


class RegexSyntaxError(Exception):
    """A pattern that does not compile; str() is the engine's message."""

    def __init__(self, message: str, offset: int = 0, unsupported: bool = False) -> None:
        super().__init__(message)
        self.offset = offset
        self.unsupported = unsupported  # valid for the engine, but pyfix cannot map it


def charset(codes: frozenset[int] | set[int], negate: bool = False,
            extra: str = "") -> str:
    """A Python character class for a set of byte values (extra: more
    class text, such as "\\n")."""
    if not codes and not extra:
        return "[\\x00-\\xff]" if negate else "(?!)"
    out = ["[^" if negate else "["]
    ordered = sorted(codes)
    index = 0
    while index < len(ordered):
        low = high = ordered[index]
        while index + 1 < len(ordered) and ordered[index + 1] == high + 1:
            index += 1
            high = ordered[index]
        out.append(f"\\x{low:02x}" if low == high else f"\\x{low:02x}-\\x{high:02x}")
        index += 1
    return "".join(out) + extra + "]"


@dataclass(frozen=True, slots=True)
class Compiled:
    regex: re.Pattern[str]
    nsub: int  # number of capturing subexpressions, as the engine counts them


@dataclass(frozen=True, slots=True)
class Replacement:
    """Result text split into literal byte text and $number references."""

    parts: tuple[str | int, ...]
    max_sub: int

    def expand(self, found: re.Match[str] | None) -> str:
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            elif found is not None:
                out.append(found.group(part) or "")
        return "".join(out)


def parse_replacement(value: str, where: str, range_word: str) -> Replacement | None:
    """Split a result at $name references, as Postfix's mac_parse() does.

    Returns None (after warnings) when a reference is malformed, not a
    number, or zero.  where is "regexp map NAME, line N" in byte text.
    """
    parts: list[str | int] = []
    literal: list[str] = []
    max_sub = 0
    error = False
    pos, end = 0, len(value)
    while pos < end:
        ch = value[pos]
        if ch != "$":
            literal.append(ch)
            pos += 1
            continue
        if value[pos + 1 : pos + 2] == "$":
            literal.append("$")
            pos += 2
            continue
        if literal:
            parts.append("".join(literal))
            literal = []
        pos += 1
        if pos < end and value[pos] in "({":
            opening, closing = value[pos], ")" if value[pos] == "(" else "}"
            level, scan = 1, pos + 1
            while level > 0:
                if scan >= end:
                    warn_bytes(f'truncated macro reference: "{value}"')
                    error = True
                    break
                level += (value[scan] == opening) - (value[scan] == closing)
                scan += 1
            if error:
                break
            name, pos = value[pos + 1 : scan - 1], scan
        else:
            scan = pos
            while scan < end and (is_alnum(value[scan]) or value[scan] == "_"):
                scan += 1
            name, pos = value[pos:scan], scan
        if not name:
            warn_bytes(f'empty macro name: "{value}"')
            error = True
            break
        if not _DIGITS.issuperset(name):
            warn_bytes(f'{where}: non-numeric replacement index "{name}"')
            error = True
        elif int(name) < 1:
            warn_bytes(f'{where}: {range_word} replacement index "{name}"')
            error = True
        else:
            max_sub = max(max_sub, int(name))
            parts.append(int(name))
    if error:
        return None
    if literal:
        parts.append("".join(literal))
    return Replacement(tuple(parts), max_sub)


@dataclass(frozen=True, slots=True)
class _Pattern:
    text: str
    options: frozenset[str]
    match: bool


class RegexRule(Rule):
    __slots__ = ("regex", "replacement", "second", "second_match")

    def __init__(self, op: Op, lineno: int, match: bool = True,
                 regex: re.Pattern[str] | None = None) -> None:
        super().__init__(op, lineno, match)
        self.regex = regex
        self.second: re.Pattern[str] | None = None
        self.second_match = True
        self.replacement = Replacement((), 0)


class RegexTable(PatternTable):
    """A regexp: or pcre: table; subclasses supply the dialect."""

    default_options: frozenset[str] = frozenset()
    option_letters = ""  # letters that toggle an option
    obsolete_letters = ""  # accepted with a warning, no effect
    option_stop = SPACE  # characters that end the option letters
    second_pattern = False  # /pattern1/!/pattern2/ syntax
    backslash_ends_pattern = False  # a final backslash closes the pattern
    delimiter_verdict = "skipping"  # "no closing regexp delimiter": ... this rule
    range_word = "out of range"  # for $0

    def __init__(self, name: str, flags: int) -> None:
        lines, signature = read_rule_lines(self.dict_type, name)
        super().__init__(name, flags, signature)
        self.rules: RuleList[RegexRule] = RuleList(bytetext(f"{self.dict_type} map {name}"))
        for line in lines:
            if not line.text:
                continue
            rule = self._parse_rule(line.text.rstrip(SPACE), line.lineno)
            if rule is not None:
                self.rules.add(rule)
        self.rules.finish()

    def compile(self, pattern: str, options: frozenset[str]) -> Compiled:
        """Translate and compile; raise RegexSyntaxError."""
        raise NotImplementedError

    def compile_error(self, where: str, error: RegexSyntaxError) -> str:
        """The warning text for a pattern that does not compile."""
        raise NotImplementedError

    def lookup(self, key: str) -> str | None:
        subject = bytetext(self.fold(key)).partition("\0")[0]
        found: re.Match[str] | None = None

        def applies(rule: RegexRule) -> bool:
            nonlocal found
            assert rule.regex is not None
            hit = rule.regex.search(subject)
            if (hit is not None) != rule.match:
                return False
            if rule.second is not None and (
                (rule.second.search(subject) is not None) != rule.second_match
            ):
                return False
            found = hit
            return True

        rule = self.rules.search(applies)
        if rule is None:
            return None
        return text_of(rule.replacement.expand(found))

    # Parsing.

    def _compile(self, where: str, pattern: _Pattern) -> Compiled | None:
        try:
            return self.compile(pattern.text, pattern.options)
        except RegexSyntaxError as exc:
            warn_bytes(self.compile_error(where, exc))
            return None

    def _get_pattern(self, where: str, line: str, pos: int) -> tuple[_Pattern, int] | None:
        match = True
        while pos < len(line) and (line[pos] == "!" or line[pos] in SPACE):
            match = match if line[pos] in SPACE else not match
            pos += 1
        if pos >= len(line):
            warn_bytes(f"{where}: no regexp: skipping this rule")
            return None
        delimiter = line[pos]
        start = pos = pos + 1
        while pos < len(line):
            if line[pos] == "\\":
                if pos + 1 >= len(line):
                    break
                pos += 1
            elif line[pos] == delimiter:
                break
            pos += 1
        if pos >= len(line) or (line[pos] == "\\" and not self.backslash_ends_pattern):
            warn_bytes(f'{where}: no closing regexp delimiter "{delimiter}": '
                       f"{self.delimiter_verdict} this rule")
            return None
        text, pos = line[start:pos], pos + 1
        options = set(self.default_options)
        while pos < len(line) and line[pos] not in self.option_stop:
            letter = line[pos]
            if letter in self.option_letters:
                options ^= {letter}
            elif letter in self.obsolete_letters:
                warn_bytes(f'{where}: ignoring obsolete regexp option "{letter}"')
            else:
                warn_bytes(f'{where}: unknown regexp option "{letter}": skipping this rule')
                return None
            pos += 1
        return _Pattern(text, frozenset(options), match), pos

    def _parse_rule(self, line: str, lineno: int) -> RegexRule | None:
        where = f"{self.rules.where}, line {lineno}"
        if not is_alnum(line[:1]):
            return self._parse_match(where, line, lineno)
        if line[:2].upper() == "IF" and not is_alnum(line[2:3]):
            got = self._get_pattern(where, line, skip_space(line, 2))
            if got is None:
                return None
            pattern, pos = got
            pos = skip_space(line, pos)
            if pos < len(line):
                warn_bytes(f'{where}: ignoring extra text after IF statement: "{line[pos:]}"')
                warn_bytes(f"{where}: do not prepend whitespace"
                           " to statements between IF and ENDIF")
            compiled = self._compile(where, pattern)
            if compiled is None:
                return None
            return RegexRule(Op.IF, lineno, pattern.match, compiled.regex)
        if line[:5].upper() == "ENDIF" and not is_alnum(line[5:6]):
            if self.rules.nesting == 0:
                warn_bytes(f"{where}: ignoring ENDIF without matching IF")
                return None
            if skip_space(line, 5) < len(line):
                warn_bytes(f"{where}: ignoring extra text after ENDIF")
            return RegexRule(Op.ENDIF, lineno)
        warn_bytes(f"{where}: ignoring unrecognized request")
        return None

    def _parse_match(self, where: str, line: str, lineno: int) -> RegexRule | None:
        got = self._get_pattern(where, line, 0)
        if got is None:
            return None
        first, pos = got
        second: _Pattern | None = None
        if self.second_pattern and line[pos : pos + 1] == "!":
            got = self._get_pattern(where, line, pos)
            if got is None:
                return None
            second, pos = got
        pos = skip_space(line, pos)
        if pos >= len(line):
            warn_bytes(f"{where}: no replacement text: using empty string")
        replacement = parse_replacement(line[pos:], where, self.range_word)
        if replacement is None:
            warn_bytes(f"{where}: bad replacement syntax: skipping this rule")
            return None
        if replacement.max_sub > 0 and not first.match:
            warn_bytes(f"{where}: $number found in negative match "
                       "replacement text: skipping this rule")
            return None
        if replacement.max_sub > 0 and self.flags & NO_REGSUB:
            warn_bytes(f"{where}: regular expression substitution is not allowed: "
                       "skipping this rule")
            return None
        compiled = self._compile(where, first)
        if compiled is None:
            return None
        if replacement.max_sub > compiled.nsub:
            warn_bytes(f'{where}: out of range replacement index "{replacement.max_sub}": '
                       "skipping this rule")
            return None
        rule = RegexRule(Op.MATCH, lineno, first.match, compiled.regex)
        rule.replacement = replacement
        if second is not None:
            compiled = self._compile(where, second)
            if compiled is None:
                return None
            rule.second, rule.second_match = compiled.regex, second.match
        return rule
