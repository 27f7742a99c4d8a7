"""NAME
    pyfix.smtpd.checks.dsnclass - an enhanced status code that fits what
    was rejected

SUMMARY
    dsn_for_class()

DESCRIPTION
    A reply template (an RBL reply) may be written for one kind of
    subject and used for another.  As Postfix, smtpd fits its enhanced
    status code (RFC 3463) to the subject:

        Sender address      X.1.1, X.1.3, X.1.4, X.1.6 -> X.1.7 (bad
                            sender), X.1.2 -> X.1.8, X.1.5 -> X.1.0
        Recipient address   X.1.7 -> X.1.3, X.1.8 -> X.1.2
        anything else       X.1.Y -> X.0.0 (client host, helo name)

    Other codes stay.  The caller logs "mapping DSN status OLD into
    CLASS status NEW" when the code changes.

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

SENDER = "Sender address"
RECIPIENT = "Recipient address"
_SENDER_DETAIL = {"1": "7", "2": "8", "3": "7", "4": "7", "5": "0", "6": "7"}
_RECIPIENT_DETAIL = {"7": "3", "8": "2"}


def dsn_for_class(dsn: str, reply_class: str) -> str:
    """dsn as fits a reply about reply_class ("Sender address", ...)."""
    klass, subject, detail = dsn.split(".")
    if subject != "1":
        return dsn
    if reply_class == SENDER:
        return f"{klass}.1.{_SENDER_DETAIL.get(detail, detail)}"
    if reply_class == RECIPIENT:
        return f"{klass}.1.{_RECIPIENT_DETAIL.get(detail, detail)}"
    return f"{klass}.0.0"
