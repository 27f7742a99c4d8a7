"""NAME
    pyfix.delivery.pipe_command - run a pipe(8) command with a message

SUMMARY
    CommandRun, CommandOutcome, run_pipe_command(), SYS_EXITS

DESCRIPTION
    run_pipe_command() starts the command (an argument vector, never a
    shell) and writes the message to its standard input:

    - as the service's user= uid and gid, without supplementary groups,
      when the agent runs as root (it switches back from its effective
      $mail_owner identity in the child first); as the agent's own user
      otherwise;
    - in a new session (its own process group), with chroot= first,
      then the directory= (default: the queue directory) as working
      directory;
    - with an environment holding only the export_environment names
      (and name=value settings) and PATH=/usr/bin:/bin;
    - standard output and standard error go to one pipe; the first 4096
      bytes are kept, tabs and newlines become spaces and other control
      characters (and bytes that are not UTF-8) become "_".  Output
      beyond that is read and dropped, so a talkative command is never
      killed by SIGPIPE;
    - the whole run (writing, reading, waiting) is limited to the time
      limit; then the process group gets SIGKILL.

    The outcome follows Postfix's pipe_command() rules:
        exit 0                       OK (the output is kept for the log)
        time limit                   bounce 5.3.0 "Command time limit
                                     exceeded: "CMD""
        killed by a signal           defer 4.3.0 "Command died with
                                     signal N: "CMD""
        output starting "X.Y.Z text" that status, with text as reason
        a <sysexits.h> status        its status and text ("temporary
                                     failure", "user unknown", ...)
        any other status             bounce 5.3.0 "Command died with
                                     status N: "CMD""
    and ". Command output: OUTPUT" follows a reason when there was
    output.  A program that cannot be executed fails as Postfix's child
    does: status 75 with "pipe: fatal: pipe_command: execvp CMD: ERROR"
    as output.  A working directory that cannot be entered does the
    same with "cannot change directory to ...".

    Parameters read: none; the caller passes the time limit,
    export_environment and the directories.

DIAGNOSTICS
    Warnings name the phase in which the time limit struck, with
    Postfix's text ("pipe_command_read: read time limit exceeded").
    A damaged queue file gives the CORRUPT outcome.
"""

from __future__ import annotations

import asyncio
import asyncio.subprocess
import contextlib
import errno
import os
import signal
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Final

from pyfix.delivery.dsn import Dsn
from pyfix.delivery.error import dsn_split, dsn_valid
from pyfix.delivery.sysexits import EX_TEMPFAIL, SYS_EXITS, printable_output
from pyfix.queue.errors import QueueFileCorrupt

OK: Final = "ok"
DEFER: Final = "defer"
BOUNCE: Final = "bounce"
CORRUPT: Final = "corrupt"

DEFAULT_PATH: Final = "/usr/bin:/bin"
OUTPUT_LIMIT: Final = 4096



@dataclass(frozen=True)
class CommandRun:
    argv: list[str]
    uid: int
    gid: int
    time_limit: float
    cwd: str | None = None
    chroot: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    process_name: str = "pipe"


@dataclass(frozen=True)
class CommandOutcome:
    status: str  # OK, DEFER, BOUNCE or CORRUPT
    dsn: Dsn | None = None
    output: str = ""  # the printable command output


def build_environment(export: Iterable[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for name in export:
        if "=" in name:
            key, _, value = name.partition("=")
            env[key] = value
        elif name in os.environ:
            env[name] = os.environ[name]
    env["PATH"] = DEFAULT_PATH
    return env


def _child_setup(run: CommandRun) -> Callable[[], None]:
    """What the child does between fork and exec (only system calls)."""
    switch = os.getuid() == 0
    prefix = f"{run.process_name}: fatal: "

    def fail(text: str) -> None:
        os.write(2, (prefix + text + "\n").encode("utf-8", "surrogateescape"))
        os._exit(EX_TEMPFAIL)

    def setup() -> None:
        if switch:
            try:
                os.seteuid(0)
            except OSError as exc:
                fail(f"seteuid(0): {exc.strerror}")
            if run.chroot:
                try:
                    os.chroot(run.chroot)
                    os.chdir("/")
                except OSError as exc:
                    fail(f"chroot({run.chroot}): {exc.strerror}")
            what = f"setgid({run.gid})"
            try:
                os.setgid(run.gid)
                what = f"setgroups(1, &{run.gid})"
                os.setgroups([run.gid])
                what = f"setuid({run.uid})"
                os.setuid(run.uid)
            except OSError as exc:
                fail(f"{what}: {exc.strerror}")
        if run.cwd:
            try:
                os.chdir(run.cwd)
            except OSError as exc:
                fail(f'cannot change directory to "{run.cwd}" for uid={os.getuid()} '
                     f"gid={os.getgid()}: {exc.strerror}")
    return setup


class _Pipe:
    """One running command: feeding, output capture, time limit."""

    def __init__(self, run: CommandRun, warn: Callable[[str], None]) -> None:
        self.run = run
        self.warn = warn
        self.kept = bytearray()
        self.phase = "write"
        self.write_error: OSError | None = None
        self.corrupt = False

    async def start(self) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            *self.run.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, env=self.run.env, start_new_session=True,
            preexec_fn=_child_setup(self.run), close_fds=True)

    async def feed(self, proc: asyncio.subprocess.Process, chunks: Iterable[bytes]) -> None:
        stdin = proc.stdin
        assert stdin is not None
        try:
            try:
                for chunk in chunks:
                    stdin.write(chunk)
                    await stdin.drain()
            except QueueFileCorrupt as exc:
                self.corrupt = True
                self.warn(f"{exc}")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the command did not read everything; its status decides
        except OSError as exc:
            self.write_error = exc
        finally:
            stdin.close()
            with contextlib.suppress(OSError):
                await stdin.wait_closed()

    async def read(self, proc: asyncio.subprocess.Process) -> None:
        stdout = proc.stdout
        assert stdout is not None
        while data := await stdout.read(65536):
            if len(self.kept) < OUTPUT_LIMIT:
                self.kept += data[:OUTPUT_LIMIT - len(self.kept)]

    async def execute(self, chunks: Iterable[bytes]) -> tuple[int | None, bool]:
        """(returncode, timed_out); returncode None: could not execute."""
        proc = await self.start()
        reader = asyncio.ensure_future(self.read(proc))
        try:
            async with asyncio.timeout(self.run.time_limit):
                await self.feed(proc, chunks)
                self.phase = "read"
                await asyncio.shield(reader)
                self.phase = "wait"
                await proc.wait()
        except TimeoutError:
            self.warn({"write": "pipe_command_write: write time limit exceeded",
                       "read": "pipe_command_read: read time limit exceeded",
                       "wait": "pipe_command_wait_or_kill: child wait time limit exceeded",
                       }[self.phase])
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(reader), 1)
            reader.cancel()
            return proc.returncode, True
        return proc.returncode, False


def _with_output(text: str, output: str) -> str:
    return f"{text}. Command output: {output}" if output else text


def evaluate(command: str, code: int, timed_out: bool, output: str,
             corrupt: bool = False, write_error: OSError | None = None) -> CommandOutcome:
    """Postfix's reading of a finished command."""
    if timed_out:
        return CommandOutcome(BOUNCE, Dsn("5.3.0", "failed", _with_output(
            f'Command time limit exceeded: "{command}"', output), "x-unix",
            output or SYS_EXITS[70][1]))
    if code < 0:
        return CommandOutcome(DEFER, Dsn("4.3.0", "delayed", _with_output(
            f'Command died with signal {-code}: "{command}"', output), "x-unix",
            output or SYS_EXITS[70][1]))
    if code != 0:
        if dsn_valid(output):
            status, text = dsn_split("5.3.0", output)
            kind = DEFER if status.startswith("4") else BOUNCE
            return CommandOutcome(kind, Dsn(status, "delayed" if kind == DEFER else "failed",
                                            text, "x-unix", text))
        status, what = SYS_EXITS.get(code, ("5.3.0", f"unknown mail system error {code}"))
        if code in SYS_EXITS:
            reason = _with_output(what, output)
        else:
            reason = _with_output(f'Command died with status {code}: "{command}"', output)
        kind = DEFER if status.startswith("4") else BOUNCE
        return CommandOutcome(kind, Dsn(status, "delayed" if kind == DEFER else "failed",
                                        reason, "x-unix", output or what))
    if corrupt:
        return CommandOutcome(CORRUPT)
    if write_error is not None:
        status = "5.2.2" if write_error.errno in (errno.EDQUOT, errno.EFBIG) else "5.3.0"
        return CommandOutcome(BOUNCE, Dsn(status, "failed",
                                          f"Command failed: error writing message: "
                                          f'{write_error.strerror}: "{command}"',
                                          "x-unix", SYS_EXITS[74][1]))
    return CommandOutcome(OK, None, output)


async def run_pipe_command(run: CommandRun, chunks: Iterable[bytes],
                           warn: Callable[[str], None],
                           fatal: Callable[[str], None]) -> CommandOutcome:
    pipe = _Pipe(run, warn)
    command = run.argv[0]
    try:
        code, timed_out = await pipe.execute(chunks)
    except OSError as exc:  # execvp() failed: Postfix's child says so and exits 75
        text = f"pipe_command: execvp {command}: {exc.strerror}"
        fatal(text)
        output = printable_output(f"{run.process_name}: fatal: {text}\n".encode(
            "utf-8", "surrogateescape"))
        return evaluate(command, EX_TEMPFAIL, False, output)
    output = printable_output(bytes(pipe.kept))
    return evaluate(command, code or 0, timed_out, output, pipe.corrupt, pipe.write_error)
