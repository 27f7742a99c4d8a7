"""NAME
    pyfix.master.master - the master process

SUMMARY
    Master, run_master()

DESCRIPTION
    The resident process of "postfix start" / "postfix start-fg".  It
    reads master.cf, binds every listener (so that a root master can
    hand privileged ports to unprivileged services), and keeps the
    configured number of processes of each service running:

    - a UNIX-domain service without a wakeup timer (the delivery agents,
      showq) is started when its first client connects, as Postfix's
      master does, so that an unused entry of a stock master.cf (a pipe
      service for a user that does not exist) never runs;
    - on "postfix reload" the old processes finish what they are doing;
      a service with maxproc 1 (qmgr, pickup) gets its new process only
      when the old one has exited, so two queue managers never work on
      the active queue at once;
    - a service process that exits is started again; one that dies
      before it reported a successful start-up (its status pipe) is
      throttled for $service_throttle_time,
      logged as Postfix does ("bad command startup -- throttling");
    - SIGHUP ("postfix reload") re-reads main.cf and master.cf, binds
      listeners that were added, closes those that were removed, and
      replaces every service process: old processes get SIGHUP and
      finish their sessions, new ones start at once with the new
      settings, so no session in progress is dropped;
    - SIGTERM ("postfix stop") stops the services gracefully, SIGQUIT
      ("postfix abort") kills them at once.

    The master writes $queue_directory/pid/master.pid and logs "daemon
    started", "reload" and "terminating on signal" lines in Postfix's
    words.

    At start the master logs a warning for each of its own parameters
    (master(8)) that main.cf sets and pyfix does not implement; with
    master_service_disable set it does not start (pyfix.config.support).

    Parameters read: queue_directory, process_id_directory,
    service_throttle_time, default_process_limit, inet_interfaces,
    inet_protocols, syslog_name, maillog_file.

DIAGNOSTICS
    A configuration or listener problem at start-up is fatal: it is
    logged and "postfix start" reports it; at reload the old
    configuration stays in effect.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import socket
import sys
import time
from dataclasses import dataclass, field

from pyfix import __version__
from pyfix.config.load import ConfigLoadError, load_config
from pyfix.config.store import Config
from pyfix.config.support import master_problems
from pyfix.log.maillog import MailLog, open_maillog
from pyfix.master.listeners import ListenerError, bind_service
from pyfix.master.pidfile import PidFile
from pyfix.master.services import ServiceSpec, service_specs

STOP_WAIT = 5.0


@dataclass
class Service:
    spec: ServiceSpec
    sockets: list[socket.socket]
    children: dict[int, int] = field(default_factory=dict)  # pid -> status pipe
    throttled_until: float = 0.0
    wanted: bool = False  # a client came: keep processes running

    @property
    def on_demand(self) -> bool:
        """A UNIX-domain service without a wakeup timer starts at its first
        client, as Postfix's master starts processes only when needed."""
        return self.spec.type in ("unix", "pass") and not self.spec.wakeup


def _was_ready(status_fd: int) -> bool:
    """Did the child report a successful start-up?  Closes the pipe."""
    try:
        return os.read(status_fd, 1) == b"R"
    except OSError:
        return False
    finally:
        os.close(status_fd)


class Master:
    def __init__(self, confdir: str) -> None:
        self.confdir = confdir
        self.config: Config = load_config(confdir, process_name="master")
        self.log: MailLog = open_maillog(self.config, "master")
        self.services: dict[str, Service] = {}
        self.retired: dict[int, str] = {}  # pids told to finish, by service key
        self.stopping = False
        self.pending: list[int] = []
        self.selector = selectors.DefaultSelector()
        self.pidfile = PidFile(os.path.join(self.config.get("queue_directory"),
                                            self.config.get("process_id_directory"), "master.pid"))

    # --- start-up -------------------------------------------------------

    def bind_all(self, config: Config, keep: dict[str, Service]) -> dict[str, Service]:
        specs, skipped = service_specs(config)
        for entry in skipped:
            self.log.info(f"{entry.key}: command {entry.process_name} is not provided by "
                          f"pyfix; service not started")
        services: dict[str, Service] = {}
        for spec in specs:
            old = keep.get(spec.key)
            if old is not None and old.spec.entry.argv[:2] == spec.entry.argv[:2]:
                services[spec.key] = Service(spec, old.sockets, old.children)
            else:
                services[spec.key] = Service(spec, bind_service(config, spec))
        return services

    def start(self) -> None:
        for problem in master_problems(self.config):
            if problem.fatal:
                self.log.fatal(str(problem))
                raise SystemExit(1)
            self.log.warn(str(problem))
        os.makedirs(self.config.get("queue_directory"), exist_ok=True)
        self.pidfile.acquire()
        self.services = self.bind_all(self.config, {})
        self.log.info(f"daemon started -- version pyfix {__version__}, "
                      f"configuration {self.confdir}")
        for service in self.services.values():
            self.fill(service)

    # --- children ---------------------------------------------------------

    def spawn(self, service: Service) -> None:
        fds = [s.fileno() for s in service.sockets]
        status_r, status_w = os.pipe2(os.O_CLOEXEC)
        os.set_blocking(status_r, False)
        env = dict(os.environ, PYFIX_LISTEN_FDS=",".join(map(str, fds)),
                   PYFIX_STATUS_FD=str(status_w), MAIL_CONFIG=self.confdir)
        # posix_spawn, not subprocess.Popen: Popen reaps the children of
        # Popen objects it has dropped, and the master would never learn
        # that such a child died.  The listening sockets are inheritable.
        os.set_inheritable(status_w, True)
        try:
            pid = os.posix_spawn(
                sys.executable,
                [sys.executable, "-m", "pyfix.master.child", self.confdir, service.spec.key],
                env, file_actions=[(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)],
                setsigdef=(signal.SIGHUP, signal.SIGTERM, signal.SIGQUIT, signal.SIGINT,
                           signal.SIGCHLD),
            )
        except OSError:
            os.close(status_r)
            raise
        finally:
            os.close(status_w)
        service.children[pid] = status_r

    def fill(self, service: Service) -> None:
        if self.stopping or time.monotonic() < service.throttled_until:
            return
        if service.on_demand and not service.wanted:
            return
        running = len(service.children)
        if service.spec.process_limit == 1:
            # maxproc 1 (qmgr, pickup): one process at a time, across a reload
            # too; the old one finishes its work (its active queue) first.
            running += sum(1 for key in self.retired.values() if key == service.spec.key)
        while running < service.spec.processes:
            self.spawn(service)
            running += 1

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if self.retired.pop(pid, None) is not None:
                continue
            for service in self.services.values():
                status_fd = service.children.pop(pid, None)
                if status_fd is None:
                    continue
                ready = _was_ready(status_fd)
                if not self.stopping:
                    self.child_died(service, pid, status, ready)
                break

    def child_died(self, service: Service, pid: int, status: int, ready: bool) -> None:
        path = f"pyfix/{service.spec.command}"
        if os.WIFSIGNALED(status):
            self.log.warn(f"process {path} pid {pid} killed by signal {os.WTERMSIG(status)}")
        elif os.WEXITSTATUS(status) != 0:
            self.log.warn(f"process {path} pid {pid} exit status {os.WEXITSTATUS(status)}")
        if not ready and status != 0:
            self.log.warn(f"{path}: bad command startup -- throttling")
            service.throttled_until = time.monotonic() + self.config.get_time(
                "service_throttle_time")

    # --- services started on demand -------------------------------------------

    def watch(self) -> None:
        """Wait for the first client of each on-demand service."""
        for service in self.services.values():
            if service.on_demand and not service.wanted:
                for sock in service.sockets:
                    with contextlib.suppress(KeyError, ValueError, OSError):
                        self.selector.register(sock, selectors.EVENT_READ, service)

    def unwatch(self) -> None:
        for service in self.services.values():
            for sock in service.sockets:
                with contextlib.suppress(KeyError, ValueError, OSError):
                    self.selector.unregister(sock)

    def demand(self, service: Service) -> None:
        service.wanted = True
        for sock in service.sockets:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self.selector.unregister(sock)
        self.fill(service)

    # --- signals ------------------------------------------------------------

    def reload(self) -> None:
        try:
            config = load_config(self.confdir, process_name="master")
            services = self.bind_all(config, self.services)
        except (ConfigLoadError, ListenerError) as exc:
            self.log.warn(f"reload failed, keeping the old configuration: {exc}")
            return
        for key, old in self.services.items():
            if key not in services or services[key].sockets is not old.sockets:
                for sock in old.sockets:
                    sock.close()
        for key, old in self.services.items():
            for pid, status_fd in old.children.items():
                self.retired[pid] = key
                # A process still starting has done no work; it may even be
                # between fork and exec, where SIGHUP would be caught by the
                # master's own handler and lost.  Stop it for good instead.
                ready = _was_ready(status_fd)  # closes the pipe
                self.signal_child(pid, signal.SIGHUP if ready else signal.SIGKILL)
        for service in services.values():
            service.children = {}
        self.config, self.services = config, services
        self.log = open_maillog(config, "master")
        self.log.info(f"reload -- version pyfix {__version__}, configuration {self.confdir}")
        for service in self.services.values():
            self.fill(service)

    @staticmethod
    def signal_child(pid: int, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    def all_children(self) -> list[int]:
        pids = list(self.retired)
        for service in self.services.values():
            pids.extend(service.children)
        return pids

    def shutdown(self, signum: int) -> None:
        self.stopping = True
        self.log.info(f"terminating on signal {signum}")
        kill = signal.SIGKILL if signum == signal.SIGQUIT else signal.SIGTERM
        for pid in self.all_children():
            self.signal_child(pid, kill)
        deadline = time.monotonic() + STOP_WAIT
        while self.all_children() and time.monotonic() < deadline:
            time.sleep(0.05)
            self.reap_all()
        for pid in self.all_children():
            self.signal_child(pid, signal.SIGKILL)
        self.reap_all()
        for service in self.services.values():
            for sock in service.sockets:
                sock.close()
        self.pidfile.release()

    def reap_all(self) -> None:
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.retired.clear()
                for service in self.services.values():
                    for status_fd in service.children.values():
                        _was_ready(status_fd)
                    service.children.clear()
                return
            if pid == 0:
                return
            self.retired.pop(pid, None)
            for service in self.services.values():
                pipe = service.children.pop(pid, None)
                if pipe is not None:
                    _was_ready(pipe)

    # --- main loop ------------------------------------------------------------

    def run(self, notify_fd: int | None = None) -> int:
        rfd, wfd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(wfd)
        for sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGQUIT, signal.SIGINT,
                    signal.SIGCHLD):
            signal.signal(sig, lambda n, _f: self.pending.append(n))
        selector = self.selector
        selector.register(rfd, selectors.EVENT_READ)
        self.start()
        self.watch()
        if notify_fd is not None:
            os.write(notify_fd, b"ok")
            os.close(notify_fd)
        while True:
            for key, _events in selector.select(timeout=1.0):
                if isinstance(key.data, Service):
                    self.demand(key.data)
            with contextlib.suppress(BlockingIOError):
                os.read(rfd, 512)
            while self.pending:
                signum = self.pending.pop(0)
                if signum in (signal.SIGTERM, signal.SIGQUIT, signal.SIGINT):
                    self.shutdown(signum)
                    return 0
                if signum == signal.SIGHUP:
                    self.unwatch()
                    self.reload()
                    self.watch()
            self.reap()
            for service in self.services.values():
                self.fill(service)


def run_master(confdir: str, notify_fd: int | None = None) -> int:
    return Master(confdir).run(notify_fd)
