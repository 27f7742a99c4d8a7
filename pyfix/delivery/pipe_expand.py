"""NAME
    pyfix.delivery.pipe_expand - macros in a pipe(8) command's arguments

SUMMARY
    ArgvExpander, parse_macros(), fold_addr(), MacroError

DESCRIPTION
    pipe(8) replaces $name, ${name} and $(name) in each argument of its
    argv= command with information from the delivery request; "$$" is
    a literal "$".  The command is executed directly, never by a shell,
    so an address is always one argument however odd its characters.

    The names are those of pipe(8): sender, nexthop, size, queue_id,
    client_address, client_hostname, client_port, client_protocol,
    client_helo, sasl_method, sasl_username, sasl_sender, and the
    recipient-dependent recipient, original_recipient, user, extension,
    mailbox and domain.  An argument that uses a recipient-dependent
    name is expanded once per recipient, so "${recipient}" becomes as
    many arguments as the request has recipients.  Values are inserted
    as they are: a "$" in an address is not expanded again.

    The flags of the service change the addresses:
    q   quote the local part of $sender, $recipient and
        $original_recipient as RFC 822 requires ("foo bar"@example.com);
    u   lower-case the local part of the recipient addresses;
    h   lower-case the domain part of the recipient addresses, $domain
        and $nexthop.
    $user, $extension, $mailbox and $domain are cut from the unquoted
    recipient; the address extension is split at $recipient_delimiter,
    as Postfix splits it (postmaster, MAILER-DAEMON, the double-bounce
    sender and, with "-", owner-* and *-request are never split).

    Parameters read: recipient_delimiter, owner_request_special,
    double_bounce_sender, config_directory (passed in by the caller).

DIAGNOSTICS
    MacroError, after a warning with Postfix's text ("unknown macro
    name", "truncated macro reference", "empty macro name"); the agent
    then defers the request as a configuration error.  An address
    without "@" gets the warning "no @ in recipient address".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pyfix.address.extension import split_localpart
from pyfix.address.quote import quote_822_local

SCALAR_MACROS = frozenset({
    "nexthop", "sender", "size", "client_address", "client_hostname", "client_port",
    "client_protocol", "client_helo", "sasl_method", "sasl_username", "sasl_sender",
    "queue_id",
})
RECIPIENT_MACROS = frozenset({
    "recipient", "original_recipient", "user", "extension", "mailbox", "domain",
})

Token = tuple[bool, str]  # (is_macro, text)


class MacroError(Exception):
    """A command argument that cannot be expanded (already logged)."""


def parse_macros(arg: str, warn: Callable[[str], None]) -> list[Token]:
    """Split arg into literal text and macro names, as mac_parse() does."""
    tokens: list[Token] = []
    literal: list[str] = []
    index = 0
    while index < len(arg):
        ch = arg[index]
        if ch != "$":
            literal.append(ch)
            index += 1
            continue
        if arg[index + 1:index + 2] == "$":
            literal.append("$")
            index += 2
            continue
        if literal:
            tokens.append((False, "".join(literal)))
            literal = []
        index += 1
        opener = arg[index:index + 1]
        if opener in ("{", "("):
            closer = "}" if opener == "{" else ")"
            level, end = 1, index + 1
            while level > 0:
                if end >= len(arg):
                    warn(f'truncated macro reference: "{arg}"')
                    raise MacroError(arg)
                if arg[end] == opener:
                    level += 1
                elif arg[end] == closer:
                    level -= 1
                end += 1
            name = arg[index + 1:end - 1]
            index = end
        else:
            end = index
            while end < len(arg) and ((arg[end].isascii() and arg[end].isalnum())
                                      or arg[end] == "_"):
                end += 1
            name = arg[index:end]
            index = end
        if not name:
            warn(f'empty macro name: "{arg}"')
            raise MacroError(arg)
        tokens.append((True, name))
    if literal:
        tokens.append((False, "".join(literal)))
    return tokens


def fold_addr(address: str, user: bool, host: bool) -> str:
    """Lower-case the local part (user) and/or the domain (host)."""
    at = address.rfind("@")
    if at < 0:
        return address.lower() if user else address
    local, domain = address[:at], address[at + 1:]
    return f"{local.lower() if user else local}@{domain.lower() if host else domain}"


@dataclass(frozen=True)
class SplitRules:
    delimiters: str = ""
    owner_request_special: bool = True
    double_bounce_sender: str = "double-bounce"


class ArgvExpander:
    """Expand one service's command for one delivery request."""

    def __init__(self, service: str, master_cf: str, flags: frozenset[str],
                 rules: SplitRules, warn: Callable[[str], None]) -> None:
        self.service = service
        self.master_cf = master_cf  # "file DIR/master.cf" for the warning
        self.quote = "q" in flags
        self.fold_user = "u" in flags
        self.fold_host = "h" in flags
        self.rules = rules
        self.warn = warn

    def _morph(self, address: str, quote: bool) -> str:
        if quote:
            address = quote_822_local(address)
        return fold_addr(address, self.fold_user, self.fold_host)

    def _local_domain(self, address: str) -> tuple[str, str | None]:
        folded = self._morph(address, False)
        at = folded.rfind("@")
        if at < 0:
            self.warn(f"no @ in recipient address: {address}")
            return folded, None
        return folded[:at], folded[at + 1:]

    def _split(self, local: str) -> tuple[str, str]:
        rules = self.rules
        if not rules.delimiters:
            return local, ""
        split = split_localpart(local, rules.delimiters,
                                owner_request_special=rules.owner_request_special,
                                double_bounce_sender=rules.double_bounce_sender)
        return (local, "") if split is None else (split[0], split[1][1:])

    def recipient_values(self, address: str, orig: str, names: set[str]) -> dict[str, str]:
        values: dict[str, str] = {}
        if "recipient" in names:
            values["recipient"] = self._morph(address, self.quote)
        if "original_recipient" in names:
            values["original_recipient"] = self._morph(orig, self.quote)
        if "user" in names:
            values["user"] = self._split(self._local_domain(address)[0])[0]
        if "extension" in names:
            values["extension"] = self._split(self._local_domain(address)[0])[1]
        if "mailbox" in names:
            values["mailbox"] = self._local_domain(address)[0]
        if "domain" in names:
            values["domain"] = self._local_domain(address)[1] or ""
        return values

    def scalar_values(self, sender: str, nexthop: str, others: dict[str, str]) -> dict[str, str]:
        values = dict(others)
        values["sender"] = quote_822_local(sender) if sender and self.quote else sender
        values["nexthop"] = nexthop.lower() if self.fold_host else nexthop
        return values

    def expand(self, command: Sequence[str], scalars: dict[str, str],
               recipients: Sequence[tuple[str, str]]) -> list[str]:
        """The argument vector; MacroError when an argument is bad."""
        result: list[str] = []
        for arg in command:
            tokens = parse_macros(arg, self.warn)
            names = [text for is_macro, text in tokens if is_macro]
            for name in names:
                if name not in SCALAR_MACROS and name not in RECIPIENT_MACROS:
                    self.warn(f'{self.master_cf}: service {self.service}: '
                              f'unknown macro name: "{name}"')
                    raise MacroError(name)
            per_rcpt = RECIPIENT_MACROS.intersection(names)
            if not per_rcpt:
                result.append(_join(tokens, scalars))
                continue
            for address, orig in recipients:
                values = dict(scalars)
                values.update(self.recipient_values(address, orig, set(per_rcpt)))
                result.append(_join(tokens, values))
        return result


def _join(tokens: list[Token], values: dict[str, str]) -> str:
    return "".join(values.get(text, "") if is_macro else text for is_macro, text in tokens)
