"""The RCPT stage without a session: smtpd's restriction lists, then the
unlisted-recipient check, as pyfix.smtpd.session runs them."""

from __future__ import annotations

import asyncio
from typing import Any

from pyfix.smtp.replies import Reply
from pyfix.smtpd.checks.smtpd import Facts, Outcome, SessionChecks, SmtpdChecks


class SyncChecks:
    """A SessionChecks whose stages run to completion when called, for
    table-driven tests without an event loop of their own."""

    def __init__(self, session: SessionChecks) -> None:
        self.session = session

    def __getattr__(self, name: str) -> Any:
        stage = getattr(self.session, name)

        def run(*args: Any) -> Outcome:
            outcome: Outcome = asyncio.run(stage(*args))
            return outcome

        return run


def rcpt_reply(checks: SmtpdChecks, client: str, rcpt: str, sender: str,
               log: list[str] | None = None) -> Reply | None:
    """The reply to RCPT TO:<rcpt> from client after MAIL FROM:<sender>
    (None: accepted); log collects what the checks log."""
    lines = log if log is not None else []
    session = checks.session(lines.append, lambda text: lines.append(f"warning: {text}"))
    facts = Facts("unknown", client, f"unknown[{client}]", "client.example", sender)
    return SyncChecks(session).recipient(facts, rcpt).reply
