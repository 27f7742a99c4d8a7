"""NAME
    pyfix.tables.regexp_syntax - read POSIX regular expressions as Python ones

SUMMARY
    translate_posix()

DESCRIPTION
    translate_posix() rewrites a POSIX pattern, as the GNU C library's
    regcomp() reads it in the C locale (Postfix on Debian), into a
    Python pattern with the same meaning, to be compiled over byte text
    (one character per byte) with re.ASCII, re.IGNORECASE for REG_ICASE,
    and re.MULTILINE for REG_NEWLINE or else re.DOTALL:

    - bracket expressions: a leading "]" is literal, backslash is
      literal, [:class:] (ASCII, as in the C locale), [=c=] and [.c.]
      for one character, ranges in byte order, "-" first or last;
    - ERE: "(", ")", "|", "*", "+", "?", "{m,n}" ({,n} means {0,n});
      an unmatched ")" is literal; quantifiers may be stacked (a**);
    - BRE: \\( \\) \\{ \\} \\| \\+ \\?; "*" is literal at the start of an
      expression, "^" and "$" are anchors only at the ends;
    - both: back-references \\1 .. \\9, and the GNU operators \\w \\W
      \\s \\S \\b \\B \\< \\> \\` \\'; any other escaped character is
      literal (so \\d is "d", and \\n is "n").

    Three behaviours of the C library are reproduced on purpose, since
    Postfix on Debian shows them:

    - with REG_ICASE, an escaped lower-case letter that is not an
      operator (\\d, \\n, ...) matches nothing, and bracket elements are
      compared upper-cased (so [\\-~] matches no letter);
    - without REG_NEWLINE, "^" also matches just after, and "$" just
      before, a newline that the match itself spans (".^" matches
      "x\\ny"); at the very start and end of the pattern they are \\A
      and \\Z.  (When what precedes "^" or follows "$" can match the
      empty string, pyfix may accept slightly more than the C library.)
    - regcomp()'s error for a bad pattern, in its regerror() words.

    Not reproduced: POSIX picks the leftmost-longest match and the
    submatches that go with it; Python's engine takes the first match
    its backtracking finds.  Whether a pattern matches is the same, but
    $n can differ when alternatives overlap, as in "(a|ab)(c|bcd)".

    Parameters read: none.

DIAGNOSTICS
    RegexSyntaxError with the C library's regerror() text.
"""

from __future__ import annotations

import re

from pyfix.tables.regextable import RegexSyntaxError, charset

# The GNU C library's regerror() texts.
_BADPAT = "Invalid regular expression"
_EBRACK = "Unmatched [, [^, [:, [., or [="
_EPAREN = "Unmatched ( or \\("
_EBRACE = "Unmatched \\{"
_BADBR = "Invalid content of \\{\\}"
_BADRPT = "Invalid preceding regular expression"
_ECOLLATE = "Invalid collation character"
_ECTYPE = "Invalid character class name"
_EESCAPE = "Trailing backslash"
_ESUBREG = "Invalid back reference"
_ERANGE = "Invalid range end"
_ESIZE = "Regular expression too big"

_DUP_MAX = 0x7FFF  # RE_DUP_MAX
_NAME_MAX = 32  # longest [:name:] the C library reads


def _span(first: str, last: str) -> frozenset[int]:
    return frozenset(range(ord(first), ord(last) + 1))


_UPPER, _LOWER, _DIGIT = _span("A", "Z"), _span("a", "z"), _span("0", "9")
_PRINT = _span(" ", "~")
_ALNUM = _UPPER | _LOWER | _DIGIT
_CLASSES: dict[str, frozenset[int]] = {
    "alpha": _UPPER | _LOWER,
    "upper": _UPPER,
    "lower": _LOWER,
    "digit": _DIGIT,
    "alnum": _ALNUM,
    "xdigit": _DIGIT | _span("A", "F") | _span("a", "f"),
    "space": frozenset(b" \t\n\v\f\r"),
    "blank": frozenset(b" \t"),
    "punct": _PRINT - _ALNUM - {ord(" ")},
    "print": _PRINT,
    "graph": _PRINT - {ord(" ")},
    "cntrl": frozenset(range(0, 32)) | {127},
}

# Escaped characters with a meaning of their own (GNU operators).
_GNU_OPS = {
    "w": r"\w", "W": r"\W", "s": r"\s", "S": r"\S",
}
_GNU_ANCHORS = {
    "b": r"\b", "B": r"(?:\B|\A\Z)", "<": r"\b(?=\w)", ">": r"\b(?<=\w)", "`": r"\A", "'": r"\Z",
}


class _Posix:
    """Recursive-descent reader of one POSIX pattern (GNU C library rules)."""

    def __init__(self, src: str, extended: bool, icase: bool, newline: bool) -> None:
        self.src = src
        self.pos = 0
        self.extended = extended
        self.icase = icase
        self.newline = newline
        self.ngroups = 0
        self.completed: frozenset[int] = frozenset()  # groups a back-reference may name
        self._at_start = True  # nothing that consumes text precedes this point
        self._dollar_at_end: dict[int, bool] = {}  # "$" anchor -> nothing follows it

    def _peek(self, text: str) -> bool:
        return self.src.startswith(text, self.pos)

    def _at_alternation(self) -> bool:
        return self._peek("|" if self.extended else "\\|")

    def _at_close(self, depth: int) -> bool:
        if self.extended:
            return depth > 0 and self._peek(")")
        return self._peek("\\)")

    def translate(self) -> str:
        out, _ = self._regex(0)
        if self.pos < len(self.src):  # BRE "\\)" without "\\("
            raise RegexSyntaxError(_EPAREN)
        for number, at_end in self._dollar_at_end.items():
            out = out.replace(f"\0{number}\0", r"\Z" if at_end else r"(?:\Z|(?=\n))")
        return out

    def _regex(self, depth: int) -> tuple[str, list[int]]:
        """Alternatives; also returns the "$" anchors that end them."""
        initial, at_start = self.completed, self._at_start
        text, tails = self._branch(depth)
        branches = [text]
        while self._at_alternation():
            self.pos += 1 if self.extended else 2
            accumulated, self.completed = self.completed, initial
            self._at_start = at_start
            text, more_tails = self._branch(depth)
            branches.append(text)
            tails += more_tails
            self.completed |= accumulated
        return "|".join(branches), tails

    def _branch(self, depth: int) -> tuple[str, list[int]]:
        out: list[str] = []
        tails: list[int] = []
        branch_start = expression_start = True
        while (self.pos < len(self.src) and not self._at_alternation()
               and not self._at_close(depth)):
            text, kind, atom_tails = self._atom(depth, branch_start, expression_start)
            branch_start = False
            expression_start = kind == "anchor"
            if kind == "anchor":
                tails += atom_tails
            else:
                text = self._quantifiers(text, kind == "simple")
                for number in tails:  # text follows these "$" anchors
                    self._dollar_at_end[number] = False
                tails = atom_tails
                self._at_start = False
            out.append(text)
        return "".join(out), tails

    def _atom(self, depth: int, branch_start: bool,
              expression_start: bool) -> tuple[str, str, list[int]]:
        """One atom: Python text, "simple" | "compound" | "anchor", and the
        "$" anchors that end it."""
        src, ch = self.src, self.src[self.pos]
        if ch == "\\":
            return self._escape(depth, expression_start)
        self.pos += 1
        if ch == "[":
            return self._bracket(), "simple", []
        if ch == ".":
            return ".", "simple", []
        if self.extended:
            if ch == "(":
                return self._group(depth)
            if ch in "*+?{" and expression_start:
                raise RegexSyntaxError(_BADRPT)
            if ch == "^":
                return self._start_anchor(), "anchor", []
            if ch == "$":
                return self._end_anchor()
            return re.escape(ch), "simple", []
        if ch == "^" and branch_start:
            return self._start_anchor(), "anchor", []
        if ch == "$" and (self.pos == len(src) or self._peek("\\)") or self._peek("\\|")):
            return self._end_anchor()
        return re.escape(ch), "simple", []

    # Without REG_NEWLINE, "^" and "$" match only at the ends of the key,
    # except that the C library's matcher also accepts "^" just after,
    # and "$" just before, a newline that the match itself spans (so
    # ".^" matches "x\\ny").  At the start and the end of the pattern they
    # are plain \\A and \\Z.

    def _start_anchor(self) -> str:
        return "^" if self.newline or self._at_start else r"(?:^|(?<=\n))"

    def _end_anchor(self) -> tuple[str, str, list[int]]:
        if self.newline:
            return "$", "anchor", []
        number = len(self._dollar_at_end)
        self._dollar_at_end[number] = True
        return f"\0{number}\0", "anchor", [number]

    def _escape(self, depth: int, expression_start: bool) -> tuple[str, str, list[int]]:
        if self.pos + 1 >= len(self.src):
            raise RegexSyntaxError(_EESCAPE)
        ch = self.src[self.pos + 1]
        self.pos += 2
        if ch in "123456789":
            if int(ch) not in self.completed:
                raise RegexSyntaxError(_ESUBREG)
            return f"(?:\\{ch})", "compound", []
        if ch in _GNU_OPS:
            text = _GNU_OPS[ch]
            if ch == "W" and self.newline:
                text = r"[^\w\n]"
            return text, "simple", []
        if ch in _GNU_ANCHORS:
            return _GNU_ANCHORS[ch], "anchor", []
        if not self.extended:
            if ch == "(":
                return self._group(depth)
            if ch == "{" and expression_start:
                raise RegexSyntaxError(_BADRPT)
        if self.icase and "a" <= ch <= "z":
            return "(?!)", "compound", []  # GNU C library quirk, see DESCRIPTION
        return re.escape(ch), "simple", []

    def _group(self, depth: int) -> tuple[str, str, list[int]]:
        self.ngroups += 1
        number = self.ngroups
        inner, tails = self._regex(depth + 1)
        if not self._at_close(depth + 1):
            raise RegexSyntaxError(_EPAREN)
        self.pos += 1 if self.extended else 2
        if number <= 9:
            self.completed |= {number}
        return f"({inner})", "simple", tails

    def _quantifiers(self, text: str, simple: bool) -> str:
        count = 0
        while True:
            quantifier = self._quantifier()
            if quantifier is None:
                return text
            if count or not simple:
                text = f"(?:{text})"
            text += quantifier
            count += 1
            if not self.extended and (self._peek("*") or self._peek("\\{")):
                raise RegexSyntaxError(_BADRPT)

    def _quantifier(self) -> str | None:
        if self._peek("*"):
            self.pos += 1
            return "*"
        if self.extended:
            if self._peek("+") or self._peek("?"):
                self.pos += 1
                return self.src[self.pos - 1]
            if self._peek("{"):
                return self._interval(1, "}")
            return None
        if self._peek("\\+") or self._peek("\\?"):
            self.pos += 2
            return self.src[self.pos - 1]
        if self._peek("\\{"):
            return self._interval(2, "\\}")
        return None

    def _interval_number(self, closer: str) -> tuple[int, str]:
        """Read up to "," or the closing brace: (-1 none, -2 bad, or the
        number capped at RE_DUP_MAX + 1; the token that ended it)."""
        number = -1
        while True:
            src, pos = self.src, self.pos
            if pos >= len(src):
                return -2, "end"
            escaped = src[pos] == "\\" and pos + 1 < len(src)
            token = src[pos : pos + 1 + escaped]
            self.pos += len(token)
            if token == closer:
                return number, "close"
            if token[-1] == ",":
                return number, ","
            if escaped or not "0" <= token <= "9" or number == -2:
                number = -2
            else:
                number = min(_DUP_MAX + 1, max(number, 0) * 10 + int(token))

    def _interval(self, opener: int, closer: str) -> str:
        """An interval {m,n}, read as the C library's parse_dup_op() does."""
        self.pos += opener
        low, token = self._interval_number(closer)
        high = low
        if low == -1:
            if token != ",":
                raise RegexSyntaxError(_BADBR)
            low = 0
        if low != -2:
            high = -2
            if token == "close":
                high = low
            elif token == ",":
                high, token = self._interval_number(closer)
        if -2 in (low, high):
            raise RegexSyntaxError(_EBRACE if token == "end" else _BADBR)
        if (high != -1 and low > high) or token != "close":
            raise RegexSyntaxError(_BADBR)
        if (low if high == -1 else high) > _DUP_MAX:
            raise RegexSyntaxError(_ESIZE)
        return f"{{{low},}}" if high == -1 else f"{{{low},{high}}}"

    def _bracket(self) -> str:
        """A bracket expression, checked in the order regcomp() checks it."""
        src, pos = self.src, self.pos
        negate = src.startswith("^", pos)
        pos += negate
        if pos >= len(src):
            raise RegexSyntaxError(_BADPAT)
        codes: set[int] = set()
        first = True
        while True:
            if pos >= len(src):
                raise RegexSyntaxError(_EBRACK)
            if src[pos] == "]" and not first:
                break
            kind, name, pos = self._bracket_element(pos, first)
            first = False
            if kind in ("char", "coll"):
                if pos >= len(src):
                    raise RegexSyntaxError(_EBRACK)
                if src[pos] == "-" and src[pos + 1 : pos + 2] != "]":
                    if pos + 1 >= len(src):
                        raise RegexSyntaxError(_EBRACK)
                    end_kind, end_name, pos = self._bracket_element(pos + 1, True)
                    if end_kind not in ("char", "coll"):
                        raise RegexSyntaxError(_ERANGE)
                    low, high = self._fold(self._symbol(name)), self._fold(self._symbol(end_name))
                    if low > high:
                        raise RegexSyntaxError(_ERANGE)
                    codes |= set(range(low, high + 1))
                    continue
            if kind == "class":
                if name not in _CLASSES:
                    raise RegexSyntaxError(_ECTYPE)
                codes |= {self._fold(code) for code in _CLASSES[name]}
            else:
                codes.add(self._fold(self._symbol(name)))
        self.pos = pos + 1
        if self.icase:  # the matcher compares upper-cased text
            codes -= _LOWER
        # With REG_NEWLINE, a non-matching list does not match a newline.
        return charset(codes, negate, "\\n" if negate and self.newline else "")

    @staticmethod
    def _symbol(name: str) -> int:
        """The character of [.c.] or [=c=]; the C locale has no others."""
        if len(name) != 1:
            raise RegexSyntaxError(_ECOLLATE)
        return ord(name)

    def _fold(self, code: int) -> int:
        """With REG_ICASE, the C library upper-cases bracket elements."""
        return code - 32 if self.icase and code in _LOWER else code

    def _bracket_element(self, pos: int, accept_hyphen: bool) -> tuple[str, str, int]:
        """One element: ("char" | "coll" | "equiv" | "class", its text, next position)."""
        src = self.src
        if src[pos] == "[" and src[pos + 1 : pos + 2] in (".", "=", ":"):
            delimiter = src[pos + 1]
            pos += 2
            name: list[str] = []
            while True:
                if len(name) >= _NAME_MAX or pos + 1 >= len(src):
                    raise RegexSyntaxError(_EBRACK)
                ch = src[pos]
                pos += 1
                if ch == delimiter and src[pos] == "]":
                    break
                name.append(ch)
            kind = {".": "coll", "=": "equiv", ":": "class"}[delimiter]
            return kind, "".join(name), pos + 1
        if src[pos] == "-" and not accept_hyphen and src[pos + 1 : pos + 2] != "]":
            raise RegexSyntaxError(_ERANGE)
        return "char", src[pos], pos + 1


def translate_posix(pattern: str, *, extended: bool = True, icase: bool = False,
                    newline: bool = False) -> tuple[str, int]:
    """Translate a POSIX pattern (byte text) to Python; return (text, nsub).

    Raises RegexSyntaxError with the C library's message.
    """
    reader = _Posix(pattern, extended, icase, newline)
    return reader.translate(), reader.ngroups


