"""NAME
    pyfix.delivery.local.command - pipe a message into a command

SUMMARY
    CommandSpec, CommandResult, run_command(), SYS_EXITS, PIPE_*

DESCRIPTION
    run_command() runs a "|command" destination, a mailbox_command or
    a mailbox_command_maps result as Postfix's pipe_command() does:

    - the command runs as spec.uid/spec.gid (no supplementary groups)
      when the agent is root, else as the agent's own user; in its own
      process group, with the mail queue directory (or
      command_execution_directory) as working directory;
    - it is executed directly, split at white space, when it contains
      only the characters 0-9 a-z A-Z ! @ % - _ = + : , . / space and
      tab; otherwise, or when the program is not found on PATH, it is
      given to /bin/sh -c (local_command_shell, when set, replaces
      "/bin/sh -c");
    - the environment is emptied except for the export_environment
      names, PATH is /usr/bin:/bin, then the agent's variables (HOME,
      LOGNAME, USER, SENDER, RECIPIENT, ...) are added;
    - the message goes to its standard input after the envelope lines
      that the caller chose (From_, Return-Path:, X-Original-To:,
      Delivered-To:), without >From quoting;
    - up to 4096 bytes of standard output and standard error are kept,
      tabs and newlines turned into spaces and other non-printable
      characters into "_", for the reason text;
    - the whole run is limited to spec.time_limit seconds, after which
      the process group is killed.

    The result follows sysexits.h as Postfix reads it:
    exit 0                  PIPE_OK
    cannot be executed      as Postfix's child, which exits with
                            EX_TEMPFAIL after writing "local: fatal:
                            execvp CMD: ERROR" to the command output:
                            PIPE_DEFER, 4.3.0 "temporary failure.
                            Command output: local: fatal: ..."
    time limit              PIPE_BOUNCE, 5.3.0 "Command time limit
                            exceeded: "CMD"" (with the output so far)
    killed by a signal      PIPE_DEFER, 4.3.0 "Command died with signal
                            N: "CMD""
    output starting with an RFC 3463 status ("4.2.2 text")
                            that status, the text as reason
    a sysexits.h status     its DSN and text (EX_TEMPFAIL 4.3.0
                            "temporary failure", EX_NOUSER 5.1.1 "user
                            unknown", ...)
    any other status        PIPE_BOUNCE, 5.3.0 "Command died with
                            status N: "CMD""
    ". Command output: OUTPUT" follows the reason when there was output.

    Parameters read: none; the caller passes command_time_limit,
    export_environment, local_command_shell and the directory.

DIAGNOSTICS
    A working directory that cannot be entered defers the delivery
    (4.3.0 "temporary failure"); CommandResult.fatal then holds the
    "cannot change directory" text that Postfix's child logs as fatal
    (before its errors reach the command output).  A damaged queue
    file gives PIPE_CORRUPT.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from pyfix.delivery.sysexits import EX_TEMPFAIL, SYS_EXITS, printable_output
from pyfix.queue.errors import QueueFileCorrupt

PIPE_OK: Final = 0
PIPE_DEFER: Final = 1
PIPE_BOUNCE: Final = 2
PIPE_CORRUPT: Final = 3

DEFAULT_PATH: Final = "/usr/bin:/bin"
OUTPUT_LIMIT: Final = 4096
_DIRECT_OK = frozenset("1234567890!@%-_=+:,./abcdefghijklmnopqrstuvwxyz"
                       "ABCDEFGHIJKLMNOPQRSTUVWXYZ \t")
_DSN = re.compile(r"[ \t\r\n\v\f]*([245]\.\d{1,3}\.\d{1,3})(?=[ \t\r\n\v\f]|$)"
                  r"[ \t\r\n\v\f]*(.*)\Z", re.S)



@dataclass(frozen=True)
class CommandSpec:
    command: str
    uid: int
    gid: int
    env: dict[str, str] = field(default_factory=dict)
    export: tuple[str, ...] = ()
    shell: str = ""
    cwd: str = "/"
    time_limit: float = 1000.0
    procname: str = "local"  # in the child's "fatal:" messages


@dataclass(frozen=True)
class CommandResult:
    status: int
    dsn: str = "2.0.0"
    reason: str = ""
    fatal: str = ""  # what Postfix's child would log as "fatal:" before it exits


def command_argv(command: str, shell: str) -> tuple[list[str], bool]:
    """(argv, direct): how Postfix would start the command."""
    if shell:
        return [*shell.split(), command], False
    if all(ch in _DIRECT_OK for ch in command) and command.strip(" \t"):
        return command.split(), True
    return ["/bin/sh", "-c", command], False


def build_environment(spec: CommandSpec) -> dict[str, str]:
    env: dict[str, str] = {}
    for name in spec.export:
        if "=" in name:
            key, _, value = name.partition("=")
            env[key.strip()] = value.strip()
        elif name in os.environ:
            env[name] = os.environ[name]
    env["PATH"] = DEFAULT_PATH
    env.update(spec.env)
    return env


def _identity(spec: CommandSpec) -> tuple[int | None, int | None, list[int] | None]:
    """user, group, extra_groups for the child: only a root agent switches."""
    if os.geteuid() != 0:
        return None, None, None
    return spec.uid, spec.gid, []


async def _spawn(argv: list[str], spec: CommandSpec) -> asyncio.subprocess.Process:
    user, group, extra_groups = _identity(spec)
    return await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT, start_new_session=True,
        env=build_environment(spec), cwd=spec.cwd, user=user, group=group,
        extra_groups=extra_groups)


class _ExecFailed(Exception):
    """The child could not run the command: Postfix's child logs "fatal:"
    and exits with EX_TEMPFAIL."""

    def __init__(self, message: str, captured: bool) -> None:
        super().__init__(message)
        self.message = message
        self.captured = captured  # written to the command output, or only logged


async def _start(spec: CommandSpec) -> asyncio.subprocess.Process:
    argv, direct = command_argv(spec.command, spec.shell)
    try:
        try:
            return await _spawn(argv, spec)
        except FileNotFoundError:
            if not direct or "/" in argv[0] or not os.path.isdir(spec.cwd):
                raise
        return await _spawn(["/bin/sh", "-c", spec.command], spec)
    except OSError as exc:
        if exc.filename == spec.cwd:
            # Postfix's child dies before its errors go to the command output.
            raise _ExecFailed(f'cannot change directory to "{spec.cwd}" for uid={spec.uid} '
                              f"gid={spec.gid}: {exc.strerror}", False) from None
        what = "pipe_command: execvp" if spec.shell else "execvp"
        raise _ExecFailed(f"{what} {argv[0]}: {exc.strerror}", True) from None


async def _feed(proc: asyncio.subprocess.Process, header: bytes, lines: Iterable[bytes],
                eol: bytes) -> bool:
    """Write the message; False when the queue file is damaged."""
    stdin = proc.stdin
    assert stdin is not None
    try:
        stdin.write(header)
        chunk = bytearray()
        try:
            for line in lines:
                chunk += line + eol
                if len(chunk) >= 65536:
                    stdin.write(bytes(chunk))
                    chunk.clear()
                    await stdin.drain()
        except QueueFileCorrupt:
            return False
        stdin.write(bytes(chunk))
        await stdin.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the command did not read everything: its exit status decides
    finally:
        with contextlib.suppress(OSError):
            stdin.close()
    return True


async def _read_output(proc: asyncio.subprocess.Process, kept: bytearray) -> None:
    stdout = proc.stdout
    assert stdout is not None
    while True:
        data = await stdout.read(65536)
        if not data:
            return
        if len(kept) < OUTPUT_LIMIT:
            kept += data[:OUTPUT_LIMIT - len(kept)]


def _kill(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(OSError, ProcessLookupError):
        proc.kill()


async def run_command(spec: CommandSpec, header: bytes, lines: Iterable[bytes],
                      eol: bytes = b"\n") -> CommandResult:
    try:
        proc = await _start(spec)
    except _ExecFailed as exc:
        output = f"{spec.procname}: fatal: {exc.message}\n".encode() if exc.captured else b""
        result = _exit_status(spec.command, EX_TEMPFAIL, output)
        return CommandResult(result.status, result.dsn, result.reason, exc.message)
    kept = bytearray()
    reader = asyncio.ensure_future(_read_output(proc, kept))
    timed_out = False
    fed = True
    try:
        async with asyncio.timeout(spec.time_limit):
            fed = await _feed(proc, header, lines, eol)
            if not fed:
                _kill(proc)
            await reader
            await proc.wait()
    except TimeoutError:
        timed_out = True
        _kill(proc)
        reader.cancel()
        await proc.wait()
    output = bytes(kept)  # on time-out, what the command wrote until then
    if not fed:
        return CommandResult(PIPE_CORRUPT, "4.3.0", "bad record type in message content")
    text = printable_output(output)
    suffix = f". Command output: {text}" if text else ""
    if timed_out:
        return CommandResult(PIPE_BOUNCE, "5.3.0",
                             f'Command time limit exceeded: "{spec.command}"{suffix}')
    code = proc.returncode or 0
    if code < 0:
        return CommandResult(PIPE_DEFER, "4.3.0",
                             f'Command died with signal {-code}: "{spec.command}"{suffix}')
    if code == 0:
        return CommandResult(PIPE_OK, "2.0.0", text)
    return _exit_status(spec.command, code, output)


def _exit_status(command: str, code: int, output: bytes) -> CommandResult:
    text = printable_output(output)
    suffix = f". Command output: {text}" if text else ""
    match = _DSN.match(text)
    if match:
        dsn, reason = match.group(1), match.group(2)
        return CommandResult(PIPE_DEFER if dsn.startswith("4") else PIPE_BOUNCE, dsn, reason)
    if code in SYS_EXITS:
        dsn, what = SYS_EXITS[code]
        return CommandResult(PIPE_DEFER if dsn.startswith("4") else PIPE_BOUNCE, dsn,
                             what + suffix)
    return CommandResult(PIPE_BOUNCE, "5.3.0",
                         f'Command died with status {code}: "{command}"{suffix}')

