"""NAME
    pyfix.master.services - what master.cf asks the master to run

SUMMARY
    ServiceSpec, service_specs(), IMPLEMENTED

DESCRIPTION
    Turns master.cf entries into ServiceSpecs: the service name and type,
    the process limit ("-" means $default_process_limit, 0 means no
    limit), whether it runs unprivileged, the wakeup interval, and the
    Python module that implements the command.  pyfix runs each service
    as a few long-lived asyncio processes, so maxproc limits concurrent
    clients rather than processes (DESIGN.md section 2).

    A master.cf command that pyfix does not implement yet (tlsmgr,
    anvil, scache, ...) is reported once and not started, so that an
    existing Postfix master.cf can be used unchanged.  cleanup,
    trivial-rewrite and bounce are libraries in pyfix (LIBRARIES): their
    entries start nothing and are not reported.

    Parameters read: default_process_limit, and each service's own
    settings through its configuration view.

DIAGNOSTICS
    None; unknown commands are returned for the caller to log.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from pyfix.config.mastercf import MasterEntry
from pyfix.config.store import Config

# master.cf command -> module with serve(ServiceContext)
IMPLEMENTED: dict[str, str] = {
    "smtpd": "pyfix.smtpd.service",
    "pickup": "pyfix.pickup.service",
    "qmgr": "pyfix.qmgr.service",
    "local": "pyfix.delivery.local.service",
    "virtual": "pyfix.delivery.virtual",
    "smtp": "pyfix.delivery.smtp.service",
    "lmtp": "pyfix.delivery.smtp.service",
    "pipe": "pyfix.delivery.pipe",
    "error": "pyfix.delivery.error",
    "discard": "pyfix.delivery.discard",
    "showq": "pyfix.showq.service",
    "flush": "pyfix.flush.service",
    "verify": "pyfix.verify.service",
    "spawn": "pyfix.spawn.service",
}
# master.cf commands that pyfix runs inside their callers (cleanup by smtpd
# and pickup, trivial-rewrite by smtpd and qmgr, bounce by qmgr): nothing to
# start, nothing to report.
LIBRARIES: frozenset[str] = frozenset({"cleanup", "trivial-rewrite", "bounce"})


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    type: str
    unprivileged: bool
    wakeup: int
    wakeup_conditional: bool
    process_limit: int
    processes: int
    command: str
    module: str
    entry: MasterEntry

    @property
    def key(self) -> str:
        return f"{self.name}/{self.type}"


def _processes(command: str, limit: int) -> int:
    count = (os.cpu_count() or 1) if command == "smtpd" else 1
    return max(1, min(count, limit)) if limit else count


def service_specs(config: Config) -> tuple[list[ServiceSpec], list[MasterEntry]]:
    """The services pyfix starts, and the entries it cannot run."""
    specs: list[ServiceSpec] = []
    skipped: list[MasterEntry] = []
    default_limit = config.get_int("default_process_limit")
    for entry in config.master:
        if entry.process_name in LIBRARIES:
            continue
        module = IMPLEMENTED.get(entry.process_name)
        if module is None:
            skipped.append(entry)
            continue
        limit = default_limit if entry.process_limit == "-" else int(entry.process_limit)
        wakeup = entry.wakeup.rstrip("?")
        specs.append(
            ServiceSpec(
                name=entry.name,
                type=entry.type,
                unprivileged=entry.unprivileged != "n",
                wakeup=0 if wakeup in ("-", "") else int(wakeup),
                wakeup_conditional=entry.wakeup.endswith("?"),
                process_limit=limit,
                processes=_processes(entry.process_name, limit),
                command=entry.process_name,
                module=module,
                entry=entry,
            )
        )
    return specs, skipped
