"""NAME
    pyfix.config.expand - $name expansion in Postfix parameter values

SUMMARY
    expand(), scan_names(), compat_level_from_string()

DESCRIPTION
    Implements the macro language of postconf(5):

    $name, ${name}, $(name)
        the value of the named parameter (empty when undefined), expanded
        again when recursion is on, also when the named parameter is
        "raw" (a raw parameter is left unexpanded only where it is read
        itself, as postconf -x shows);
    ${name?text}, ${name?{text}}, ${name:text}, ${name:{text}}
        text when the value is non-empty (?) or empty/undefined (:);
    ${name?{text1}:{text2}}, ${name?{text1}:text2}
        the ternary form;
    ${{text1} OP {text2} ? {text3} : {text4}}
        relational expressions with ==, !=, <, <=, >=, > (numeric when
        both operands are all digits, otherwise lexical), and the same
        operators with the "level" suffix that compare compatibility
        levels such as "3.6" and "2" (used by compatibility_level).

    "$$" is a literal "$". Expansion nests at most 100 calls deep.

    Parameters read: whatever the lookup function is asked for.

DIAGNOSTICS
    Syntax errors and unreasonable nesting are reported through the
    warn callback in Postfix's words; the result status then has the
    ERROR bit, and callers decide whether that is fatal (postconf says
    "macro processing error").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

ERROR = 1
UNDEF = 2

LITERAL = 1
EXPR = 2

MODE_TEST = 1
MODE_USE = 2

_SPACE = " \t\r\n\v\f"
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_OPERATORS = ("==", "!=", "<", "<=", ">=", ">")
_OP_CHARS = "<>!=?+-*/~&|%"
_ALL_OPS = '"==" or "!="" or "<"" or "<="" or ">="" or ">"'
_LEVEL_RE = re.compile(r"(\d+)(?:\.(\d+)(?:\.(\d+))?)?\Z")

Lookup = Callable[[str, int], "str | None"]
Warn = Callable[[str], None]


def mac_parse(value: str, action: Callable[[int, str], int], warn: Warn) -> int:
    """Split value into literal text and macro references."""
    status = 0
    buf: list[str] = []
    i, n = 0, len(value)
    while i < n:
        ch = value[i]
        if ch != "$":
            buf.append(ch)
            i += 1
            continue
        if i + 1 < n and value[i + 1] == "$":
            buf.append("$")
            i += 2
            continue
        if buf:
            status |= action(LITERAL, "".join(buf))
            buf = []
        i += 1
        if i < n and value[i] in "({":
            open_ch = value[i]
            close_ch = ")" if open_ch == "(" else "}"
            level = 1
            j = i + 1
            while level > 0:
                if j >= n:
                    warn(f'truncated macro reference: "{value}"')
                    return status | ERROR
                if value[j] == open_ch:
                    level += 1
                elif value[j] == close_ch:
                    level -= 1
                j += 1
            name = value[i + 1 : j - 1]
            i = j
        else:
            j = i
            while j < n and value[j] in _NAME_CHARS:
                j += 1
            name = value[i:j]
            i = j
        if not name:
            warn(f'empty macro name: "{value}"')
            return status | ERROR
        status |= action(EXPR, name)
    if buf and not status & ERROR:
        status |= action(LITERAL, "".join(buf))
    return status


def compat_level_from_string(text: str, warn: Warn) -> int:
    """Convert "major[.minor[.patch]]" to a comparable number, or -1."""
    match = _LEVEL_RE.match(text)
    if match is None:
        warn(f'malformed compatibility level syntax: "{text}"')
        return -1
    major, minor, patch = (int(g) if g else 0 for g in match.groups())
    if minor > 1023 or patch > 1023:
        warn(f'malformed compatibility level syntax: "{text}"')
        return -1
    return (major << 20) | (minor << 10) | patch


def _compare(delta: int, op: str) -> bool:
    return {
        "==": delta == 0,
        "!=": delta != 0,
        "<": delta < 0,
        "<=": delta <= 0,
        ">=": delta >= 0,
        ">": delta > 0,
    }[op]


class _Syntax(Exception):
    pass


@dataclass
class _Expansion:
    lookup: Lookup
    warn: Warn
    recurse: bool
    scan: bool
    out: list[str] = field(default_factory=list)
    status: int = 0
    level: int = 0

    def fail(self, text: str) -> int:
        self.warn(text)
        self.status |= ERROR
        return self.status

    def parse(self, text: str) -> int:
        return mac_parse(text, self.callback, self.warn)

    def sub(self, text: str) -> str:
        saved = self.out
        self.out = []
        self.status |= self.parse(text)
        result = "".join(self.out)
        self.out = saved
        return result

    def curly(self, text: str, pos: int, strip: bool) -> tuple[str, int]:
        """Extract a {payload} starting at text[pos] == "{"; skip blanks after."""
        start = pos + 1
        level = 1
        j = start
        while True:
            if j >= len(text):
                self.fail(f'unbalanced {{}} in attribute expression: "{text[pos:]}"')
                raise _Syntax
            if text[j] == "{":
                level += 1
            elif text[j] == "}":
                level -= 1
                if level <= 0:
                    break
            j += 1
        payload = text[start:j]
        if strip:
            payload = payload.strip(_SPACE)
        j += 1
        while j < len(text) and text[j] in _SPACE:
            j += 1
        return payload, j

    def relational(self, text: str, pos: int) -> tuple[str | None, int]:
        left, pos = self.curly(text, pos, strip=False)
        op_end = pos
        while op_end < len(text) and text[op_end] in _OP_CHARS:
            op_end += 1
        op = text[pos:op_end]
        if op not in _OPERATORS:
            self.fail(f'{_ALL_OPS} expected at: "...{left}}}>>>{text[pos:pos + 20]}"')
            raise _Syntax
        suffix_end = op_end
        while suffix_end < len(text) and text[suffix_end].isalnum():
            suffix_end += 1
        suffix = text[op_end:suffix_end]
        if suffix and suffix != "level":
            self.fail(f'bad operator suffix at: "...{op}>>>{suffix}"')
            raise _Syntax
        pos = suffix_end
        while pos < len(text) and text[pos] in _SPACE:
            pos += 1
        if pos >= len(text) or text[pos] != "{":
            # The excerpt starts right after the operator, blanks included.
            self.fail(
                f'"{{expression}}" expected at: '
                f'"...{{{left}}} {op}>>>{text[suffix_end:suffix_end + 20]}"'
            )
            raise _Syntax
        right, pos = self.curly(text, pos, strip=False)
        left_val = self.sub(left)
        right_val = self.sub(right)
        if self.status & ERROR:
            raise _Syntax
        if self.scan:
            return None, pos
        if suffix == "level":
            lnum = compat_level_from_string(left_val, self.warn)
            rnum = compat_level_from_string(right_val, self.warn) if lnum >= 0 else -1
            if lnum < 0 or rnum < 0:
                self.status |= ERROR
                raise _Syntax
            delta = lnum - rnum
        elif left_val.isdigit() and right_val.isdigit():
            delta = int(left_val) - int(right_val)
        else:
            delta = (left_val > right_val) - (left_val < right_val)
        return ("true" if _compare(delta, op) else ""), pos

    def callback(self, kind: int, text: str) -> int:
        self.level += 1
        if self.level > 101:
            self.fail(f'unreasonable macro call nesting: "{text}"')
        if self.status & ERROR:
            return self.status
        if kind == LITERAL:
            if not self.scan:
                self.out.append(text)
            self.level -= 1
            return self.status
        try:
            self.expression(text)
        except _Syntax:
            return self.status
        self.level -= 1
        return self.status

    def expression(self, text: str) -> None:
        pos = 0
        while pos < len(text) and text[pos] in _SPACE:
            pos += 1
        if pos < len(text) and text[pos] == "{":
            value, pos = self.relational(text, pos)
            op = text[pos] if pos < len(text) else ""
            if op and op not in "?:":
                self.fail(f'"?" or ":" expected at: "...}}>>>{text[pos:pos + 20]}"')
                raise _Syntax
            pos += 1 if op else 0
        else:
            start = pos
            op = ""
            while True:
                ws = pos
                while ws < len(text) and text[ws] in _SPACE:
                    ws += 1
                if ws >= len(text):
                    name = text[start:pos]
                    mode = MODE_USE
                    break
                ch = text[ws]
                if ch in "?:":
                    name = text[start:pos]
                    op = ch
                    pos = ws + 1
                    mode = MODE_TEST
                    break
                if text[pos] not in _NAME_CHARS:
                    self.fail(
                        f'attribute name syntax error at: "...{text[:pos]}>>>{text[pos:pos + 20]}"'
                    )
                    raise _Syntax
                pos += 1
            value = self.lookup(name, mode)
        self.result(text, pos, op, value)

    def operand(self, text: str, pos: int) -> tuple[str, int]:
        ws = pos
        while ws < len(text) and text[ws] in _SPACE:
            ws += 1
        if ws < len(text) and text[ws] == "{":
            return self.curly(text, ws, strip=False)
        return text[pos:], len(text)

    def result(self, text: str, pos: int, op: str, value: str | None) -> None:
        if op == "?":
            if_true, pos = self.operand(text, pos)
            if (value or self.scan) and not self.status & ERROR:
                self.status |= self.parse(if_true)
            if pos >= len(text):
                return
            if text[pos] != ":":
                self.fail(f'":" expected at: "...{if_true}}}>>>{text[pos:pos + 20]}"')
                raise _Syntax
            op = ":"
            pos += 1
            if_false, pos = self.operand(text, pos)
            if not value or self.scan:
                self.status |= self.parse(if_false)
            if pos < len(text):
                self.fail(f'unexpected input at: "...{if_false}}}>>>{text[pos:pos + 20]}"')
                raise _Syntax
        elif op == ":":
            if_false, pos = self.operand(text, pos)
            if not value or self.scan:
                self.status |= self.parse(if_false)
            if pos < len(text):
                self.fail(f'unexpected input at: "...{if_false}}}>>>{text[pos:pos + 20]}"')
                raise _Syntax
        elif value is None:
            self.status |= UNDEF
        elif not value or self.scan:
            pass
        elif self.recurse:
            self.status |= self.parse(value)
        else:
            self.out.append(value)


def expand(
    value: str,
    lookup: Lookup,
    warn: Warn,
    *,
    recurse: bool = True,
) -> tuple[str, int]:
    """Expand macros in value; return (result, status bits)."""
    state = _Expansion(lookup, warn, recurse, False)
    status = mac_parse(value, state.callback, warn)
    return "".join(state.out), status | state.status


def scan_names(value: str, warn: Warn, visit: Callable[[str], None] | None = None) -> list[str]:
    """Return every parameter name reference in value, in all branches.

    A name appears once per reference, in the order in which the parser
    meets it; visit, when given, is called at that moment (so that its
    diagnostics interleave with syntax warnings as in Postfix).
    """
    names: list[str] = []

    def lookup(name: str, _mode: int) -> str | None:
        names.append(name)
        if visit is not None:
            visit(name)
        return None

    state = _Expansion(lookup, warn, False, True)
    mac_parse(value, state.callback, warn)
    return names
