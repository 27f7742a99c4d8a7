"""NAME
    pyfix.tables.pcre_syntax - read PCRE2 patterns as Python patterns

SUMMARY
    translate_pcre()

DESCRIPTION
    translate_pcre() rewrites a pattern, as the 8-bit, non-UTF PCRE2
    10.42 library that Postfix on Debian uses reads it, into a Python
    pattern with the same meaning, to be compiled with re.ASCII and
    re.DOTALL (and re.IGNORECASE for the table's "i" flag) over byte
    text.  This module reads the structure (alternatives, groups,
    quantifiers, options); pcre_lex.py reads escapes and classes.

    Options are applied item by item, so that an inline (?i) or (?-s)
    holds, as in PCRE2, to the end of its group, later alternatives
    included: "i" by a scoped (?i:...) or (?-i:...) around an item when
    it differs from the compile flag; "s", "m", "x", "xx", "U", "n" and
    the ANCHORED and DOLLAR_ENDONLY flags by rewriting ".", "^", "$",
    white space and quantifiers.  A lookbehind whose alternatives differ
    in length becomes one lookbehind per alternative.  PCRE2 10.42 reads
    "{,n}" as literal text, and so does this module.

    Not supported (Python's engine has no equivalent): recursion and
    subroutine calls ((?R), (?1), (?&n), (?P>n), \\g<n>), (*VERB)s and
    (*alpha:...) assertions, non-atomic assertions (?*...), callouts,
    branch reset (?|...), duplicate names under (?J), conditions other
    than a group number or name, and back-references to a group that is
    still open or comes later in the pattern.

    Parameters read: none.

DIAGNOSTICS
    RegexSyntaxError with PCRE2's message and offset for the patterns
    that PCRE2 rejects; with unsupported=True for the constructs above.
"""

from __future__ import annotations

import re

from pyfix.tables.pcre_lex import (
    E_NO_GROUP,
    read_class,
    read_escape,
    read_name,
    read_verb,
    unsupported,
)
from pyfix.tables.regextable import RegexSyntaxError, charset

_E_QUANTIFIER = "quantifier does not follow a repeatable item"
_E_ORDER = "numbers out of order in {} quantifier"
_E_TOO_BIG = "number too big in {} quantifier"
_E_MISSING_PAREN = "missing closing parenthesis"
_E_UNMATCHED = "unmatched closing parenthesis"
_E_COMMENT = "missing ) after (?# comment"
_E_OPTION = "unrecognized character after (? or (?-"
_E_HYPHEN = "invalid hyphen in option setting"
_E_P_AFTER = "unrecognized character after (?P"
_E_NAME_DUP = "two named subpatterns have the same name (PCRE2_DUPNAMES not set)"
_E_LOOKBEHIND = "lookbehind assertion is not fixed length"
_E_CONDITION_PAREN = "missing closing parenthesis for condition"
_E_CONDITION_BRANCHES = "conditional subpattern contains more than two branches"
_RESET = frozenset("imnsx") | {"xx"}  # what (?^) turns off

_EXTENDED_SPACE = " \t\n\v\f\r\x85"
_QUANTIFIER = re.compile(r"[*+?]|\{([0-9]+)(,([0-9]*))?\}")
_NUMBER = re.compile(r"[+-]?[0-9]+")
_LETTERS = frozenset(range(65, 91)) | frozenset(range(97, 123))

Item = tuple[str, bool]  # Python text, may be repeated


class _Reader:
    """Recursive-descent reader of one PCRE2 pattern."""

    def __init__(self, src: str, options: frozenset[str]) -> None:
        self.src = src
        self.pos = 0
        # The options in effect: i m s x xx U n J, as PCRE2 names them.
        self.opts = options & frozenset("imsxU")
        self.global_i = "i" in options
        self.dollar_endonly = "E" in options
        self.anchored = "A" in options
        self.ngroups = 0
        self.open_groups: set[int] = set()
        self.names: dict[str, int] = {}
        self.pending: list[tuple[int | str, int, bool]] = []  # ref, offset, is a condition
        self.quoting = False  # inside \Q...\E
        self.lookbehind_error: int | None = None  # reported once the pattern is read

    def translate(self) -> str:
        text = "|".join(self._alternatives())
        if self.pos < len(self.src):
            raise RegexSyntaxError(_E_UNMATCHED, self.pos)
        if self.lookbehind_error is not None:
            raise RegexSyntaxError(_E_LOOKBEHIND, self.lookbehind_error)
        for ref, offset, condition in self.pending:
            if not self._exists(ref):
                raise RegexSyntaxError(E_NO_GROUP, offset)
            if not condition or isinstance(ref, str):
                raise unsupported("a reference to a later group", offset)
        return rf"\A(?:{text})" if self.anchored else text

    def _exists(self, ref: int | str) -> bool:
        return ref in self.names if isinstance(ref, str) else 0 < ref <= self.ngroups

    # Structure: alternatives, items, quantifiers.

    def _alternatives(self) -> list[str]:
        branches = [self._branch()]
        while self.src.startswith("|", self.pos):
            self.pos += 1
            branches.append(self._branch())
        return branches

    def _group_alternatives(self, options: frozenset[str] | None = None) -> list[str]:
        """The alternatives of a group, and its ")"; options hold inside."""
        saved = self.opts
        if options is not None:
            self.opts = options
        branches = self._alternatives()
        if not self.src.startswith(")", self.pos):
            raise RegexSyntaxError(_E_MISSING_PAREN, len(self.src))
        self.pos += 1
        self.opts = saved
        return branches

    def _skip_transparent(self) -> None:
        """Skip what PCRE2 ignores between items: \\E, (?#...), and with
        the x option white space and #comments."""
        src = self.src
        while self.pos < len(src):
            pos = self.pos
            if src.startswith("\\E", pos):
                self.quoting = False
                self.pos += 2
            elif self.quoting:
                return
            elif src.startswith("\\Q\\E", pos):
                self.pos += 4
            elif src.startswith("(?#", pos):
                end = src.find(")", pos)
                if end < 0:
                    raise RegexSyntaxError(_E_COMMENT, len(src))
                self.pos = end + 1
            elif "x" in self.opts and src[pos] in _EXTENDED_SPACE:
                self.pos += 1
            elif "x" in self.opts and src[pos] == "#":
                end = src.find("\n", pos)
                self.pos = len(src) if end < 0 else end + 1
            else:
                return

    def _branch(self) -> str:
        out: list[str] = []
        while True:
            self._skip_transparent()
            if self.pos >= len(self.src) or (
                    not self.quoting and self.src[self.pos] in "|)"):
                return "".join(out)
            item = self._item()
            if item is None:
                continue
            text, repeatable = item
            self._skip_transparent()
            quantifier = self._quantifier(repeatable)
            out.append(text if quantifier is None else f"(?:{text}){quantifier}")

    def _quantifier(self, repeatable: bool) -> str | None:
        """The quantifier here, if any, as Python text."""
        found = None if self.quoting else _QUANTIFIER.match(self.src, self.pos)
        if found is None:
            return None
        last = found.end() - 1
        if not repeatable:
            raise RegexSyntaxError(_E_QUANTIFIER, last)
        low, high = found[1], found[3]
        if low is not None:
            if int(low) > 65535:
                raise RegexSyntaxError(_E_TOO_BIG, found.start(2) if found[2] else last)
            if high and int(high) > 65535:
                raise RegexSyntaxError(_E_TOO_BIG, last)
            if high and int(low) > int(high):
                raise RegexSyntaxError(_E_ORDER, last)
        self.pos = found.end()
        self._skip_transparent()
        modifier = "" if self.quoting else self.src[self.pos : self.pos + 1]
        if modifier in ("?", "+"):
            self.pos += 1
        if modifier == "+":
            return found.group() + "+"
        lazy = (modifier == "?") != ("U" in self.opts)
        return found.group() + ("?" if lazy else "")

    def _leaf(self, text: str, letters: bool = True) -> Item:
        """A matching item, under the current case option."""
        caseless = "i" in self.opts
        if letters and caseless != self.global_i:
            text = f"(?{'' if caseless else '-'}i:{text})"
        return text, True

    def _literal(self, code: int) -> Item:
        if code in _LETTERS or 48 <= code <= 57:
            return self._leaf(chr(code), code in _LETTERS)
        return f"\\x{code:02x}", True

    def _item(self) -> Item | None:
        """One item; None for \\Q."""
        src, pos = self.src, self.pos
        ch = src[pos]
        if self.quoting:
            self.pos += 1
            return self._literal(ord(ch))
        if ch == "(":
            return self._group()
        if ch == "\\":
            return self._escape()
        quantifier = _QUANTIFIER.match(src, pos)
        if quantifier is not None:
            raise RegexSyntaxError(_E_QUANTIFIER, quantifier.end() - 1)
        if ch == "[":
            for special, text in (("[[:<:]]", r"\b(?=\w)"), ("[[:>:]]", r"\b(?<=\w)")):
                if src.startswith(special, pos):
                    self.pos += len(special)
                    return text, False
            text, letters, self.pos = read_class(src, pos, "xx" in self.opts)
            return self._leaf(text, letters)
        self.pos += 1
        if ch == ".":
            return ("." if "s" in self.opts else r"[^\n]"), True
        if ch == "^":
            # Multi-line "^" does not match after a newline that ends the key.
            return (r"(?:\A|(?<=\n)(?!\Z))" if "m" in self.opts else "^"), False
        if ch == "$":
            if "m" in self.opts:
                return "(?m:$)", False
            return (r"\Z" if self.dollar_endonly else "$"), False
        return self._literal(ord(ch))

    def _escape(self) -> Item | None:
        start = self.pos
        escape, self.pos = read_escape(self.src, start, self.ngroups)
        if escape.kind == "char":
            return self._literal(escape.code)
        if escape.kind == "set":
            return self._leaf(charset(escape.codes), bool(escape.codes & _LETTERS))
        if escape.kind == "text":
            return escape.text, not escape.anchor
        if escape.kind == "Q":
            self.quoting = True
            return None
        return self._reference(escape.ref, escape.offset, start)

    def _reference(self, ref: int | str, offset: int, start: int) -> Item:
        number = self.names.get(ref) if isinstance(ref, str) else ref
        if number is None or number > self.ngroups:
            self.pending.append((ref, offset, False))  # an error, or not supported
            return "(?!)", True
        if number in self.open_groups:
            raise unsupported("a back-reference inside the group it refers to", start)
        if isinstance(ref, str):
            return self._leaf(f"(?P={ref})")
        if number > 99:
            raise unsupported("a back-reference to a group above 99", start)
        return self._leaf(f"(?:\\{number})")

    # Groups.

    def _capture(self, content: int, name: str | None) -> str:
        self.ngroups += 1
        number = self.ngroups
        if name is not None:
            self.names[name] = number
        self.open_groups.add(number)
        self.pos = content
        branches = self._group_alternatives()
        self.open_groups.discard(number)
        return f"({'' if name is None else f'?P<{name}>'}{'|'.join(branches)})"

    def _group(self) -> Item | None:
        src, start = self.src, self.pos
        pos = start + 1
        if src.startswith("*", pos):
            read_verb(src, start)
        if not src.startswith("?", pos):
            if "n" in self.opts:
                self.pos = pos
                return f"(?:{'|'.join(self._group_alternatives())})", True
            return self._capture(pos, None), True
        pos += 1
        if pos >= len(src):
            raise RegexSyntaxError(_E_MISSING_PAREN, len(src))
        ch, after = src[pos], src[pos + 1 : pos + 2]
        if ch == "*" or (ch == "<" and after == "*"):
            raise unsupported("non-atomic assertions (?*...) and (?<*...)", start)
        if ch in ":>=!" or (ch == "<" and after in ("=", "!")):
            self.pos = pos + 1 + (ch == "<")
            prefix = "(?" + src[pos : self.pos]
            if ch == "<":
                return self._lookbehind(start, prefix), True
            return f"{prefix}{'|'.join(self._group_alternatives())})", True
        if ch in "<'" or (ch == "P" and after == "<"):
            return self._named(start, pos + 1 + (ch == "P"), "'" if ch == "'" else ">"), True
        if ch == "P":
            if after == "=":
                name, self.pos = read_name(src, pos + 2, ")")
                return self._reference(name, pos + 2, start)
            if after == ">":
                raise unsupported("a subroutine call ((?P>name))", start)
            raise RegexSyntaxError(_E_P_AFTER if after else _E_MISSING_PAREN,
                                   pos + 1 if after else len(src))
        if ch == "(":
            return self._conditional(start, pos + 1), True
        if ch in "R&+0123456789" or (ch == "-" and after in "0123456789" and after):
            raise unsupported("recursion and subroutine calls", start)
        if ch == "|":
            raise unsupported("branch reset (?|...)", start)
        if ch == "C":
            raise unsupported("callouts (?C...)", start)
        return self._options(pos)

    def _options(self, pos: int) -> Item | None:
        """(?imnsxJU-imnsx), (?^...) and (?...:...); pos is after "(?"."""
        src = self.src
        options = set(self.opts)
        on, caret = True, src.startswith("^", pos)
        if caret:
            options -= _RESET
            pos += 1
        while pos < len(src) and src[pos] not in ":)":
            letter = src[pos]
            if letter == "x" and src.startswith("xx", pos) and on:
                letter = "xx"
                pos += 1
            if letter == "-":
                if not on or caret:
                    raise RegexSyntaxError(_E_HYPHEN, pos)
                on = False
            elif letter not in ("i", "m", "n", "s", "x", "xx", "U", "J"):
                raise RegexSyntaxError(_E_OPTION, pos)
            elif on:
                options |= {letter, "x"} if letter == "xx" else {letter}
            else:
                options -= {letter, "xx"} if letter == "x" else {letter}
            pos += 1
        if pos >= len(src):
            raise RegexSyntaxError(_E_MISSING_PAREN, len(src))
        self.pos = pos + 1
        if src[pos] == ")":
            self.opts = frozenset(options)
            return "", False
        return f"(?:{'|'.join(self._group_alternatives(frozenset(options)))})", True

    def _named(self, start: int, pos: int, terminator: str) -> str:
        name, content = read_name(self.src, pos, terminator)
        if name in self.names:
            if "J" in self.opts:
                raise unsupported("duplicate group names", start)
            raise RegexSyntaxError(_E_NAME_DUP, content)
        return self._capture(content, name)

    def _lookbehind(self, start: int, prefix: str) -> str:
        branches = self._group_alternatives()
        flags = re.ASCII | re.DOTALL | (re.IGNORECASE if self.global_i else 0)
        for branch in branches:
            try:
                re.compile(f"{prefix}{branch})", flags)
            except re.error as exc:
                if "look-behind" in str(exc) and self.lookbehind_error is None:
                    self.lookbehind_error = start
        # (?<=a|bc) is (?:(?<=a)|(?<=bc)), and (?<!a|bc) is (?<!a)(?<!bc).
        parts = [f"{prefix}{branch})" for branch in branches]
        if len(parts) == 1 or prefix == "(?<!":
            return "".join(parts)
        return f"(?:{'|'.join(parts)})"

    def _conditional(self, start: int, pos: int) -> str:
        """(?(N)yes|no) or (?(<name>)yes|no); pos is after "(?("."""
        src = self.src
        if pos >= len(src):
            raise RegexSyntaxError(_E_MISSING_PAREN, len(src))
        number = _NUMBER.match(src, pos)
        ref: int | str
        if number is not None:
            ref, end, offset = int(number.group()), number.end(), pos - 1
            if number.group()[0] in "+-":
                ref += self.ngroups + (number.group()[0] == "-")
        elif src[pos] in "<'":
            ref, end = read_name(src, pos + 1, ">" if src[pos] == "<" else "'")
            offset = pos + 1
        elif src.startswith(("?", "*", "DEFINE)"), pos) or re.match(
                r"R[0-9&)]|VERSION[<>=]", src[pos : pos + 8]):
            raise unsupported("conditions other than a group number or name", start)
        else:
            ref, end = read_name(src, pos, ")")
            end, offset = end - 1, pos
        if not src.startswith(")", end):
            raise RegexSyntaxError(_E_CONDITION_PAREN, end)
        if not self._exists(ref):
            self.pending.append((ref, offset, True))
        self.pos = end + 1
        branches = self._group_alternatives()
        if len(branches) > 2:
            raise RegexSyntaxError(_E_CONDITION_BRANCHES, start)
        return f"(?({ref}){'|'.join(branches)})"


def translate_pcre(pattern: str, options: frozenset[str] = frozenset("is")) -> tuple[str, int]:
    """Translate a PCRE2 pattern (byte text) to Python; return (text, captures).

    options holds the pcre_table(5) flag letters in effect.  Raises
    RegexSyntaxError with PCRE2's message and offset.
    """
    reader = _Reader(pattern, options)
    return reader.translate(), reader.ngroups
