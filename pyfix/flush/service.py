"""NAME
    pyfix.flush.service - the flush(8) fast-flush service process

SUMMARY
    serve(), FlushServer

DESCRIPTION
    Entry point that the master calls for the master.cf "flush" service
    ("flush unix n - y 1000? 0 flush", socket public/flush).  It keeps,
    for each destination in $fast_flush_domains, a log of the queue IDs
    of mail deferred for it (logfile.py), and serves the requests of
    protocol.py, one per connection:

    add SITE QUEUEID   (from every deferral, Delivery.defer()) append
                       to the site's log; FLUSH_STAT_DENY for a site
                       that is not eligible, FLUSH_STAT_BAD for a bad
                       queue ID;
    send_site SITE     (ETRN, postqueue -s) deliver the mail in the
                       site's log now; DENY for a site that is not
                       eligible;
    send_file QUEUEID  (postqueue -i) deliver that deferred message now;
                       BAD for a malformed queue ID, OK for an unknown
                       one (as Postfix);
    rfrsh, purge       answer OK, then refresh logs not read for
                       $fast_flush_refresh_time (purge: all logs) and
                       remove empty logs unchanged for
                       $fast_flush_purge_time.

    The wakeup column of the service's master.cf entry (1000 seconds in
    the stock entry) is the interval of a timed refresh, which Postfix's
    master triggers with a wakeup request; a client that sends "W" gets
    the same.

    Parameters read: fast_flush_domains, parent_domain_matches_subdomains,
    fast_flush_refresh_time, fast_flush_purge_time, queue_service_name,
    and what QueueLayout reads.

DIAGNOSTICS
    Configuration errors are logged as fatal and end the process with
    status 1.  A malformed request gets FLUSH_STAT_BAD.  Problems with
    logs and queue files are logged as warnings (logfile.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from pyfix.config.store import Config, ExpansionError
from pyfix.flush.client import flush_domain_list
from pyfix.flush.logfile import UNTHROTTLE_BEFORE, FlushLogs, site_to_path
from pyfix.flush.protocol import (
    FLUSH_REQ_ADD,
    FLUSH_REQ_PURGE,
    FLUSH_REQ_REFRESH,
    FLUSH_REQ_SEND_FILE,
    FLUSH_REQ_SEND_SITE,
    FLUSH_STAT_BAD,
    FLUSH_STAT_DENY,
    FLUSH_STAT_FAIL,
    FLUSH_STAT_OK,
    MAX_LINE,
    PROTOCOL_LINE,
    parse_request,
    status_line,
)
from pyfix.master.runtime import preload, serve_unix
from pyfix.queue.layout import QueueLayout
from pyfix.queue.queue_id import queue_id_ok
from pyfix.tables.base import TableError

if TYPE_CHECKING:
    from pyfix.log.maillog import MailLog
    from pyfix.master.child import ServiceContext

REQUEST_TIMEOUT = 60.0


def _wakeup(config: Config, service: str, type_: str) -> int:
    for entry in config.master:
        if entry.name == service and entry.type == type_:
            value = entry.wakeup.rstrip("?")
            return int(value) if value.isdigit() else 0
    return 0


class FlushServer:
    def __init__(self, config: Config, log: MailLog) -> None:
        self.log = log
        self.domains = flush_domain_list(config, log.warn)
        self.refresh_time = config.get_time("fast_flush_refresh_time")
        self.logs = FlushLogs(QueueLayout.from_config(config),
                              config.get("queue_service_name"),
                              config.get_time("fast_flush_purge_time"), log.warn)

    def site_path(self, site: str) -> tuple[int, str]:
        """(status, log name): the status is OK when the site is eligible."""
        try:
            if not self.domains.match(site):
                return FLUSH_STAT_DENY, ""
        except TableError:
            return FLUSH_STAT_FAIL, ""
        name = site_to_path(site)
        return (FLUSH_STAT_OK, name) if name is not None else (FLUSH_STAT_DENY, "")

    def handle(self, request: str, attrs: dict[str, str]) -> int:
        """The status of an add, send_site or send_file request."""
        if request == FLUSH_REQ_ADD:
            queue_id = attrs["queue_id"]
            if not queue_id_ok(queue_id):
                return FLUSH_STAT_BAD
            status, name = self.site_path(attrs["site"])
            return self.logs.add(name, queue_id) if status == FLUSH_STAT_OK else status
        if request == FLUSH_REQ_SEND_SITE:
            status, name = self.site_path(attrs["site"])
            return (self.logs.send_path(name, UNTHROTTLE_BEFORE) if status == FLUSH_STAT_OK
                    else status)
        if request == FLUSH_REQ_SEND_FILE:
            return self.logs.send_file(attrs["queue_id"])
        return FLUSH_STAT_BAD

    def refresh(self, max_age: int) -> None:
        try:
            self.logs.refresh(max_age)
        except Exception as exc:  # keep serving the other clients
            self.log.warn(f"fast flush refresh: {exc}")

    async def client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        after: int | None = None  # refresh age, for requests that complete later
        try:
            writer.write(PROTOCOL_LINE)
            await writer.drain()
            line = await asyncio.wait_for(reader.readline(), REQUEST_TIMEOUT)
            parsed = parse_request(line.rstrip(b"\n")) if len(line) <= MAX_LINE else None
            status = FLUSH_STAT_BAD
            if parsed is None:
                pass
            elif parsed[0] in (FLUSH_REQ_REFRESH, FLUSH_REQ_PURGE):
                status = FLUSH_STAT_OK
                after = self.refresh_time if parsed[0] == FLUSH_REQ_REFRESH else 0
            else:
                try:
                    status = self.handle(*parsed)
                except Exception as exc:  # keep serving the other clients
                    self.log.warn(f"fast flush request {parsed[0]}: {exc}")
                    status = FLUSH_STAT_FAIL
            writer.write(status_line(status))
            await writer.drain()
        except (TimeoutError, OSError, ConnectionError, ValueError):
            pass  # the client went away or sent nothing
        finally:
            with contextlib.suppress(OSError, ConnectionError):
                writer.close()
                await writer.wait_closed()
        if after is not None:
            self.refresh(after)


def serve(ctx: ServiceContext) -> None:
    try:
        server = FlushServer(ctx.config, ctx.log)
        wakeup = _wakeup(ctx.config, ctx.service, ctx.type)
    except (ExpansionError, ValueError) as exc:
        ctx.log.fatal(str(exc))
        raise SystemExit(1) from None
    ctx.log.prepare()
    preload()  # the idna codec, for site names
    ctx.drop_privileges()
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(serve_unix(ctx.listeners, server.client, wakeup,
                                           lambda: server.refresh(server.refresh_time)))
    finally:
        loop.close()
