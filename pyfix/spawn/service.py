"""NAME
    pyfix.spawn.service - spawn(8): run an external command per connection

SUMMARY
    serve(), SpawnAttr, parse_spawn_attr()

DESCRIPTION
    The master.cf "spawn" command, Postfix's equivalent of inetd, as
    Debian's policy servers use it:

        policy  unix  -  n  n  -  0  spawn
          user=policyd-spf argv=/usr/bin/policyd-spf

    For each connection to the service's socket it runs argv (directly,
    no shell) with its standard input, output and error connected to
    the connection, as the user= user (user=name:group for another
    group), in $queue_directory, with umask 077 and an environment that
    holds only the $export_environment names, MAIL_CONFIG and
    PATH=/usr/bin:/bin.  A command that runs longer than
    ${service}_time_limit (default $command_time_limit; policy_time_limit
    for a service named "policy") is killed.

    Postfix runs one command per spawn process and maxproc processes;
    pyfix's single asyncio process runs up to maxproc commands at once
    (0: no limit), and accepts no more connections meanwhile.  When the
    mail system does not run as root, commands run as its own user.

    As Postfix's spawn, the service keeps root privileges (master.cf's
    unprivileged column "n"), to run the commands as their user; it
    never reads from the connections.

    Parameters read: command_time_limit, ${service}_time_limit,
    export_environment, queue_directory, mail_owner, setgid_group,
    default_process_limit.

DIAGNOSTICS
    Fatal at start-up, with Postfix's texts: a missing user= or argv=,
    an unknown attribute, a user= that names root or the mail system
    owner.  Warnings, as Postfix's: "command PATH exit status N",
    "command PATH killed by signal N", "PATH: process id PID: command
    time limit exceeded".
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyfix.config.store import Config
from pyfix.delivery.error import command_arguments
from pyfix.delivery.pipe_attr import PipeConfigError, parse_pipe_attr
from pyfix.delivery.pipe_command import build_environment

if TYPE_CHECKING:
    from pyfix.log.maillog import MailLog
    from pyfix.master.child import ServiceContext


@dataclass(frozen=True, slots=True)
class SpawnAttr:
    command: tuple[str, ...]
    uid: int
    gid: int


def parse_spawn_attr(args: list[str], mail_owner: str, setgid_group: str) -> SpawnAttr:
    """user= and argv= (the last), checked as pipe(8) checks them."""
    for arg in args:
        name = arg.partition("=")[0].lower()
        if name == "argv":
            break
        if name != "user":
            raise PipeConfigError(f"unknown attribute name: {arg}")
    attr = parse_pipe_attr(args, mail_owner, setgid_group)
    return SpawnAttr(attr.command, attr.uid, attr.gid)


class Spawner:
    """Runs the command of one spawn service for each connection."""

    def __init__(self, config: Config, service: str, log: MailLog) -> None:
        self.log = log
        self.attr = parse_spawn_attr(command_arguments(config.scope), config.get("mail_owner"),
                                     config.get("setgid_group"))
        limit_name = f"{service}_time_limit"
        self.time_limit = (config.get_time(limit_name) if config.info(limit_name)
                           else config.get_time("command_time_limit"))
        self.env = build_environment(
            config.get("export_environment").replace(",", " ").split())
        if "MAIL_CONFIG" in os.environ:
            self.env["MAIL_CONFIG"] = os.environ["MAIL_CONFIG"]
        self.cwd = config.get("queue_directory")
        entry = config.scope
        limit = entry.process_limit.rstrip("?") if entry is not None else "0"
        self.limit = (config.get_int("default_process_limit") if limit == "-"
                      else int(limit) if limit.isdigit() else 0)
        self.running: set[asyncio.Task[None]] = set()

    async def accept(self, listener: socket.socket, stop: asyncio.Event) -> None:
        """Take connections without reading from them: the command reads."""
        loop = asyncio.get_running_loop()
        listener.setblocking(False)
        slots = asyncio.Semaphore(self.limit) if self.limit > 0 else None
        while not stop.is_set():
            if slots is not None:
                await slots.acquire()
            try:
                conn, _ = await loop.sock_accept(listener)
            except OSError:
                if slots is not None:
                    slots.release()
                await asyncio.sleep(0.1)
                continue
            task = asyncio.create_task(self.run(conn))
            self.running.add(task)
            task.add_done_callback(self.running.discard)
            if slots is not None:
                task.add_done_callback(_releaser(slots))

    async def run(self, conn: socket.socket) -> None:
        path = self.attr.command[0]
        root = os.geteuid() == 0
        try:
            conn.setblocking(True)
            fd = conn.fileno()
            proc = await asyncio.create_subprocess_exec(
                *self.attr.command, stdin=fd, stdout=fd, stderr=fd, env=self.env,
                cwd=self.cwd or None, user=self.attr.uid if root else None,
                group=self.attr.gid if root else None,
                extra_groups=[self.attr.gid] if root else None,
                umask=0o077, start_new_session=True)
        except OSError as exc:
            self.log.warn(f"command {path}: {exc.strerror or exc}")
            return
        finally:
            conn.close()  # the command has its own copy
        try:
            status = await asyncio.wait_for(proc.wait(), self.time_limit)
        except TimeoutError:
            self.log.warn(f"{path}: process id {proc.pid}: command time limit exceeded")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
            return
        if status > 0:
            self.log.warn(f"command {path} exit status {status}")
        elif status < 0:
            self.log.warn(f"command {path} killed by signal {-status}")


def _releaser(slots: asyncio.Semaphore) -> Callable[[asyncio.Task[None]], None]:
    def release(_task: asyncio.Task[None]) -> None:
        slots.release()

    return release


async def _serve(ctx: ServiceContext, spawner: Spawner) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, stop.set)
    accepting = [asyncio.create_task(spawner.accept(sock, stop)) for sock in ctx.listeners]
    await stop.wait()
    for task in accepting:
        task.cancel()
    if spawner.running:
        await asyncio.wait(spawner.running, timeout=spawner.time_limit)


def serve(ctx: ServiceContext) -> None:
    try:
        spawner = Spawner(ctx.config, ctx.service, ctx.log)
    except (PipeConfigError, ValueError) as exc:
        ctx.log.fatal(str(exc))
        raise SystemExit(1) from None
    ctx.log.prepare()
    # Root stays, as in Postfix's spawn: the commands run as their user= user.
    ctx.ready()
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(_serve(ctx, spawner))
    finally:
        loop.close()
