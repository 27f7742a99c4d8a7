"""NAME
    pyfix.smtp.client_reply - server replies as the SMTP client reads them

SUMMARY
    ServerReply, ReplyReader, ServerFeatures, parse_ehlo()

DESCRIPTION
    ReplyReader takes the lines of one server reply from an InputBuffer
    the way Postfix's smtp_chat_resp() does:

    - non-printable characters become "?";
    - lines of a multi-line reply ("250-...") are joined with newlines,
      up to $line_length_limit bytes of text (the rest is read and
      dropped);
    - a line that does not start with three digits followed by space,
      "-" or nothing is kept in the text but does not end the reply
      (garbage is reported with the next well-formed final line);
    - the reply code and the RFC 3463 status come from the last line;
      without a valid status in step with the code, the status is
      "2.0.0", "4.0.0" or "5.0.0"; replies other than 2xx/4xx/5xx get
      "5.5.0".

    ServerReply.text is the whole reply with its codes, as Postfix logs
    it ("550 5.1.1 <u@example.com>: Recipient address rejected ...");
    one_line() joins the lines with spaces, as Postfix's translit().

    parse_ehlo() reads what the client uses from an EHLO/LHLO reply: the
    server's name (first word of the first line), PIPELINING, SIZE (and
    its limit), 8BITMIME, DSN and SMTPUTF8; smtp_discard_ehlo_keywords
    may hide keywords.

    Parameters read: none (callers pass line_length_limit and the
    discarded keywords).

DIAGNOSTICS
    None; malformed replies are reported through ServerReply.garbage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pyfix.smtp.lines import InputBuffer

_DSN = re.compile(r"([245])\.(\d{1,3})\.(\d{1,3})(?=$|[ \t])")


def _printable(data: bytes) -> str:
    text = data.decode("utf-8", "replace").replace("\ufffd", "?")
    return "".join("?" if ord(ch) < 32 or ord(ch) == 127 else ch for ch in text)


@dataclass(frozen=True, slots=True)
class ServerReply:
    """One (possibly multi-line) reply: code, RFC 3463 status, full text."""

    code: int
    dsn: str
    text: str
    garbage: bool = False  # a line of the reply was not a well-formed reply line

    @property
    def kind(self) -> int:
        return self.code // 100

    def one_line(self) -> str:
        return self.text.replace("\n", " ")

    @classmethod
    def from_lines(cls, lines: list[str], garbage: bool = False) -> ServerReply:
        code, dsn = code_and_dsn(lines[-1] if lines else "")
        return cls(code, dsn, "\n".join(lines), garbage)


def code_and_dsn(last: str) -> tuple[int, str]:
    """Reply code and RFC 3463 status of a reply's last line."""
    digits = last[:3]
    if not (len(digits) == 3 and digits.isdigit() and digits.isascii()):
        return 0, "5.5.0"
    code = int(digits)
    if last[0] not in "245":
        return code, "5.5.0"
    match = _DSN.match(last[4:].lstrip(" "))
    if match and match.group(1) == last[0]:
        return code, match.group(0)
    return code, f"{last[0]}.0.0"


class ReplyReader:
    """Assembles server replies from received bytes."""

    def __init__(self, buffer: InputBuffer, line_limit: int = 2048) -> None:
        self.buffer = buffer
        self.line_limit = line_limit
        self._lines: list[str] = []
        self._size = 0
        self._garbage = False
        self._skipping = False

    def read(self) -> ServerReply | None:
        """The next complete reply, or None when more input is needed."""
        while True:
            if self._skipping:  # rest of an over-long line
                if not self.buffer.skip_line():
                    return None
                self._skipping = False
                continue
            line = self.buffer.read_line(self.line_limit, False)
            if line is None:
                return None
            if not line.complete:
                self._skipping = True
            text = _printable(line.data)
            if self._size < self.line_limit:
                self._lines.append(text)
                self._size += len(text) + 1
            head = text[:3]
            if len(head) == 3 and head.isdigit() and head.isascii():
                sep = text[3:4]
                if sep == "-":
                    continue
                if sep in ("", " "):
                    code, dsn = code_and_dsn(text)
                    reply = ServerReply(code, dsn, "\n".join(self._lines or [text]),
                                        self._garbage)
                    self._lines, self._size, self._garbage = [], 0, False
                    return reply
            self._garbage = True


@dataclass
class ServerFeatures:
    """What the server offered in its EHLO/LHLO reply."""

    esmtp: bool = False
    helo_name: str = ""
    pipelining: bool = False
    size: bool = False
    size_limit: int = 0  # 0: none announced
    eightbitmime: bool = False
    dsn: bool = False
    smtputf8: bool = False
    starttls: bool = False
    keywords: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def parse_ehlo(reply: ServerReply, discard: frozenset[str] = frozenset(),
               namaddrport: str = "") -> ServerFeatures:
    """Postfix's reading of EHLO keywords ("code (SP|-) keyword (SP|=) params")."""
    features = ServerFeatures(esmtp=True)
    first = True
    for line in reply.text.split("\n"):
        rest = line[4:] if len(line) > 3 else ""
        words = re.split(r"[ \t=]+", rest.strip(" \t"), maxsplit=1) if rest.strip() else []
        if not words:
            continue
        word = words[0]
        params = words[1].split() if len(words) > 1 else []
        if first:
            features.helo_name = word
            first = False
            continue
        upper = word.upper()
        features.keywords.append(upper)
        if upper in discard:
            continue
        if upper == "PIPELINING":
            features.pipelining = True
        elif upper == "8BITMIME":
            features.eightbitmime = True
        elif upper == "DSN":
            features.dsn = True
        elif upper == "SMTPUTF8":
            features.smtputf8 = True
        elif upper == "STARTTLS":
            features.starttls = True
        elif upper == "SIZE":
            features.size = True
            if params:
                if params[0].isdigit() and params[0].isascii():
                    features.size_limit = int(params[0])
                else:
                    features.warnings.append(
                        f'bad EHLO SIZE limit "{params[0]}" from {namaddrport}')
    return features
