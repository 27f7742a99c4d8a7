"""NAME
    pyfix.smtpd.checks.dsnclass - an enhanced status code that fits what
    was rejected

SUMMARY
    map_dsn()

DESCRIPTION
    A reply template (an RBL reply) may be written for one kind of
    subject and used for another.  As Postfix, smtpd fits its enhanced
    status code (RFC 3463) to the subject:

        Sender address      X.1.1, X.1.3, X.1.4, X.1.6 -> X.1.7 (bad
                            sender), X.1.2 -> X.1.8, other X.1.Y -> X.1.0
        Recipient address   X.1.7 -> X.1.3, X.1.8 -> X.1.2, X.1.9 and up
                            -> X.1.0
        anything else       X.1.Y -> X.0.0 (client host, helo name)

    Other codes stay.  A change is logged as Postfix logs it: "mapping
    DSN status OLD into CLASS status NEW".

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from pyfix.smtpd.checks.engine import Context

SENDER = "Sender address"
RECIPIENT = "Recipient address"
# X.1.Y -> X.1.(this), anything else X.1.0
_SENDER_DETAIL = {"1": "7", "2": "8", "3": "7", "4": "7", "6": "7", "7": "7", "8": "8"}
_RECIPIENT_DETAIL = {"0": "0", "1": "1", "2": "2", "3": "3", "4": "4", "5": "5", "6": "6",
                     "7": "3", "8": "2"}


def map_dsn(ctx: Context, dsn: str, reply_class: str) -> str:
    """dsn as fits a reply about reply_class ("Sender address", ...),
    logged when it changes."""
    klass, subject, detail = dsn.split(".")
    if subject != "1":
        return dsn
    if reply_class == SENDER:
        mapped = f"{klass}.1.{_SENDER_DETAIL.get(detail, '0')}"
    elif reply_class == RECIPIENT:
        mapped = f"{klass}.1.{_RECIPIENT_DETAIL.get(detail, '0')}"
    else:
        mapped = f"{klass}.0.0"
    if mapped != dsn:
        ctx.info(f"mapping DSN status {dsn} into {reply_class} status {mapped}")
    return mapped
