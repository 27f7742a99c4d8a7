"""NAME
    pyfix.flush.client - talk to the flush(8) fast-flush service

SUMMARY
    FlushClient, flush_init(), flush_add(), flush_add_recipient()

DESCRIPTION
    The client side of Postfix's global/flush_clnt.c.  A FlushClient
    knows $fast_flush_domains, so that, as with Postfix, requests for
    sites that are not eligible are denied (FLUSH_STAT_DENY) without
    bothering the server:

    add(site, queue_id)   mail for site was deferred (defer_append()
                          calls this for the recipient's domain);
    send_site(site)       deliver the mail logged for site (ETRN,
                          postqueue -s);
    send_file(queue_id)   deliver one deferred message (postqueue -i;
                          no domain check, as in Postfix);
    refresh(), purge()    housekeeping.

    Every call returns a FLUSH_STAT_* code (protocol.py); a server that
    cannot be reached gives FLUSH_STAT_FAIL, as does a fast_flush_domains
    table that cannot be searched.

    flush_init(config) makes the process-wide client that flush_add()
    uses (Postfix's flush_init(), called by every process that defers
    mail, before it drops privileges).  Without flush_init(), flush_add()
    does nothing.  flush_add_recipient() is the part of Postfix's
    defer_append() that calls it: the site is what follows the last "@"
    of the recipient address.

    Parameters read: fast_flush_domains, parent_domain_matches_subdomains,
    queue_directory, flush_service_name.

DIAGNOSTICS
    Problems in $fast_flush_domains are reported through the warn
    callback, as is Postfix's "QUEUEID: flush service failure" from
    flush_add_recipient().
"""

from __future__ import annotations

from collections.abc import Callable

from pyfix.address.matchlist import MatchList, domain_list, parent_style
from pyfix.config.store import Config
from pyfix.flush.protocol import (
    FLUSH_REQ_ADD,
    FLUSH_REQ_PURGE,
    FLUSH_REQ_REFRESH,
    FLUSH_REQ_SEND_FILE,
    FLUSH_REQ_SEND_SITE,
    FLUSH_STAT_DENY,
    FLUSH_STAT_FAIL,
    FLUSH_STAT_OK,
    flush_request,
)
from pyfix.tables.base import TableError


def flush_domain_list(config: Config,
                      warn: Callable[[str], None] | None = None) -> MatchList:
    return domain_list("fast_flush_domains", config.get("fast_flush_domains"),
                       parent_style(config.get("parent_domain_matches_subdomains"),
                                    "fast_flush_domains"), warn=warn)


class FlushClient:
    def __init__(self, config: Config, warn: Callable[[str], None] | None = None,
                 timeout: float = 60.0) -> None:
        self.domains = flush_domain_list(config, warn)
        self.enabled = bool(config.get("fast_flush_domains").strip())
        self.queue_directory = config.get("queue_directory")
        self.service = config.get("flush_service_name")
        self.timeout = timeout
        self.warn = warn

    def _call(self, request: str, **attrs: str) -> int:
        return flush_request(self.queue_directory, self.service, request,
                             timeout=self.timeout, warn=self.warn, **attrs)

    def eligible(self, site: str) -> int | None:
        """None when site is in $fast_flush_domains, else DENY (or FAIL: lookup error)."""
        try:
            return None if self.domains.match(site) else FLUSH_STAT_DENY
        except TableError:  # a table lookup problem, warned by the list
            return FLUSH_STAT_FAIL

    def add(self, site: str, queue_id: str) -> int:
        denied = self.eligible(site)
        return denied if denied is not None else self._call(FLUSH_REQ_ADD, site=site,
                                                             queue_id=queue_id)

    def send_site(self, site: str) -> int:
        denied = self.eligible(site)
        return denied if denied is not None else self._call(FLUSH_REQ_SEND_SITE, site=site)

    def send_file(self, queue_id: str) -> int:
        return self._call(FLUSH_REQ_SEND_FILE, queue_id=queue_id)

    def refresh(self) -> int:
        return self._call(FLUSH_REQ_REFRESH) if self.enabled else FLUSH_STAT_DENY

    def purge(self) -> int:
        return self._call(FLUSH_REQ_PURGE) if self.enabled else FLUSH_STAT_DENY


_client: FlushClient | None = None


def flush_init(config: Config, warn: Callable[[str], None] | None = None) -> None:
    """Make the client that flush_add() uses in this process."""
    global _client
    _client = FlushClient(config, warn, timeout=10.0)


def flush_add(site: str, queue_id: str) -> int:
    """Log queue_id for site; FLUSH_STAT_DENY when not eligible or not initialized."""
    return _client.add(site, queue_id) if _client is not None else FLUSH_STAT_DENY


def flush_add_recipient(address: str, queue_id: str, warn: Callable[[str], None]) -> None:
    """What defer_append() does after a recipient was deferred: log the
    queue ID for the recipient's domain, warning "QUEUEID: flush service
    failure" when the flush service did not take it."""
    domain = address.rpartition("@")[2] if "@" in address else ""
    if _client is None or not domain:
        return
    if flush_add(domain, queue_id) not in (FLUSH_STAT_OK, FLUSH_STAT_DENY):
        warn(f"{queue_id}: {_client.service} service failure")
