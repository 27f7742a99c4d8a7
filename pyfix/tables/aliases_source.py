"""NAME
    pyfix.tables.aliases_source - parse aliases(5) entries as postalias does

SUMMARY
    parse_alias_entry(), NEED_PAIR, NOT_LOCAL

DESCRIPTION
    An aliases(5) entry is "name: value, value, ...".  postalias(1)
    does not split the text with string operations: it tokenizes the
    logical line with Postfix's RFC 822 scanner (tok822_scan) and works
    on the tokens (pyfix.smtp.tok822.scan(), the one RFC 822 scanner),
    so that a quoted name or value may contain ":", "," or "@":

    - tokens are atoms, "quoted strings", (comments), [domain
      literals] and the single-character operators | % ! ( ) < > @ , ;
      : \\ " . [ ]; white space separates them; a backslash quotes the
      next character;
    - the first ":" token separates the name from the value; a line
      without it, with nothing before or after it, or with a ","
      before it is not a "name:value pair";
    - an "@" or "%" before it means a name that is not local;
    - the name is stored in internal (unquoted) form: "a b": x has the
      name a b;
    - the value is stored in external form, rebuilt from its tokens:
      ", " after each comma, one space between two words, none around
      other operators, quoted strings quoted again.  "|command",
      /file and :include:/file values come out as they went in.

    Parameters read: none.

DIAGNOSTICS
    parse_alias_entry() returns NEED_PAIR or NOT_LOCAL for the two
    kinds of bad entry, and None for a line without tokens.
"""

from __future__ import annotations

from pyfix.smtp.tok822 import Tok, scan

ATOM = "atom"
QSTRING = "qstring"
COMMENT = "comment"
DOMLIT = "domlit"
NON_OPERATORS = frozenset({ATOM, QSTRING, COMMENT, DOMLIT})

NEED_PAIR = "need name:value pair"
NOT_LOCAL = "name must be local"


def _space_after(tokens: list[Tok], index: int) -> bool:
    if index + 1 >= len(tokens):
        return False
    this, following = tokens[index], tokens[index + 1]
    if this.type == "," or following.type == "<":
        return True
    return this.type in NON_OPERATORS and following.type in NON_OPERATORS


def internalize(tokens: list[Tok]) -> str:
    """tok822_internalize(): quotes removed."""
    out = []
    for index, token in enumerate(tokens):
        if token.type in (ATOM, QSTRING, COMMENT):
            out.append(token.text)
        elif token.type == DOMLIT:
            out.append(f"[{token.text}]")
        else:
            out.append(token.type)
        if _space_after(tokens, index):
            out.append(" ")
    return "".join(out)


def _quote(text: str, specials: str) -> str:
    return "".join("\\" + ch if ch in specials else ch for ch in text)


def externalize(tokens: list[Tok]) -> str:
    """tok822_externalize(): quoted where needed."""
    out = []
    for index, token in enumerate(tokens):
        if token.type == ",":
            out.append(", ")
            continue
        if token.type in (ATOM, COMMENT):
            out.append(token.text)
        elif token.type == QSTRING:
            out.append('"' + _quote(token.text, '"\\\r\n') + '"')
        elif token.type == DOMLIT:
            out.append("[" + _quote(token.text, "\\\r\n") + "]")
        else:
            out.append(token.type)
        if _space_after(tokens, index):
            out.append(" ")
    return "".join(out)


def parse_alias_entry(text: str) -> tuple[str, str] | str | None:
    """(name, value), NEED_PAIR, NOT_LOCAL, or None for no tokens."""
    tokens = scan(text)
    if not tokens:
        return None
    colon = next((i for i, token in enumerate(tokens) if token.type == ":"), None)
    if colon is None or colon == 0 or colon == len(tokens) - 1:
        return NEED_PAIR
    before = tokens[:colon]
    if any(token.type == "," for token in before):
        return NEED_PAIR
    if any(token.type in ("@", "%") for token in before):
        return NOT_LOCAL
    return internalize(before), externalize(tokens[colon + 1:])
