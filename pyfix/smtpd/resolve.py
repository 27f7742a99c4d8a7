"""NAME
    pyfix.smtpd.resolve - the SMTP server's address resolver client

SUMMARY
    SmtpdResolver

DESCRIPTION
    SmtpdResolver(trivial).resolve(sender, recipient) answers what
    Postfix's smtpd_resolve_addr() answers: the sender and the
    recipient (internal form) are rewritten in the "local" context,
    the recipient is resolved for that sender, and the final recipient
    of the reply is case-folded.  trivial is the trivial-rewrite
    library in the view of the service that smtpd's
    rewrite_service_name names (pyfix.rewrite.service.rewrite_view()),
    so every setting that trivial-rewrite reads (mydestination,
    relay_domains, virtual_alias_domains, virtual_mailbox_domains,
    inet_interfaces and proxy_interfaces for address literals,
    parent_domain_matches_subdomains, myorigin, transport_maps,
    relocated_maps, ...) comes from that service, never from smtpd's
    own -o overrides.  The relay and recipient checks take the address
    class and the final recipient from this reply.

    As in Postfix, the last 100 answers are cached for the life of the
    process.

    Parameters read: none in smtpd's view; see pyfix.rewrite.service.

DIAGNOSTICS
    A table lookup failure inside trivial-rewrite is logged by it and
    gives a reply with the FAIL flag; the caller answers "451 4.3.0
    <address>: Temporary lookup failure".
"""

from __future__ import annotations

import functools
from dataclasses import replace

from pyfix.address.quote import quote_822_local, unquote_822_local
from pyfix.rewrite.reply import ResolveReply
from pyfix.rewrite.rewrite import LOCAL
from pyfix.rewrite.service import TrivialRewrite

RESOLVE_CACHE_SIZE = 100


class SmtpdResolver:
    def __init__(self, trivial: TrivialRewrite) -> None:
        self.trivial = trivial
        self.resolve = functools.lru_cache(maxsize=RESOLVE_CACHE_SIZE)(self._resolve)

    def _rewrite_internal(self, address: str) -> str:
        return unquote_822_local(self.trivial.rewrite_addr(LOCAL, quote_822_local(address)))

    def _resolve(self, sender: str, recipient: str) -> ResolveReply:
        reply = self.trivial.resolve(self._rewrite_internal(recipient),
                                     self._rewrite_internal(sender))
        return replace(reply, recipient=reply.recipient.casefold())
