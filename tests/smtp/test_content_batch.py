"""The bulk line paths of DataReader and BdatReader against the old ones.

DataReader.read() stores runs of complete lines at once
(InputBuffer.peek_lines() and DataReader._read_lines()).  These tests
replay random message content, cut at every possible point or at random
points, through DataReader and through a copy of the reader that takes
one line at a time with InputBuffer.read_line() (the way read() worked
before the bulk path), and require the same records, logs, errors, size
count, end of message and bytes left in the buffer after every read.
BdatReader._split() stores the complete lines of a fragment at once
when no partial line is pending; it is compared the same way with the
line-at-a-time _split().
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from pyfix.smtp.content import BdatReader, DataReader
from pyfix.smtp.events import REC_CONT, REC_NORM, Record
from pyfix.smtp.lines import CR, LF, InputBuffer
from pyfix.smtp.session import ContentError, MailState


class LineReader(DataReader):
    """The reference: every line through read_line() (no bulk path)."""

    def read(self, buf: InputBuffer) -> bool:
        while True:
            line = buf.read_line(self.line_limit, self.detect)
            if line is None:
                return False
            kind = REC_NORM if line.complete else REC_CONT
            if self.reject and line.bare_lf:
                self.mail.errors.add(ContentError.BARE_LF)
            data = line.data
            prev_cont, prev_bare_lf = self.prev_cont, self.prev_bare_lf
            self.prev_cont, self.prev_bare_lf = not line.complete, line.bare_lf
            if self.first:
                if data.lstrip(b">").startswith(b"From "):
                    self.put_extra(kind, b"X-Mailbox-Line: " + data.split(b"\0", 1)[0])
                    continue
                self.first = False
                if data[:1] in (b" ", b"\t"):
                    self.put_extra(REC_NORM, b"")
            if not prev_cont and data[:1] == b".":
                if len(data) == 1 and self.detect and (line.bare_lf or prev_bare_lf):
                    continue
                data = data[1:]
                if not data:
                    return True
            self.put(kind, data)


@dataclass(frozen=True)
class Config:
    size_limit: int
    line_limit: int
    detect: bool
    reject: bool


def replay(
    cls: type[DataReader], config: Config, pieces: list[bytes]
) -> tuple[list[object], MailState]:
    """Feed pieces one at a time; what each read() produced."""
    mail = MailState(queue_id="4ABCD")
    reader = cls(mail, config.size_limit, config.line_limit, config.detect, config.reject)
    buf = InputBuffer()
    trace: list[object] = []
    for piece in pieces:
        buf.feed(piece)
        done = reader.read(buf)
        records = reader.take()
        assert all(type(r) is Record and type(r.data) is bytes for r in records)
        trace.append((done, records, list(reader.logs), set(mail.errors), mail.act_size))
        if done:
            trace.append(("left", buf.read_bytes(len(buf))))
            break
    trace.append((reader.first, reader.prev_cont, reader.prev_bare_lf))
    return trace, mail


def assert_same(config: Config, pieces: list[bytes]) -> None:
    expected, _ = replay(LineReader, config, pieces)
    actual, _ = replay(DataReader, config, pieces)
    assert actual == expected, (config, pieces)


ATOMS = [
    b"\r\n", b"\r\n", b"\r\n", b"\n", b"\r", b"\r\r\n", b".", b"..", b".\r\n",
    b"\r\n.\r\n", b"\n.\n", b"\r\n.\n", b"\n.\r\n", b"From ", b">From x", b" ", b"\t",
    b"\0", b"abc", b"hello world", b"x" * 7, b"y" * 15, b"z" * 40,
]


def random_content(rng: random.Random, atoms: int) -> bytes:
    body = b"".join(rng.choice(ATOMS) for _ in range(atoms))
    tail = rng.choice([b"\r\n.\r\n", b"\r\n.\r\nQUIT\r\n", b"\n.\n", b"", b".\r\n"])
    return body + tail


def random_config(rng: random.Random) -> Config:
    detect = rng.random() < 0.6
    return Config(
        size_limit=rng.choice([0, 0, 30, 100, 400, 10**6]),
        line_limit=rng.choice([5, 8, 16, 17, 64, 2048]),
        detect=detect,
        reject=detect and rng.random() < 0.5,
    )


CONFIGS = [
    Config(0, 2048, False, False),
    Config(0, 2048, True, False),
    Config(0, 2048, True, True),
    Config(60, 8, True, True),
    Config(45, 16, False, False),
]

SAMPLES = [
    b"Subject: x\r\n\r\nbody\r\n..dot\r\n.\r\nQUIT\r\n",
    b"From a b\r\n>From c\r\n first\r\nline\n.\nstill\r\n.\n.\r\n.\r\nRSET\r\n",
    b"a\r\n" + b"q" * 20 + b"\r\n" + b"r" * 16 + b"\r\n" + b"s" * 15 + b"\r\r\n.\r\n",
    b"h: 1\r\n\r\nx\rx\r\n\r\r\n.\r\r\n..\r\n.x\n\r\n.\r\nNOOP\r\nQUIT\r\n",
    b"h\r\n" + b"line of text\r\n" * 12 + b"\n.\r\n.\n" + b"more\r\n" * 5 + b".\r\n",
    b"x\r\n" + b"7" * 16 + b"\n" + b"8" * 7 + b"\r" + b"\r\n" + b"\r\n.\r\n",
]


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("sample", SAMPLES)
def test_every_split_point(config: Config, sample: bytes) -> None:
    """Whole, then cut in two at every offset, then byte by byte."""
    assert_same(config, [sample])
    for cut in range(1, len(sample)):
        assert_same(config, [sample[:cut], sample[cut:]])
    assert_same(config, [sample[i : i + 1] for i in range(len(sample))])


@pytest.mark.parametrize("seed", range(40))
def test_random_content(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(25):
        config = random_config(rng)
        content = random_content(rng, rng.randint(0, 60))
        assert_same(config, [content])
        cuts = sorted(rng.sample(range(1, len(content)), max(0, min(len(content) - 1, 4))))
        pieces = [content[a:b] for a, b in zip([0, *cuts], [*cuts, len(content)], strict=True)]
        assert_same(config, pieces)
        for cut in range(1, len(content)):
            assert_same(config, [content[:cut], content[cut:]])


def test_bulk_path_is_taken() -> None:
    """A large body goes through peek_lines(), not one read_line() per line."""
    calls = 0

    class Counting(InputBuffer):
        def read_line(self, bound: int, detect_bare_lf: bool):  # type: ignore[no-untyped-def]
            nonlocal calls
            calls += 1
            return super().read_line(bound, detect_bare_lf)

    mail = MailState()
    reader = DataReader(mail, 0, 2048, True, False)
    buf = Counting()
    buf.feed(b"Subject: s\r\n\r\n" + b"some body text\r\n" * 1000 + b"..x\r\n.\r\nQUIT\r\n")
    assert reader.read(buf)
    assert calls == 1  # only the first line
    records = reader.take()
    assert len(records) == 1003 and records[-1] == Record(REC_NORM, b".x")
    assert mail.act_size == sum(len(r.data) + 2 for r in records)
    assert buf.read_bytes(100) == b"QUIT\r\n"


def test_peek_lines_window_and_bound() -> None:
    buf = InputBuffer()
    buf.feed(b"ab\r\ncd\nlong-line\r\nx\r\npartial")
    assert buf.peek_lines(9) == [b"ab\r", b"cd"]
    assert buf.peek_lines(100) == [b"ab\r", b"cd", b"long-line\r", b"x\r"]
    assert buf.peek_lines(100, window=8) == [b"ab\r", b"cd"]
    assert buf.peek_lines(2) == []  # the first line is not shorter than the bound
    assert len(buf) == 28  # nothing consumed


@pytest.mark.parametrize("detect", [False, True])
@pytest.mark.parametrize("sample", SAMPLES)
def test_every_size_limit(detect: bool, sample: bytes) -> None:
    """message_size_limit reached at, before and after every line."""
    _, mail = replay(LineReader, Config(0, 16, detect, False), [sample])
    for limit in range(1, mail.act_size + 3):
        config = Config(limit, 16, detect, detect)
        assert_same(config, [sample])
        assert_same(config, [sample[:7], sample[7:]])


class LineBdatReader(BdatReader):
    """The reference: _split() one line at a time (no bulk part)."""

    def _split(self, frag: bytes, final: bool) -> None:
        pending = self.mail.bdat_pending
        pos, end, eof = 0, len(frag), False
        while True:
            can_read = self.line_limit - len(pending)
            bound = can_read if can_read > 0 else 1
            newline = frag.find(b"\n", pos, min(end, pos + bound))
            stop = newline + 1 if newline >= 0 else min(end, pos + bound)
            if newline < 0 and stop - pos < bound:
                eof = True
            got = frag[pos:stop]
            pending += got
            pos = stop
            last = got[-1] if got else -1
            if last == CR:
                if pos >= end:
                    eof = True
                elif frag[pos] == LF:
                    pending.append(LF)
                    pos += 1
                    last = LF
            bare_lf = False
            if last == LF:
                del pending[-1]
                if self.detect:
                    if pending[-1:] == b"\r":
                        del pending[-1]
                    else:
                        bare_lf = True
                else:
                    while pending[-1:] == b"\r":
                        del pending[-1]
                kind = REC_NORM
            elif len(pending) > self.line_limit:
                pos -= 1
                del pending[-1]
                kind = REC_CONT
            elif not eof:
                kind = REC_CONT
            elif pending and final:
                kind = REC_NORM
            else:
                return
            if self.reject and bare_lf:
                self.mail.errors.add(ContentError.BARE_LF)
            self.put(kind, bytes(pending))
            pending.clear()
            self.mail.bdat_prev_cont = kind == REC_CONT
            if eof:
                return


def replay_bdat(
    cls: type[BdatReader], config: Config, chunks: list[bytes], cut: int
) -> list[object]:
    """BDAT chunks (the last one LAST), each fed in two pieces at cut."""
    mail = MailState(queue_id="4ABCD")
    trace: list[object] = []
    for number, chunk in enumerate(chunks):
        last = number == len(chunks) - 1
        reader = cls(
            mail, config.size_limit, config.line_limit, config.detect, config.reject,
            len(chunk), last,
        )
        buf = InputBuffer()
        for piece in (chunk[:cut], chunk[cut:] + b"QUIT\r\n"):
            buf.feed(piece)
            done = reader.read(buf)
            trace.append((done, reader.take(), list(reader.logs), set(mail.errors)))
        trace.append((mail.act_size, bytes(mail.bdat_pending), mail.bdat_prev_cont, len(buf)))
    return trace


@pytest.mark.parametrize("seed", range(40))
def test_bdat_random_chunks(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(15):
        config = random_config(rng)
        content = random_content(rng, rng.randint(0, 400))
        if rng.random() < 0.3:
            content = b"w" * rng.randint(1, 5000) + content  # a line across fragments
        cuts = sorted(rng.sample(range(len(content) + 1), rng.randint(0, 3)))
        chunks = [content[a:b] for a, b in zip([0, *cuts], [*cuts, len(content)], strict=True)]
        for cut in (0, 1, rng.randint(0, 5000), 10**6):
            expected = replay_bdat(LineBdatReader, config, chunks, cut)
            assert replay_bdat(BdatReader, config, chunks, cut) == expected, (config, chunks)


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("sample", SAMPLES)
def test_bdat_every_chunk_boundary(config: Config, sample: bytes) -> None:
    content = sample * 3
    for split in range(len(content) + 1):
        chunks = [content[:split], content[split:]]
        expected = replay_bdat(LineBdatReader, config, chunks, 10**6)
        assert replay_bdat(BdatReader, config, chunks, 10**6) == expected
