"""NAME
    pyfix.delivery.smtp.cache - reuse of open SMTP/LMTP sessions

SUMMARY
    ConnectionCache

DESCRIPTION
    Postfix's smtp(8) can leave a session open after a delivery and use
    it for the next delivery to the same destination (scache(8)).  pyfix
    runs one long-lived client process, so the cache is a table in that
    process, keyed by the next-hop destination.

    A session is kept when it ended cleanly (no protocol error, no lost
    connection, last transaction reset if it failed) and caching applies
    to the request: the destination is listed in
    smtp_connection_cache_destinations, or smtp_connection_cache_on_demand
    is on and qmgr flagged the request (FLAG_CONN_STORE: the destination
    has a backlog).  An idle session is closed with QUIT after
    smtp_connection_cache_time_limit; a session older than
    smtp_connection_reuse_time_limit, or used
    smtp_connection_reuse_count_limit times (0: no limit), is not kept.

    Parameters read: none (see settings.py).

DIAGNOSTICS
    None.
"""

from __future__ import annotations

import asyncio
import time

from pyfix.delivery.request import FLAG_CONN_STORE, DeliveryRequest
from pyfix.delivery.smtp.session import Session
from pyfix.delivery.smtp.settings import SmtpSettings


class ConnectionCache:
    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._idle: dict[str, list[tuple[Session, asyncio.TimerHandle]]] = {}

    def enabled(self, destination: str, request: DeliveryRequest) -> bool:
        settings = self.settings
        if destination.lower() in settings.cache_destinations:
            return True
        return settings.cache_on_demand and bool(request.flags & FLAG_CONN_STORE)

    def find(self, destination: str, request: DeliveryRequest) -> Session | None:
        """An idle session for destination, or None."""
        if not self.enabled(destination, request):
            return None
        idle = self._idle.get(destination.lower(), [])
        while idle:
            session, timer = idle.pop()
            timer.cancel()
            if session.alive:
                session.reuse_count += 1
                return session
            session.close()
        return None

    async def release(self, session: Session, request: DeliveryRequest) -> None:
        """Keep session for its destination, or end it."""
        settings = self.settings
        key = session.cache_key.lower()
        keep = (session.cacheable and not session.broken and session.alive and key
                and self.enabled(session.cache_key, request)
                and time.monotonic() - session.created < settings.reuse_time_limit
                and (settings.reuse_count_limit <= 0
                     or session.reuse_count + 1 < settings.reuse_count_limit))
        if not keep:
            if session.broken:
                session.close()
            else:
                await session.quit()
            return
        loop = asyncio.get_running_loop()
        timer = loop.call_later(settings.cache_time_limit, self._expire, key, session)
        self._idle.setdefault(key, []).append((session, timer))

    def _expire(self, key: str, session: Session) -> None:
        idle = self._idle.get(key, [])
        self._idle[key] = [(s, t) for s, t in idle if s is not session]
        if not self._idle[key]:
            del self._idle[key]
        task = asyncio.ensure_future(session.quit())
        task.add_done_callback(lambda _t: None)
