"""NAME
    pyfix.config.lists - split Postfix list values

SUMMARY
    split_list(), split_quoted(), extract_braces()

DESCRIPTION
    Postfix list parameters (mydestination, mynetworks, *_maps,
    *_restrictions, ...) are split on commas and white space.  Text
    inside { and } is one element even when it holds separators, so
    that "inline:{ a=b, c=d }" and "{ name = value with spaces }" stay
    whole.  extract_braces() removes the outer braces of such an
    element, and reports unbalanced braces in Postfix's words.

    Parameters read: none.

DIAGNOSTICS
    extract_braces() returns an error text for the caller to report.
"""

from __future__ import annotations

LIST_SEPARATORS = ", \t\r\n"
BLANKS = " \t\r\n"
_SPACE = " \t\r\n\v\f"


def split_quoted(text: str, separators: str = LIST_SEPARATORS, parens: str = "{}") -> list[str]:
    """Split text on separators, keeping text inside parens together."""
    tokens: list[str] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in separators:
            i += 1
        if i >= n:
            return tokens
        start = i
        level = 0
        while i < n:
            ch = text[i]
            if ch == parens[0]:
                level += 1
            elif level > 0 and ch == parens[1]:
                level -= 1
            elif level == 0 and ch in separators:
                break
            i += 1
        tokens.append(text[start:i])
        i += 1


def split_list(text: str) -> list[str]:
    """Split a list value on commas and white space, honouring { }."""
    return split_quoted(text, LIST_SEPARATORS)


def _balanced_length(text: str, parens: str) -> int:
    """Length of the balanced {...} at the start of text, or 0."""
    level = 0
    for i, ch in enumerate(text):
        if ch == parens[0]:
            level += 1
        elif ch == parens[1]:
            level -= 1
            if level == 0:
                return i + 1
    return 0


def extract_braces(text: str, parens: str = "{}", strip: bool = True) -> tuple[str, str | None]:
    """Return (inner text, error or None) for a "{ ... }" element."""
    err: str | None = None
    if not text.startswith(parens[0]):
        err = f"no '{parens[0]}' at start of text in \"{text}\""
        inner = text
    else:
        length = _balanced_length(text, parens)
        if length == 0:
            err = f"missing '{parens[1]}' in \"{text}\""
            inner = text[1:]
        else:
            if length < len(text):
                err = f"syntax error after '{parens[1]}' in \"{text}\""
            inner = text[1 : length - 1]
    if strip:
        inner = inner.strip(_SPACE)
    return inner, err
