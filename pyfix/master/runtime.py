"""NAME
    pyfix.master.runtime - what every asyncio service process needs

SUMMARY
    preload(), event_loop(), serve_unix()

DESCRIPTION
    preload() imports the modules that asyncio and the resolver load
    lazily.  A service calls it before it drops root privileges: after
    the switch to $mail_owner the interpreter may no longer be able to
    read its own library (for example a Python installed under /root).

    event_loop() returns a uvloop event loop when uvloop is installed,
    otherwise asyncio's default loop (DESIGN.md section 6).

    serve_unix() runs a service that answers clients on its inherited
    UNIX-domain listeners until SIGTERM or SIGHUP; with interval > 0 it
    also calls tick() every interval seconds (a wakeup timer).

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Awaitable, Callable, Sequence

Client = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def preload() -> None:
    import concurrent.futures.thread  # noqa: F401  (getaddrinfo/getnameinfo executor)
    import encodings.idna  # host names
    import encodings.punycode  # noqa: F401  (the idna codec's helper: UTF-8 domains)
    import unicodedata  # noqa: F401  (idna's normalization)


def event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop  # type: ignore[import-not-found,unused-ignore]

        loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    except ImportError:
        loop = asyncio.new_event_loop()
    return loop


async def serve_unix(listeners: Sequence[socket.socket], client: Client, interval: float = 0,
                     tick: Callable[[], None] | None = None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, stop.set)
    servers = [await asyncio.start_unix_server(client, sock=sock) for sock in listeners]
    while not stop.is_set():
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), interval if interval > 0 else None)
        if not stop.is_set() and tick is not None:
            tick()
    for server in servers:
        server.close()
