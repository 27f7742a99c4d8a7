"""NAME
    pyfix.rewrite.resolve - trivial-rewrite's address resolver

SUMMARY
    Resolver, Personality, REGULAR, VERIFY

DESCRIPTION
    Resolver.resolve_addr(address, sender) maps one recipient address
    (internal form) to a ResolveReply: the delivery transport, the next
    hop, the final recipient and flags (reply.py), as trivial-rewrite(8)
    answers a "resolve" (REGULAR) or "verify" (VERIFY) request.

    First the address is reduced to the recipient that the mail is
    really for, one round at a time:

    - a trailing "." of the domain is removed; with resolve_null_domain
      a trailing "@" is too;
    - a local domain (resolve_local(): $mydestination, this host's
      [address] literals) is stripped off; the last one stripped is
      kept for the answer;
    - what remains is rewritten in the "local" context (rewrite.py) and
      resolved again while it holds an "@", or with swap_bangpath a "!",
      or with allow_percent_hack a "%": "user%remote@local" and
      "remote!user@local" become "user@remote";
    - with resolve_dequoted_address a quoted local part is opened and
      resolved again when it holds "@" (or "%", "!" as above):
      "\\"user@remote\\"@local" is user@remote, not a local user;
    - an empty local part becomes $empty_address_recipient, and an
      address without a domain gets "@$myhostname".

    The loop ends at a remote domain or when nothing is left to strip.
    The domain must then be a valid host name or address literal (with
    resolve_numeric_domain "user@1.2.3.4" becomes "user@[1.2.3.4]");
    otherwise the answer is ERROR (with the default class).  ROUTED is
    set when the local part still holds "@", "!" or "%".

    The address class then gives the transport and next hop
    (classes.py: local, virtual alias, virtual mailbox, relay, default,
    with relayhost and the sender-dependent maps).  A transport setting
    "transport:nexthop" sets the next hop too (as in "local_transport =
    local:$myhostname").  Then transport_maps may override both
    (transport.py), except for virtual alias domains; relocated_maps
    bounces users that have moved ("error", "5.1.6 User has moved to
    ..."); and unless allow_min_user is set a recipient that starts with
    "-" is an ERROR.  luser_relay and fallback_transport are not the
    resolver's business: local(8) uses them.

    resolve_class(domain) gives only the address class of a domain.

    Parameters read: resolve_null_domain, resolve_numeric_domain,
    resolve_dequoted_address, swap_bangpath, allow_percent_hack,
    allow_min_user, empty_address_recipient, myhostname,
    smtputf8_enable, relocated_maps, recipient_delimiter,
    parent_domain_matches_subdomains, config_directory, transport_maps
    (VERIFY: address_verify_transport_maps); the parameters of
    classes.py, rewrite.py and local.py.

DIAGNOSTICS
    A table lookup failure gives a FAIL reply (try again) and a warning
    "NAME lookup failure"; so do an empty transport setting ("file
    DIR/main.cf: parameter NAME: null transport is not allowed") and a
    loop that does not end ("resolve_addr: <ADDR>: giving up after N
    iterations").  Domains listed in more than one class are reported
    ("do not list domain D in BOTH A and B") with helpful_warnings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyfix.address.matchlist import parent_style
from pyfix.address.quote import quote_822_address
from pyfix.config.store import Config
from pyfix.log.msg import msg_info, msg_warn
from pyfix.rewrite.classes import (
    REGULAR,
    VERIFY,
    AddressClasses,
    Personality,
    ResolveFailure,
    optional_maps,
)
from pyfix.rewrite.local import LocalDestination
from pyfix.rewrite.reply import (
    CHANNEL_NOT_UPDATED,
    NEXTHOP_NOT_UPDATED,
    NEXTRCPT_NOT_UPDATED,
    AddressClass,
    ResolveFlag,
    ResolveReply,
)
from pyfix.rewrite.rewrite import LOCAL, Rewriter
from pyfix.rewrite.tokens import QSTRING, AddressTokens, Token, scan
from pyfix.rewrite.transport import MAIL_SERVICE_ERROR, TransportMaps
from pyfix.smtp.hostname import (
    valid_hostaddr,
    valid_mailhost_literal,
    valid_utf8_hostname,
    valid_utf8_text,
)
from pyfix.tables.base import DEFAULT_FLAGS, TableError

__all__ = ["REGULAR", "VERIFY", "Personality", "Resolver"]

Flag = ResolveFlag


@dataclass
class _Answer:
    """The reply under construction (Postfix fills it in step by step)."""

    transport: str = CHANNEL_NOT_UPDATED
    nexthop: str = NEXTHOP_NOT_UPDATED
    recipient: str = NEXTRCPT_NOT_UPDATED
    flags: ResolveFlag = ResolveFlag.NONE

    def reply(self) -> ResolveReply:
        return ResolveReply(self.transport, self.nexthop, self.recipient, self.flags)


class Resolver:
    """trivial-rewrite's resolver, with the settings of one configuration."""

    def __init__(
        self,
        config: Config,
        personality: Personality = REGULAR,
        *,
        local: LocalDestination | None = None,
        rewriter: Rewriter | None = None,
        info: Callable[[str], None] = msg_info,
        warn: Callable[[str], None] = msg_warn,
    ) -> None:
        self.warn = warn
        self.local = local or LocalDestination(config, warn=warn)
        self.classes = AddressClasses(config, personality, self.local, warn=warn)
        self.rewriter = rewriter or Rewriter(config, resolve_class=self.resolve_class,
                                             info=info, warn=warn)
        get, flag = config.get, config.get_bool
        self.config_directory = get("config_directory")
        self.myhostname = get("myhostname")
        self.empty_address_recipient = get("empty_address_recipient")
        self.resolve_null_domain = flag("resolve_null_domain")
        self.resolve_numeric_domain = flag("resolve_numeric_domain")
        self.resolve_dequoted = flag("resolve_dequoted_address")
        self.swap_bangpath = flag("swap_bangpath")
        self.percent_hack = flag("allow_percent_hack")
        self.allow_min_user = flag("allow_min_user")
        self.smtputf8_enable = flag("smtputf8_enable")
        spec = get(personality.transport_maps)
        self.transport_maps = TransportMaps(
            personality.transport_maps, spec,
            parent_style=parent_style(get("parent_domain_matches_subdomains"),
                                      "transport_maps"),
            recipient_delimiter=get("recipient_delimiter"), warn=warn) if spec else None
        self.relocated_maps = optional_maps(config, "relocated_maps", DEFAULT_FLAGS, warn)

    def resolve_class(self, domain: str) -> AddressClass | None:
        """The class of domain; None when a table lookup fails."""
        return self.classes.resolve_class(domain)

    def resolve_addr(self, address: str, sender: str = "") -> ResolveReply:
        """Resolve address (internal form) for a message from sender."""
        answer = _Answer()
        try:
            self._resolve(answer, address, sender)
        except ResolveFailure:
            answer.flags |= Flag.FAIL
        return answer.reply()

    def _strip_local_domains(self, address: str) -> tuple[AddressTokens, bool]:
        """The resolver loop: (remaining tokens, remote domain found)."""
        tree = AddressTokens.scan(quote_822_address(address))
        saved: list[Token] | None = None
        loop_max = len(address) + 100
        count = 0
        while True:
            if count > loop_max:
                self.warn(f"resolve_addr: <{address}>: giving up after {count} iterations")
                raise ResolveFailure
            count += 1
            tokens = tree.tokens
            if (len(tokens) >= 2 and tokens[-1].type == "." and tree.rfind("@") >= 0
                    and tokens[-2].type not in (".", "@")):
                tree.keep_before(len(tokens) - 1)
            if self.resolve_null_domain and tokens and tokens[-1].type == "@":
                tree.keep_before(len(tokens) - 1)
            at = tree.rfind("@")
            if at >= 0:
                if at + 1 < len(tree):
                    try:
                        local = self.local.resolve_local(tree.internalize(at + 1))
                    except TableError:
                        raise ResolveFailure from None
                    if not local:
                        return tree, True
                saved = tree.keep_before(at)
            if (tree.rfind("@") >= 0 or (self.swap_bangpath and tree.rfind("!") >= 0)
                    or (self.percent_hack and tree.rfind("%") >= 0)):
                self.rewriter.rewrite_tokens(LOCAL, tree)
                continue
            if self._open_quoted_local_part(tree):
                continue
            only = tree.single(QSTRING)
            if only is not None and not only.text:
                tree.replace([])
            if not tree:
                tree.replace(scan(self.empty_address_recipient))
                continue
            if saved is None:
                tree.append([Token("@"), *scan(self.myhostname)])
                continue
            tree.append(saved)
            return tree, False

    def _open_quoted_local_part(self, tree: AddressTokens) -> bool:
        """resolve_dequoted_address: re-resolve "user@remote" and the like."""
        only = tree.single(QSTRING)
        if not self.resolve_dequoted or only is None:
            return False
        text = only.text
        oper = text.rfind("@")
        if oper < 0 and self.percent_hack:
            oper = text.rfind("%")
        if oper < 0 and self.swap_bangpath:
            oper = text.rfind("!")
        if oper < 0:
            return False
        if text[oper] == "%":
            text = f"{text[:oper]}@{text[oper + 1:]}"
        if text[oper] == "@":
            text = quote_822_address(text)
        tree.replace(scan(text))
        self.rewriter.rewrite_tokens(LOCAL, tree)
        return True

    def _check_syntax(self, answer: _Answer, nextrcpt: str, remote: bool) -> bool:
        """Validate the domain, bracket a numeric one, set ERROR; remote?"""
        at = nextrcpt.rfind("@")
        domain = nextrcpt[at + 1 :]
        answer.recipient = nextrcpt
        if domain.startswith("["):
            if not valid_mailhost_literal(domain):
                answer.flags |= Flag.ERROR
        elif self.smtputf8_enable and not valid_utf8_text(nextrcpt):
            answer.flags |= Flag.ERROR
        elif not valid_utf8_hostname(domain, self.smtputf8_enable):
            if self.resolve_numeric_domain and valid_hostaddr(domain):
                answer.recipient = f"{nextrcpt[: at + 1]}[{domain}]"
                try:
                    if self.local.resolve_local(f"[{domain}]"):
                        remote = False
                except TableError:
                    raise ResolveFailure from None
            else:
                answer.flags |= Flag.ERROR
        return remote

    def _resolve(self, answer: _Answer, address: str, sender: str) -> None:
        tree, remote = self._strip_local_domains(address)
        remote = self._check_syntax(answer, tree.internalize(), remote)
        if answer.flags & Flag.ERROR:
            answer.flags |= Flag.CLASS_DEFAULT
            return
        nextrcpt = answer.recipient
        domain = nextrcpt[nextrcpt.rfind("@") + 1 :]
        first_operator = min(i for i in map(nextrcpt.find, "@!%") if i >= 0)
        if nextrcpt[first_operator + 1 :] != domain:
            answer.flags |= Flag.ROUTED
        route = (self.classes.remote_route(domain, sender) if remote
                 else self.classes.local_route(domain))
        answer.flags |= route.flag
        channel, _, destination = route.transport.partition(":")
        answer.transport, answer.nexthop = channel, destination or route.nexthop
        if not channel:
            self.warn(f"file {self.config_directory}/main.cf: parameter {route.blame}: "
                      "null transport is not allowed")
            raise ResolveFailure
        if self.transport_maps is not None and not answer.flags & Flag.CLASS_ALIAS:
            try:
                found = self.transport_maps.lookup(nextrcpt, domain, channel, answer.nexthop)
            except TableError:
                self.warn(f"{self.transport_maps.title} lookup failure")
                raise ResolveFailure from None
            if found is not None:
                answer.transport, answer.nexthop = found
        if self.relocated_maps is not None:
            newloc = self.classes.find_address(self.relocated_maps, nextrcpt)
            if newloc is not None:
                answer.transport = MAIL_SERVICE_ERROR
                answer.nexthop = f"5.1.6 User has moved to {newloc}"
        if not self.allow_min_user and nextrcpt.startswith("-"):
            answer.flags |= Flag.ERROR
