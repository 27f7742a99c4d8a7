"""NAME
    pyfix.smtp.tok822 - RFC 822 address tokens, as Postfix groups them

SUMMARY
    parse_addresses(), Tok, internalize()

DESCRIPTION
    parse_addresses() turns RFC 822 address text into Postfix's top-level
    token list, in which each address is one Tok("addr") node whose
    children are the address tokens.  The SMTP server uses it to find out
    how many addresses a MAIL FROM or RCPT TO argument holds and what the
    address is.

    Tokens: atoms; quoted strings and domain literals (backslash escapes
    and line breaks resolved, the value without quotes or brackets);
    comments (kept whole, parentheses included, nesting allowed); and the
    one-character operators | % ! ( ) < > @ , ; : \\ " . [ ].  An atom
    holding a character that would need quoting becomes a quoted string.

    Grouping works from right to left:
    - comments never belong to an address and stay beside it;
    - "< ... >" encloses one address; text before "<" (a phrase) stays
      outside any address, as does anything after ">" that is not an
      address itself;
    - "phrase: a, b;" is a group: the addresses inside are grouped, the
      phrase is not;
    - "," separates addresses, and two words that follow each other
      without an operator between them start a new address.

    internalize() gives the internal (unquoted) text of an address.

    Parameters read: none.

DIAGNOSTICS
    None: every input parses; callers judge the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SPACE_TAB_CR_LF = frozenset(" \t\r\n")
OPERATORS = frozenset('|%!()<>@,;:\\".[]')
WORD_TYPES = frozenset({"atom", "qstring", "domlit"})
NEEDS_QUOTES = OPERATORS | {" "}
# A run of atom characters, and a character that makes a word need quotes.
_ATOM_RUN = re.compile(r'[^ \t\r\n|%!()<>@,;:\\".\[\]]+')
_NEEDS_QUOTES = re.compile(r'[ |%!()<>@,;:\\".\[\]\x00-\x1f\x7f]')


@dataclass
class Tok:
    """One token; type is "atom", "qstring", "domlit", "comment",
    "startgrp", "addr" or the operator character itself."""

    type: str
    text: str = ""
    children: list[Tok] = field(default_factory=list)


def _collect(text: str, pos: int, stop: str | None) -> tuple[str, int]:
    """Copy up to a stop character (None: up to space or operator)."""
    out: list[str] = []
    end = len(text)
    while pos < end:
        ch = text[pos]
        if ch == "\\":
            pos += 1
            if pos >= end:
                break
            ch = text[pos]
        elif (ch == stop) if stop is not None else (ch in SPACE_TAB_CR_LF or ch in OPERATORS):
            break
        out.append(" " if ch in SPACE_TAB_CR_LF else ch)
        pos += 1
    return "".join(out), pos


def _comment(text: str, pos: int) -> tuple[str, int]:
    out = ["("]
    level = 1
    end = len(text)
    while pos < end:
        ch = text[pos]
        out.append(ch)
        pos += 1
        if ch == "(":
            level += 1
        elif ch == ")":
            level -= 1
            if level == 0:
                break
        elif ch == "\\":
            if pos >= end:
                break
            out.append(text[pos])
            pos += 1
    return "".join(out), pos


def scan(text: str) -> list[Tok]:
    """Split RFC 822 text into a flat token list."""
    tokens: list[Tok] = []
    pos = 0
    end = len(text)
    while pos < end:
        ch = text[pos]
        pos += 1
        if ch in SPACE_TAB_CR_LF:
            continue
        if ch == "(":
            value, pos = _comment(text, pos)
            tokens.append(Tok("comment", value))
        elif ch in "[\"":
            value, pos = _collect(text, pos, "]" if ch == "[" else '"')
            if pos < end:
                pos += 1  # the closing bracket or quote
            tokens.append(Tok("domlit" if ch == "[" else "qstring", value))
        elif ch != "\\" and ch in OPERATORS:
            tokens.append(Tok(ch))
        else:
            run = _ATOM_RUN.match(text, pos - 1)
            if run is not None and (run.end() >= end or text[run.end()] != "\\"):
                value, pos = run.group(), run.end()  # the common case, no escapes
            else:
                value, pos = _collect(text, pos - 1, None)
            needs_quotes = _NEEDS_QUOTES.search(value) is not None
            tokens.append(Tok("qstring" if needs_quotes else "atom", value))
    return tokens


class _Grouper:
    """Right-to-left grouping state: run (current address) and done."""

    def __init__(self) -> None:
        self.run: list[Tok] = []
        self.done: list[Tok] = []
        self.word_ok = True

    def flush(self, comma: bool) -> None:
        if self.run:
            head = [Tok(","), Tok("addr", children=self.run)] if comma else [
                Tok("addr", children=self.run)
            ]
            self.done[:0] = head
            self.run = []

    def keep(self, *tokens: Tok) -> None:
        self.done[:0] = list(tokens)


def _route(g: _Grouper, tokens: list[Tok], index: int) -> int:
    """Group "<...>" ending at tokens[index]; return the next index to visit."""
    g.flush(comma=True)
    g.keep(tokens[index])
    opener = index - 1
    while opener >= 0 and tokens[opener].type != "<":
        opener -= 1
    inside = tokens[opener + 1 : index]
    words = [t for t in inside if t.type != "comment"]
    g.keep(*[t for t in inside if t.type == "comment"])
    if words:
        g.keep(Tok("addr", children=words))
    g.word_ok = True
    index = opener
    while index >= 0 and tokens[index].type not in (">", ";", ",", ":"):
        g.keep(tokens[index])
        index -= 1
    return index


def parse_addresses(text: str) -> list[Tok]:
    tokens = scan(text)
    g = _Grouper()
    group = False
    index = len(tokens) - 1
    while index >= 0:
        tok = tokens[index]
        kind = tok.type
        if kind == "comment":
            g.keep(tok)
        elif kind == ";":
            g.flush(comma=True)
            g.keep(tok)
            group = True
            g.word_ok = True
        elif kind == ":" and group:
            g.flush(comma=False)
            g.keep(Tok("startgrp"))
            index -= 1
            while index >= 0 and tokens[index].type != ",":
                g.keep(tokens[index])
                index -= 1
            continue
        elif kind == ">":
            index = _route(g, tokens, index)
            continue
        elif kind in WORD_TYPES:
            if not g.word_ok:
                g.flush(comma=True)
            g.word_ok = False
            g.run.insert(0, tok)
        elif kind == ",":
            g.flush(comma=False)
            g.keep(tok)
            g.word_ok = True
        else:
            g.word_ok = True
            g.run.insert(0, tok)
        index -= 1
    g.flush(comma=False)
    return g.done


def internalize(tokens: list[Tok]) -> str:
    """The internal (unquoted) form of an address's tokens."""
    out: list[str] = []
    for tok in tokens:
        if tok.type in ("atom", "qstring", "comment"):
            out.append(tok.text)
        elif tok.type == "domlit":
            out.append(f"[{tok.text}]")
        elif tok.type == "startgrp":
            out.append(":")
        elif tok.type == "addr":
            out.append(internalize(tok.children))
        else:
            out.append(tok.type)
    return "".join(out)
