"""NAME
    pyfix.cleanup.rewrite - address rewriting in the envelope and headers

SUMMARY
    RewriteHook, default_rewrite(), rewrite_internal(),
    rewrite_header_addresses(), externalize(), fold_header()

DESCRIPTION
    Cleanup does not rewrite addresses itself: it asks trivial-rewrite.
    In pyfix that is a RewriteHook, a callable

        rewrite(context, address) -> address

    where context is "local" or "remote" and both addresses are in
    external (quoted) form, as in Postfix's rewrite_clnt() requests.
    pyfix.rewrite provides the real one; default_rewrite() is a stand-in
    that only appends "@$myorigin" (local context) or
    "@$remote_header_rewrite_domain" (remote context) to an address
    without a domain.

    rewrite_internal() rewrites an internal (unquoted) address, such as
    an envelope sender or recipient: quote, rewrite, unquote.

    rewrite_header_addresses() rewrites every address in a sender or
    recipient header (From:, To:, Cc:, ...), as cleanup_rewrite_sender()
    and cleanup_rewrite_recip() do.  The header value is parsed as RFC
    822 address text (at most header_address_token_limit tokens); each
    address is externalized and passed to the hook.  When no address
    changes, the header stays exactly as it was (the function returns
    None).  Otherwise the header is rebuilt from its tokens: one address
    per line after each comma, then folded by fold_header() so that
    lines are joined while they stay shorter than 70 characters.  A
    comma-separated part with more than 250 bytes of comments and
    phrases is reduced to "<address>", as Postfix does to protect
    Sendmail.

    Parameters read: myorigin, remote_header_rewrite_domain,
    header_address_token_limit (passed in).

DIAGNOSTICS
    "stripping too many comments from address: TEXT..." is logged as a
    warning through the warn callback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from pyfix.address.quote import quote_822_local, unquote_822_local
from pyfix.smtp.tok822 import OPERATORS, SPACE_TAB_CR_LF, Tok, internalize, parse_addresses, scan

RewriteHook = Callable[[str, str], str]
"""(context "local" or "remote", external address) -> external address."""

MAX_NONADDR_LENGTH: Final = 250
FOLD_WIDTH: Final = 70
_NON_OPERATORS: Final = frozenset({"atom", "qstring", "comment", "domlit", "addr"})


def default_rewrite(myorigin: str, remote_domain: str = "") -> RewriteHook:
    """A stand-in for trivial-rewrite: qualify a bare local part."""

    def rewrite(context: str, address: str) -> str:
        tokens = scan(address)
        if not tokens or (len(tokens) == 1 and tokens[0].type == "qstring" and not tokens[0].text):
            return address  # the null address (quoted: "")
        if len(tokens) == 1 and tokens[0].type == "@":
            return '""'
        if any(tok.type == "@" for tok in tokens):
            return address
        domain = remote_domain if context == "remote" else myorigin
        return f"{address}@{domain}" if domain else address

    return rewrite


def rewrite_internal(hook: RewriteHook, context: str, address: str) -> str:
    """Rewrite an internal-form address (cleanup_rewrite_internal())."""
    return unquote_822_local(hook(context, quote_822_local(address)))


def token_prefix(text: str, limit: int) -> str:
    """The part of text that holds its first limit RFC 822 tokens."""
    if limit <= 0:
        return text
    count = 0
    pos = 0
    end = len(text)
    while pos < end:
        ch = text[pos]
        pos += 1
        if ch in SPACE_TAB_CR_LF:
            continue
        if ch == "(":
            level = 1
            while pos < end and level:
                ch = text[pos]
                pos += 2 if ch == "\\" else 1
                level += {"(": 1, ")": -1}.get(ch, 0)
        elif ch in '["':
            close = "]" if ch == "[" else '"'
            while pos < end:
                ch = text[pos]
                pos += 2 if ch == "\\" else 1
                if ch == close:
                    break
        elif ch == "\\" or ch not in OPERATORS:
            pos -= 1
            while pos < end and (text[pos] == "\\" or not (
                    text[pos] in SPACE_TAB_CR_LF or text[pos] in OPERATORS)):
                pos += 2 if text[pos] == "\\" else 1
        count += 1
        if count >= limit:
            return text[:pos]
    return text


def _copy_quoted(text: str, specials: str) -> str:
    return "".join("\\" + ch if ch in specials else ch for ch in text)


def _append_space(tok: Tok, following: Tok | None) -> bool:
    if following is None:
        return False
    if tok.type in (",", "startgrp") or following.type == "<":
        return True
    return tok.type in _NON_OPERATORS and following.type in _NON_OPERATORS


def _token_text(tok: Tok) -> str:
    kind = tok.type
    if kind == "addr":
        return quote_822_local(internalize(tok.children))
    if kind in ("atom", "comment"):
        return tok.text
    if kind == "qstring":
        return '"' + _copy_quoted(tok.text, '"\\\r\n') + '"'
    if kind == "domlit":
        return "[" + _copy_quoted(tok.text, "\\\r\n") + "]"
    if kind == "startgrp":
        return ":"
    return kind


def externalize(tokens: list[Tok], *, lines: bool = False, truncate: bool = False,
                warn: Callable[[str], None] | None = None) -> str:
    """tok822_externalize(): tokens back to text, in external form.

    lines puts a newline after each comma; truncate reduces an address
    expression with too much non-address text to "<address>".
    """
    out: list[str] = []
    length = 0
    start = 0
    addr: Tok | None = None
    addr_len = 0

    def enforce() -> None:
        nonlocal length
        if truncate and addr is not None and length - addr_len > start + MAX_NONADDR_LENGTH:
            text = "".join(out)
            if warn is not None:
                warn(f"stripping too many comments from address: {text[start:start + 100]}...")
            core = quote_822_local(internalize(addr.children)) if addr.type == "addr" else ""
            text = text[:start] + "<" + core + ">"
            out[:] = [text]
            length = len(text)

    for index, tok in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if tok.type == ",":
            enforce()
            piece = ",\n" if lines else ", "
            out.append(piece)
            length += len(piece)
            start, addr, addr_len = length, None, 0
            continue
        piece = _token_text(tok)
        if tok.type == "addr":
            addr, addr_len = tok, len(piece)
        elif tok.type == "<" and following is not None and following.type == ">":
            addr, addr_len = tok, 0
        if _append_space(tok, following):
            piece += " "
        out.append(piece)
        length += len(piece)
    enforce()
    return "".join(out)


def _address_text(tokens: list[Tok]) -> str:
    """An address's own tokens in external form, without spaces."""
    return "".join(_token_text(tok) for tok in tokens)


def fold_header(text: str) -> str:
    """cleanup_fold_header(): join one-address lines while under 70 columns."""
    lines = text.split("\n")
    folded = [lines[0]]
    width = len(lines[0])
    for line in lines[1:]:
        if width + 1 + len(line) < FOLD_WIDTH:
            folded[-1] += " " + line
            width += 1 + len(line)
        else:
            folded.append(line)
            width = len(line)
    return "\n".join(folded)


def rewrite_header_addresses(header: bytes, name_length: int, hook: RewriteHook,
                             context: str, token_limit: int,
                             warn: Callable[[str], None] | None = None) -> bytes | None:
    """The header with its addresses rewritten, or None when none changed."""
    text = header.decode("utf-8", "surrogateescape")
    value = token_prefix(text[name_length + 1 :], token_limit)
    tree = parse_addresses(value)
    changed = False
    for tok in tree:
        if tok.type != "addr":
            continue
        before = _address_text(tok.children)
        after = hook(context, before)
        if after != before:
            changed = True
        tok.children = scan(after)
    if not changed:
        return None
    rebuilt = text[:name_length] + ": " + externalize(tree, lines=True, truncate=True, warn=warn)
    return fold_header(rebuilt).encode("utf-8", "surrogateescape")
