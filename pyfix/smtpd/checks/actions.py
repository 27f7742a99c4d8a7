"""NAME
    pyfix.smtpd.checks.actions - what access(5) actions ask of the message

SUMMARY
    Actions

DESCRIPTION
    The access(5) actions that do not decide a command but change what
    happens to the message of the current mail transaction, as the
    restrictions find them (access.py):

        HOLD        the message goes to the hold queue
        DISCARD     the message is accepted and thrown away; the rest of
                    the transaction's restrictions are not evaluated
        FILTER      transport:destination, the last one wins
        REDIRECT    an address, the last one wins
        BCC         an address; each one adds a recipient
        PREPEND     header lines, in the order they were found, put
                    before smtpd's Received: header

    The SMTP session hands them to cleanup (pyfix.cleanup: add_flags(),
    close(filter=, redirect=, bcc=)) at the end of the message, and
    forgets them when the transaction ends (end of DATA, RSET, HELO or
    EHLO).

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyfix.cleanup.status import CLEANUP_FLAG_DISCARD, CLEANUP_FLAG_HOLD


@dataclass
class Actions:
    hold: bool = False
    discard: bool = False
    filter: str | None = None
    redirect: str | None = None
    bcc: list[str] = field(default_factory=list)
    prepend: list[str] = field(default_factory=list)

    @property
    def flags(self) -> int:
        """The cleanup flags (CLEANUP_FLAG_HOLD, CLEANUP_FLAG_DISCARD)."""
        return (CLEANUP_FLAG_HOLD if self.hold else 0) | (
            CLEANUP_FLAG_DISCARD if self.discard else 0)

    def reset(self) -> None:
        """The transaction is over."""
        self.hold = self.discard = False
        self.filter = self.redirect = None
        self.bcc = []
        self.prepend = []
