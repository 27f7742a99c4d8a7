"""NAME
    pyfix.delivery.smtp - the smtp(8) and lmtp(8) delivery agent

SUMMARY
    service (serve()), deliver (one request), nexthop (server lookup),
    session (one connection), cache (connection reuse), settings

DESCRIPTION
    Delivers queued mail to remote SMTP servers and to LMTP servers, as
    Postfix's smtp(8)/lmtp(8).  The protocol itself is the sans-I/O
    client in pyfix.smtp.client; DNS is pyfix.dns.

    Parameters read: see settings.py.

DIAGNOSTICS
    See deliver.py.
"""
