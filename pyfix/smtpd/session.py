"""NAME
    pyfix.smtpd.session - one SMTP connection: the asyncio shell

SUMMARY
    serve_connection()

DESCRIPTION
    The thin shell around the sans-I/O core (pyfix.smtp.server): it reads
    from the socket only when the core needs data, writes the core's
    replies when the core waits for input (so that pipelined replies go
    out together, as Postfix does), sleeps smtpd_error_sleep_time when
    the core asks, times the client out after smtpd_timeout, answers the
    core's requests with the restriction lists (pyfix.smtpd.checks: RCPT,
    and VRFY as Postfix does) and the queue file,
    and writes the core's log lines through the service's mail log.
    The client's names and their lookup status come from peer.py; its
    warnings go to the log before "connect from".

    Parameters read: smtpd_timeout, smtpd_peername_lookup, mail_name,
    myhostname, and those of pyfix.smtpd.checks and relay.py.

DIAGNOSTICS
    A queue write failure answers the transaction with the queue error's
    reply (for example "452 4.3.1 Insufficient system storage") and loses
    nothing that was already accepted; network errors end the session as
    "lost connection".
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import time
from dataclasses import dataclass

from pyfix.cleanup import CleanupService, CleanupStream, Origin, SmtpClient
from pyfix.cleanup.status import CLEANUP_FLAG_MASK_EXTERNAL, CLEANUP_FLAG_SMTP_REPLY
from pyfix.config.store import Config
from pyfix.log.maillog import MailLog
from pyfix.queue.errors import QueueError, QueueWriteError
from pyfix.smtp import events as ev
from pyfix.smtp.replies import Reply
from pyfix.smtp.server import SmtpServer
from pyfix.smtp.session import ClientInfo
from pyfix.smtp.settings import ServerSettings
from pyfix.smtpd.checks.smtpd import Facts, Outcome, SmtpdChecks
from pyfix.smtpd.etrn import EtrnHandler
from pyfix.smtpd.milter_gate import MilterGate
from pyfix.smtpd.notify import TranscriptNotice
from pyfix.smtpd.peer import PeerName, lookup_peer
from pyfix.smtpd.received import received_header
from pyfix.smtpd.refusal import log_outcome
from pyfix.smtpd.relay import RelayPolicy

READ_SIZE = 65536
# Postfix's DSN_NOTIFY_* bits, as the queue file stores them.
DSN_NOTIFY_BITS = {"NEVER": 1, "SUCCESS": 2, "FAILURE": 4, "DELAY": 8}
DSN_RET_BITS = {"FULL": 1, "HDRS": 2}
BODY_ENCODING = {"8BITMIME": "8bit", "7BIT": "7bit"}
SMTPD_CLEANUP_FLAGS = CLEANUP_FLAG_MASK_EXTERNAL | CLEANUP_FLAG_SMTP_REPLY


def _strip_brackets(word: str) -> str:
    """The address word without its enclosing <>, as smtpd's default ORCPT."""
    if len(word) >= 2 and word[0] == "<" and word[-1] == ">":
        return word[1:-1]
    return word


@dataclass
class SmtpdContext:
    config: Config
    settings: ServerSettings
    policy: RelayPolicy
    checks: SmtpdChecks
    cleanup: CleanupService
    log: MailLog
    timeout: float
    etrn: EtrnHandler
    peername_lookup: bool = True
    milter: MilterGate | None = None  # smtpd_milters that cannot be run
    notice: TranscriptNotice | None = None  # notify_classes transcripts


class Connection:
    def __init__(self, ctx: SmtpdContext, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter, client: ClientInfo,
                 peer: PeerName | None = None) -> None:
        self.ctx = ctx
        self.peer = peer or PeerName()
        self.reader = reader
        self.writer = writer
        self.client = client
        self.server = SmtpServer(ctx.settings, client,
                                 bare_newline_excluded=ctx.policy.mynetworks.match(client.addr))
        self.stream: CleanupStream | None = None
        self.mail: ev.MailFrom | None = None
        self.recipients: list[str] = []
        self.arrival = 0.0
        self.helo: str | None = None
        self.protocol = "SMTP"
        self.outbuf = bytearray()
        self.checks = ctx.checks.session(ctx.log.info, ctx.log.warn)
        sockname = writer.get_extra_info("sockname")
        self.server_addr, self.server_port = (
            (str(sockname[0]).removeprefix("::ffff:"), str(sockname[1]))
            if isinstance(sockname, tuple) else ("", ""))
        self.instance = ""  # names the mail transaction for policy servers
        self.transactions = 0
        self.server.localtime = lambda: time.strftime("%b %d %H:%M:%S")

    async def flush(self) -> None:
        data = bytes(self.outbuf) + self.server.data_to_send()
        self.outbuf.clear()
        if self.server.reply_delay:
            await asyncio.sleep(self.server.reply_delay)
        if data:
            self.writer.write(data)
            await self.writer.drain()

    def log_queue(self, queue_id: str) -> None:
        self.ctx.log.info(f"{queue_id}: client={self.client.namaddr}")

    def facts(self, sender: str | None = None) -> Facts:
        session = self.server.session
        transaction = session.in_mail_transaction  # (RSET and the end of DATA end it)
        if sender is None and self.mail is not None and transaction:
            sender = self.mail.address
        where = session.where
        return Facts(self.client.name, self.client.addr, self.client.namaddr, self.helo, sender,
                     self.peer.reverse_name, protocol_state=where, protocol_name=session.protocol,
                     client_port=self.client.port, server_addr=self.server_addr,
                     server_port=self.server_port, queue_id=session.mail.queue_id or "",
                     recipient_count=session.rcpt.count,
                     first_recipient=session.rcpt.first or "",
                     size=(session.mail.act_size if where == "END-OF-MESSAGE"
                           else session.mail.msg_size),
                     instance=self.instance if transaction else "",
                     pipelined=self.server.has_buffered_input, protocol=self.protocol,
                     name_status=self.peer.name_status,
                     reverse_status=self.peer.reverse_status)

    def new_instance(self) -> None:
        """A name for the new mail transaction: process, time, sequence."""
        now = time.time()
        self.instance = (f"{os.getpid():x}.{int(now):x}.{int(now % 1 * 1e6):x}."
                         f"{self.transactions:x}")
        self.transactions += 1

    def refuse(self, outcome: Outcome, sender: str | None = None,
               helo: str | None = None) -> Reply | None:
        """Log a restriction's verdict as Postfix does (refusal.py)."""
        return log_outcome(self.server, outcome, self.ctx.log.info,
                           self.ctx.settings.smtputf8_enable, sender, helo)

    async def decide(self, request: ev.Request) -> ev.Verdict:
        if self.ctx.milter is not None:
            reply = self.ctx.milter.verdict(self.server.session, request, self.ctx.log)
            if reply is not None:
                return reply
        if isinstance(request, ev.Connect):
            return self.refuse(await self.checks.connect(self.facts())) or ev.Accept()
        if isinstance(request, ev.Helo | ev.Ehlo):
            self.checks.ctx.actions.reset()  # a new HELO ends the transaction
            self.helo = request.name
            self.protocol = "ESMTP" if isinstance(request, ev.Ehlo) else "SMTP"
            outcome = await self.checks.helo(self.facts())
            return self.refuse(outcome, helo=request.name) or ev.Accept()
        if isinstance(request, ev.MailFrom):
            refused = self.refuse(await self.checks.mail(self.facts(request.address)),
                                  sender=request.address)
            if refused is not None:
                return refused
            self.abort()
            self.mail = request
            self.new_instance()
            return ev.Accept()
        if isinstance(request, ev.RcptTo):
            return await self.rcpt(request)
        if isinstance(request, ev.Data | ev.Bdat):
            return self.refuse(await self.checks.data(self.facts())) or self.data()
        if isinstance(request, ev.EndOfData):
            refused = self.refuse(await self.checks.end_of_data(self.facts()))
            if refused is not None:
                self.abort_stream()
                self.checks.ctx.actions.reset()
                return refused
            return await self.end_of_data()
        if isinstance(request, ev.Vrfy):
            return await self.vrfy(request)
        if isinstance(request, ev.Etrn):
            return (self.refuse(await self.checks.etrn(self.facts(), request.domain))
                    or self.ctx.etrn.handle(request.domain, self.client.namaddr) or ev.Accept())
        return ev.Accept()

    async def rcpt(self, request: ev.RcptTo) -> ev.Verdict:
        refused = self.refuse(await self.checks.recipient(self.facts(), request.address))
        if refused is not None:
            return refused
        assert self.mail is not None
        params = request.params
        notify = sum(DSN_NOTIFY_BITS.get(word.upper(), 0) for word in params.notify)
        orcpt = (f"{params.orcpt[0]};{params.orcpt[1]}" if params.orcpt
                 else f"rfc822;{_strip_brackets(request.raw) or request.address}")
        try:
            if self.stream is None:
                # Opening the queue file blocks: keep the other sessions going.
                self.stream = await asyncio.to_thread(self.open_stream, self.mail)
                self.server.session.mail.queue_id = self.stream.queue_id
                self.log_queue(self.stream.queue_id)
            self.stream.add_recipient(request.address, None, notify, orcpt)
        except QueueError as exc:
            return self.queue_failure(exc)
        self.recipients.append(request.address)
        return ev.Accept()

    async def vrfy(self, request: ev.Vrfy) -> ev.Verdict:
        """VRFY gets the checks that RCPT gets (relay control, unknown local
        users with smtpd_reject_unlisted_recipient), as in Postfix."""
        outcome = await self.checks.recipient(self.facts(), request.address)
        return self.refuse(outcome) or ev.Accept()

    def open_stream(self, mail: ev.MailFrom) -> CleanupStream:
        params = mail.params
        client = SmtpClient(name=self.client.name, addr=self.client.addr, port=self.client.port,
                            reverse_name=self.peer.reverse_name, helo=self.helo,
                            protocol=self.protocol, namaddr=self.client.namaddr)
        origin = Origin(rewrite_context=self.ctx.policy.rewrite_context(self.client.addr),
                        log_ident=True, client=client, dsn_envid=params.envid,
                        dsn_ret=DSN_RET_BITS.get((params.ret or "").upper(), 0),
                        encoding=BODY_ENCODING.get(params.body or ""))
        self.arrival = time.time()
        return self.ctx.cleanup.open(mail.address, SMTPD_CLEANUP_FLAGS, origin=origin,
                                     arrival=self.arrival)

    def data(self) -> ev.Verdict:
        assert self.stream is not None
        cfg = self.ctx.config
        header = received_header(
            self.helo, self.client.name, self.client.addr, cfg.get("myhostname"),
            cfg.get("mail_name"), self.protocol, self.stream.queue_id, self.recipients,
            self.arrival)
        actions = self.checks.ctx.actions
        if actions.flags:  # HOLD, DISCARD: cleanup knows before the content
            self.stream.add_flags(actions.flags)
        for line in actions.prepend + header:  # access(5) PREPEND first
            self.stream.write_line(line.encode("utf-8", "surrogateescape"))
        return ev.Accept()

    async def end_of_data(self) -> ev.Verdict:
        assert self.stream is not None
        stream, self.stream = self.stream, None
        self.recipients = []
        actions = self.checks.ctx.actions
        if actions.flags:
            stream.add_flags(actions.flags)
        close = functools.partial(stream.close, filter=actions.filter,
                                  redirect=actions.redirect, bcc=tuple(actions.bcc))
        actions.reset()
        result = await asyncio.to_thread(close)
        if result.ok and result.queue_id:
            return ev.Queued(result.queue_id)
        assert result.reply is not None
        return ev.NotQueued(result.reply)

    def queue_failure(self, exc: QueueError) -> Reply:
        self.ctx.log.warn(str(exc))
        self.abort()
        if isinstance(exc, QueueWriteError):
            code, enhanced, text = exc.reply_hint
        else:
            code, enhanced, text = QueueWriteError.reply_hint
        # Postfix words a write error as "Error: ...", a full disk plainly.
        # A "resource" error for notify_classes (postconf(5)).
        return Reply(code, enhanced, f"Error: {text}" if code == 451 else text, "resource")

    def content(self, event: ev.MessageData) -> None:
        if self.stream is None:
            return
        self.stream.write_lines([(record.data, record.kind == ev.REC_CONT)
                                 for record in event.records])

    def abort(self) -> None:
        self.recipients = []
        self.abort_stream()

    def abort_stream(self) -> None:
        if self.stream is not None:
            self.stream.abort()
            self.stream = None

    async def run(self) -> None:
        try:
            await self.loop()
        finally:
            self.abort()
            with contextlib.suppress(OSError, ConnectionError):
                self.writer.close()
                await self.writer.wait_closed()

    async def loop(self) -> None:
        while True:
            event = self.server.next_event()
            if event is ev.NEED_DATA:
                try:
                    await self.flush()
                    data = await asyncio.wait_for(self.reader.read(READ_SIZE),
                                                  timeout=self.ctx.timeout)
                except TimeoutError:
                    self.outbuf += self.server.send(ev.Timeout())
                    continue
                except (OSError, ConnectionError):
                    self.server.send(ev.Lost())
                    continue
                if data:
                    self.server.receive_data(data)
                else:
                    self.server.receive_eof()
            elif isinstance(event, ev.Request):
                self.outbuf += self.server.send(await self.decide(event))
            elif isinstance(event, ev.MessageData):
                self.content(event)
            elif isinstance(event, ev.Rset | ev.Quit):
                self.abort()
                self.checks.ctx.actions.reset()
            elif isinstance(event, ev.ProtocolViolation) and event.command == "END-OF-MESSAGE":
                self.abort()  # the core refused the content: no queue file stays
            elif isinstance(event, ev.Transcript):
                if self.ctx.notice is not None:
                    await asyncio.to_thread(self.ctx.notice.send, self.client.namaddr,
                                            event.lines)
            elif isinstance(event, ev.LogMessage):
                if event.level == "warning":
                    self.ctx.log.warn(event.text)
                else:
                    self.ctx.log.info(event.text)
            elif isinstance(event, ev.Closed):
                with contextlib.suppress(OSError, ConnectionError):
                    await self.flush()
                return


async def serve_connection(ctx: SmtpdContext, reader: asyncio.StreamReader,
                           writer: asyncio.StreamWriter) -> None:
    peer = writer.get_extra_info("peername") or ("unknown", "unknown")
    addr, port = str(peer[0]), str(peer[1])
    if addr.startswith("::ffff:"):
        addr = addr[7:]
    peer = await lookup_peer(addr) if ctx.peername_lookup else PeerName()
    for warning in peer.warnings:
        ctx.log.warn(warning)
    client = ClientInfo(peer.name, addr, port, ctx.settings.client_port_logging)
    await Connection(ctx, reader, writer, client, peer).run()
