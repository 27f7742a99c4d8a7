"""NAME
    pyfix.smtpd.service - the smtpd service process

SUMMARY
    serve(), smtpd_context()

DESCRIPTION
    Entry point that the master calls (pyfix.master.child) for a master.cf
    "smtpd" service.  It builds the service's settings from its own
    configuration view (main.cf overridden by the service's -o options),
    serves every inherited listening socket with asyncio (uvloop when
    installed), and runs each connection through session.py.  One
    process holds many sessions at once.

    SIGTERM and SIGHUP stop accepting new connections; sessions in
    progress are allowed to finish (for at most $smtpd_timeout), so that
    "postfix reload" never cuts a session.

    Parameters read: smtpd_timeout, smtpd_peername_lookup, and everything
    that ServerSettings, RelayPolicy, the restriction lists
    (pyfix.smtpd.checks), the milter gate, the mail log, the cleanup library
    (in the view of the service that cleanup_service_name names) and
    the trivial-rewrite library (in the view of the service that
    rewrite_service_name names) read.  smtpd asks trivial-rewrite for a
    recipient's address class, as Postfix's smtpd does, so an smtpd
    "-o relay_domains=..." changes nothing there.

DIAGNOSTICS
    A configuration error is logged as fatal and ends the process with
    status 1 (the master then throttles restarts); so are restriction
    lists without a relay check ("in parameter smtpd_relay_restrictions
    or smtpd_recipient_restrictions, specify at least one working
    instance of: ...").
"""

from __future__ import annotations

import asyncio
import signal
from typing import TYPE_CHECKING

from pyfix.cleanup import CleanupService
from pyfix.config.store import Config, ExpansionError
from pyfix.config.types import ConfigValueError
from pyfix.master.runtime import event_loop, preload
from pyfix.rewrite.service import TrivialRewrite
from pyfix.smtp.settings import ServerSettings, SettingsError
from pyfix.smtpd.checks.smtpd import RestrictionConfigError, SmtpdChecks
from pyfix.smtpd.etrn import EtrnHandler
from pyfix.smtpd.milter_gate import milter_gate
from pyfix.smtpd.notify import TranscriptNotice
from pyfix.smtpd.relay import RelayPolicy
from pyfix.smtpd.session import SmtpdContext, serve_connection

if TYPE_CHECKING:
    from pyfix.log.maillog import MailLog
    from pyfix.master.child import ServiceContext


async def _serve(ctx: ServiceContext, smtpd: SmtpdContext) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, stop.set)
    sessions: set[asyncio.Task[None]] = set()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        sessions.add(task)
        try:
            await serve_connection(smtpd, reader, writer)
        except Exception as exc:  # a bug must be logged, not lost with the session
            ctx.log.warn(f"session aborted: {type(exc).__name__}: {exc}")
            writer.close()
        finally:
            sessions.discard(task)

    servers = [await asyncio.start_server(on_connect, sock=sock, limit=1 << 20)
               for sock in ctx.listeners]
    await stop.wait()
    for server in servers:
        server.close()
    # Connections accepted just before the close get their session task on a
    # later loop iteration: let them start, so that a reload drops none.
    await asyncio.sleep(0.2)
    if sessions:
        await asyncio.wait(set(sessions), timeout=smtpd.timeout)


def smtpd_context(config: Config, log: MailLog) -> SmtpdContext:
    """Everything one smtpd service needs, from its own view (config):
    the libraries each in the view of the service that it belongs to."""
    policy = RelayPolicy(config, TrivialRewrite.for_client(config), log.warn)
    cleanup = CleanupService.for_client(config)
    return SmtpdContext(
        config=config,
        settings=ServerSettings.from_config(config),
        policy=policy,
        checks=SmtpdChecks(config, policy),
        cleanup=cleanup,
        log=log,
        timeout=float(config.get_time("smtpd_timeout")),
        peername_lookup=config.get_bool("smtpd_peername_lookup"),
        etrn=EtrnHandler(config, log.warn),
        milter=milter_gate(config),
        notice=TranscriptNotice(config, cleanup, log),
    )


def serve(ctx: ServiceContext) -> None:
    try:
        smtpd = smtpd_context(ctx.config, ctx.log)
    except (ConfigValueError, ExpansionError, SettingsError, RestrictionConfigError) as exc:
        ctx.log.fatal(str(exc))
        raise SystemExit(1) from None
    preload()
    smtpd.cleanup.log.prepare()  # cleanup logs as postfix/cleanup: open before dropping root
    ctx.drop_privileges()
    loop = event_loop()
    try:
        loop.run_until_complete(_serve(ctx, smtpd))
    finally:
        loop.close()
