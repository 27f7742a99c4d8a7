"""NAME
    pyfix.smtp.replies - typed SMTP server replies

SUMMARY
    Reply, the fixed replies of Postfix's SMTP server

DESCRIPTION
    A Reply is a reply code, an optional RFC 3463 enhanced status code
    and text.  Text with "\\n" in it is a multi-line reply: render()
    sends every line with the same code (and enhanced code), and "-"
    after the code on all lines but the last, as Postfix's
    smtpd_chat_reply() does.  With soft_bounce, render() turns 5xx into
    4xx and a 5.x.x enhanced code into 4.x.x, line by line.

    Reply.parse() reads the text form ("550 5.7.1 text") that policy
    code, cleanup and access maps produce.

    The module also holds the replies of Postfix 3.7's smtpd(8) that do
    not depend on the session, so that their wording lives in one place;
    the ones with arguments are functions.

    Parameters read: none (callers pass soft_bounce and myhostname).

DIAGNOSTICS
    Reply.parse() raises ValueError for text that does not start with a
    three-digit code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_ENHANCED = re.compile(r"[245]\.\d{1,3}\.\d{1,3}$")


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


@dataclass(frozen=True, slots=True)
class Reply:
    """An SMTP reply: code, enhanced status code ("" for none), text."""

    code: int
    enhanced: str = ""
    text: str = ""
    # The notify_classes class of the error when a restriction refuses
    # with this reply (Postfix's error_mask): "policy", or "software" for an
    # unknown restriction.  (A table lookup failure is "policy" in Postfix
    # 3.7: it sends no notice with the default classes.)
    error_class: str = field(default="policy", compare=False, repr=False)

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    @property
    def is_error(self) -> bool:
        return self.code >= 400

    @property
    def hangs_up(self) -> bool:
        """421 and 521 replies end the session (Postfix's orderly disconnect)."""
        return self.code in (421, 521)

    def softened(self) -> Reply:
        """soft_bounce: 5xx becomes 4xx, and 5.x.x becomes 4.x.x."""
        if self.code // 100 != 5:
            return self
        enhanced = "4" + self.enhanced[1:] if self.enhanced[:1] == "5" else self.enhanced
        return Reply(self.code - 100, enhanced, self.text)

    def render(self, soft_bounce: bool = False) -> bytes:
        reply = self.softened() if soft_bounce else self
        lines = reply.lines
        out: list[bytes] = []
        for index, line in enumerate(lines):
            sep = "-" if index < len(lines) - 1 else " "
            enhanced = f"{reply.enhanced} " if reply.enhanced else ""
            out.append(_encode(f"{reply.code}{sep}{enhanced}{line}") + b"\r\n")
        return b"".join(out)

    def __str__(self) -> str:
        first = self.lines[0]
        return f"{self.code} {self.enhanced} {first}" if self.enhanced else f"{self.code} {first}"

    @classmethod
    def parse(cls, text: str) -> Reply:
        """Parse "NNN [x.y.z] text"; continuation lines may repeat the code."""
        lines = text.replace("\r\n", "\n").split("\n")
        head = lines[0]
        if len(head) < 3 or not head[:3].isdigit() or not head[:3].isascii() or (
            len(head) > 3 and head[3] not in " -"
        ):
            raise ValueError(f"malformed SMTP reply: {text!r}")
        code = int(head[:3])
        rest = head[4:]
        enhanced = ""
        word, _, after = rest.partition(" ")
        if _ENHANCED.match(word):
            enhanced, rest = word, after
        texts = [rest]
        for line in lines[1:]:
            body = line[4:] if line[:3] == head[:3] else line
            if enhanced and body.startswith(enhanced + " "):
                body = body[len(enhanced) + 1 :]
            texts.append(body)
        return cls(code, enhanced, "\n".join(texts))


# Fixed replies, in the order smtpd.c uses them ---------------------------

HELO_SYNTAX = Reply(501, "", "Syntax: HELO hostname")
EHLO_SYNTAX = Reply(501, "", "Syntax: EHLO hostname")
SEND_HELO_FIRST = Reply(503, "5.5.1", "Error: send HELO/EHLO first")
NESTED_MAIL = Reply(503, "5.5.1", "Error: nested MAIL command")
MAIL_AFTER_BDAT = Reply(503, "5.5.1", "Error: MAIL after BDAT")
MAIL_SYNTAX = Reply(501, "5.5.4", "Syntax: MAIL FROM:<address>")
BAD_SENDER = Reply(501, "5.1.7", "Bad sender address syntax")
BAD_SIZE_SYNTAX = Reply(501, "5.5.4", "Bad message size syntax")
SIZE_FS_LIMIT = Reply(552, "5.3.4", "Message size exceeds file system imposed limit")
SIZE_FIXED_LIMIT = Reply(552, "5.3.4", "Message size exceeds fixed limit")
DSN_DISABLED = Reply(501, "5.7.1", "DSN support is disabled")
BAD_RET = Reply(501, "5.5.4", "Bad RET parameter syntax")
BAD_ENVID = Reply(501, "5.5.4", "Bad ENVID parameter syntax")
VERP_NULL_SENDER = Reply(503, "5.5.4", "Error: XVERP requires non-null sender")
MULTIPLE_AUTH = Reply(503, "5.5.4", "Error: multiple AUTH= options")
NEED_SMTPUTF8 = Reply(553, "5.6.7", "Must declare SMTPUTF8 to send unicode address")
MAIL_OK = Reply(250, "2.1.0", "Ok")
NEED_MAIL = Reply(503, "5.5.1", "Error: need MAIL command")
RCPT_AFTER_BDAT = Reply(503, "5.5.1", "Error: RCPT after BDAT")
RCPT_SYNTAX = Reply(501, "5.5.4", "Syntax: RCPT TO:<address>")
BAD_RECIPIENT = Reply(501, "5.1.3", "Bad recipient address syntax")
BAD_NOTIFY = Reply(501, "5.5.4", "Error: Bad NOTIFY parameter syntax")
BAD_ORCPT = Reply(501, "5.5.4", "Error: Bad ORCPT parameter syntax")
TOO_MANY_RECIPIENTS = Reply(452, "4.5.3", "Error: too many recipients")
RCPT_OK = Reply(250, "2.1.5", "Ok")
DATA_AFTER_BDAT = Reply(503, "5.5.1", "Error: DATA after BDAT")
NEED_RCPT = Reply(503, "5.5.1", "Error: need RCPT command")
NO_VALID_RECIPIENTS = Reply(554, "5.5.1", "Error: no valid recipients")
DATA_SYNTAX = Reply(501, "5.5.4", "Syntax: DATA")
START_DATA = Reply(354, "", "End data with <CR><LF>.<CR><LF>")
BDAT_NOT_IMPLEMENTED = Reply(521, "5.5.1", "Error: command not implemented")
BDAT_SYNTAX = Reply(521, "5.5.4", "Syntax: BDAT count [LAST]")
NULL_BDAT = Reply(551, "5.7.1", "Null BDAT request")
CHUNK_TOO_BIG = Reply(552, "5.3.4", "Chunk exceeds message size limit")
RSET_SYNTAX = Reply(501, "5.5.4", "Syntax: RSET")
OK = Reply(250, "2.0.0", "Ok")
VRFY_DISABLED = Reply(502, "5.5.1", "VRFY command is disabled")
ETRN_HELO_FIRST = Reply(503, "", "Error: send HELO/EHLO first")
ETRN_IN_MAIL = Reply(503, "", "Error: MAIL transaction in progress")
ETRN_SYNTAX = Reply(500, "", "Syntax: ETRN domain")
ETRN_BAD_DOMAIN = Reply(501, "", "Error: invalid parameter syntax")
ETRN_OK = Reply(250, "", "Queuing started")
BYE = Reply(221, "2.0.0", "Bye")
IN_MAIL_TRANSACTION = Reply(503, "5.5.1", "Error: MAIL transaction in progress")
INSUFFICIENT_AUTHORIZATION = Reply(550, "5.7.0", "Error: insufficient authorization")
NOT_IMPLEMENTED = Reply(502, "5.5.1", "Error: command not implemented")
STARTTLS_SYNTAX = Reply(501, "5.5.4", "Syntax: STARTTLS")
TLS_ACTIVE = Reply(554, "5.5.1", "Error: TLS already active")
STARTTLS_READY = Reply(220, "2.0.0", "Ready to start TLS")
TLS_REQUIRED = Reply(530, "5.7.0", "Must issue a STARTTLS command first")
AUTH_NOT_ENABLED = Reply(503, "5.5.1", "Error: authentication not enabled")
PIPELINING_SYNC = Reply(554, "5.5.0", "Error: SMTP protocol synchronization")
BAD_UTF8 = Reply(500, "5.5.2", "Error: bad UTF-8 syntax")
BAD_SYNTAX = Reply(500, "5.5.2", "Error: bad syntax")
UNKNOWN_COMMAND = Reply(500, "5.5.2", "Error: command not recognized")
NON_SMTP_COMMAND = Reply(221, "2.7.0", "Error: I can break rules, too. Goodbye.")
MESSAGE_TOO_BIG = Reply(552, "5.3.4", "Error: message file too big")


def xclient_syntax(command: str) -> Reply:
    return Reply(501, "5.5.4", f"Syntax: {command} attribute=value...")


def vrfy_syntax(smtputf8_enable: bool) -> Reply:
    return Reply(501, "5.5.4", "Syntax: VRFY address" + (" [SMTPUTF8]" if smtputf8_enable else ""))


def vrfy_ok(argument: str) -> Reply:
    return Reply(252, "2.0.0", argument)


def unsupported_option(option: str) -> Reply:
    return Reply(555, "5.5.4", f"Unsupported option: {option}")


def queued(queue_id: str) -> Reply:
    return Reply(250, "2.0.0", f"Ok: queued as {queue_id}")


def bdat_queued(size: int, queue_id: str) -> Reply:
    return Reply(250, "2.0.0", f"Ok: {size} bytes queued as {queue_id}")


def bdat_chunk_ok(size: int) -> Reply:
    return Reply(250, "2.0.0", f"Ok: {size} bytes")


def bdat_discarded(size: int) -> Reply:
    return Reply(551, "5.0.0", f"Discarded {size} bytes after earlier error")


def greeting(banner: str) -> Reply:
    return Reply(220, "", banner)


def helo_ok(myhostname: str) -> Reply:
    return Reply(250, "", myhostname)


def bare_lf(code: int, myhostname: str) -> Reply:
    return Reply(code, "5.5.2", f"{myhostname} Error: bare <LF> received")


def too_many_errors(myhostname: str) -> Reply:
    return Reply(421, "4.7.0", f"{myhostname} Error: too many errors")


def timeout_exceeded(myhostname: str) -> Reply:
    return Reply(421, "4.4.2", f"{myhostname} Error: timeout exceeded")


def local_data_error(myhostname: str) -> Reply:
    return Reply(421, "4.3.0", f"{myhostname} Server local data error")


def access_denied(namaddr: str) -> Reply:
    return Reply(503, "5.7.0", f"Error: access denied for {namaddr}")


def etrn_unavailable(domain: str) -> Reply:
    return Reply(459, "", f"<{domain}>: service unavailable")
