"""NAME
    pyfix.cli.postdrop - postdrop(1): put a record stream into maildrop

SUMMARY
    postdrop [-rv] [-c config_dir]

DESCRIPTION
    Reads a Postfix record stream (as the Postfix sendmail command
    writes it) on standard input, checks it and writes it to a new file
    in $queue_directory/maildrop, then wakes up the pickup service
    (pyfix.pickup.submit has the rules).

    Standard output carries Postfix's postdrop protocol in attr_print0
    form: first "protocol=postdrop_protocol queue_id=ID" as soon as the
    file exists, then, once the input has ended with an E record,
    "status=N reason=TEXT".  The exit status is that status (0 when the
    message is safely in maildrop), 0 when the input ended early (the
    request is canceled), and 1 after a fatal error.

    -c config_dir   read main.cf there ($MAIL_CONFIG).
    -r              accepted for compatibility; does nothing.
    -v              verbose (only when run by root, as Postfix).

    Parameters read: queue_directory, enable_long_queue_ids,
    line_length_limit, pickup_service_name.

DIAGNOSTICS
    "postdrop: fatal: uid=N: malformed input", "postdrop: fatal: uid=N:
    unexpected record type: T", "postdrop: fatal: chdir DIR: REASON";
    warnings for dropped attribute records and for a pickup service
    that cannot be reached ("unable to look up public/pickup: No such
    file or directory").  Not implemented: authorized_submit_users and
    message_size_limit as a file size limit.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import BinaryIO, NoReturn

from pyfix.cli.common import getopt, run_command
from pyfix.config.load import ConfigLoadError, load_config
from pyfix.config.store import ExpansionError
from pyfix.log.msg import msg_fatal, msg_warn, set_progname
from pyfix.pickup.maildrop import attr_print0
from pyfix.pickup.submit import SubmitFatal, submit_records
from pyfix.queue.record_stream import RecordReader

PROGNAME = "postdrop"


def usage() -> NoReturn:
    msg_fatal(f"usage: {PROGNAME} [-c config_dir] [-v]")


def read_records(stream: BinaryIO, maxsize: int) -> Iterator[tuple[int, bytes]]:
    """(type, data) pairs from stream; RecordError for a bad record."""
    reader = RecordReader(stream)
    while (record := reader.read(maxsize)) is not None:
        yield record.type, record.data


def run(argv: list[str]) -> int:
    set_progname(PROGNAME)
    options, _operands = getopt(argv, "c:rv", usage, PROGNAME)
    for opt, value in options:
        if opt == "c":
            os.environ["MAIL_CONFIG"] = value
    try:
        config = load_config(os.environ.get("MAIL_CONFIG"), process_name=PROGNAME,
                             need_master=False)
        queue_directory = config.get("queue_directory")
        line_limit = config.get_int("line_length_limit")
        long_ids = config.get_bool("enable_long_queue_ids")
        pickup = config.get("pickup_service_name")
    except (ConfigLoadError, ExpansionError, ValueError) as exc:
        msg_fatal(str(exc))
    try:
        os.chdir(queue_directory)
    except OSError as exc:
        msg_fatal(f"chdir {queue_directory}: {exc.strerror}")
    out = sys.stdout.buffer

    def announce(queue_id: str) -> None:
        out.write(attr_print0(("protocol", "postdrop_protocol"), ("queue_id", queue_id)))
        out.flush()

    uid = os.getuid()
    try:
        result = submit_records(
            read_records(sys.stdin.buffer, line_limit), queue_directory, uid=uid,
            warn=msg_warn, long_ids=long_ids, pickup_service=pickup, on_created=announce,
        )
    except SubmitFatal as exc:
        msg_fatal(str(exc))
    except OSError as exc:
        msg_fatal(f"uid={uid}: create file in maildrop: {exc.strerror}")
    if result.status is None:
        return 0
    out.write(attr_print0(("status", str(result.status)), ("reason", result.reason)))
    out.flush()
    return result.status


def main() -> None:
    run_command(run)


if __name__ == "__main__":
    main()
