"""NAME
    pyfix.address.quote - internal and external address forms

SUMMARY
    quote_822_local(), quote_822_address(), unquote_822_local()

DESCRIPTION
    Postfix keeps addresses in "internal" (unquoted) form and looks them
    up, logs and sends them in "external" (quoted) form.  The local part
    is quoted when it is not an RFC 822 dot-string: empty, leading,
    trailing or doubled dots, white space, control characters or any of
    ( ) < > @ , ; : \\ " [ ].  8-bit characters are left alone.

    quote_822_local() quotes the part before the last "@" (or the whole
    text with bare_localpart); unquote_822_local() reverses it.

    quote_822_address() is the form that trivial-rewrite applies to a
    whole envelope address: like quote_822_local(), but a source route
    in front ("@a,@b:user@domain") is left alone and only the local part
    after it is judged and quoted, and a CR inside the quotes is escaped
    with a backslash too.

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

_SPECIALS = frozenset('()<>@,;:\\"[]')


def is_dot_string(local: str, expose_at: bool = False) -> bool:
    if not local or local[0] == "." or local[-1] == ".":
        return False
    previous = ""
    for ch in local:
        if ch == "." and previous == ".":
            return False
        if ch == " " or ord(ch) < 32 or ord(ch) == 127:
            return False
        if ch in _SPECIALS and not (ch == "@" and expose_at):
            return False
        previous = ch
    return True


def quote_822_local(address: str, bare_localpart: bool = False) -> str:
    if bare_localpart:
        local, domain = address, None
    else:
        at = address.rfind("@")
        local, domain = (address, None) if at < 0 else (address[:at], address[at + 1 :])
    if not is_dot_string(local):
        escaped = "".join("\\" + ch if ch in '"\\' else ch for ch in local)
        local = f'"{escaped}"'
    return local if domain is None else f"{local}@{domain}"


def unquote_822_local(address: str) -> str:
    """Remove quotes and backslash escapes from the local part."""
    out: list[str] = []
    quoted = escaped = False
    for index, ch in enumerate(address):
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "@" and not quoted:
            return "".join(out) + address[index:]
        else:
            out.append(ch)
    return "".join(out)


def quote_822_address(address: str) -> str:
    """Quote the local part of address, skipping a leading source route."""
    start = 0
    if address.startswith("@"):
        colon = address.find(":")
        if colon >= 0:
            start = colon + 1
    at = address.rfind("@", start)
    end = len(address) if at < 0 else at
    local = address[start:end]
    if is_dot_string(local):
        return address
    escaped = "".join("\\" + ch if ch in '"\\\r' else ch for ch in local)
    return f'{address[:start]}"{escaped}"{address[end:]}'
