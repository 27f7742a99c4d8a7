"""NAME
    pyfix.smtpd.etrn - what smtpd does with an ETRN request

SUMMARY
    EtrnHandler

DESCRIPTION
    ETRN asks the server to deliver the mail it holds for a site.  As
    with Postfix, only sites in $fast_flush_domains qualify; for other
    sites the reply is "459 <site>: service unavailable" and a warning
    "reject: ETRN site... from client" is logged.

    For a qualifying site the queue manager is asked to retry deferred
    mail now and to forget dead destinations (the trigger that
    "postqueue -f" sends), and the reply is "250 Queuing started".
    Postfix's flush(8) service retries only the mail queued for that
    site; pyfix has no flush service yet, so every deferred message is
    retried: more work for the queue manager, the same mail delivered.

    Parameters read: fast_flush_domains,
    parent_domain_matches_subdomains, queue_directory,
    queue_service_name.

DIAGNOSTICS
    A queue manager that cannot be reached gives Postfix's "458 Unable to
    queue messages" and the warning "unable to talk to fast flush service".
"""

from __future__ import annotations

from collections.abc import Callable

from pyfix.address.matchlist import domain_list, parent_style
from pyfix.config.store import Config
from pyfix.queue.trigger import (
    QMGR_REQ_FLUSH_DEAD,
    QMGR_REQ_SCAN_ALL,
    QMGR_REQ_SCAN_DEFERRED,
    mail_trigger,
)
from pyfix.smtp.replies import Reply

FLUSH_REQUEST = QMGR_REQ_FLUSH_DEAD + QMGR_REQ_SCAN_ALL + QMGR_REQ_SCAN_DEFERRED


class EtrnHandler:
    def __init__(self, config: Config, warn: Callable[[str], None]) -> None:
        self.sites = domain_list(
            "fast_flush_domains", config.get("fast_flush_domains"),
            parent_style(config.get("parent_domain_matches_subdomains"), "fast_flush_domains"),
            warn=warn)
        self.queue_directory = config.get("queue_directory")
        self.queue_service = config.get("queue_service_name")
        self.warn = warn

    def handle(self, site: str, namaddr: str) -> Reply | None:
        """None: accepted ("250 Queuing started"); otherwise the reply."""
        if not self.sites.match(site.lower()):
            self.warn(f"reject: ETRN {site[:100]}... from {namaddr}")
            return Reply(459, "", f"<{site}>: service unavailable")
        if mail_trigger(self.queue_directory, "public", self.queue_service, FLUSH_REQUEST,
                        timeout=2.0) is not None:
            self.warn("unable to talk to fast flush service")
            return Reply(458, "", "Unable to queue messages")
        return None
