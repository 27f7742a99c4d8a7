"""NAME
    pyfix.smtp.tokens - split an SMTP command line into words

SUMMARY
    tokenize(), Token, ascii helpers

DESCRIPTION
    tokenize() splits a command line the way Postfix's SMTP server does:

    - words are separated by ASCII white space;
    - "<...>" and "\\"...\\"" are kept together, white space included,
      with nested "<>" and quotes inside "<>", and backslash escapes;
      a word whose "<" or quote is never closed is marked bad
      (Token.bad), which MAIL and RCPT report as an address syntax error;
    - a word that has become "FROM:" or "TO:" (any case) ends at the
      colon, so that "MAIL FROM:<a>" gives MAIL, FROM:, <a>;
    - a backslash outside quotes keeps the next character in the word.

    The result keeps quotes and brackets: the address parser needs the
    external form.  An empty list means a line with no words.

    The helpers is_ascii_space() etc. classify like the C library in the
    "C" locale; str methods such as isspace() know Unicode and must not
    be used on protocol text.

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from typing import NamedTuple

ASCII_SPACE = frozenset(" \t\n\v\f\r")
ASCII_DIGITS = frozenset("0123456789")


class Token(NamedTuple):
    text: str
    bad: bool  # an opening "<" or '"' without its end


def is_ascii_digits(text: str) -> bool:
    """Postfix's alldig(): non-empty, only 0-9."""
    return bool(text) and all(ch in ASCII_DIGITS for ch in text)


def is_ascii_printable(text: str) -> bool:
    """Postfix's allprint(): non-empty, only printable ASCII."""
    return bool(text) and all(" " <= ch <= "~" for ch in text)


def ascii_lower(text: str) -> str:
    return text.translate(_LOWER)


_LOWER = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}


def _quoted(line: str, pos: int, out: list[str], last: str) -> tuple[int, bool]:
    """Copy a <...> or "..." group starting after its opener; return (pos, bad)."""
    wanted = [last]
    end = len(line)
    while pos < end:
        ch = line[pos]
        pos += 1
        out.append(ch)
        if ch == "\\":
            if pos >= end:
                break
            out.append(line[pos])
            pos += 1
        elif ch == wanted[-1]:
            if len(wanted) == 1:
                return pos, False
            wanted.pop()
        elif ch == '"':
            wanted.append('"')
        elif ch == "<" and wanted[-1] == ">":
            wanted.append(">")
    return pos, True


def tokenize(line: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    end = len(line)
    while True:
        word: list[str] = []
        bad = False
        while pos < end:
            ch = line[pos]
            pos += 1
            if ch in ASCII_SPACE:
                while pos < end and line[pos] in ASCII_SPACE:
                    pos += 1
                if word:
                    break
            elif ch == "<" or ch == '"':
                word.append(ch)
                pos, unclosed = _quoted(line, pos, word, ">" if ch == "<" else '"')
                bad = bad or unclosed
            elif ch == ":":
                word.append(ch)
                if ascii_lower("".join(word)) in ("to:", "from:"):
                    break
            else:
                if ch == "\\":
                    word.append(ch)
                    if pos >= end:
                        break
                    ch = line[pos]
                    pos += 1
                word.append(ch)
        if not word:
            return tokens
        tokens.append(Token("".join(word), bad))
