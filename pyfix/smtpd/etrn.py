"""NAME
    pyfix.smtpd.etrn - what smtpd does with an ETRN request

SUMMARY
    EtrnHandler

DESCRIPTION
    ETRN asks the server to deliver the mail it holds for a site.  As
    with Postfix, the request goes to the flush(8) service
    (public/$flush_service_name, pyfix.flush), which makes the mail in
    the site's fast-flush log eligible for delivery now and wakes up
    the queue manager; the reply is then "250 Queuing started".

    Only sites in $fast_flush_domains qualify; this is checked before
    the service is asked (flush_send_site()).  For other sites the reply
    is "459 <site>: service unavailable" and a warning "reject: ETRN
    site... from client" is logged.

    Parameters read: fast_flush_domains,
    parent_domain_matches_subdomains, queue_directory,
    flush_service_name.

DIAGNOSTICS
    A request that the flush service rejects as invalid gives "458
    Unable to queue messages" and the warning "bad ETRN site... from
    client"; a service that cannot be reached (or a fast_flush_domains
    table that cannot be searched) gives the same reply and the warning
    "unable to talk to fast flush service", as in Postfix.
"""

from __future__ import annotations

from collections.abc import Callable

from pyfix.config.store import Config
from pyfix.flush.client import FlushClient
from pyfix.flush.protocol import FLUSH_STAT_BAD, FLUSH_STAT_DENY, FLUSH_STAT_OK
from pyfix.smtp.replies import Reply

# The smtpd event loop waits for the answer: keep the wait short.
FLUSH_TIMEOUT = 10.0


class EtrnHandler:
    def __init__(self, config: Config, warn: Callable[[str], None]) -> None:
        self.flush = FlushClient(config, warn, timeout=FLUSH_TIMEOUT)
        self.warn = warn

    def handle(self, site: str, namaddr: str) -> Reply | None:
        """None: accepted ("250 Queuing started"); otherwise the reply."""
        status = self.flush.send_site(site)
        if status == FLUSH_STAT_OK:
            return None
        if status == FLUSH_STAT_DENY:
            self.warn(f"reject: ETRN {site[:100]}... from {namaddr}")
            return Reply(459, "", f"<{site}>: service unavailable")
        if status == FLUSH_STAT_BAD:
            self.warn(f"bad ETRN {site[:100]}... from {namaddr}")
        else:
            self.warn("unable to talk to fast flush service")
        return Reply(458, "", "Unable to queue messages")
