"""A scripted SMTPD policy server for tests (Postfix's policy delegation protocol).

It listens on loopback TCP (inet) or on a UNIX-domain socket (unix), reads
requests ("name=value" lines ending with an empty line), records each as a
dict, and answers with what its script says:

    server = PolicyServer(lambda attrs: "REJECT no thanks")
    server.spec            # "inet:127.0.0.1:PORT" (or "unix:/path")
    server.requests        # [{"request": "smtpd_access_policy", ...}, ...]
    server.connections     # how many connections it accepted
    server.closed          # how many of them have ended

The script returns the action text (sent as "action=TEXT" and an empty
line), or one of the behaviours CLOSE (close the connection without an
answer), HANG (never answer; wait until the client closes), GARBAGE (answer a line that is not
"name=value").  A thread per connection serves it; requests on one
connection are answered in order, as Postfix expects.

The same server serves pyfix and real Postfix in differential tests: both
connect to it, and the requests it recorded show what each side sent.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

CLOSE = "\0close"
HANG = "\0hang"
GARBAGE = "\0garbage"

Script = Callable[[dict[str, str]], str]


class PolicyServer:
    def __init__(self, script: Script | str = "DUNNO", unix: Path | None = None,
                 close_after: bool = False) -> None:
        self.close_after = close_after  # close each connection after one answer
        self.script: Script = (lambda attrs, action=script: action) if isinstance(script, str) \
            else script
        self.requests: list[dict[str, str]] = []
        self.connections = 0
        self.closed = 0  # connections that ended (either side closed)
        self.lock = threading.Lock()
        self.done = threading.Event()
        if unix is None:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind(("127.0.0.1", 0))
            self.spec = f"inet:127.0.0.1:{self.sock.getsockname()[1]}"
        else:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            if unix.exists():
                unix.unlink()
            self.sock.bind(str(unix))
            os.chmod(unix, 0o666)  # Postfix's smtpd runs as mail_owner
            self.spec = f"unix:{unix}"
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.done.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            self._converse(conn)
        finally:
            with self.lock:
                self.closed += 1

    def _converse(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as reader:
            attrs: dict[str, str] = {}
            for raw in reader:
                line = raw.decode("utf-8", "surrogateescape").rstrip("\n")
                if line:
                    name, _, value = line.partition("=")
                    attrs[name] = value
                    continue
                with self.lock:
                    self.requests.append(attrs)
                action = self.script(attrs)
                attrs = {}
                if action == CLOSE:
                    return
                if action == HANG:
                    reader.read()  # until the client gives up and closes
                    return
                answer = "this is not an attribute\n\n" if action == GARBAGE \
                    else f"action={action}\n\n"
                try:
                    conn.sendall(answer.encode())
                except OSError:
                    return
                if self.close_after:
                    return

    def requests_of(self, state: str) -> list[dict[str, str]]:
        with self.lock:
            return [r for r in self.requests if r.get("protocol_state") == state]

    def stop(self) -> None:
        self.done.set()
        self.sock.close()
        self.thread.join(2)

    def __enter__(self) -> PolicyServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()
