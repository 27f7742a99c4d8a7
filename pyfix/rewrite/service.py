"""NAME
    pyfix.rewrite.service - trivial-rewrite as one in-process service

SUMMARY
    TrivialRewrite

DESCRIPTION
    In Postfix one trivial-rewrite process answers three requests:
    "rewrite" (rewrite.py), "resolve" and "verify" (resolve.py, the
    regular and the address-verification personality).  pyfix runs
    trivial-rewrite as a library; TrivialRewrite is that process: one
    object per configuration (the view of the master.cf service that
    rewrite_service_name names), whose parts share the local-domain
    test, the rewriting rules and the logging callbacks, and which opens
    its tables once.

    Like Postfix, it sets up both personalities at once, so that problems
    with either one's tables are reported at start-up.

    Parameters read: those of rewrite.py, resolve.py and local.py.

DIAGNOSTICS
    As in rewrite.py and resolve.py.
"""

from __future__ import annotations

from collections.abc import Callable

from pyfix.config.store import Config
from pyfix.log.msg import msg_info, msg_warn
from pyfix.rewrite.local import LocalDestination
from pyfix.rewrite.reply import AddressClass, ResolveReply
from pyfix.rewrite.resolve import REGULAR, VERIFY, Resolver
from pyfix.rewrite.rewrite import Rewriter


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

    def rewrite_addr(self, context: str, address: str) -> str:
        return self.rewriter.rewrite_addr(context, address)

    def resolve(self, address: str, sender: str = "") -> ResolveReply:
        return self.resolver.resolve_addr(address, sender)

    def verify(self, address: str, sender: str = "") -> ResolveReply:
        return self.verifier.resolve_addr(address, sender)

    def resolve_class(self, domain: str) -> AddressClass | None:
        return self.resolver.resolve_class(domain)
