"""NAME
    pyfix.master.runtime - what every asyncio service process needs

SUMMARY
    preload(), event_loop()

DESCRIPTION
    preload() imports the modules that asyncio and the resolver load
    lazily.  A service calls it before it drops root privileges: after
    the switch to $mail_owner the interpreter may no longer be able to
    read its own library (for example a Python installed under /root).

    event_loop() returns a uvloop event loop when uvloop is installed,
    otherwise asyncio's default loop (DESIGN.md section 6).

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

import asyncio


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
