"""NAME
    pyfix.verify - the address verification service (Postfix's verify(8))

SUMMARY
    cache.py (VerifyCache), protocol.py (requests, client calls),
    service.py (serve())

DESCRIPTION
    verify(8) keeps a record of which addresses are known to be
    deliverable or undeliverable, in $address_verify_map.  smtpd's
    reject_unverified_recipient and reject_unverified_sender ask it
    (query); an address it does not know, or whose entry needs a
    refresh, makes it inject a probe message into the queue.  qmgr
    hands the probe to the real delivery agent, which does everything
    except the final delivery and reports the outcome back (update)
    instead of delivering, deferring or bouncing.

    Parameters read: see the modules.

DIAGNOSTICS
    See the modules.
"""
