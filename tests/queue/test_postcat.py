"""Real Postfix postcat(1) reads pyfix's queue files as it reads its own.

The golden outputs were recorded by tests/golden/queue/record.sh from
queue files that Postfix 3.7.11 wrote; these tests skip when postcat is
not installed.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pyfix.queue import records as rec
from pyfix.queue.writer import QueueFileWriter
from tests.queue.harness import (
    GOLDENS,
    Golden,
    TempQueue,
    copy_records,
    install_file,
    make_queue,
    need_postcat,
    postcat,
)

FLAGS = {"postcat.txt": [], "postcat-bh.txt": ["-bh"], "postcat-e.txt": ["-e"]}
VERBOSE = {"postcat-vo.txt": ["-v", "-o"]}


def _queue_like(golden: Golden, tmp_path: Path) -> TempQueue:
    params = golden.main_cf
    return make_queue(
        tmp_path,
        int(params["hash_queue_depth"]),
        params["hash_queue_names"],
        params["enable_long_queue_ids"] == "yes",
    )


def _run(queue: TempQueue, queue_id: str, flags: list[str]) -> str:
    result = postcat(queue, *flags, "-q", queue_id)
    assert result.returncode == 0, result.stderr
    if "-v" not in flags:
        assert result.stderr == ""
    return result.stdout


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda g: g.name)
def test_golden_output_still_matches_postcat(golden: Golden, tmp_path: Path) -> None:
    """Postfix's own file, where Postfix put it: the recorded output."""
    need_postcat()
    queue = _queue_like(golden, tmp_path)
    install_file(queue, golden.data, golden.text("hold.path").strip())
    for name, flags in {**FLAGS, **VERBOSE}.items():
        assert _run(queue, golden.queue_id, flags) == golden.text(name), name


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda g: g.name)
def test_postcat_prints_pyfix_file_as_postfix_file(golden: Golden, tmp_path: Path) -> None:
    """The same message written by pyfix: same output, by queue ID and by path."""
    need_postcat()
    queue = _queue_like(golden, tmp_path)
    with QueueFileWriter.create(queue.layout) as writer:
        copy_records(writer, golden.data)
        path = writer.commit("hold")
    ours = queue.layout.relative_path("hold", writer.queue_id)
    theirs = golden.text("hold.path").strip()
    for name, flags in {**FLAGS, **VERBOSE}.items():
        expected = golden.text(name).replace(f" {theirs} ***", f" {ours} ***")
        assert _run(queue, writer.queue_id, flags) == expected, name
    direct = postcat(queue, str(path))
    assert direct.returncode == 0 and direct.stderr == ""
    assert direct.stdout == golden.text("postcat.txt").replace(f" {theirs} ***", f" {path} ***")


def _asctime(when: int) -> str:
    return time.asctime(time.gmtime(when))


def test_postcat_reads_every_record_pyfix_writes(tmp_path: Path) -> None:
    """A message built with the writer API only, with every kind of record
    cleanup writes: postcat -v shows each one, pointers and padding too."""
    need_postcat()
    queue = make_queue(tmp_path, depth=2, long_ids=True)
    when = 1_700_000_000
    with QueueFileWriter.create(queue.layout, line_limit=100) as writer:
        writer.put_time(when, 654321)
        writer.put_create_time(when + 1)
        writer.put_attr("log_ident", writer.queue_id)
        writer.put_attr("envelope_id", "ENV-7")
        writer.put_fullname("Some Body")
        writer.put_sender("sender@example.org")
        writer.put_warn(when + 14400)
        writer.add_recipient("one@example.com", "One@Example.com", dsn_notify=14)
        writer.add_recipient("two@example.com", dsn_orcpt="rfc822;two@example.com")
        writer.put_pointer()
        writer.start_content()
        writer.put_text(b"Subject: pyfix")
        writer.put(rec.REC_TYPE_DTXT, rec.pad_record(rec.REC_TYPE_DTXT, 8)[2:])
        writer.put_text(b"")
        writer.put_text(b"0123456789" * 25)
        writer.start_extracted()
        writer.put_string(rec.REC_TYPE_RRTO, "receipt@example.org")
        writer.put_string(rec.REC_TYPE_ERTO, "errors@example.org")
        writer.put_attr("encoding", "7bit")
        writer.add_recipient("three@example.com")
        writer.end()
        writer.commit("hold")
    where = queue.layout.relative_path("hold", writer.queue_id)
    envelope = _run(queue, writer.queue_id, ["-e"])
    assert envelope == (
        f"*** ENVELOPE RECORDS {where} ***\n"
        f"message_size: {writer.size_record().encode().decode()}\n"
        f"message_arrival_time: {_asctime(when)}\n"
        f"create_time: {_asctime(when + 1)}\n"
        f"named_attribute: log_ident={writer.queue_id}\n"
        "named_attribute: envelope_id=ENV-7\n"
        "sender_fullname: Some Body\n"
        "sender: sender@example.org\n"
        f"warning_message_time: {_asctime(when + 14400)}\n"
        "named_attribute: notify_flags=14\n"
        "original_recipient: One@Example.com\n"
        "recipient: one@example.com\n"
        "named_attribute: dsn_orig_rcpt=rfc822;two@example.com\n"
        "original_recipient: two@example.com\n"
        "recipient: two@example.com\n"
        f"*** MESSAGE CONTENTS {where} ***\n"
        f"*** HEADER EXTRACTED {where} ***\n"
        "return_receipt: receipt@example.org\n"
        "errors_to: errors@example.org\n"
        "named_attribute: encoding=7bit\n"
        "original_recipient: three@example.com\n"
        "recipient: three@example.com\n"
        f"*** MESSAGE FILE END {where} ***\n"
    )
    text = _run(queue, writer.queue_id, ["-bh"])
    assert text == "Subject: pyfix\n\n" + "0123456789" * 25 + "\n"
    verbose = postcat(queue, "-v", "-q", writer.queue_id)
    assert verbose.returncode == 0
    assert "warning" not in verbose.stderr
    assert f"pointer_record: {'0':>15}\n" in verbose.stdout
    assert "padding:" in verbose.stdout
    assert verbose.stdout.count("unterminated_text: ") == 2
