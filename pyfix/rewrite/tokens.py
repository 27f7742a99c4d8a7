"""NAME
    pyfix.rewrite.tokens - one address as a list of RFC 822 tokens

SUMMARY
    Token, AddressTokens

DESCRIPTION
    trivial-rewrite works on the tokens of one address, never on its
    text, so that a quoted local part or a domain literal that holds
    "@", "%", "!" or "." is never mistaken for routing syntax.

    AddressTokens.scan() splits external (quoted) text into atoms,
    quoted strings, domain literals, comments and one-character
    operators, with the tokenizer of pyfix.smtp.tok822 (Postfix's
    tok822_scan rules).  The list operations are the ones that the
    rewriting and resolving rules need: find the first or last token of
    a type, keep the tokens before or after a position, append and
    prepend tokens.

    internalize() gives the internal (unquoted) text.  As in Postfix, a
    space separates two adjacent words (atom, quoted string, domain
    literal, comment) and follows a comma, except between tokens that
    were added to an empty list: those belong to the list itself and are
    joined without a space.  This only shows with malformed input such as
    "!a b"; it is kept so that the result is Postfix's in every case.
    externalize() gives the external form of the whole address: the
    internal text with its local part quoted (quote_822_address()).

    Parameters read: none.

DIAGNOSTICS
    None: every input scans; the callers judge the result.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyfix.address.quote import quote_822_address
from pyfix.smtp import tok822

ATOM = "atom"
QSTRING = "qstring"
DOMLIT = "domlit"
COMMENT = "comment"
WORDS = frozenset({ATOM, QSTRING, DOMLIT, COMMENT})


@dataclass
class Token:
    """An atom, quoted string, domain literal, comment or operator.

    type is ATOM, QSTRING, DOMLIT, COMMENT or the operator character; text
    is the value (without quotes or brackets) of the first four kinds.
    owned marks a token that was added to an empty list (see above).
    """

    type: str
    text: str = ""
    owned: bool = False

    def internal(self) -> str:
        if self.type == DOMLIT:
            return f"[{self.text}]"
        if self.type in WORDS:
            return self.text
        return self.type


def scan(text: str) -> list[Token]:
    """External text to a flat token list."""
    return [Token(tok.type, tok.text) for tok in tok822.scan(text)]


class AddressTokens:
    """The tokens of one address, with the operations rewriting needs."""

    def __init__(self, tokens: list[Token] | None = None) -> None:
        self.tokens: list[Token] = tokens if tokens is not None else []

    @classmethod
    def scan(cls, text: str) -> AddressTokens:
        return cls(scan(text))

    def __len__(self) -> int:
        return len(self.tokens)

    def __bool__(self) -> bool:
        return bool(self.tokens)

    def types(self) -> list[str]:
        return [tok.type for tok in self.tokens]

    # Searching ---------------------------------------------------------

    def find(self, type_: str, start: int = 0) -> int:
        """Index of the first token of type_ at or after start, or -1."""
        for index in range(start, len(self.tokens)):
            if self.tokens[index].type == type_:
                return index
        return -1

    def rfind(self, type_: str) -> int:
        """Index of the last token of type_, or -1."""
        for index in range(len(self.tokens) - 1, -1, -1):
            if self.tokens[index].type == type_:
                return index
        return -1

    def single(self, type_: str) -> Token | None:
        """The only token, when there is exactly one and of type_."""
        if len(self.tokens) == 1 and self.tokens[0].type == type_:
            return self.tokens[0]
        return None

    # Editing -----------------------------------------------------------

    def keep_before(self, index: int) -> list[Token]:
        """Drop tokens[index:] and return them."""
        cut = self.tokens[index:]
        del self.tokens[index:]
        return cut

    def keep_after(self, index: int) -> list[Token]:
        """Drop tokens[:index + 1] and return them."""
        cut = self.tokens[: index + 1]
        del self.tokens[: index + 1]
        return cut

    def append(self, tokens: list[Token]) -> None:
        owned = self.tokens[-1].owned if self.tokens else True
        for tok in tokens:
            tok.owned = owned
        self.tokens.extend(tokens)

    def prepend(self, tokens: list[Token]) -> None:
        owned = self.tokens[0].owned if self.tokens else True
        for tok in tokens:
            tok.owned = owned
        self.tokens[:0] = tokens

    def replace(self, tokens: list[Token]) -> None:
        """Start over with freshly scanned tokens."""
        self.tokens = tokens

    # Conversion --------------------------------------------------------

    def internalize(self, start: int = 0) -> str:
        """The internal (unquoted) text of tokens[start:]."""
        out: list[str] = []
        tokens = self.tokens
        last = len(tokens) - 1
        for index in range(start, len(tokens)):
            tok = tokens[index]
            out.append(tok.internal())
            if tok.owned or index == last:
                continue
            following = tokens[index + 1]
            if tok.type == "," or following.type == "<" or (
                tok.type in WORDS and following.type in WORDS
            ):
                out.append(" ")
        return "".join(out)

    def externalize(self) -> str:
        """The external (quoted) form of the whole address."""
        return quote_822_address(self.internalize())
