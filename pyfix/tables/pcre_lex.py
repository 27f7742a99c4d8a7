"""NAME
    pyfix.tables.pcre_lex - escapes and character classes of PCRE2 patterns

SUMMARY
    read_escape(), read_class(), read_name(), read_verb(), Escape, unsupported()

DESCRIPTION
    The lexical half of the PCRE2-to-Python translation (pcre_syntax.py
    holds the structure): backslash escapes, bracketed character
    classes, group names and (*VERB)s, as the 8-bit, non-UTF PCRE2 10.42
    library reads them, with PCRE2's error messages and offsets.
    Character values are bytes (0-255); case and the classes \\d \\s \\w
    [:alpha:] ... are ASCII, as with PCRE2's built-in tables.

    read_escape() returns an Escape: a character, a set of characters,
    an anchor or other ready Python text, a back-reference, or \\Q/\\E.
    Octal and \\x{..}, \\o{..}, \\cX escapes become characters; \\h \\v
    \\R \\N \\C \\z \\Z \\G become their Python equivalents.  In a class
    a leading "]" is literal, \\b is a backspace and \\8 is "8";
    [:^name:] and [:word:] are understood.  read_class() returns the
    Python text of a whole [...] class.

    Parameters read: none.

DIAGNOSTICS
    RegexSyntaxError; unsupported() for \\p, \\P, \\X, \\K, \\g<..>
    subroutine calls, forward relative references and (*VERB)s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NoReturn

from pyfix.tables.regextable import RegexSyntaxError, charset

E_ESCAPE_END = "\\ at end of pattern"
E_NO_GROUP = "reference to non-existent subpattern"
_E_C_END = "\\c at end of pattern"
_E_C_PRINTABLE = "\\c must be followed by a printable ASCII character"
_E_UNKNOWN_ESCAPE = "unrecognized character follows \\"
_E_CLASS_END = "missing terminating ] for character class"
_E_CLASS_ESCAPE = "escape sequence is invalid in character class"
_E_RANGE_ORDER = "range out of order in character class"
_E_INVALID_RANGE = "invalid range in character class"
_E_POSIX_NAME = "unknown POSIX class name"
_E_POSIX_OUTSIDE = "POSIX named classes are supported only within a class"
_E_COLLATING = "POSIX collating elements are not supported"
_E_CODE_POINT = "character code point value in \\x{} or \\o{} is too large"
_E_CASE_ESCAPE = "PCRE2 does not support \\F, \\L, \\l, \\N{name}, \\U, or \\u"
_E_OCTAL = "octal value is greater than \\377 in 8-bit non-UTF-8 mode"
_E_O_BRACE = "missing opening brace after \\o"
_E_NON_OCTAL = "non-octal character in \\o{} (closing brace missing?)"
_E_NON_HEX = "non-hex character in \\x{} (closing brace missing?)"
_E_DIGITS = "digits missing in \\x{} or \\o{} or \\N{U+}"
_E_N_CLASS = "\\N is not supported in a class"
_E_ZERO = "a relative value of zero is not allowed"
_E_G_SYNTAX = ("\\g is not followed by a braced, angle-bracketed, or quoted name/number"
               " or by a plain number")
_E_VERB = "(*VERB) not recognized or malformed"
_E_ALPHA = "(*alpha_assertion) not recognized"
_VERBS = frozenset((
    "ACCEPT", "COMMIT", "F", "FAIL", "MARK", "PRUNE", "SKIP", "THEN",
    "UTF", "UCP", "CR", "LF", "CRLF", "ANY", "ANYCRLF", "NUL", "BSR_ANYCRLF", "BSR_UNICODE",
    "NO_AUTO_POSSESS", "NO_DOTSTAR_ANCHOR", "NO_JIT", "NO_START_OPT", "NOTEMPTY",
    "NOTEMPTY_ATSTART", "LIMIT_HEAP", "LIMIT_MATCH", "LIMIT_DEPTH", "LIMIT_RECURSION",
    "pla", "plb", "nla", "nlb", "napla", "naplb", "sr", "asr", "atomic",
    "positive_lookahead", "positive_lookbehind", "negative_lookahead", "negative_lookbehind",
    "non_atomic_positive_lookahead", "non_atomic_positive_lookbehind",
    "script_run", "atomic_script_run",
))
_E_K_SYNTAX = "\\k is not followed by a braced, angle-bracketed, or quoted name"
_E_NAME_EXPECTED = "subpattern name expected"
_E_NAME_SYNTAX = "syntax error in subpattern name (missing terminator?)"
_E_NAME_DIGIT = "subpattern name must start with a non-digit"
_E_NAME_LONG = "subpattern name is too long (maximum 32 code units)"

_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_ALL = frozenset(range(256))
_UPPER = frozenset(range(65, 91))
_LOWER = frozenset(range(97, 123))
_DIGIT = frozenset(range(48, 58))
_WORD = _UPPER | _LOWER | _DIGIT | {95}
_PRINT = frozenset(range(32, 127))
_SPACE = frozenset(b"\t\n\v\f\r ")
_CLASS_ESCAPES = {
    "d": _DIGIT, "s": _SPACE, "w": _WORD,
    "h": frozenset(b"\t \xa0"), "v": frozenset(b"\n\v\f\r\x85"),
}
_POSIX = {
    "alpha": _UPPER | _LOWER, "lower": _LOWER, "upper": _UPPER, "digit": _DIGIT,
    "alnum": _UPPER | _LOWER | _DIGIT, "word": _WORD, "ascii": frozenset(range(128)),
    "blank": frozenset(b" \t"), "space": _SPACE, "cntrl": frozenset(range(32)) | {127},
    "graph": _PRINT - {32}, "print": _PRINT, "punct": _PRINT - _WORD - {32} | {95},
    "xdigit": _DIGIT | frozenset(b"ABCDEFabcdef"),
}
_SIMPLE = {"a": 7, "e": 27, "f": 12, "n": 10, "r": 13, "t": 9}
ANCHORS = {"b": r"\b", "B": r"(?:\B|\A\Z)", "A": r"\A", "z": r"\Z",
           "Z": r"(?=\n?\Z)", "G": r"\A"}
_UNSUPPORTED = {"K": "\\K", "p": "\\p (Unicode property)", "P": "\\P (Unicode property)",
                "X": "\\X (extended grapheme cluster)"}
_NAME = re.compile(r"[A-Za-z0-9_]*")
_NUMBER = re.compile(r"[+-]?[0-9]+")
_QUANTIFIER = re.compile(r"\{[0-9]+(,[0-9]*)?\}")
_NAME_MAX = 32


def unsupported(feature: str, offset: int) -> RegexSyntaxError:
    return RegexSyntaxError(f"{feature} is not supported by pyfix", offset, unsupported=True)


@dataclass(frozen=True, slots=True)
class Escape:
    kind: str  # "char", "set", "text" (ready Python), "ref", "Q", "E"
    code: int = 0
    codes: frozenset[int] = frozenset()
    text: str = ""
    anchor: bool = False  # "text" that may not be repeated
    ref: int | str = 0  # group number or name
    offset: int = 0  # where PCRE2 reports a reference to a missing group


def _braced(src: str, pos: int, base: int, error: str) -> tuple[int, int]:
    """A {number} in the given base at pos ("{"): (value, end)."""
    digits = "01234567" if base == 8 else "0123456789abcdefABCDEF"
    end = pos + 1
    while end < len(src) and src[end] in digits:
        end += 1
    if end >= len(src):
        raise RegexSyntaxError(error, end - 1) if end > pos + 1 else RegexSyntaxError(
            _E_DIGITS, end)
    if src[end] != "}":
        raise RegexSyntaxError(error, end)
    if end == pos + 1:
        raise RegexSyntaxError(_E_DIGITS, end)
    value = int(src[pos + 1 : end], base)
    if value > 255:
        raise RegexSyntaxError(_E_CODE_POINT, end)
    return value, end + 1


def _octal(src: str, pos: int, limit: int) -> tuple[Escape, int]:
    end = pos
    while end < len(src) and end - pos < limit and src[end] in "01234567":
        end += 1
    value = int(src[pos:end], 8)
    if value > 255:
        raise RegexSyntaxError(_E_OCTAL, end)
    return Escape("char", value), end


def read_verb(src: str, start: int) -> NoReturn:
    """(*VERB) or (*alpha_assertion:...) at start: not supported, or an error."""
    pos = start + 2
    if pos >= len(src) or src[pos] == ")":
        raise RegexSyntaxError("quantifier does not follow a repeatable item", pos - 1)
    name = _NAME.match(src, pos)
    assert name is not None
    if name.group() in _VERBS or (not name.group() and src.startswith(":", pos)):
        raise unsupported("(*VERB) and (*alpha_assertion:...)", start)
    raise RegexSyntaxError(_E_ALPHA if name.group()[:1].islower() else _E_VERB, name.end())


def read_name(src: str, pos: int, terminator: str) -> tuple[str, int]:
    """A group name at pos and its terminator: (name, position after)."""
    name = _NAME.match(src, pos)
    assert name is not None
    if name.group()[:1].isdigit():
        raise RegexSyntaxError(_E_NAME_DIGIT, pos)
    if not name.group():
        raise RegexSyntaxError(_E_NAME_EXPECTED, pos)
    if len(name.group()) > _NAME_MAX:
        raise RegexSyntaxError(_E_NAME_LONG, pos + _NAME_MAX)
    if not src.startswith(terminator, name.end()):
        raise RegexSyntaxError(_E_NAME_SYNTAX, name.end())
    return name.group(), name.end() + 1


def _reference(src: str, pos: int, ngroups: int) -> tuple[Escape, int]:
    """\\g and \\k references; pos is at the letter."""
    start = pos + 1
    opener = src[start : start + 1]
    if src[pos] == "k":
        closers = {"<": ">", "'": "'", "{": "}"}
        if opener not in closers:
            raise RegexSyntaxError(_E_K_SYNTAX, start)
        name, after = read_name(src, start + 1, closers[opener])
        return Escape("ref", ref=name, offset=start + 1), after
    if opener in ("<", "'"):
        raise unsupported("a subroutine call (\\g<...>)", pos - 1)
    number = _NUMBER.match(src, start + (opener == "{"))
    if opener == "{":
        if number is None:
            name, after = read_name(src, start + 1, "}")
            return Escape("ref", ref=name, offset=start + 1), after
        if not src.startswith("}", number.end()):
            raise RegexSyntaxError(_E_G_SYNTAX, start)
        offset, after = number.end(), number.end() + 1
    elif number is None:
        raise RegexSyntaxError(_E_G_SYNTAX, start)
    else:
        offset, after = number.end() - 1, number.end()
    value = int(number.group())
    if number.group()[0] == "+":
        raise unsupported("a forward relative reference", pos - 1)
    if number.group()[0] == "-":
        if value == 0:
            raise RegexSyntaxError(_E_ZERO, start)
        value += ngroups + 1
        if value <= 0:
            raise RegexSyntaxError(E_NO_GROUP, start)
    return Escape("ref", ref=value, offset=offset), after


def read_escape(src: str, pos: int, ngroups: int, in_class: bool = False) -> tuple[Escape, int]:
    """The escape at pos (a backslash); ngroups: groups opened so far."""
    if pos + 1 >= len(src):
        raise RegexSyntaxError(E_ESCAPE_END, len(src))
    ch, after = src[pos + 1], pos + 2
    if ch in _SIMPLE:
        return Escape("char", _SIMPLE[ch]), after
    if ch.lower() in _CLASS_ESCAPES:
        codes = _CLASS_ESCAPES[ch.lower()]
        return Escape("set", codes=codes if ch.islower() else _ALL - codes), after
    if ch in "QE":
        return Escape(ch), after
    if ch in "LluUF" or (ch == "N" and src[after : after + 1] == "{"
                         and not _QUANTIFIER.match(src, after)):
        raise RegexSyntaxError(_E_CASE_ESCAPE, after)
    if ch in _UNSUPPORTED:
        raise unsupported(_UNSUPPORTED[ch], pos)
    if ch == "c":
        if after >= len(src):
            raise RegexSyntaxError(_E_C_END, after)
        if ord(src[after]) not in _PRINT:
            raise RegexSyntaxError(_E_C_PRINTABLE, after)
        return Escape("char", ord(src[after].upper()) ^ 0x40), after + 1
    if ch == "x":
        if src[after : after + 1] == "{":
            value, end = _braced(src, after, 16, _E_NON_HEX)
            return Escape("char", value), end
        digits = re.compile(r"[0-9a-fA-F]{0,2}").match(src, after)
        assert digits is not None
        return Escape("char", int(digits.group() or "0", 16)), digits.end()
    if ch == "o":
        if src[after : after + 1] != "{":
            raise RegexSyntaxError(_E_O_BRACE, pos + 1)
        value, end = _braced(src, after, 8, _E_NON_OCTAL)
        return Escape("char", value), end
    if ch == "0":
        return _octal(src, pos + 1, 3)
    if ch in "123456789":
        if in_class:
            return (Escape("char", ord(ch)), after) if ch in "89" else _octal(src, pos + 1, 3)
        digits = re.compile(r"[0-9]+").match(src, pos + 1)
        assert digits is not None
        number = int(digits.group())
        if number < 10 or ch in "89" or number <= ngroups:
            return Escape("ref", ref=number, offset=digits.end() - 1), digits.end()
        return _octal(src, pos + 1, 3)
    if in_class:
        if ch == "b":
            return Escape("char", 8), after
        if ch == "N":
            raise RegexSyntaxError(_E_N_CLASS, after)
        if ch == "g":
            return Escape("char", ord("g")), after
        if ch in "BCRXKGAzZk":
            raise RegexSyntaxError(_E_CLASS_ESCAPE, pos + 1)
    elif ch in ANCHORS:
        return Escape("text", text=ANCHORS[ch], anchor=True), after
    elif ch == "N":
        return Escape("set", codes=_ALL - {10}), after
    elif ch == "C":
        return Escape("set", codes=_ALL), after
    elif ch == "R":
        return Escape("text", text="(?>\\r\\n|[\\n\\x0b\\x0c\\r\\x85])"), after
    elif ch in "gk":
        return _reference(src, pos + 1, ngroups)
    if ch in _ALNUM:
        raise RegexSyntaxError(_E_UNKNOWN_ESCAPE, pos + 1)
    return Escape("char", ord(ch)), after


def posix_end(src: str, pos: int) -> int | None:
    """Where "[:name:]" (or [.x.] or [=x=]) starting at pos ends, if it does."""
    terminator = src[pos + 1]
    index = pos + 2
    while index < len(src):
        if src[index] == "\\" and src[index + 1 : index + 2] in ("]", "\\"):
            index += 1
        elif (src[index] == "[" and src[index + 1 : index + 2] == terminator) or src[index] == "]":
            return None
        elif src[index] == terminator and src[index + 1 : index + 2] == "]":
            return index + 2
        index += 1
    return None


def _posix_class(src: str, pos: int, end: int) -> frozenset[int]:
    if src[pos + 1] != ":":
        raise RegexSyntaxError(_E_COLLATING, pos)
    name = src[pos + 2 : end - 2]
    negate = name.startswith("^")
    codes = _POSIX.get(name[negate:])
    if codes is None:
        raise RegexSyntaxError(_E_POSIX_NAME, pos + 2)
    return _ALL - codes if negate else codes


def read_class(src: str, pos: int, extended_more: bool) -> tuple[str, bool, int]:
    """The class at pos ("["): (Python text, holds letters, end)."""
    if src[pos + 1 : pos + 2] in (":", ".", "=") and posix_end(src, pos):
        raise RegexSyntaxError(_E_POSIX_OUTSIDE if src[pos + 1] == ":" else _E_COLLATING, pos)
    index = pos + 1
    negate = src.startswith("^", index)
    index += negate
    codes: set[int] = set()
    first, quoting = True, False
    while True:
        if index >= len(src):
            raise RegexSyntaxError(_E_CLASS_END, len(src))
        if src.startswith("\\Q", index) or src.startswith("\\E", index):
            quoting = src[index + 1] == "Q"
            index += 2
            continue
        ch = src[index]
        if ch == "]" and not first and not quoting:
            break
        first = False
        if extended_more and ch in " \t" and not quoting:
            index += 1
            continue
        low, is_set, index = _class_element(src, index, quoting)
        if not quoting and src[index : index + 1] == "-" and src[index + 1 : index + 2] not in (
                "]", ""):
            if is_set:
                raise RegexSyntaxError(_E_INVALID_RANGE, index)
            high, end_is_set, end = _class_element(src, index + 1, quoting)
            if end_is_set:
                raise RegexSyntaxError(_E_INVALID_RANGE, end)
            if min(low) > min(high):
                raise RegexSyntaxError(_E_RANGE_ORDER, end - 1)
            low, index = frozenset(range(min(low), min(high) + 1)), end
        codes |= low
    letters = bool(codes & (_UPPER | _LOWER)) or negate
    return charset(codes, negate), letters, index + 1


def _class_element(src: str, index: int, quoting: bool) -> tuple[frozenset[int], bool, int]:
    """One member: (values, is a set rather than one character, end)."""
    ch = src[index]
    if quoting:
        return frozenset({ord(ch)}), False, index + 1
    if ch == "[" and src[index + 1 : index + 2] in (":", ".", "="):
        end = posix_end(src, index)
        if end is not None:
            return _posix_class(src, index, end), True, end
    if ch == "\\":
        escape, end = read_escape(src, index, 0, in_class=True)
        if escape.kind == "set":
            return escape.codes, True, end
        if escape.kind == "char":
            return frozenset({escape.code}), False, end
    return frozenset({ord(ch)}), False, index + 1
