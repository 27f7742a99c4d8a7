"""NAME
    pyfix.cleanup - canonicalize and enqueue mail (Postfix's cleanup(8))

SUMMARY
    CleanupService, CleanupStream, CleanupResult, Origin, SmtpClient,
    cleanup_config(), CLEANUP_FLAG_*, CLEANUP_STAT_*

DESCRIPTION
    The cleanup library writes every new message into the queue, as
    Postfix's cleanup(8) daemon does; in pyfix smtpd, pickup and bounce
    call it in-process (DESIGN.md section 2).  It adds missing headers,
    rewrites addresses, applies header and body checks, and writes the
    queue file in cleanup's record order:

        service.py    CleanupService, CleanupStream: the API
        status.py     request flags, status bits, CleanupResult and the
                      SMTP reply for a failure
        settings.py   cleanup_config(), CleanupSettings
        origin.py     Origin, SmtpClient: what the client tells cleanup
        envelope.py   envelope and extracted segments, recipients
        message.py    content: header parsing, known headers, body
        missing.py    missing Message-Id:, Date:, From:, To:
        headers.py    header names and flags
        rewrite.py    address rewriting hook, header address rewriting
        checks.py     header_checks/body_checks hooks and actions
        output.py     record output, header folding and truncation
        state.py      per-message state

    A typical SMTP server use:

        cleanup = CleanupService.for_client(smtpd_config)
        stream = cleanup.open(sender, flags, origin=Origin(...))
        stream.add_recipient(rcpt)             # at each accepted RCPT
        stream.write_line(b"Received: ...")     # DATA: the content
        result = stream.close()                # before the 250 reply
        result.ok, result.queue_id, result.reply

    Parameters read: see the modules.

DIAGNOSTICS
    See service.py.
"""

from pyfix.cleanup.checks import ContentCheck, ContentChecks
from pyfix.cleanup.origin import Origin, SmtpClient
from pyfix.cleanup.rewrite import RewriteHook, default_rewrite
from pyfix.cleanup.service import CleanupService, CleanupStream
from pyfix.cleanup.settings import CleanupSettings, cleanup_config
from pyfix.cleanup.status import (
    CLEANUP_FLAG_BCC_OK,
    CLEANUP_FLAG_BOUNCE,
    CLEANUP_FLAG_DISCARD,
    CLEANUP_FLAG_FILTER,
    CLEANUP_FLAG_HOLD,
    CLEANUP_FLAG_MAP_OK,
    CLEANUP_FLAG_MASK_EXTERNAL,
    CLEANUP_FLAG_MASK_INTERNAL,
    CLEANUP_FLAG_MILTER,
    CLEANUP_FLAG_SMTP_REPLY,
    CLEANUP_FLAG_SMTPUTF8,
    CLEANUP_STAT_BAD,
    CLEANUP_STAT_CONT,
    CLEANUP_STAT_DEFER,
    CLEANUP_STAT_HOPS,
    CLEANUP_STAT_OK,
    CLEANUP_STAT_RCPT,
    CLEANUP_STAT_SIZE,
    CLEANUP_STAT_WRITE,
    CleanupResult,
    input_transp_cleanup,
)

__all__ = [
    "CLEANUP_FLAG_BCC_OK",
    "CLEANUP_FLAG_BOUNCE",
    "CLEANUP_FLAG_DISCARD",
    "CLEANUP_FLAG_FILTER",
    "CLEANUP_FLAG_HOLD",
    "CLEANUP_FLAG_MAP_OK",
    "CLEANUP_FLAG_MASK_EXTERNAL",
    "CLEANUP_FLAG_MASK_INTERNAL",
    "CLEANUP_FLAG_MILTER",
    "CLEANUP_FLAG_SMTPUTF8",
    "CLEANUP_FLAG_SMTP_REPLY",
    "CLEANUP_STAT_BAD",
    "CLEANUP_STAT_CONT",
    "CLEANUP_STAT_DEFER",
    "CLEANUP_STAT_HOPS",
    "CLEANUP_STAT_OK",
    "CLEANUP_STAT_RCPT",
    "CLEANUP_STAT_SIZE",
    "CLEANUP_STAT_WRITE",
    "CleanupResult",
    "CleanupService",
    "CleanupSettings",
    "CleanupStream",
    "ContentCheck",
    "ContentChecks",
    "Origin",
    "RewriteHook",
    "SmtpClient",
    "cleanup_config",
    "default_rewrite",
    "input_transp_cleanup",
]
