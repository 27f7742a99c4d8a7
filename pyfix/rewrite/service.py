"""NAME
    pyfix.rewrite.service - trivial-rewrite as one in-process service

SUMMARY
    TrivialRewrite, rewrite_view()

DESCRIPTION
    In Postfix one trivial-rewrite process answers three requests:
    "rewrite" (rewrite.py), "resolve" and "verify" (resolve.py, the
    regular and the address-verification personality).  pyfix runs
    trivial-rewrite as a library; TrivialRewrite is that process: one
    object per configuration (the view of the master.cf service that
    rewrite_service_name names), whose parts share the local-domain
    test, the rewriting rules and the logging callbacks, and which opens
    its tables once.

    rewrite_view(caller) is that view for a client (smtpd, cleanup,
    qmgr, local, ...): the master.cf service that the client's own
    rewrite_service_name names, with that service's -o overrides and
    not the client's, as a Postfix client reaches the trivial-rewrite
    daemon behind private/$rewrite_service_name; main.cf alone when
    master.cf has no such service.  TrivialRewrite.for_client(caller)
    builds the library in that view, logging as trivial-rewrite does
    ("$syslog_name/trivial-rewrite" of that view).  Every decision that Postfix makes
    in trivial-rewrite (address class, transport, next hop, rewriting)
    is therefore made with the rewrite service's settings: an smtpd
    "-o relay_domains=..." does not change the address class.

    Like Postfix, it sets up both personalities at once, so that problems
    with either one's tables are reported at start-up.

    Parameters read: rewrite_service_name (of the caller); in the
    rewrite view, those of rewrite.py, resolve.py and local.py.

DIAGNOSTICS
    As in rewrite.py and resolve.py.
"""

from __future__ import annotations

from collections.abc import Callable

from pyfix.config.store import Config
from pyfix.log.maillog import MailLog, open_maillog
from pyfix.log.msg import msg_info, msg_warn
from pyfix.rewrite.local import LocalDestination
from pyfix.rewrite.reply import AddressClass, ResolveReply
from pyfix.rewrite.resolve import REGULAR, VERIFY, Resolver
from pyfix.rewrite.rewrite import Rewriter


def rewrite_view(caller: Config) -> Config:
    """The configuration of the service that caller's rewrite_service_name names."""
    return caller.library_view(caller.get("rewrite_service_name") or "rewrite",
                               "trivial-rewrite")


def trivial_rewrite_log(view: Config) -> MailLog:
    """The mail log as trivial-rewrite writes it, opened now (before a
    service drops root)."""
    log = open_maillog(view, "trivial-rewrite")
    log.prepare()
    return log


class TrivialRewrite:
    def __init__(
        self,
        config: Config,
        *,
        local: LocalDestination | None = None,
        info: Callable[[str], None] = msg_info,
        warn: Callable[[str], None] = msg_warn,
    ) -> None:
        self.local = local or LocalDestination(config, warn=warn)
        self.rewriter = Rewriter(config, resolve_class=self.resolve_class, info=info, warn=warn)
        self.resolver = Resolver(config, REGULAR, local=self.local, rewriter=self.rewriter,
                                 info=info, warn=warn)
        self.verifier = Resolver(config, VERIFY, local=self.local, rewriter=self.rewriter,
                                 info=info, warn=warn)

    @classmethod
    def for_client(cls, caller: Config) -> TrivialRewrite:
        """trivial-rewrite as caller reaches it (rewrite_view()), logging
        as "$syslog_name/trivial-rewrite" of that view."""
        view = rewrite_view(caller)
        log = trivial_rewrite_log(view)
        return cls(view, info=log.info, warn=log.warn)

    def rewrite_addr(self, context: str, address: str) -> str:
        return self.rewriter.rewrite_addr(context, address)

    def resolve(self, address: str, sender: str = "") -> ResolveReply:
        return self.resolver.resolve_addr(address, sender)

    def verify(self, address: str, sender: str = "") -> ResolveReply:
        return self.verifier.resolve_addr(address, sender)

    def resolve_class(self, domain: str) -> AddressClass | None:
        return self.resolver.resolve_class(domain)
