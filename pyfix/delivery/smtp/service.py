"""NAME
    pyfix.delivery.smtp.service - the smtp and lmtp services

SUMMARY
    serve(), SmtpAgent

DESCRIPTION
    The master.cf commands "smtp" and "lmtp" both run this module; the
    command name (process_name) chooses the protocol and the parameter
    prefix (smtp_* or lmtp_*), as in Postfix.  SmtpAgent holds what
    lives as long as the process: the settings, the DNS resolver (with
    its cache), the host finder and the connection cache; each request
    is an SmtpDelivery (deliver.py).  The agent runs as $mail_owner.

    deliver() returns the site-failure reason when the destination as a
    whole failed and mail was deferred (qmgr then throttles the
    destination), else "".

    Parameters read: see settings.py; pyfix_dns_servers (pyfix.dns).

DIAGNOSTICS
    Configuration errors are fatal at start-up (serve_agent()).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyfix.delivery.agent import Delivery, serve_agent
from pyfix.delivery.smtp.cache import ConnectionCache
from pyfix.delivery.smtp.deliver import SmtpDelivery
from pyfix.delivery.smtp.nexthop import HostFinder
from pyfix.delivery.smtp.settings import SmtpSettings
from pyfix.dns import Resolver, servers_from_config
from pyfix.dns.resolver import preload

if TYPE_CHECKING:
    from pyfix.config.store import Config
    from pyfix.log.maillog import MailLog
    from pyfix.master.child import ServiceContext


class SmtpAgent:
    def __init__(self, config: Config, log: MailLog, lmtp: bool = False,
                 interfaces: list[str] | None = None) -> None:
        self.config = config
        self.log = log
        self.settings = SmtpSettings.from_config(config, lmtp)
        self.resolver = Resolver(servers_from_config(config))
        self.finder = HostFinder(self.settings, self.resolver, interfaces)
        self.finder.own_addresses()  # before privileges are dropped
        preload()
        self.cache = ConnectionCache(self.settings)

    async def deliver(self, delivery: Delivery) -> str:
        return await SmtpDelivery(self, delivery).run()


def is_lmtp(config: Config) -> bool:
    scope = config.scope
    return scope is not None and scope.process_name == "lmtp"


def serve(ctx: ServiceContext) -> None:
    lmtp = is_lmtp(ctx.config)
    serve_agent(ctx, lambda config, log: SmtpAgent(config, log, lmtp), relay="none")
