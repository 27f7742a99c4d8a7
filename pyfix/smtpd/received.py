"""NAME
    pyfix.smtpd.received - smtpd's own Received: header

SUMMARY
    received_header()

DESCRIPTION
    Before the message content, Postfix's smtpd writes its Received:
    header:

        Received: from HELO (NAME [ADDR])
                by MYHOSTNAME (MAIL_NAME) with PROTOCOL id QUEUEID
                for <RCPT>; DATE          (one recipient)

    or with "id QUEUEID;" and the date on its own line for several
    recipients.  IPv6 addresses appear as "IPv6:addr".  The date is
    Postfix's mail_date() form, as cleanup writes it.

    Parameters read: myhostname, mail_name (passed in).

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from pyfix.address.quote import quote_822_local
from pyfix.cleanup.missing import mail_date


def received_header(helo: str | None, name: str, addr: str, myhostname: str, mail_name: str,
                    protocol: str, queue_id: str, recipients: list[str], when: float) -> list[str]:
    rfc_addr = f"IPv6:{addr}" if ":" in addr else addr
    lines = [f"Received: from {helo or name} ({name} [{rfc_addr}])"]
    if len(recipients) == 1:
        lines.append(f"\tby {myhostname} ({mail_name}) with {protocol} id {queue_id}")
        lines.append(f"\tfor <{quote_822_local(recipients[0])}>; {mail_date(when)}")
    else:
        lines.append(f"\tby {myhostname} ({mail_name}) with {protocol} id {queue_id};")
        lines.append(f"\t{mail_date(when)}")
    return lines
