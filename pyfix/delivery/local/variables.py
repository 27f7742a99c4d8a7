"""NAME
    pyfix.delivery.local.variables - $name expansion of delivery attributes

SUMMARY
    local_expand(), censor(), EXTENSION_MATCHED

DESCRIPTION
    forward_path, luser_relay and command_execution_directory may use
    $user, $home, $shell, $domain, $local, $mailbox (the same as
    $local), $recipient, $extension and $recipient_delimiter, with the
    full ${name?value} / ${name:value} syntax of postconf(5).  An
    undefined attribute (no extension, no home directory) expands to
    nothing and sets the UNDEF status bit; forward_path entries with an
    undefined attribute are skipped.

    With a filter (forward_expansion_filter, ...), every character of
    an attribute value that is not in the filter becomes "_", so that
    addresses cannot smuggle shell or file-system meta characters; the
    literal text of the pattern is kept.

    EXTENSION_MATCHED in the status says that $extension was used: then
    the extension is not propagated to the addresses of that .forward
    file.

    Parameters read: none; the caller passes the pattern and filter.

DIAGNOSTICS
    Syntax errors set the ERROR status bit (warnings are logged by the
    caller's warn function).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from pyfix.config.expand import ERROR, MODE_USE, UNDEF, expand
from pyfix.delivery.local.state import MsgAttr, UserAttr

if TYPE_CHECKING:
    from pyfix.delivery.local.settings import LocalSettings

EXTENSION_MATCHED: Final = 1 << 8

__all__ = ["ERROR", "EXTENSION_MATCHED", "UNDEF", "censor", "local_expand"]


def censor(value: str, allowed: str) -> str:
    """Replace the characters that are not in allowed with "_"."""
    ok = frozenset(allowed)
    return "".join(ch if ch in ok else "_" for ch in value)


def local_expand(pattern: str, attr: MsgAttr, usr: UserAttr, settings: LocalSettings,
                 filter_chars: str | None,
                 warn: Callable[[str], None] | None = None) -> tuple[str, int]:
    """Expand pattern; return (text, status bits)."""
    matched = 0

    def lookup(name: str, mode: int) -> str | None:
        nonlocal matched
        if name == "extension" and mode == MODE_USE:
            matched = EXTENSION_MATCHED
        value = _attribute(name, attr, usr, settings)
        if value is None or filter_chars is None:
            return value
        return censor(value, filter_chars)

    text, status = expand(pattern, lookup, warn or (lambda _text: None), recurse=False)
    return text, status | matched


def _attribute(name: str, attr: MsgAttr, usr: UserAttr, settings: LocalSettings) -> str | None:
    if name == "user":
        return attr.user
    if name == "home":
        return usr.home
    if name == "shell":
        return usr.shell
    if name == "domain":
        return attr.domain
    if name in ("local", "mailbox"):
        return attr.local
    if name == "recipient":
        return attr.rcpt.address
    if name == "extension":
        return attr.extension
    if name == "recipient_delimiter":
        delim = attr.local[len(attr.user):len(attr.user) + 1] \
            or settings.recipient_delimiter[:1]
        return delim or None
    return None
