"""NAME
    pyfix.log.maillog - Postfix's mail log lines

SUMMARY
    MailLog, open_maillog(), format_line()

DESCRIPTION
    Every pyfix daemon logs through one MailLog, which writes lines in
    Postfix's exact format:

        Mon DD HH:MM:SS host postfix/smtpd[1234]: text
        Mon DD HH:MM:SS host postfix/smtpd[1234]: warning: text

    where "postfix/smtpd" is $syslog_name/$process_name (so that
    "-o syslog_name=postfix/submission" gives "postfix/submission/smtpd"),
    and host is the first label of $myhostname.

    Destination, as in Postfix 3.4 and later:
    - maillog_file set: append the line to that file (one write(2) per
      line with O_APPEND, so lines from many processes never interleave);
      "/dev/stdout" is accepted for foreground use;
    - otherwise syslog through /dev/log (RFC 3164 datagrams, facility
      $syslog_facility), when that socket exists;
    - otherwise standard error.

    Text from clients never reaches the log raw: control characters and
    bytes that are not UTF-8 become "?", and with "smtputf8_enable = no"
    every non-ASCII byte does (printable.py).

    Parameters read: syslog_name, syslog_facility, maillog_file,
    myhostname, smtputf8_enable (passed in by the caller through a
    Config; without one, the process-wide switch of printable.py).

DIAGNOSTICS
    A log destination that fails is not fatal: the line goes to standard
    error instead.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import time
from typing import TYPE_CHECKING

from pyfix.config.store import ExpansionError
from pyfix.log.printable import printable, printable_bytes

if TYPE_CHECKING:
    from pyfix.config.store import Config

FACILITIES = {
    "kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6,
    "news": 7, "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11,
    **{f"local{i}": 16 + i for i in range(8)},
}
SEVERITIES = {"info": 6, "warning": 4, "error": 3, "fatal": 2, "panic": 0}
MAX_RECORD = 2000


def format_line(tag: str, pid: int, host: str, text: str, level: str = "info",
                now: float | None = None, utf8: bool | None = None) -> str:
    stamp = time.strftime("%b %d %H:%M:%S", time.localtime(now))
    prefix = "" if level == "info" else f"{level}: "
    clean = printable(text) if utf8 is None else printable_bytes(text, utf8)
    return f"{stamp} {host.split('.', 1)[0]} {tag}[{pid}]: {prefix}{clean[:MAX_RECORD]}"


class MailLog:
    def __init__(
        self,
        tag: str,
        *,
        host: str = "localhost",
        maillog_file: str = "",
        facility: str = "mail",
        syslog_path: str = "/dev/log",
        utf8: bool | None = None,
    ) -> None:
        self.tag = tag
        self.utf8 = utf8
        self.host = host
        self.maillog_file = maillog_file
        self.facility = FACILITIES.get(facility.lower(), 2)
        self.syslog_path = syslog_path
        self._fd: int | None = None
        self._sock: socket.socket | None = None

    def prepare(self) -> None:
        """Open the log now (a service does this before it drops root)."""
        if self.maillog_file:
            with contextlib.suppress(OSError):
                self._file_fd()

    def _file_fd(self) -> int:
        if self._fd is None:
            if self.maillog_file == "/dev/stdout":
                self._fd = 1
            else:
                self._fd = os.open(self.maillog_file,
                                   os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        return self._fd

    def _syslog(self, level: str, text: str) -> bool:
        if self._sock is None:
            if not os.path.exists(self.syslog_path):
                return False
            try:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                sock.connect(self.syslog_path)
            except OSError:
                return False
            self._sock = sock
        pri = self.facility * 8 + SEVERITIES.get(level, 6)
        stamp = time.strftime("%b %d %H:%M:%S")
        prefix = "" if level == "info" else f"{level}: "
        clean = printable(text) if self.utf8 is None else printable_bytes(text, self.utf8)
        record = f"<{pri}>{stamp} {self.tag}[{os.getpid()}]: {prefix}{clean[:MAX_RECORD]}"
        try:
            self._sock.send(record.encode("utf-8", "replace"))
        except OSError:
            self._sock.close()
            self._sock = None
            return False
        return True

    def log(self, text: str, level: str = "info") -> None:
        line = format_line(self.tag, os.getpid(), self.host, text, level, utf8=self.utf8)
        if self.maillog_file:
            try:
                os.write(self._file_fd(), (line + "\n").encode("utf-8", "replace"))
                return
            except OSError:
                pass
        elif self._syslog(level, text):
            return
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def info(self, text: str) -> None:
        self.log(text, "info")

    def warn(self, text: str) -> None:
        self.log(text, "warning")

    def error(self, text: str) -> None:
        self.log(text, "error")

    def fatal(self, text: str) -> None:
        self.log(text, "fatal")

    def close(self) -> None:
        if self._fd is not None and self._fd > 2:
            os.close(self._fd)
        self._fd = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def open_maillog(config: Config, process_name: str) -> MailLog:
    """The log of one service, from its configuration view: a library
    service (cleanup in smtpd's process) logs under its own
    smtputf8_enable, as its own Postfix daemon would."""
    try:
        utf8: bool | None = config.get_bool("smtputf8_enable")
    except (ValueError, ExpansionError):  # reported where the process loaded main.cf
        utf8 = None
    return MailLog(
        f"{config.get('syslog_name')}/{process_name}",
        host=config.get("myhostname"),
        maillog_file=config.get("maillog_file"),
        facility=config.get("syslog_facility"),
        utf8=utf8,
    )
