"""Replay the recorded Postfix cases (tests/golden/cleanup) through pyfix's cleanup.

For each case, the recording holds what real Postfix 3.7.11 did with
one SMTP transaction: the reply, the queue file and the cleanup log
lines.  replay() gives pyfix's cleanup library what Postfix's smtpd gave
cleanup(8) in that transaction (the envelope attributes and smtpd's own
Received: header are taken from the recorded queue file), and returns
what pyfix did, normalized the same way: queue IDs become QUEUEID, the
time stamp in a generated Message-Id becomes YYYYMMDDHHMMSS, and the
create_time attribute loses its value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pyfix.cleanup import (
    CLEANUP_FLAG_DISCARD,
    CLEANUP_FLAG_HOLD,
    CLEANUP_FLAG_MASK_EXTERNAL,
    CLEANUP_FLAG_SMTP_REPLY,
    CleanupService,
    Origin,
    RewriteHook,
    SmtpClient,
)
from pyfix.config.load import load_config
from pyfix.config.store import Config
from pyfix.log.maillog import MailLog
from pyfix.queue.layout import QueueLayout
from pyfix.queue.records import (
    REC_TYPE_ATTR,
    REC_TYPE_MESG,
    REC_TYPE_NORM,
    REC_TYPE_SIZE,
    REC_TYPE_TIME,
    REC_TYPE_XTRA,
    iter_records,
    parse_size_record,
    parse_time,
    rec_type_name,
)
from tests.golden.cleanup import cases as golden_cases

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests/golden/cleanup"
CASES = golden_cases.CASES
NOTIFY_BITS = {"NEVER": 1, "SUCCESS": 2, "FAILURE": 4, "DELAY": 8}
LINE_LIMIT = 2048  # smtpd splits longer lines into REC_TYPE_CONT records


@dataclass
class Outcome:
    """What one system did with one case, normalized for comparison."""

    reply: str
    queue: str
    log: list[str]
    records: list[str]
    rcpt_count: int = 0
    qmgr_flags: int = 0
    smtputf8: int = 0


def normalize(text: str, queue_id: str) -> str:
    text = text.replace(queue_id, "QUEUEID") if queue_id else text
    return re.sub(r"\b\d{14}\.QUEUEID@", "YYYYMMDDHHMMSS.QUEUEID@", text)


def render_records(data: bytes, queue_id: str) -> tuple[list[str], tuple[int, int, int]]:
    """Records as "name: data" lines, and (recipients, qmgr flags, smtputf8)."""
    lines = []
    counts = (0, 0, 0)
    for record in iter_records(data):
        text = record.data.decode("utf-8", "backslashreplace")
        if record.type == REC_TYPE_SIZE:
            size = parse_size_record(record.data)
            assert size is not None
            counts = (size.rcpt_count, size.qmgr_flags, size.smtputf8)
            continue
        if record.type == REC_TYPE_ATTR and text.startswith("create_time="):
            text = "create_time=*"
        lines.append(f"{rec_type_name(record.type)}: {normalize(text, queue_id)}")
    return lines, counts


def cleanup_log(lines: list[str], queue_id: str) -> list[str]:
    """The cleanup lines of a log, without time stamp, host and PID, and
    (as record.py records them) without the complaint about the absent qmgr."""
    out = []
    for line in lines:
        found = re.search(r"postfix/cleanup\[\d+\]: (.*)$", line)
        if found and "public/qmgr" not in line:
            out.append(normalize(found.group(1), queue_id))
    return out


def recorded(case: golden_cases.Case, root: Path = GOLDEN) -> Outcome:
    where = root / case.group / case.name
    queue_id = (where / "queue-id").read_text().strip()
    reply = (where / "reply.txt").read_text().strip()
    queue = (where / "queue").read_text().strip()
    log = cleanup_log((where / "maillog").read_text().splitlines(), queue_id)
    outcome = Outcome(normalize(reply, queue_id), queue, log, [])
    if (where / "queue-file").exists():
        records, counts = render_records((where / "queue-file").read_bytes(), queue_id)
        outcome.records = records
        outcome.rcpt_count, outcome.qmgr_flags, outcome.smtputf8 = counts
    return outcome


# Replaying a case through pyfix ----------------------------------------------


def smtpd_content(lines: tuple[bytes, ...]) -> Iterator[tuple[bytes, bool]]:
    """The records that Postfix's smtpd sends cleanup for these lines:
    a first "From " line becomes X-Mailbox-Line:, a first line that starts
    with white space gets an empty line in front, long lines are split."""
    for index, line in enumerate(lines):
        if index == 0:
            if line.lstrip(b">").startswith(b"From "):
                line = b"X-Mailbox-Line: " + line
            elif line[:1] in (b" ", b"\t"):
                yield b"", False
        while len(line) > LINE_LIMIT:
            yield line[:LINE_LIMIT], True
            line = line[LINE_LIMIT:]
        yield line, False


def recorded_envelope(where: Path) -> tuple[float, dict[str, str], list[bytes]]:
    """Arrival time, envelope attributes and smtpd's Received: header lines."""
    data = (where / "queue-file").read_bytes()
    arrival = 0.0
    attrs: dict[str, str] = {}
    received: list[bytes] = []
    in_content = False
    for record in iter_records(data):
        if record.type == REC_TYPE_TIME:
            seconds, micros = parse_time(record.data)
            arrival = seconds + micros / 1e6
        elif record.type == REC_TYPE_ATTR:
            name, _, value = record.text.partition("=")
            attrs.setdefault(name, value)
        elif record.type == REC_TYPE_MESG:
            in_content = True
        elif in_content and record.type == REC_TYPE_NORM:
            if received and not record.data[:1].isspace():
                break
            received.append(record.data)
        elif record.type == REC_TYPE_XTRA:
            break
    return arrival, attrs, received


def config_for(group: str, root: Path) -> Path:
    """A config directory like the recorded instance's, queue under root."""
    etc = root / "etc"
    etc.mkdir()
    settings = {**golden_cases.BASE_MAIN_CF, **golden_cases.GROUPS[group]}
    settings["queue_directory"] = str(root / "spool")
    text = "".join(f"{name} = {value}\n" for name, value in settings.items())
    (etc / "main.cf").write_text(text.replace("$config_directory", str(etc)))
    for name, table in golden_cases.TABLES.items():
        (etc / name).write_text(table)
    return etc


RewriterFactory = Callable[[Config, MailLog], RewriteHook]


def replay(case: golden_cases.Case, tmp: Path, root: Path = GOLDEN,
           rewriter: RewriterFactory | None = None) -> Outcome:
    where = root / case.group / case.name
    tmp.mkdir(parents=True, exist_ok=True)
    config = load_config(str(config_for(case.group, tmp)), need_master=False)
    layout = QueueLayout.from_config(config)
    layout.create_directories()
    maillog = tmp / "maillog"
    log = MailLog("postfix/cleanup", host="mail", maillog_file=str(maillog))
    service = CleanupService(config, log, sync_directory=False,
                             rewrite=rewriter(config, log) if rewriter else None)
    if (where / "queue-file").exists():
        arrival, attrs, received = recorded_envelope(where)
    else:
        arrival, attrs, received = 1700000000.0, {}, []
    client = SmtpClient(
        name="unknown", addr="127.0.0.1", port=attrs.get("client_port", "12345"),
        server_addr="127.0.0.1", server_port=attrs.get("server_port", "25"),
        helo=case.helo, protocol="ESMTP")
    params = dict(option.split("=", 1) for option in case.mail_options)
    origin = Origin(
        rewrite_context=attrs.get("rewrite_context", "local"), log_ident=True,
        dsn_envid=params.get("ENVID"), dsn_ret={"FULL": 1, "HDRS": 2}.get(params.get("RET", ""), 0),
        encoding={"8BITMIME": "8bit", "7BIT": "7bit"}.get(params.get("BODY", "")),
        client=client)
    stream = service.open(case.sender, CLEANUP_FLAG_MASK_EXTERNAL | CLEANUP_FLAG_SMTP_REPLY,
                          origin=origin, arrival=arrival)
    queue_id = stream.queue_id
    for rcpt in case.rcpts:
        notify = sum(NOTIFY_BITS[word] for word in rcpt.notify.split(",") if word)
        stream.add_recipient(rcpt.address, None, notify, rcpt.orcpt or f"rfc822;{rcpt.address}")
    old_id = (where / "queue-id").read_text().strip()
    if not received:
        received = [
            b"Received: from client.example.org (unknown [127.0.0.1])",
            f"\tby {golden_cases.MYHOSTNAME} (Postfix) with ESMTP id {old_id}".encode(),
            b"\tfor <rcpt@example.com>; Tue, 14 Nov 2023 22:13:20 +0000 (UTC)",
        ]
    for line in received:
        stream.write_line(line.replace(old_id.encode(), queue_id.encode()))
    for data, continued in smtpd_content(case.lines):
        stream.write_line(data, continued)
    action, argument = case.eod_action
    if action in ("HOLD", "DISCARD"):
        stream.add_flags(CLEANUP_FLAG_HOLD if action == "HOLD" else CLEANUP_FLAG_DISCARD)
    result = stream.close(filter=argument if action == "FILTER" else None,
                          redirect=argument if action == "REDIRECT" else None,
                          bcc=[argument] if action == "BCC" else [])
    reply = (f"250 2.0.0 Ok: queued as {queue_id}" if result.ok else
             f"{result.reply.code} {result.reply.enhanced} {result.reply.text}"
             if result.reply else "?")
    lines = maillog.read_text().splitlines() if maillog.exists() else []
    outcome = Outcome(normalize(reply, queue_id), result.queue or "none",
                      cleanup_log(lines, queue_id), [])
    if result.queue is not None:
        path = layout.path(result.queue, queue_id)
        records, counts = render_records(Path(path).read_bytes(), queue_id)
        outcome.records = records
        outcome.rcpt_count, outcome.qmgr_flags, outcome.smtputf8 = counts
    return outcome
