"""S7 and S18: the notebook's aliases, built with pyfix's postalias/newaliases.

S7: "/etc/postfix/aliases に root: 自分のアカウント名 を追加", newaliases,
"postfix check" reports no problem (Postfix 3.7 prints only its
backwards-compatibility notice: the notebook's main.cf has no
compatibility_level), mail to root lands in that account's
mailbox (a real passwd user, so root is needed).

S18: "comingout: "|/home/postgres/comingout/perl/comingout.pl"": the
message goes to the command's standard input, the command runs as
default_privs (the alias table belongs to root) or, without root, as the
mail system's user.  Exit statuses are read as Postfix's
global/pipe_command.c reads them (sysexits.h: 75 "temporary failure" is
a deferral, 67 "user unknown" a bounce, "Command output: " appended), a
command that cannot be executed is Postfix's child exiting with
EX_TEMPFAIL after "local: fatal: execvp CMD: ERROR", and the time limit
bounces with the output written so far.
"""

from __future__ import annotations

import os
import pwd
import re
from collections.abc import Callable
from pathlib import Path

from tests.delivery.local.harness import LocalUsers, needs_root
from tests.instance import Instance, wait_for
from tests.seed.topology import (
    SEED_MASTER_CF,
    SEED_RECIPIENT_RESTRICTIONS,
    as_notebook,
    smtp_send,
)

Make = Callable[..., Instance]
D = r"delay=\d+(?:\.\d+)?, delays=[\d.]+/[\d.]+/[\d.]+/[\d.]+"
HOST = "127.0.0.7"
# The notebook's mydestination: at level 0 (append_dot_mydomain = yes)
# "root@localhost" becomes root@localhost.$mydomain, which it lists.
MAIN_CF = ("myhostname = mail.seed.example\n"
           "mydestination = $myhostname, localhost.$mydomain\n"
           "inet_protocols = ipv4\n"
           "alias_maps = hash:$config_directory/aliases\n"
           "alias_database = hash:$config_directory/aliases\n"
           + SEED_RECIPIENT_RESTRICTIONS)


COMPAT_NOTICE = (
    "postfix: Postfix is using backwards-compatible default settings\n"
    "postfix: See http://www.postfix.org/COMPATIBILITY_README.html for details\n"
    'postfix: To disable backwards compatibility use "postconf compatibility_level=3.6" '
    'and "postfix reload"\n')


def message(subject: str) -> bytes:
    return f"Subject: {subject}\r\nFrom: okada@outside.example\r\n\r\nbody line\r\n".encode()


def local_line(log: str, queue_id: str, rcpt: str, dsn: str, status: str, reason: str,
               orig: str = "") -> None:
    orig_to = f"orig_to=<{re.escape(orig)}>, " if orig else ""
    pattern = (rf"postfix/local\[\d+\]: {queue_id}: to=<{re.escape(rcpt)}>, {orig_to}"
               rf"relay=local, {D}, dsn={re.escape(dsn)}, status={status} "
               rf"\({re.escape(reason)}\)")
    assert re.search(pattern, log), (pattern, log)


def prepare(make: Make, main_cf: str, aliases: str) -> Instance:
    inst = make(MAIN_CF + main_cf, SEED_MASTER_CF, host=HOST, start=False)
    as_notebook(inst)
    (inst.etc / "aliases").write_text(aliases)
    inst.spool.mkdir()
    result = inst.command("postalias", f"hash:{inst.etc}/aliases")
    assert result.returncode == 0, result.stderr
    return inst


@needs_root
def test_s7_root_alias_to_an_account(pyfix_instance: Make, users: LocalUsers) -> None:
    someone = users.add("pyfixseed7")
    spool = Path(users.base) / "spool"
    spool.mkdir()
    os.chmod(spool, 0o1777)
    inst = prepare(pyfix_instance, f"mail_spool_directory = {spool}\n",
                   f"# The notebook: root: (your account)\nroot: {someone.pw_name}\n")
    result = inst.command("postalias", "-q", "root", f"hash:{inst.etc}/aliases")
    assert (result.returncode, result.stdout) == (0, f"{someone.pw_name}\n")
    # "newaliases" rebuilds the same table from alias_database.
    result = inst.command("newaliases")
    assert result.returncode == 0, result.stderr
    inst.start()
    check = inst.postfix("check")
    # Nothing about the configuration is wrong; Postfix 3.7 only adds its
    # notice for a main.cf without compatibility_level, as the notebook's.
    assert (check.returncode, check.stdout, check.stderr) == (0, "", COMPAT_NOTICE)
    qid = smtp_send(inst, "okada@outside.example", ["root@localhost"], message("S7 to root"))
    log = inst.wait_log(f"{qid}: removed")
    local_line(log, qid, f"{someone.pw_name}@mail.seed.example", "2.0.0", "sent",
               "delivered to mailbox", orig="root@localhost")
    mailbox = spool / someone.pw_name
    assert mailbox.stat().st_uid == someone.pw_uid
    text = mailbox.read_text()
    assert text.startswith("From okada@outside.example ")
    assert "Subject: S7 to root\n" in text and "X-Original-To: root@localhost\n" in text


def test_s18_alias_pipes_to_a_command(pyfix_instance: Make) -> None:
    probe = pyfix_instance(start=False)
    base = probe.root / "s18"
    bin_dir, out = base / "bin", base / "out"
    bin_dir.mkdir(parents=True)
    out.mkdir()
    os.chmod(base, 0o755)
    os.chmod(out, 0o1777)
    scripts = {
        "record.sh": '#!/bin/sh\n{ echo "uid=$(id -u)"; echo "recipient=$RECIPIENT"; cat; }'
                     ' > "$1"\n',
        "exitwith.sh": '#!/bin/sh\ncode=$1; shift; cat > /dev/null; echo "$@"; exit "$code"\n',
        "slow.sh": "#!/bin/sh\necho started\nexec sleep 30\n",
    }
    for name, text in scripts.items():
        (bin_dir / name).write_text(text)
        os.chmod(bin_dir / name, 0o755)
    inst = prepare(pyfix_instance, "command_time_limit = 2s\n",
                   f'comingout: "|{bin_dir}/record.sh {out}/comingout"\n'
                   f'busy: "|{bin_dir}/exitwith.sh 75 busy now"\n'
                   f'nouser: "|{bin_dir}/exitwith.sh 67 no such person"\n'
                   'missing: "|/nonexistent/command arg"\n'
                   f'slow: "|{bin_dir}/slow.sh"\n'
                   f"okada: {out}/okada.mbox\n")
    inst.start()
    rcpts = [f"{name}@mail.seed.example" for name in ("comingout", "busy", "nouser",
                                                      "missing", "slow")]
    qid = smtp_send(inst, "okada@mail.seed.example", rcpts, message("S18 pipe"))
    log = inst.wait_log("status=bounced (Command time limit exceeded", timeout=30)
    log = inst.wait_log(f"{qid}: to=<", count=5)
    local_line(log, qid, rcpts[0], "2.0.0", "sent",
               f"delivered to command: {bin_dir}/record.sh {out}/comingout")
    local_line(log, qid, rcpts[1], "4.3.0", "deferred",
               "temporary failure. Command output: busy now ")
    local_line(log, qid, rcpts[2], "5.1.1", "bounced",
               "user unknown. Command output: no such person ")
    local_line(log, qid, rcpts[3], "4.3.0", "deferred",
               "temporary failure. Command output: local: fatal: execvp /nonexistent/command: "
               "No such file or directory ")
    local_line(log, qid, rcpts[4], "5.3.0", "bounced",
               f'Command time limit exceeded: "{bin_dir}/slow.sh". Command output: started ')
    recorded = (out / "comingout").read_text()
    expected_uid = pwd.getpwnam("nobody").pw_uid if os.geteuid() == 0 else os.geteuid()
    assert recorded.startswith(f"uid={expected_uid}\nrecipient=comingout@mail.seed.example\n")
    # The message on standard input, after the From_ line and Return-Path:.
    assert "\nReturn-Path: <okada@mail.seed.example>\n" in recorded
    assert "\nSubject: S18 pipe\n" in recorded and recorded.endswith("\nbody line\n")
    # The two deferred recipients stay in the queue; the bounces reach the sender.
    assert wait_for(lambda: bool(inst.queue_files("deferred"))), inst.maillog()
    log = inst.wait_log(f"{qid}: sender non-delivery notification")
    mbox = out / "okada.mbox"
    assert wait_for(lambda: mbox.exists() and "Undelivered Mail" in mbox.read_text()), log
    notice = " ".join(mbox.read_text().split())
    assert "Subject: Undelivered Mail Returned to Sender" in notice
    assert ("<nouser@mail.seed.example>: user unknown. Command output: no such person "
            "<slow@mail.seed.example>: Command time limit exceeded:") in notice
    assert "Status: 5.1.1 Diagnostic-Code: X-Postfix; user unknown." in notice
