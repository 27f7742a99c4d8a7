"""NAME
    pyfix.showq.service - the showq service process

SUMMARY
    serve()

DESCRIPTION
    Entry point that the master calls for the master.cf "showq" service
    ("showq unix n - n - - showq", socket public/showq).  Every client
    connection gets the whole queue listing (listing.py) in the wire
    format of protocol.py, written as the queue is scanned, after
    which the server closes the connection.  postqueue -p / -j, mailq
    and sendmail -bp are its clients; they need no access to the queue
    directories, which belong to $mail_owner.

    Parameters read: empty_address_recipient, duplicate_filter_limit,
    and what QueueLayout reads.

DIAGNOSTICS
    A configuration error is logged as fatal and ends the process with
    status 1.  A client that goes away is not an error.  Damaged queue
    files are logged as warnings and listed as far as they can be read.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from pyfix.config.store import Config, ExpansionError
from pyfix.master.runtime import serve_unix
from pyfix.queue.layout import QueueLayout
from pyfix.showq.listing import QueueEntry, scan_queue
from pyfix.showq.protocol import END_LINE, PROTOCOL_LINE, encode_entry

if TYPE_CHECKING:
    from pyfix.log.maillog import MailLog
    from pyfix.master.child import ServiceContext

BATCH = 64


class Lister:
    def __init__(self, config: Config, log: MailLog) -> None:
        # Made before privileges are dropped: its module cannot be imported later.
        self.executor = ThreadPoolExecutor(max_workers=2)
        self.layout = QueueLayout.from_config(config)
        self.empty_address = config.get("empty_address_recipient")
        self.dup_limit = config.get_int("duplicate_filter_limit")
        self.log = log

    async def client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        try:
            writer.write(PROTOCOL_LINE)
            scan = iter(scan_queue(self.layout, empty_address=self.empty_address,
                                   dup_limit=self.dup_limit, warn=self.log.warn))
            while True:
                batch = await loop.run_in_executor(self.executor, _take, scan)
                for entry in batch:
                    writer.write(encode_entry(entry))
                await writer.drain()
                if len(batch) < BATCH:
                    break
            writer.write(END_LINE)
            await writer.drain()
        except (OSError, ConnectionError):
            pass  # the client went away
        except Exception as exc:  # keep serving the other clients
            self.log.warn(f"queue listing: {exc}")
        finally:
            with contextlib.suppress(OSError, ConnectionError):
                writer.close()
                await writer.wait_closed()


def _take(scan: Iterator[QueueEntry]) -> list[QueueEntry]:
    """The next few entries (the scan reads files: run it off the event loop)."""
    batch: list[QueueEntry] = []
    for entry in scan:
        batch.append(entry)
        if len(batch) >= BATCH:
            break
    return batch


def serve(ctx: ServiceContext) -> None:
    try:
        lister = Lister(ctx.config, ctx.log)
    except (ExpansionError, ValueError) as exc:
        ctx.log.fatal(str(exc))
        raise SystemExit(1) from None
    ctx.log.prepare()
    ctx.drop_privileges()
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(serve_unix(ctx.listeners, lister.client))
    finally:
        loop.close()
