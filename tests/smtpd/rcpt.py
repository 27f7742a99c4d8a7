"""The RCPT stage without a session: smtpd's restriction lists, then the
unlisted-recipient check, as pyfix.smtpd.session runs them."""

from __future__ import annotations

from pyfix.smtp.replies import Reply
from pyfix.smtpd.checks.smtpd import Facts, SmtpdChecks


def rcpt_reply(checks: SmtpdChecks, client: str, rcpt: str, sender: str,
               log: list[str] | None = None) -> Reply | None:
    """The reply to RCPT TO:<rcpt> from client after MAIL FROM:<sender>
    (None: accepted); log collects what the checks log."""
    lines = log if log is not None else []
    session = checks.session(lines.append, lambda text: lines.append(f"warning: {text}"))
    facts = Facts("unknown", client, f"unknown[{client}]", "client.example", sender)
    return session.recipient(facts, rcpt).reply
