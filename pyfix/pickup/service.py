"""NAME
    pyfix.pickup.service - the pickup service process

SUMMARY
    serve(), make_settings()

DESCRIPTION
    Entry point that the master calls (pyfix.master.child) for the
    master.cf "pickup" service ("pickup unix n - y 60 1 pickup").  It
    scans $queue_directory/maildrop (pickup.py) when a client writes a
    wakeup request to the service socket public/pickup (sendmail and
    postdrop do that after each submission), and otherwise every
    wakeup-column seconds of its master.cf entry ($queue_run_delay
    when the column is "-"), as Postfix's master wakes its pickup.

    Messages go to the in-process cleanup library with the
    configuration of the service that $cleanup_service_name names.

    Parameters read: cleanup_service_name, queue_run_delay, myhostname,
    mail_name, line_length_limit, mail_owner, receive_override_options,
    smtputf8_autodetect_classes, and what QueueLayout reads.

DIAGNOSTICS
    A configuration error, or a missing cleanup library, is logged as
    fatal and ends the process with status 1.  Errors while one file
    is handled are logged and the file is kept for the next scan.
"""

from __future__ import annotations

import asyncio
import contextlib
import pwd
import signal
from typing import TYPE_CHECKING, cast

from pyfix.config.store import Config, ExpansionError
from pyfix.master.runtime import preload
from pyfix.pickup.cleanup_api import CleanupServiceAPI
from pyfix.pickup.pickup import PickupSettings, scan_maildrop
from pyfix.queue.layout import QueueLayout

if TYPE_CHECKING:
    from pyfix.log.maillog import MailLog
    from pyfix.master.child import ServiceContext


def make_settings(config: Config) -> PickupSettings:
    try:
        owner_uid = pwd.getpwnam(config.get("mail_owner")).pw_uid
    except KeyError:
        owner_uid = -1
    return PickupSettings(
        myhostname=config.get("myhostname"),
        mail_name=config.get("mail_name"),
        line_limit=config.get_int("line_length_limit"),
        owner_uid=owner_uid,
        receive_override_options=config.get("receive_override_options"),
        autodetect_classes=config.get("smtputf8_autodetect_classes"),
    )


def wakeup_interval(config: Config) -> float:
    entry = config.scope
    column = entry.wakeup.rstrip("?") if entry is not None else "-"
    if column.isdigit() and int(column) > 0:
        return float(column)
    return float(config.get_time("queue_run_delay"))


def cleanup_for(config: Config) -> CleanupServiceAPI:
    """cleanup as smtpd uses it: cleanup_service_name's view, logging as
    "postfix/cleanup", with trivial-rewrite in rewrite_service_name's view."""
    from pyfix.cleanup.service import CleanupService

    service = CleanupService.for_client(config)
    service.log.prepare()  # open the log file before dropping root
    return cast(CleanupServiceAPI, service)  # its stream has more than pickup uses


def run_scan(layout: QueueLayout, cleanup: CleanupServiceAPI, settings: PickupSettings,
             log: MailLog) -> None:
    try:
        scan_maildrop(layout, cleanup, settings, log.info, log.warn)
    except Exception as exc:  # keep serving; the file stays for the next scan
        log.warn(f"maildrop scan: {exc}")


async def _serve(ctx: ServiceContext, layout: QueueLayout, cleanup: CleanupServiceAPI,
                 settings: PickupSettings, interval: float) -> None:
    stop = asyncio.Event()
    wake = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, stop.set)

    async def on_trigger(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(reader.read(100), 10)
        writer.close()
        wake.set()

    servers = [await asyncio.start_unix_server(on_trigger, sock=sock) for sock in ctx.listeners]
    stopper = asyncio.ensure_future(stop.wait())
    while not stop.is_set():
        await asyncio.to_thread(run_scan, layout, cleanup, settings, ctx.log)
        waker = asyncio.ensure_future(wake.wait())
        await asyncio.wait({waker, stopper}, timeout=interval,
                           return_when=asyncio.FIRST_COMPLETED)
        waker.cancel()
        wake.clear()
    for server in servers:
        server.close()


def serve(ctx: ServiceContext) -> None:
    config = ctx.config
    try:
        settings = make_settings(config)
        layout = QueueLayout.from_config(config)
        interval = wakeup_interval(config)
        cleanup = cleanup_for(config)
    except (ExpansionError, ValueError) as exc:
        ctx.log.fatal(str(exc))
        raise SystemExit(1) from None
    preload()  # asyncio's thread pool: cannot be imported once privileges are dropped
    ctx.drop_privileges()
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(_serve(ctx, layout, cleanup, settings, interval))
    finally:
        loop.close()
