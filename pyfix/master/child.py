"""NAME
    pyfix.master.child - run one service process under the master

SUMMARY
    python -m pyfix.master.child CONFIG_DIR SERVICE/TYPE

DESCRIPTION
    The master starts each service process with this module.  It loads
    the configuration, takes the service's own view (main.cf overridden
    by the service's master.cf -o options), drops root privileges to
    $mail_owner for an unprivileged service (see below), and hands the inherited
    listening sockets (file descriptors listed in $PYFIX_LISTEN_FDS) to
    the service module's serve() function.  As in Postfix, the service
    opens its log and tables first and then calls drop_privileges().

    The service calls drop_privileges() (or ready()) once its start-up
    has succeeded; that writes one byte to the status pipe named by
    $PYFIX_STATUS_FD, so that the master throttles only processes that
    die before they are ready, as Postfix's master does.

    SIGTERM asks the service to stop accepting and to finish what it is
    doing; SIGHUP (sent on "postfix reload") does the same, and the
    master starts a replacement with the new configuration.

    Before the service starts, pyfix.config.support logs one warning for
    each parameter that main.cf or the service's -o options set and that
    pyfix does not implement; one that guards mail (milters, content
    filters, TLS requirements, ...) is fatal instead.

    Parameters read: mail_owner, and everything the service reads.

DIAGNOSTICS
    Fatal configuration errors are logged and end the process with
    status 1; the master then throttles restarts.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pwd
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from pyfix.config.load import ConfigLoadError, load_config, set_service_utf8
from pyfix.config.store import Config
from pyfix.config.support import check_service
from pyfix.log.maillog import MailLog, open_maillog
from pyfix.log.msg import set_sink


@dataclass
class ServiceContext:
    config: Config
    service: str
    type: str
    listeners: list[socket.socket]
    log: MailLog
    confdir: str
    unprivileged: bool = True

    status_fd: int = -1

    def drop_privileges(self) -> None:
        """Become $mail_owner, as Postfix daemons do once their tables are open.
        The service is then ready: the master is told so (ready())."""
        if self.unprivileged:
            _drop_privileges(self.config, self.log)
        self.ready()

    def ready(self) -> None:
        """Tell the master that start-up succeeded: a process that dies
        after this is restarted at once, one that dies before is throttled."""
        if self.status_fd >= 0:
            with contextlib.suppress(OSError):
                os.write(self.status_fd, b"R")
                os.close(self.status_fd)
            self.status_fd = -1


def _drop_privileges(config: Config, log: MailLog) -> None:
    if os.geteuid() != 0:
        return
    owner = config.get("mail_owner")
    try:
        pw = pwd.getpwnam(owner)
    except KeyError:
        log.fatal(f"unknown mail_owner: {owner}")
        raise SystemExit(1) from None
    os.setgroups([])
    os.setgid(pw.pw_gid)
    os.setuid(pw.pw_uid)


def _run(serve: Callable[[ServiceContext], None], context: ServiceContext) -> None:
    """serve(context), under cProfile when $PYFIX_PROFILE_DIR names a
    directory (a developer's switch: one NAME-PID.prof file per process)."""
    directory = os.environ.get("PYFIX_PROFILE_DIR")
    if not directory:
        serve(context)
        return
    import cProfile

    profile = cProfile.Profile(time.process_time)  # CPU time: what the service costs
    path = os.path.join(directory, f"{context.service.replace('/', '_')}-{os.getpid()}.prof")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)  # before the drop
    try:
        profile.runcall(serve, context)
    finally:
        profile.create_stats()
        with os.fdopen(fd, "wb") as fp:
            import marshal

            marshal.dump(profile.stats, fp)


def main() -> None:
    confdir, key = sys.argv[1], sys.argv[2]
    name, _, type_ = key.partition("/")
    os.environ["MAIL_CONFIG"] = confdir
    try:
        config = load_config(confdir).for_service(name, type_)
        set_service_utf8(config)
    except (ConfigLoadError, KeyError) as exc:
        sys.stderr.write(f"pyfix/master child: fatal: {exc}\n")
        raise SystemExit(1) from None
    entry = config.scope
    assert entry is not None
    log = open_maillog(config, entry.process_name)
    log.prepare()
    set_sink(lambda level, text: log.log(text, level or "info"))
    if not check_service(config, log.warn, log.fatal):
        raise SystemExit(1)
    fds = [int(fd) for fd in os.environ.get("PYFIX_LISTEN_FDS", "").split(",") if fd]
    listeners = [socket.socket(fileno=fd) for fd in fds]
    from pyfix.master.services import IMPLEMENTED

    module = importlib.import_module(IMPLEMENTED[entry.process_name])
    context = ServiceContext(config, name, type_, listeners, log, confdir,
                             unprivileged=entry.unprivileged != "n",
                             status_fd=int(os.environ.get("PYFIX_STATUS_FD", "-1")))
    try:
        _run(module.serve, context)
    except ConfigLoadError as exc:
        log.fatal(str(exc))
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
