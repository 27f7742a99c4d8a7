"""NAME
    pyfix.cli.postqueue - postqueue(1): list or flush the mail queue

SUMMARY
    postqueue [-v] [-c config_dir] -f | -i queue_id | -j | -p | -s site

DESCRIPTION
    The user interface to the queue, as Postfix's postqueue:

    -p      the traditional listing (what mailq and sendmail -bp show),
            from the showq service at public/$showq_service_name.
    -j      the same information as JSON, one message per line.
    -f      flush: ask the queue manager (public/$queue_service_name)
            to forget dead destinations ("F"), ignore retry times
            ("A") and scan the deferred ("D") and incoming ("I")
            queues, then wake up pickup ("W") for the maildrop queue.
            This is "sendmail -q" and "postfix flush".
    -i id   deliver one deferred message now; -s site: deliver the
            mail deferred for one destination in $fast_flush_domains.
            Both are requests to the flush service
            (public/$flush_service_name, pyfix.flush), with Postfix's
            errors: "Cannot flush mail queue - mail system is down"
            when it cannot be reached, "Flush service is not configured
            for destination "site"" (-s, a site not in
            $fast_flush_domains), "Invalid request: "..."" (rejected by
            the service).  An unknown queue ID is not an error.
    -c dir  read main.cf there ($MAIL_CONFIG).
    -v      verbose (root only); accepted.

    When the showq service cannot be reached, root lists the queue
    directly after a warning; other users get Postfix's "Queue report
    unavailable - mail system is down" error.

    Parameters read: queue_directory, showq_service_name,
    queue_service_name, pickup_service_name, flush_service_name,
    fast_flush_domains, parent_domain_matches_subdomains, mail_name,
    enable_long_queue_ids, and for the direct listing
    empty_address_recipient, duplicate_filter_limit and what
    QueueLayout reads.

DIAGNOSTICS
    "postqueue: fatal: ..." on standard error.  As with Postfix 3.7,
    whose msg_cleanup handler exits first, every fatal error exits with
    EX_UNAVAILABLE (69).  Not implemented: authorized_mailq_users and
    authorized_flush_users (everyone may list and flush).
"""

from __future__ import annotations

import errno
import os
import socket
import sys
from collections.abc import Iterator
from typing import Final, NoReturn

from pyfix.cli.common import getopt, run_command
from pyfix.config.load import ConfigLoadError, load_config
from pyfix.config.store import Config, ExpansionError
from pyfix.flush.client import FlushClient
from pyfix.flush.protocol import (
    FLUSH_STAT_BAD,
    FLUSH_STAT_DENY,
    FLUSH_STAT_FAIL,
    FLUSH_STAT_OK,
)
from pyfix.log.msg import msg_fatal, msg_warn, set_progname
from pyfix.queue.queue_id import queue_id_ok
from pyfix.queue.trigger import (
    QMGR_REQ_FLUSH_DEAD,
    QMGR_REQ_SCAN_ALL,
    QMGR_REQ_SCAN_DEFERRED,
    QMGR_REQ_SCAN_INCOMING,
    TRIGGER_REQ_WAKEUP,
    mail_trigger,
)
from pyfix.showq.listing import QueueEntry
from pyfix.showq.protocol import ShowqProtocolError, read_entries

PROGNAME: Final = "postqueue"
EX_UNAVAILABLE: Final = 69
USAGE: Final = ("usage: postqueue -f | postqueue -i queueid | postqueue -j | postqueue -p"
                " | postqueue -s site")
FLUSH_REQUEST: Final = (QMGR_REQ_FLUSH_DEAD + QMGR_REQ_SCAN_ALL + QMGR_REQ_SCAN_DEFERRED
                        + QMGR_REQ_SCAN_INCOMING)
DOWN: Final = "Cannot flush mail queue - mail system is down"


def usage() -> NoReturn:
    msg_fatal(USAGE)


def _trigger_failed(queue_directory: str, service: str, data: bytes) -> bool:
    """mail_trigger(); True when it failed (only lookup failures are told)."""
    complaint = mail_trigger(queue_directory, "public", service, data)
    if complaint is None:
        return False
    if not complaint.startswith("connect to "):
        msg_warn(complaint)
    return True


def flush_queue(config: Config) -> None:
    queue_directory = config.get("queue_directory")
    if _trigger_failed(queue_directory, config.get("queue_service_name"), FLUSH_REQUEST):
        msg_fatal(DOWN)
    if _trigger_failed(queue_directory, config.get("pickup_service_name"),
                       TRIGGER_REQ_WAKEUP):
        msg_fatal(DOWN)


def flush_site(config: Config, site: str) -> None:
    """postqueue -s: flush_site() of Postfix's postqueue.c."""
    status = FlushClient(config, msg_warn).send_site(site)
    if status == FLUSH_STAT_OK:
        return
    if status == FLUSH_STAT_BAD:
        msg_fatal(f'Invalid request: "{site}"')
    if status == FLUSH_STAT_FAIL:
        msg_fatal(DOWN)
    if status == FLUSH_STAT_DENY:
        msg_fatal(f'Flush service is not configured for destination "{site}"')
    msg_fatal(f"Unknown flush server reply status {status}")


def flush_file(config: Config, queue_id: str) -> None:
    """postqueue -i: flush_file() of Postfix's postqueue.c."""
    status = FlushClient(config, msg_warn).send_file(queue_id)
    if status == FLUSH_STAT_OK:
        return
    if status == FLUSH_STAT_BAD:
        msg_fatal(f'Invalid request: "{queue_id}"')
    if status == FLUSH_STAT_FAIL:
        msg_fatal(DOWN)
    msg_fatal(f"Unexpected flush server reply status {status}")


def _socket_lines(sock: socket.socket) -> Iterator[bytes]:
    with sock, sock.makefile("rb") as stream:
        yield from stream


def _direct_listing(config: Config) -> Iterator[QueueEntry]:
    from pyfix.queue.layout import QueueLayout
    from pyfix.showq.listing import scan_queue

    return scan_queue(QueueLayout.from_config(config),
                      empty_address=config.get("empty_address_recipient"),
                      dup_limit=config.get_int("duplicate_filter_limit"), warn=msg_warn)


def queue_entries(config: Config) -> Iterator[QueueEntry]:
    """The listing from showq, or (root, mail system down) from the queue itself."""
    service = config.get("showq_service_name")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(f"public/{service}")
    except OSError as exc:
        sock.close()
        why = f"Connect to the {config.get('mail_name')} {service} service: {exc.strerror}"
        if exc.errno in (errno.EACCES, errno.EPERM):
            msg_fatal(why)
        if os.geteuid() == 0:
            msg_warn(f"Mail system is down -- accessing queue directly ({why})")
            return _direct_listing(config)
        msg_fatal(f"Queue report unavailable - mail system is down ({why})")
    return read_entries(_socket_lines(sock))


def show_queue(config: Config, json_mode: bool) -> None:
    from pyfix.showq.report import MailqFormatter, json_line

    out = sys.stdout
    formatter = MailqFormatter(out, config.get_bool("enable_long_queue_ids"))
    try:
        for entry in queue_entries(config):
            if json_mode:
                out.write(json_line(entry))
            else:
                formatter.message(entry)
            out.flush()
    except ShowqProtocolError:
        out.flush()
        msg_fatal("malformed showq server response")
    if not json_mode:
        formatter.finish()


def _valid_site(site: str) -> bool:
    from pyfix.smtp.hostname import valid_hostname, valid_mailhost_literal

    return valid_mailhost_literal(site) if site.startswith("[") else valid_hostname(site)


def _cut(text: str) -> str:
    return text[:100] + ("..." if len(text) > 100 else "")


def run(argv: list[str]) -> int:
    set_progname(PROGNAME)
    options, operands = getopt(argv, "c:fi:jps:v", usage, PROGNAME)
    mode = ""
    value = ""
    for opt, arg in options:
        if opt == "c":
            os.environ["MAIL_CONFIG"] = arg
        elif opt in "fijps":
            if mode:
                usage()
            mode, value = opt, arg
    if operands or not mode:
        usage()
    try:
        config = load_config(os.environ.get("MAIL_CONFIG"), process_name=PROGNAME,
                             need_master=False)
        queue_directory = config.get("queue_directory")
    except (ConfigLoadError, ExpansionError, ValueError) as exc:
        msg_fatal(str(exc))
    try:
        os.chdir(queue_directory)
    except OSError as exc:
        msg_fatal(f"chdir {queue_directory}: {exc.strerror}")
    if mode == "s" and not _valid_site(value):
        msg_fatal(f'Cannot flush mail queue - invalid destination: "{_cut(value)}"')
    if mode == "i" and not queue_id_ok(value):
        msg_fatal(f'Cannot flush queue ID - invalid name: "{_cut(value)}"')
    try:
        if mode in ("p", "j"):
            show_queue(config, mode == "j")
        elif mode == "f":
            flush_queue(config)
        elif mode == "s":
            flush_site(config, value)
        else:
            flush_file(config, value)
    except (ExpansionError, ValueError) as exc:
        msg_fatal(str(exc))
    return 0


def main() -> None:
    run_command(run, fatal_status=EX_UNAVAILABLE)


if __name__ == "__main__":
    main()
