"""NAME
    pyfix.cli.sendmail - sendmail(1): the Sendmail-compatible interface

SUMMARY
    sendmail [options] [recipient ...]

DESCRIPTION
    Posts a message from standard input the way Postfix's sendmail
    does: it builds the record stream (sendmail_enqueue.py) and hands
    it to postdrop's logic (pyfix.pickup.submit) in-process, which
    writes a file in $queue_directory/maildrop owned by the calling
    user and wakes up pickup.  Options, as Postfix 3.7:

    -f sender       envelope sender (the login name by default; "" or
                    "<>" is the null sender)
    -F full_name    sender full name ($NAME or the password entry)
    -t              also take recipients from To:, Cc:, Bcc: (or the
                    Resent- forms); they go in the extracted segment
    -i, -oi         a line with only "." does not end the message
    -N dsn          DSN notify: never, or success,delay,failure
    -R ret          DSN return: full or hdrs
    -V envid        DSN envelope ID; -XV and -Vxy: VERP
    -B type         8BITMIME or 7BIT body type
    -r sender       obsolete form of -f
    -C config_dir   read main.cf there
    -v              with mail: ask for a delivery report (trace_flags)
    -bm, -bd, -bi, -bp, -bs, -bv   delivery, daemon (postfix start),
                    newaliases, mailq (postqueue -p), stand-alone SMTP
                    (sendmail_bs.py), verify: -bv reads no message; it
                    posts "From: sender / Subject: probe / To: the
                    recipients" with trace_flags=512 (Postfix's
                    DEL_REQ_FLAG_USR_VRFY): the delivery agents report
                    instead of delivering, and the sender gets a "Mail
                    Delivery Status Report" (-t and -v cannot be used
                    with -bv)
    -q              flush the queue (postqueue -f); -qRsite and
                    -qIqueue_id: postqueue -s and -i; -q with a time:
                    nothing (a Sendmail daemon option)
    -oA path        alias database for -bi
    Other single-letter options (-o7, -o8, -om, -G, -U, -c, -e, -h,
    -m, -n, -x, ...) are ignored as Postfix ignores them ("-n" is "not
    supported").

    Unqualified recipients are left alone: cleanup appends @$myorigin.

    Parameters read: queue_directory, line_length_limit,
    sendmail_fix_line_endings, enable_long_queue_ids,
    pickup_service_name, verp_delimiters, and for -bi alias_database.

DIAGNOSTICS
    "sendmail: fatal: ..." on standard error.  As with Postfix 3.7
    (whose msg_cleanup handler exits first) every fatal error exits
    with EX_TEMPFAIL (75), whatever sysexits code the error names;
    EX_UNAVAILABLE (69) marks a mode that needs a pyfix program that
    does not exist (-bd); postqueue's errors keep its own status (69).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import sys
from typing import Final, NoReturn

from pyfix.cli.common import getopt, run_command
from pyfix.cli.sendmail_enqueue import (
    EnqueueError,
    EnqueueRequest,
    dsn_notify_mask,
    dsn_ret_code,
    enqueue_records,
    parse_address_list,
)
from pyfix.config.load import ConfigLoadError, load_config
from pyfix.config.store import Config, ExpansionError
from pyfix.log.msg import FatalError, msg_fatal, msg_warn, set_progname
from pyfix.pickup.submit import (
    CLEANUP_STAT_BAD,
    CLEANUP_STAT_NOPERM,
    CLEANUP_STAT_WRITE,
    SubmitFatal,
    submit_records,
)

EX_USAGE: Final = 64
EX_UNAVAILABLE: Final = 69
EX_SOFTWARE: Final = 70
EX_OSERR: Final = 71
EX_TEMPFAIL: Final = 75
EX_NOPERM: Final = 77
GETOPT_LIST: Final = "A:B:C:F:GIL:N:O:R:UV:X:b:ce:f:h:imno:p:r:q:tvx"
DEL_REQ_FLAG_USR_VRFY: Final = 1 << 9  # trace_flags for "sendmail -bv"
DEL_REQ_FLAG_RECORD: Final = 1 << 10  # trace_flags for "sendmail -v"


class SendmailExit(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def fatal(status: int, text: str) -> NoReturn:
    """Postfix's msg_fatal_status(): report, then exit.

    Postfix 3.7's sendmail installs msg_cleanup(tempfail), which exits
    with EX_TEMPFAIL before msg_fatal_status() can use its own status,
    so every fatal error ends with 75; status is the one Postfix's code
    names.  Only EX_UNAVAILABLE (69), which pyfix uses where Postfix
    would run a program that pyfix does not have yet, is kept.
    """
    try:
        msg_fatal(text)
    except FatalError:
        raise SendmailExit(status if status == EX_UNAVAILABLE else EX_TEMPFAIL) from None


def usage(progname: str) -> NoReturn:
    fatal(EX_USAGE, f"usage: {progname} [options]")


class _BadOption(Exception):
    pass


def _silent_usage() -> NoReturn:
    raise _BadOption


def _takes_argument(opt: str) -> bool:
    where = GETOPT_LIST.find(opt)
    return opt != ":" and where >= 0 and GETOPT_LIST[where + 1:where + 2] == ":"


def _prescan(argv: list[str]) -> tuple[list[str], bool, bool]:
    """Handle "-q" and "-XV"/"-V" forms before getopt, as Postfix does."""
    out = [argv[0]]
    flush = verp = False
    index = 1
    while index < len(argv):
        arg = argv[index]
        if not arg.startswith("-") or arg in ("-", "--"):
            break
        if arg == "-q":
            flush = True
        elif arg == "-V" and index + 1 < len(argv) and len(argv[index + 1]) == 2:
            msg_warn("option -V is deprecated with Postfix 2.3; specify -XV instead")
            verp = True
            index += 1  # the delimiters come from $verp_delimiters
        elif arg == "-XV":
            verp = True
        else:
            out.append(arg)
            if len(arg) == 2 and _takes_argument(arg[1]) and index + 1 < len(argv):
                index += 1
                out.append(argv[index])
        index += 1
    return out + argv[index:], flush, verp


def _login_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        fatal(EX_OSERR, f"no login name found for user ID {uid}")


def _config() -> Config:
    try:
        return load_config(os.environ.get("MAIL_CONFIG"), process_name="sendmail",
                           need_master=False)
    except ConfigLoadError as exc:
        fatal(EX_TEMPFAIL, str(exc))


def run(argv: list[str]) -> int:
    try:
        return _run(argv)
    except SendmailExit as exc:
        return exc.status


def _run(argv: list[str]) -> int:
    progname = os.path.basename(argv[0])
    if not progname or progname.endswith(".py"):  # python -m pyfix.cli.sendmail
        progname = "sendmail"
    set_progname(progname)
    args, flush, verp = _prescan(argv)
    with contextlib.suppress(_BadOption):  # Postfix's first pass (for -C) reports it too
        getopt(args, GETOPT_LIST, _silent_usage, progname)
    options, operands = getopt(args, GETOPT_LIST, lambda: usage(progname), progname)
    mode = {"mailq": "p", "newaliases": "i"}.get(progname, "m")
    mode = "q" if flush else mode
    sender: str | None = None
    alias_map: str | None = None
    req = EnqueueRequest(sender="", recipients=[])
    verbose = 0
    qtime = False
    flush_target: tuple[str, str] | None = None
    for opt, value in options:
        if opt == "C":
            os.environ["MAIL_CONFIG"] = (os.path.dirname(value) or "."
                                         if os.path.basename(value) == "main.cf" else value)
        elif opt == "n":
            fatal(EX_USAGE, "-n option not supported")
        elif opt == "B":
            encodings = {"8BITMIME": "8bit", "7BIT": "7bit"}
            if value.upper() not in encodings:
                fatal(EX_USAGE, "-B option needs 8BITMIME or 7BIT")
            req.encoding = encodings[value.upper()]
        elif opt == "F":
            req.full_name = value
        elif opt in ("f", "r"):
            sender = value
        elif opt == "i" or (opt == "o" and value[:1] == "i"):
            req.dot_ends = False
        elif opt == "o" and value[:1] == "A":
            if not value[1:]:
                fatal(EX_USAGE, "-oA requires pathname")
            alias_map = value[1:]
        elif opt == "N":
            req.dsn_notify = dsn_notify_mask(value)
            if not req.dsn_notify:
                msg_warn("bad -N option value -- ignored")
        elif opt == "R":
            req.dsn_ret = dsn_ret_code(value)
            if not req.dsn_ret:
                msg_warn("bad -R option value -- ignored")
        elif opt == "V":
            if len(value) > 100:
                msg_warn("too long -V option value -- ignored")
            elif not value.isprintable():
                msg_warn("bad syntax in -V option value -- ignored")
            else:
                req.dsn_envid = value
        elif opt == "X":
            if value[:1] != "V":
                fatal(EX_USAGE, f"unsupported: -X{value[:1]}")
            verp = True
            req.verp = value[1:]
        elif opt == "b":
            if value[:1] not in ("d", "h", "H", "i", "m", "p", "s", "v"):
                fatal(EX_USAGE, f"unsupported: -b{value[:1]}")
            mode = value[:1]
        elif opt == "q":
            if value[:1].isdigit():
                qtime = True
            elif value[:1] == "R":
                flush_target = ("-s", value[1:])
                if not value[1:]:
                    fatal(EX_USAGE, "specify: -qRsitename")
            elif value[:1] == "I":
                flush_target = ("-i", value[1:])
                if not value[1:]:
                    fatal(EX_USAGE, "specify: -qIqueueid")
            else:
                fatal(EX_USAGE, f"-q{value[:1]} is not implemented")
        elif opt == "t":
            req.extract = True
        elif opt == "v":
            verbose += 1
    if req.extract and mode not in ("m", "v"):
        fatal(EX_USAGE, "-t can be used only in delivery mode")
    if req.extract and mode == "v":
        fatal(EX_USAGE, "-t option cannot be used with -bv")
    if verbose and mode == "v":
        fatal(EX_USAGE, "-v option cannot be used with -bv")
    if flush_target is not None and mode != "m":
        fatal(EX_USAGE, f"-q{'R' if flush_target[0] == '-s' else 'I'} can be used only in"
                        " delivery mode")
    config = _config()
    queue_directory = config.get("queue_directory")
    try:
        os.chdir(queue_directory)
    except OSError as exc:
        fatal(EX_UNAVAILABLE, f"chdir {queue_directory}: {exc.strerror}")
    if qtime and mode != "d":
        return 0
    if mode == "i":
        return _newaliases(operands, verbose, alias_map)
    if mode == "p":
        if operands:
            fatal(EX_USAGE, "display queue mode requires no recipient")
        return _postqueue("-p", *["-v"] * verbose)
    if mode == "q":
        if operands:
            fatal(EX_USAGE, "flush queue mode requires no recipient")
        return _postqueue("-f", *["-v"] * verbose)
    if flush_target is not None:
        if operands:
            what = "site" if flush_target[0] == "-s" else "queue_id"
            fatal(EX_USAGE, f"flush {what} requires no recipient")
        return _postqueue(*flush_target, *["-v"] * verbose)
    if mode in ("h", "H"):
        return 0
    if mode == "d":
        fatal(EX_UNAVAILABLE, "daemon mode: use \"postfix start\"")
    if mode == "s":
        if operands:
            fatal(EX_USAGE, "stand-alone mode requires no recipient")
        from pyfix.cli.sendmail_bs import stand_alone_smtp

        return stand_alone_smtp(config, verbose)
    if mode == "v":
        req.trace_flags |= DEL_REQ_FLAG_USR_VRFY
    return _enqueue(config, req, sender, operands, verbose, verp)


def _postqueue(*args: str) -> int:
    """What Postfix's sendmail runs postqueue for (-bp, -q, -qR, -qI)."""
    from pyfix.cli import postqueue

    try:
        return postqueue.run(["postqueue", *args])
    except FatalError:
        return postqueue.EX_UNAVAILABLE


def _newaliases(operands: list[str], verbose: int, alias_map: str | None) -> int:
    if operands:
        fatal(EX_USAGE, "alias initialization mode requires no recipient")
    from pyfix.cli import newaliases

    sys.argv = ["newaliases", *["-v"] * verbose, *([f"-oA{alias_map}"] if alias_map else [])]
    newaliases.main()
    return 0


def _enqueue(config: Config, req: EnqueueRequest, sender: str | None, operands: list[str],
             verbose: int, verp: bool) -> int:
    uid = os.getuid()
    if sender is None:
        req.sender = _login_name(uid)
    else:
        addresses = parse_address_list(sender)
        req.sender = addresses[0] if addresses else ""
        if len(addresses) > 1:
            msg_warn(f"-f option specified malformed sender: {sender}")
    who = f"{req.sender}({uid})"
    try:
        req.line_limit = config.get_int("line_length_limit")
        req.fix_eol = config.get("sendmail_fix_line_endings")
        long_ids = config.get_bool("enable_long_queue_ids")
        pickup = config.get("pickup_service_name")
        if verp and req.verp is None:
            req.verp = config.get("verp_delimiters")
    except (ExpansionError, ValueError) as exc:
        fatal(EX_TEMPFAIL, str(exc))
    if req.fix_eol not in ("always", "strict", "never"):
        fatal(EX_USAGE, f"invalid sendmail_fix_line_endings value: {req.fix_eol}")
    if req.verp is not None and not req.sender:
        fatal(EX_USAGE, f"{who}: -V option requires non-null sender address")
    if verbose == 1:
        req.trace_flags = DEL_REQ_FLAG_RECORD
    req.recipients = operands
    req.uid = uid
    req.probe = bool(req.trace_flags & DEL_REQ_FLAG_USR_VRFY)  # -bv: no message is read
    try:
        result = submit_records(enqueue_records(req, sys.stdin.buffer), config.get(
            "queue_directory"), uid=uid, warn=msg_warn, long_ids=long_ids,
            pickup_service=pickup)
    except EnqueueError as exc:
        fatal(exc.status, str(exc))
    except SubmitFatal as exc:
        fatal(EX_SOFTWARE, f"{who}: {exc}")
    except OSError as exc:
        fatal(EX_TEMPFAIL, f"{who}: error writing queue file: {exc.strerror}")
    status = result.status or 0
    if status:
        code = (EX_SOFTWARE if status & CLEANUP_STAT_BAD else EX_TEMPFAIL
                if status & CLEANUP_STAT_WRITE else EX_NOPERM
                if status & CLEANUP_STAT_NOPERM else EX_UNAVAILABLE)
        fatal(code, f"{who}: {result.reason or 'queue file write error'}")
    if req.trace_flags:
        sys.stdout.write(f"Mail Delivery Status Report will be mailed to <{req.sender}>.\n")
    return 0


def main() -> None:
    run_command(run, fatal_status=EX_TEMPFAIL)


if __name__ == "__main__":
    main()
