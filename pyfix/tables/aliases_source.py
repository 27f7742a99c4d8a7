"""NAME
    pyfix.tables.aliases_source - parse aliases(5) entries as postalias does

SUMMARY
    parse_alias_entry(), scan_tokens(), NEED_PAIR, NOT_LOCAL

DESCRIPTION
    An aliases(5) entry is "name: value, value, ...".  postalias(1)
    does not split the text with string operations: it tokenizes the
    logical line with Postfix's RFC 822 scanner (tok822_scan) and works
    on the tokens, so that a quoted name or value may contain ":", ","
    or "@":

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

from dataclasses import dataclass

ATOM = "atom"
QSTRING = "qstring"
COMMENT = "comment"
DOMLIT = "domlit"
NON_OPERATORS = frozenset({ATOM, QSTRING, COMMENT, DOMLIT})

SPECIALS = '()<>@,;:\\".[]'
OPCHARS = "|%!" + SPECIALS
SPACE_TAB_CR_LF = " \t\r\n"

NEED_PAIR = "need name:value pair"
NOT_LOCAL = "name must be local"


@dataclass(slots=True)
class Token:
    kind: str  # ATOM, QSTRING, COMMENT, DOMLIT, or an operator character
    text: str = ""


def _collect(text: str, pos: int, stop: str, atom: bool) -> tuple[str, int]:
    """Postfix's COLLECT: characters up to a stop character; a backslash
    takes the next character as it is; white space becomes a space."""
    out = []
    size = len(text)
    while pos < size:
        ch = text[pos]
        if ch == "\\":
            pos += 1
            if pos >= size:
                break
            ch = text[pos]
        elif (atom and (ch in SPACE_TAB_CR_LF or ch in OPCHARS)) or (not atom and ch in stop):
            break
        out.append(" " if ch in SPACE_TAB_CR_LF else ch)
        pos += 1
    return "".join(out), pos


def _comment(text: str, pos: int) -> tuple[str, int]:
    out = ["("]
    level = 1
    size = len(text)
    while pos < size:
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
            if pos >= size:
                break
            out.append(text[pos])
            pos += 1
    return "".join(out), pos


def _needs_quotes(atom: str) -> bool:
    return any(ch == " " or (ch.isascii() and (ord(ch) < 32 or ord(ch) == 127))
               or ch in OPCHARS for ch in atom)


def scan_tokens(text: str) -> list[Token]:
    """tok822_scan(): the flat token list of a string."""
    tokens: list[Token] = []
    pos = 0
    size = len(text)
    while pos < size:
        ch = text[pos]
        pos += 1
        if ch in SPACE_TAB_CR_LF:
            continue
        if ch == "(":
            body, pos = _comment(text, pos)
            tokens.append(Token(COMMENT, body))
        elif ch in '["':
            body, pos = _collect(text, pos, "]" if ch == "[" else '"', atom=False)
            if pos < size:
                pos += 1
            tokens.append(Token(DOMLIT if ch == "[" else QSTRING, body))
        elif ch != "\\" and ch in OPCHARS:
            tokens.append(Token(ch))
        else:
            body, pos = _collect(text, pos - 1, "", atom=True)
            tokens.append(Token(QSTRING if _needs_quotes(body) else ATOM, body))
    return tokens


def _space_after(tokens: list[Token], index: int) -> bool:
    if index + 1 >= len(tokens):
        return False
    this, following = tokens[index], tokens[index + 1]
    if this.kind == "," or following.kind == "<":
        return True
    return this.kind in NON_OPERATORS and following.kind in NON_OPERATORS


def internalize(tokens: list[Token]) -> str:
    """tok822_internalize(): quotes removed."""
    out = []
    for index, token in enumerate(tokens):
        if token.kind in (ATOM, QSTRING, COMMENT):
            out.append(token.text)
        elif token.kind == DOMLIT:
            out.append(f"[{token.text}]")
        else:
            out.append(token.kind)
        if _space_after(tokens, index):
            out.append(" ")
    return "".join(out)


def _quote(text: str, specials: str) -> str:
    return "".join("\\" + ch if ch in specials else ch for ch in text)


def externalize(tokens: list[Token]) -> str:
    """tok822_externalize(): quoted where needed."""
    out = []
    for index, token in enumerate(tokens):
        if token.kind == ",":
            out.append(", ")
            continue
        if token.kind in (ATOM, COMMENT):
            out.append(token.text)
        elif token.kind == QSTRING:
            out.append('"' + _quote(token.text, '"\\\r\n') + '"')
        elif token.kind == DOMLIT:
            out.append("[" + _quote(token.text, "\\\r\n") + "]")
        else:
            out.append(token.kind)
        if _space_after(tokens, index):
            out.append(" ")
    return "".join(out)


def parse_alias_entry(text: str) -> tuple[str, str] | str | None:
    """(name, value), NEED_PAIR, NOT_LOCAL, or None for no tokens."""
    tokens = scan_tokens(text)
    if not tokens:
        return None
    colon = next((i for i, token in enumerate(tokens) if token.kind == ":"), None)
    if colon is None or colon == 0 or colon == len(tokens) - 1:
        return NEED_PAIR
    before = tokens[:colon]
    if any(token.kind == "," for token in before):
        return NEED_PAIR
    if any(token.kind in ("@", "%") for token in before):
        return NOT_LOCAL
    return internalize(before), externalize(tokens[colon + 1:])
