"""NAME
    pyfix.delivery.smtp.deliver - one delivery request over SMTP or LMTP

SUMMARY
    SmtpDelivery

DESCRIPTION
    SmtpDelivery.run() does for one request what Postfix's smtp_connect(),
    smtp_helo(), smtp_xfer() and smtp_trouble.c do:

    - for each destination of the next hop (and then smtp_fallback_relay),
      find the servers (nexthop.py) and try them in order, at most
      smtp_mx_address_limit addresses and smtp_mx_session_limit sessions;
      LMTP "unix:/path" is one local server; a cached session for the
      destination is used first (cache.py);
    - on a new session: the greeting (not 2xx: "host X refused to talk to
      me", a 5xx greeting counts as 4xx with smtp_skip_5xx_greeting),
      EHLO (falls back to HELO unless the reply is 421), or LHLO; a server
      that names itself as $myhostname in its EHLO reply "loops back to
      myself"; mail that needs SMTPUTF8 bounces when it is not offered;
    - the transaction (pyfix.smtp.client_xfer): a message over the
      server's SIZE limit is not sent; replies become per-recipient
      results: "host X said: REPLY (in reply to COMMAND)".
      A trace-only request (verify probe, sendmail -bv) stops after the
      RCPT TO replies (smtp_address_verify_target = rcpt): no DATA, and
      the session is reset (RSET) for reuse, or ends with QUIT.

    A soft failure (4xx, or a lost connection) on a server that is not
    the last one keeps the recipient for the next server, with an
    informational log line; on the last server, and for 5xx, recipients
    are deferred or bounced.  Failures of a whole session (greeting,
    handshake, lost connection, time-out) also make the destination a
    "site failure" for qmgr when they defer mail.

    Parameters read: none (see settings.py).

DIAGNOSTICS
    Delivery outcomes go to the Delivery (log lines, queue file).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from pyfix.delivery.dsn import DSN_NOTIFY_SUCCESS, Dsn
from pyfix.delivery.request import TRACE_ONLY, RequestRecipient
from pyfix.delivery.smtp.nexthop import LookupFailure, Target, parse_destination
from pyfix.delivery.smtp.session import ConnectFailure, Session, SessionError, open_session
from pyfix.queue.errors import QueueFileCorrupt
from pyfix.smtp.client import Ehlo, Helo, Lhlo, Response, Rset
from pyfix.smtp.client_reply import ServerFeatures, ServerReply, parse_ehlo
from pyfix.smtp.client_xfer import Transaction, mail_params, rcpt_params

if TYPE_CHECKING:
    from pyfix.delivery.agent import Delivery
    from pyfix.delivery.smtp.service import SmtpAgent


class _Abort(Exception):
    """The session cannot continue; recipients were handled."""


class SmtpDelivery:
    def __init__(self, agent: SmtpAgent, delivery: Delivery) -> None:
        self.agent = agent
        self.settings = agent.settings
        self.delivery = delivery
        self.request = delivery.request
        self.left: list[RequestRecipient] = list(delivery.request.recipients)
        self.final_server = False
        self.why: tuple[str, str] | None = None  # status, reason of the last problem
        self.site_failure = ""
        self.session: Session | None = None
        self.final_nexthop = False
        self.sess_count = 0

    # Reporting (smtp_trouble.c) -----------------------------------------

    def _relay(self) -> str:
        return self.session.target.namaddrport if self.session else "none"

    def _dsn(self, status: str, reason: str, reply: ServerReply | None) -> Dsn:
        if reply is not None and status[:1] not in ("4", "5"):
            status, reason = "5.5.0", "Protocol error: " + reason
            if self.session:
                self.session.cacheable = False
        if status[:1] == "5" and self.settings.soft_bounce:
            status = "4" + status[1:]
        action = "delayed" if status[:1] == "4" else "failed"
        if reply is None or self.session is None:
            return Dsn(status, action, reason)
        return Dsn(status, action, reason, "smtp", reply.one_line(), "dns",
                   self.session.target.host)

    def _fail(self, rcpts: list[RequestRecipient], dsn: Dsn, throttle: bool) -> None:
        if dsn.status[:1] == "4" and not self.final_server:
            self.delivery.log.info(f"{self.request.queue_id}: {dsn.reason}")
            return
        if self.delivery.conn_done == 0:
            self.delivery.connected()
        for rcpt in rcpts:
            if dsn.status[:1] == "4":
                self.delivery.defer(rcpt, dsn, self._relay())
                if throttle and not self.site_failure:
                    self.site_failure = dsn.reason
            else:
                self.delivery.bounce(rcpt, dsn, self._relay())
            self.left.remove(rcpt)

    def bulk_fail(self, status: str, reason: str, reply: ServerReply | None = None,
                  throttle: bool = True) -> None:
        self.why = (status, reason)
        self._fail(list(self.left), self._dsn(status, reason, reply), throttle)
        if throttle and self.session:
            self.session.cacheable = False

    def reply_reason(self, reply: ServerReply, request: str) -> str:
        assert self.session is not None
        peer = self.session.target.namaddr
        return f"host {peer} said: {reply.one_line()} (in reply to {request})"

    # Session set-up (smtp_helo) -----------------------------------------

    async def helo(self, session: Session) -> None:
        """Greeting and EHLO/HELO/LHLO; _Abort after reporting a failure."""
        settings = self.settings
        greeting = await session.response()
        reply = greeting.reply
        if reply.kind != 2:
            status = reply.dsn
            if reply.kind == 5 and settings.skip_5xx_greeting:
                status = "4" + status[1:]
            self._refused(reply, status)
        words = reply.text.split("\n")[0][4:].split()
        esmtp = settings.lmtp or settings.always_ehlo or "ESMTP" in (w.upper() for w in words)
        if settings.never_ehlo:
            esmtp = False
        name = settings.helo_name
        if settings.lmtp:
            reply = await self._hello(session, Lhlo(name))
        elif esmtp:
            reply = (await self._exchange(session, Ehlo(name))).reply
            if reply.kind != 2:
                if reply.code == 421:
                    self._refused(reply, reply.dsn)
                esmtp = False
        if not esmtp:
            reply = await self._hello(session, Helo(name))
            session.features = ServerFeatures()
            return
        session.features = parse_ehlo(reply, settings.discard_keywords,
                                      session.target.namaddrport)
        for warning in session.features.warnings:
            self.delivery.log.warn(warning)
        helo_name = session.features.helo_name
        if helo_name.lower() == settings.myhostname.lower() and self.loop_detect(session):
            self.delivery.log.warn(f"host {session.target.namaddrport} replied to HELO/EHLO "
                                   f"with my own hostname {settings.myhostname}")
            status = "5.4.6" if session.best_mx else "4.4.6"
            self.bulk_fail(status, f"mail for {self.request.nexthop} loops back to myself")
            raise _Abort

    def loop_detect(self, session: Session) -> bool:
        return not self.settings.lmtp and session.target.port == 25

    def _refused(self, reply: ServerReply, status: str) -> None:
        assert self.session is not None
        self.bulk_fail(status, f"host {self.session.target.namaddr} refused to talk to me: "
                               f"{reply.one_line()}", reply)
        raise _Abort

    async def _exchange(self, session: Session, command: Ehlo | Helo | Lhlo) -> Response:
        await session.send([command])
        return await session.response()

    async def _hello(self, session: Session, command: Helo | Lhlo) -> ServerReply:
        reply = (await self._exchange(session, command)).reply
        if reply.kind != 2:
            self._refused(reply, reply.dsn)
        return reply

    # The transaction (smtp_xfer) -----------------------------------------

    async def xfer(self, session: Session) -> None:
        request = self.request
        features = session.features
        needs_utf8 = bool(request.smtputf8 & 1) and bool(request.smtputf8 & ~1)
        if needs_utf8 and not features.smtputf8:
            self.bulk_fail("5.6.7", "SMTPUTF8 is required, but was not offered by host "
                                    f"{session.target.namaddr}", throttle=False)
            return
        if features.size_limit > 0 and features.size_limit < request.data_size:
            self.bulk_fail("5.3.4", f"message size {request.data_size} exceeds size limit "
                                    f"{features.size_limit} of server {session.target.namaddr}",
                           throttle=False)
            return
        rcpts = list(self.left)
        smtputf8 = bool(request.smtputf8 & 1)
        xfer = Transaction(
            request.sender,
            mail_params(features, request.data_size, request.encoding, request.dsn_envid,
                        request.dsn_ret, smtputf8),
            [(r.address, rcpt_params(features, r.dsn_orcpt, r.orig_address, r.dsn_notify,
                                     smtputf8)) for r in rcpts],
            lmtp=self.settings.lmtp, pipelining=features.pipelining,
            verify_only=bool(request.flags & TRACE_ONLY))
        self.delivery.conn_use = session.reuse_count + 1 if session.reuse_count else 0
        self.delivery.connected()
        await session.send(xfer.start())
        reported: set[int] = set()
        while not xfer.finished:
            if xfer.need_content:
                try:
                    content = self._content()
                except QueueFileCorrupt:
                    # Never end a damaged message with ".": drop the session.
                    self.delivery.log.warn(f"{request.queue_id}: bad record type: -1 "
                                           "in message content")
                    session.cacheable = False
                    session.broken = True
                    self.bulk_fail("5.3.0", "unreadable mail queue entry", throttle=False)
                    return
                await session.send_content(content)
                await session.send([xfer.end_of_data()])
            response = await session.response()
            await session.send(xfer.on_response(response))
            self._report(xfer, rcpts, reported)
        self._report(xfer, rcpts, reported)
        failed = not xfer.results or not all(o.ok for o in xfer.results.values())
        if (failed or xfer.verify_only) and session.cacheable and session.alive:
            await session.send([Rset()])
            if (await session.response()).reply.kind != 2:
                session.cacheable = False

    def _content(self) -> list[bytes]:
        queue_file = self.delivery.queue_file
        assert queue_file is not None
        return list(queue_file.iter_lines())

    def _report(self, xfer: Transaction, rcpts: list[RequestRecipient],
                reported: set[int]) -> None:
        for index, outcome in xfer.results.items():
            if index in reported:
                continue
            reported.add(index)
            rcpt = rcpts[index]
            if rcpt not in self.left:
                continue
            reply = outcome.reply
            if outcome.ok:
                self._sent(rcpt, reply)
            else:
                reason = self.reply_reason(reply, outcome.request)
                self.why = (reply.dsn, reason)
                if 500 <= reply.code < 510 or reply.code == 555 or reply.kind not in (4, 5):
                    assert self.session is not None
                    self.session.cacheable = False  # Postfix's smtp_check_code()
                self._fail([rcpt], self._dsn(reply.dsn, reason, reply), throttle=False)

    def _sent(self, rcpt: RequestRecipient, reply: ServerReply) -> None:
        assert self.session is not None
        features = self.session.features
        if features.dsn:
            rcpt = dataclasses.replace(rcpt, dsn_notify=rcpt.dsn_notify & ~DSN_NOTIFY_SUCCESS)
        text = reply.one_line()
        dsn = Dsn(reply.dsn, "relayed", text, "smtp", text, "dns", self.session.target.host)
        self.delivery.sent(rcpt, dsn, self.session.target.namaddrport)
        self.left = [r for r in self.left if r.offset != rcpt.offset]

    # One server ------------------------------------------------------------

    async def try_session(self, session: Session, fresh: bool) -> None:
        """Deliver over session (fresh: greeting and EHLO first)."""
        self.session = session
        try:
            if fresh:
                await self.helo(session)
            self.sess_count += 1
            limit = self.settings.mx_session_limit
            if self.final_nexthop and limit > 0 and self.sess_count >= limit:
                self.final_server = True
            await self.xfer(session)
        except _Abort:
            pass
        except SessionError as exc:
            session.cacheable = False
            session.broken = True
            peer = session.target.namaddr
            text = (f"lost connection with {peer} while {exc.where}" if exc.kind == "eof"
                    else f"conversation with {peer} timed out while {exc.where}")
            self.bulk_fail("4.4.2", text)
        finally:
            await self.agent.cache.release(session, self.request)
            self.session = None

    async def connect(self, target: Target, unix_path: str = "") -> Session | None:
        try:
            return await open_session(target, self.settings, unix_path)
        except ConnectFailure as exc:
            self.why = ("4.4.1", str(exc))
            self.delivery.log.info(str(exc))
            return None

    # Destinations ---------------------------------------------------------

    async def run(self) -> str:
        nexthop = self.request.nexthop
        try:
            if self.settings.lmtp and nexthop.startswith("unix:"):
                await self.run_local(nexthop[5:])
            else:
                if self.settings.lmtp and nexthop.startswith("inet:"):
                    nexthop = nexthop[5:]
                await self.run_inet(nexthop)
        except ValueError as exc:
            self.delivery.log.warn(f"{self.request.queue_id}: {exc}")
            self.why = ("4.3.5", "server configuration error")
        if self.left:
            self.final_server = True
            status, reason = self.why or ("4.3.0", "server unavailable or unable to receive mail")
            self.bulk_fail(status, reason)
        return self.site_failure

    async def run_local(self, path: str) -> None:
        target = Target(self.settings.myhostname, path, 0)
        self.final_server = self.final_nexthop = True
        session = self.agent.cache.find(path, self.request)
        fresh = session is None
        if session is None:
            session = await self.connect(target, path)
        if session is not None:
            session.cache_key = path
            await self.try_session(session, fresh)

    async def run_inet(self, nexthop: str) -> None:
        sites = [s for s in nexthop.replace(",", " ").split() if s]
        non_fallback = len(sites)
        sites += self.settings.fallback_relay
        default_port = self.settings.tcp_port
        for number, dest in enumerate(sites):
            if not self.left:
                break
            final_nexthop = number == len(sites) - 1
            host, port, bracketed = parse_destination(dest, default_port)
            loop_detect = not self.settings.lmtp and port == 25
            lookup_mx = not self.settings.lmtp and self.settings.dns_enabled and not bracketed
            try:
                if lookup_mx:
                    targets, i_am_mx = await self.agent.finder.domain_addr(host, port,
                                                                           loop_detect)
                    final_nexthop = final_nexthop or i_am_mx
                else:
                    targets = await self.agent.finder.host_addr(host, port, loop_detect)
            except LookupFailure as exc:
                self.why = (exc.status, exc.reason)
                if exc.loop:
                    final_nexthop = True
                targets = []
            if targets:
                await self._try_targets(dest, targets, final_nexthop)
            if final_nexthop:
                break
        if self.left and self.why and self.why[0][:1] == "5":
            if number >= non_fallback:
                self.delivery.log.warn("smtp_fallback_relay configuration problem")
                self.why = ("4.3.5", self.why[1])
            elif not self.settings.lmtp and sites[0] == self.settings.relayhost:
                self.delivery.log.warn("relayhost configuration problem")
                self.why = ("4.3.5", self.why[1])

    async def _try_targets(self, dest: str, targets: list[Target], final_nexthop: bool) -> None:
        best_pref = targets[0].pref
        addr_count = 0
        self.sess_count = 0
        self.final_nexthop = final_nexthop
        cached = self.agent.cache.find(dest, self.request)
        if cached is not None:
            addr_count = 1
            cached.best_mx = cached.target.pref == best_pref
            self.final_server = final_nexthop and len(targets) <= 1
            await self.try_session(cached, False)
        limit_addr = self.settings.mx_address_limit
        for position, target in enumerate(targets):
            if not self.left:
                break
            addr_count += 1
            last = position == len(targets) - 1 or (limit_addr > 0 and addr_count >= limit_addr)
            session = await self.connect(target)
            if session is None:
                if last:
                    break
                continue
            session.best_mx = target.pref == best_pref
            session.cache_key = dest
            self.final_server = final_nexthop and last
            await self.try_session(session, True)
            limit = self.settings.mx_session_limit
            if last or (limit > 0 and self.sess_count >= limit):
                break
