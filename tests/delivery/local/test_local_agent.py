"""local(8) at agent level: real queue files (cleanup library), the real
Delivery object, real passwd users and real child processes.

Expected texts are Postfix 3.7.11's (local/*.c, global/pipe_command.c,
global/sys_exits.c): "delivered to mailbox", "unknown user: "x"",
"forwarded as ID", "Command died with status N: "cmd". Command output:
...", "mail forwarding loop for ADDR", and so on.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pyfix.delivery.dsn import DSN_NOTIFY_SUCCESS
from tests.delivery.local.conftest import MakeBox, agent
from tests.delivery.local.harness import LocalUsers, needs_root

LINE = r"{qid}: to=<{to}>, {orig}relay=local, delay=[\d.]+, delays=[\d./]+, dsn={dsn}, " \
       r"status={status} \({reason}\)"


def expect(log: list[str], qid: str, to: str, dsn: str, status: str, reason: str,
           orig: str = "") -> None:
    pattern = LINE.format(qid=qid, to=re.escape(to), dsn=re.escape(dsn), status=status,
                          reason=re.escape(reason),
                          orig=f"orig_to=<{re.escape(orig)}>, " if orig else "")
    assert any(re.fullmatch(pattern, line) for line in log), "\n".join(log)


def aliases(box_root: Path, text: str) -> str:
    path = box_root / "aliases"
    # texthash: wants postmap's "key value" form
    path.write_text(re.sub(r"(?m)^([^:\s]+): ", r"\1 ", text))
    return f"alias_maps = texthash:{path}\n"


def public_dir(root: Path) -> Path:
    pub = root / "pub"
    pub.mkdir()
    os.chmod(pub, 0o1777)
    return pub


@needs_root
def test_mailbox_unknown_user_and_queue_marks(make_box: MakeBox) -> None:
    box = make_box()
    qid = box.enqueue(["nobody@mail.example.com", "nosuch@mail.example.com"])
    out = box.deliver(agent(box), qid)
    expect(out.log, qid, "nobody@mail.example.com", "2.0.0", "sent", "delivered to mailbox")
    expect(out.log, qid, "nosuch@mail.example.com", "5.1.1", "bounced",
           'unknown user: "nosuch"')
    assert box.undone(qid) == []
    assert out.status("nosuch@mail.example.com") == "bounced"
    mailbox = box.spool_dir / "nobody"
    assert mailbox.stat().st_uid == 65534
    assert mailbox.read_text().startswith("From sender@example.org  ")
    assert "Delivered-To: nobody@mail.example.com\n" in mailbox.read_text()
    bounce = box.bounce_log(qid)
    assert "recipient=nosuch@mail.example.com\n" in bounce
    assert 'reason=unknown user: "nosuch"' in bounce


@needs_root
def test_alias_to_local_user_and_to_remote_address(make_box: MakeBox, tmp_path: Path) -> None:
    box = make_box()
    alias_cf = aliases(box.root, "postmaster: nobody\nfwd: someone@remote.example\n")
    box = make_box(alias_cf)
    qid = box.enqueue(["postmaster@mail.example.com", "fwd@mail.example.com"])
    out = box.deliver(agent(box), qid)
    expect(out.log, qid, "nobody@mail.example.com", "2.0.0", "sent", "delivered to mailbox",
           orig="postmaster@mail.example.com")
    new_ids = [i for i in box.queue_ids() if i != qid]
    assert len(new_ids) == 1
    expect(out.log, qid, "fwd@mail.example.com", "2.0.0", "sent", f"forwarded as {new_ids[0]}")
    sender, rcpts, lines = box.read_queued(new_ids[0])
    assert sender == "sender@example.org" and rcpts == ["someone@remote.example"]
    assert lines[0] == b"Received: by mail.example.com (Postfix)"
    assert re.fullmatch(rb"\tid %s; .*" % new_ids[0].encode(), lines[1])
    assert lines[2] == b"Delivered-To: fwd@mail.example.com"
    assert box.undone(qid) == []


@needs_root
def test_owner_alias_changes_sender_and_include(make_box: MakeBox) -> None:
    box = make_box()
    members = box.root / "members"
    members.write_text("a@remote.example\n# comment\nb@remote.example\n")
    box = make_box(aliases(box.root, f"list: :include:{members}\n"
                                     "owner-list: boss@remote.example\n"))
    qid = box.enqueue(["list@mail.example.com"])
    out = box.deliver(agent(box), qid)
    (new_id,) = [i for i in box.queue_ids() if i != qid]
    expect(out.log, qid, "list@mail.example.com", "2.0.0", "sent", f"forwarded as {new_id}")
    sender, rcpts, _lines = box.read_queued(new_id)
    assert sender == "owner-list@mail.example.com"
    assert rcpts == ["a@remote.example", "b@remote.example"]


@needs_root
def test_commands_exit_status_classes(make_box: MakeBox) -> None:
    box = make_box()
    pub = public_dir(box.root)
    table = (f'envcmd: "|env > {pub}/env.txt"\n'
             'tempfail: "|exit 75"\n'
             'nouser: "|exit 67"\n'
             'oops: "|echo oops; exit 1"\n'
             'dsn: "|echo 4.2.2 mailbox full; exit 1"\n'
             'killed: "|kill -9 $$"\n'
             'slow: "|sleep 10"\n')
    box = make_box(aliases(box.root, table) + "command_time_limit = 1s\n")
    rcpts = [f"{name}@mail.example.com" for name in
             ("envcmd", "tempfail", "nouser", "oops", "dsn", "killed", "slow")]
    qid = box.enqueue(rcpts, sender="s@example.org")
    out = box.deliver(agent(box), qid)
    expect(out.log, qid, "envcmd@mail.example.com", "2.0.0", "sent",
           f"delivered to command: env > {pub}/env.txt")
    env = dict(line.split("=", 1) for line in (pub / "env.txt").read_text().splitlines())
    assert env["SENDER"] == "s@example.org"
    assert env["RECIPIENT"] == "envcmd@mail.example.com"
    assert env["LOCAL"] == "envcmd" and env["USER"] == "envcmd"
    assert env["DOMAIN"] == "mail.example.com"
    assert env["ORIGINAL_RECIPIENT"] == "envcmd@mail.example.com"
    assert env["PATH"] == "/usr/bin:/bin"
    assert (pub / "env.txt").stat().st_uid == 65534  # default_privs = nobody
    expect(out.log, qid, "tempfail@mail.example.com", "4.3.0", "deferred", "temporary failure")
    expect(out.log, qid, "nouser@mail.example.com", "5.1.1", "bounced", "user unknown")
    expect(out.log, qid, "oops@mail.example.com", "5.3.0", "bounced",
           'Command died with status 1: "echo oops; exit 1". Command output: oops ')
    expect(out.log, qid, "dsn@mail.example.com", "4.2.2", "deferred", "mailbox full ")
    expect(out.log, qid, "killed@mail.example.com", "4.3.0", "deferred",
           'Command died with signal 9: "kill -9 $$"')
    expect(out.log, qid, "slow@mail.example.com", "5.3.0", "bounced",
           'Command time limit exceeded: "sleep 10"')
    assert sorted(box.undone(qid)) == ["dsn@mail.example.com", "killed@mail.example.com",
                                       "tempfail@mail.example.com"]
    assert "reason=temporary failure" in box.bounce_log(qid, "defer")


@needs_root
def test_files_and_restrictions(make_box: MakeBox) -> None:
    box = make_box()
    pub = public_dir(box.root)
    inc = box.root / "inc"
    inc.write_text(f"{pub}/from-include\n")
    box = make_box(aliases(box.root, f"tofile: {pub}/out\ninc: :include:{inc}\n"))
    qid = box.enqueue(["tofile@mail.example.com", "inc@mail.example.com"])
    out = box.deliver(agent(box), qid)
    expect(out.log, qid, "tofile@mail.example.com", "2.0.0", "sent",
           f"delivered to file: {pub}/out")
    assert (pub / "out").read_text().startswith("From sender@example.org  ")
    expect(out.log, qid, "inc@mail.example.com", "5.7.1", "bounced",
           "mail to file is restricted")


@needs_root
def test_alias_loop_and_delivered_to_loop(make_box: MakeBox) -> None:
    box = make_box()
    box = make_box(aliases(box.root, "a: b\nb: a\n"))
    qid = box.enqueue(["a@mail.example.com"])
    out = box.deliver(agent(box), qid)
    # Each a -> b hop takes four nesting levels; level 101 is reached at b.
    assert "warning: recipient nesting limit exceeded for b@mail.example.com" in out.log
    expect(out.log, qid, "b@mail.example.com", "5.4.6", "bounced",
           "recipient nesting limit exceeded", orig="a@mail.example.com")
    qid = box.enqueue(["nobody@mail.example.com"],
                      headers=[b"Delivered-To: Nobody@mail.example.com", b"Subject: x"])
    out = box.deliver(agent(box), qid)
    expect(out.log, qid, "nobody@mail.example.com", "5.4.6", "bounced",
           "mail forwarding loop for nobody@mail.example.com")


@needs_root
def test_dotforward_extension_and_trace(make_box: MakeBox, users: LocalUsers) -> None:
    pw = users.add("pyfixlu1")
    home = Path(pw.pw_dir)
    for name, text in ((".forward", "pyfixlu1, elsewhere@remote.example\n"),
                       (".forward+tag", "tagged@remote.example\n")):
        (home / name).write_text(text)
        os.chown(home / name, pw.pw_uid, pw.pw_gid)
    box = make_box("recipient_delimiter = +\n")
    qid = box.enqueue(["pyfixlu1@mail.example.com"], notify=DSN_NOTIFY_SUCCESS)
    out = box.deliver(agent(box), qid)
    expect(out.log, qid, "pyfixlu1@mail.example.com", "2.0.0", "sent", "delivered to mailbox")
    (new_id,) = [i for i in box.queue_ids() if i != qid]
    expect(out.log, qid, "pyfixlu1@mail.example.com", "2.0.0", "sent",
           f"forwarded as {new_id}")
    assert box.read_queued(new_id)[1] == ["elsewhere@remote.example"]
    assert "alias expanded" in box.bounce_log(qid, "trace")
    qid = box.enqueue(["pyfixlu1+tag@mail.example.com"])
    out = box.deliver(agent(box), qid)
    newer = [i for i in box.queue_ids() if i not in (qid, new_id)]
    assert box.read_queued(newer[-1])[1] == ["tagged@remote.example"]


@needs_root
def test_luser_relay_and_mailbox_size_limit(make_box: MakeBox) -> None:
    box = make_box("luser_relay = $user@other.example\n"
                   "message_size_limit = 1000\nmailbox_size_limit = 1200\n")
    (box.spool_dir / "nobody").write_text("x" * 1000)
    os.chown(box.spool_dir / "nobody", 65534, 65534)
    qid = box.enqueue(["nosuch@mail.example.com", "nobody@mail.example.com"],
                      body=[b"y" * 300])
    out = box.deliver(agent(box), qid)
    (new_id,) = [i for i in box.queue_ids() if i != qid]
    expect(out.log, qid, "nosuch@mail.example.com", "2.0.0", "sent", f"forwarded as {new_id}")
    assert box.read_queued(new_id)[1] == ["nosuch@other.example"]
    expect(out.log, qid, "nobody@mail.example.com", "5.2.2", "bounced",
           f"cannot update mailbox {box.spool_dir}/nobody for user nobody. "
           "error writing message: File too large")
    assert (box.spool_dir / "nobody").stat().st_size == 1000


@needs_root
def test_home_maildir_and_mailbox_command(make_box: MakeBox, users: LocalUsers) -> None:
    pw = users.add("pyfixlu2")
    box = make_box("home_mailbox = Maildir/\n")
    qid = box.enqueue(["pyfixlu2@mail.example.com"])
    out = box.deliver(agent(box), qid)
    expect(out.log, qid, "pyfixlu2@mail.example.com", "2.0.0", "sent", "delivered to maildir")
    (msg,) = list((Path(pw.pw_dir) / "Maildir" / "new").iterdir())
    assert msg.stat().st_uid == pw.pw_uid
    assert msg.read_text().startswith("Return-Path: <sender@example.org>\n")
    box = make_box('mailbox_command = /bin/sh -c "cat > $HOME/piped"\n')
    qid = box.enqueue(["pyfixlu2@mail.example.com"])
    out = box.deliver(agent(box), qid)
    expect(out.log, qid, "pyfixlu2@mail.example.com", "2.0.0", "sent",
           'delivered to command: /bin/sh -c "cat > $HOME/piped"')
    piped = Path(pw.pw_dir) / "piped"
    assert piped.stat().st_uid == pw.pw_uid
    assert piped.read_text().startswith("From sender@example.org  ")


@needs_root
def test_unwritable_mailbox(make_box: MakeBox) -> None:
    box = make_box()
    (box.spool_dir / "nobody").mkdir()
    qid = box.enqueue(["nobody@mail.example.com"])
    out = box.deliver(agent(box), qid)
    expect(out.log, qid, "nobody@mail.example.com", "5.2.0", "bounced",
           f"cannot update mailbox {box.spool_dir}/nobody for user nobody. "
           "cannot open file: Is a directory")
