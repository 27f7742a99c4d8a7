"""NAME
    pyfix.delivery.dsn - delivery status notification data

SUMMARY
    Dsn, dsn_class(), DSN_NOTIFY_*, DSN_RET_*

DESCRIPTION
    A Dsn is what a delivery agent says about one recipient, as Postfix's
    DSN structure: an RFC 3463 status ("2.0.0", "4.4.1", "5.1.1"), the
    RFC 3464 action ("delivered", "relayed", "expanded", "delayed",
    "failed"), the human-readable reason that goes into the log line
    "status=sent (reason)", and optionally the remote diagnostic
    ("smtp", "550 5.1.1 no such user") and remote MTA ("dns", host).

    The NOTIFY bits are those of Postfix's dsn_mask.h, as they are
    stored in queue files (REC_TYPE_DSN_NOTIFY) and bounce logs
    ("notify_flags="); the RET values are those of REC_TYPE_DSN_RET.

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

DSN_NOTIFY_NEVER: Final = 1 << 0
DSN_NOTIFY_SUCCESS: Final = 1 << 1
DSN_NOTIFY_FAILURE: Final = 1 << 2
DSN_NOTIFY_DELAY: Final = 1 << 3

DSN_RET_FULL: Final = 1 << 0
DSN_RET_HDRS: Final = 1 << 1


def dsn_class(status: str) -> str:
    """The first digit of an RFC 3463 status: "2", "4" or "5"."""
    return status[:1]


@dataclass(frozen=True)
class Dsn:
    status: str  # "2.0.0"
    action: str  # delivered, relayed, expanded, delayed, failed
    reason: str  # free text for the log and the notice
    dtype: str = ""  # diagnostic type, "smtp"
    dtext: str = ""  # diagnostic text, "550 5.1.1 <x>: Recipient address rejected"
    mtype: str = ""  # remote MTA type, "dns"
    mname: str = ""  # remote MTA name

    @classmethod
    def sent(cls, reason: str, status: str = "2.0.0", action: str = "delivered") -> Dsn:
        return cls(status, action, reason)

    @classmethod
    def defer(cls, reason: str, status: str = "4.0.0") -> Dsn:
        return cls(status, "delayed", reason)

    @classmethod
    def bounce(cls, reason: str, status: str = "5.0.0") -> Dsn:
        return cls(status, "failed", reason)

    def to_dict(self) -> dict[str, str]:
        return {key: value for key, value in self.__dict__.items() if value}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Dsn:
        return cls(**{key: str(data.get(key, "")) for key in cls.__dataclass_fields__})
