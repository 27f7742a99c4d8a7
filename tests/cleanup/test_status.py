"""Status bits to SMTP replies (as Postfix's smtpd words them), request flags."""

from __future__ import annotations

import pytest

from pyfix.cleanup.status import (
    CLEANUP_FLAG_BCC_OK,
    CLEANUP_FLAG_FILTER,
    CLEANUP_FLAG_MAP_OK,
    CLEANUP_FLAG_MASK_EXTERNAL,
    CLEANUP_FLAG_MILTER,
    CLEANUP_STAT_BAD,
    CLEANUP_STAT_CONT,
    CLEANUP_STAT_DEFER,
    CLEANUP_STAT_HOPS,
    CLEANUP_STAT_NOSPACE,
    CLEANUP_STAT_RCPT,
    CLEANUP_STAT_SIZE,
    CLEANUP_STAT_WRITE,
    CleanupResult,
    input_transp_cleanup,
    strerror,
)


@pytest.mark.parametrize(("status", "reason", "reply"), [
    (CLEANUP_STAT_HOPS, "", "554 5.4.0 Error: too many hops"),
    (CLEANUP_STAT_SIZE, "", "552 5.3.4 Error: message file too big"),
    (CLEANUP_STAT_CONT, "5.7.1 message content rejected", "550 5.7.1 message content rejected"),
    (CLEANUP_STAT_CONT, "5.7.0 custom text", "550 5.7.0 custom text"),
    (CLEANUP_STAT_CONT, "", "550 5.7.1 Error: message content rejected"),
    (CLEANUP_STAT_DEFER, "4.7.1 Try again later", "451 4.7.1 Try again later"),
    (CLEANUP_STAT_DEFER, "", "451 4.7.1 Error: service unavailable"),
    (CLEANUP_STAT_WRITE, "", "451 4.3.0 Error: queue file write error"),
    (CLEANUP_STAT_WRITE | CLEANUP_STAT_NOSPACE, "", "452 4.3.1 Insufficient system storage"),
    (CLEANUP_STAT_BAD, "", "451 4.3.0 Error: internal error 1"),
    (CLEANUP_STAT_RCPT, "", "451 4.3.0 Error: internal error 64"),
    # Most severe first: DEFER, BAD, SIZE, HOPS, CONT, WRITE.
    (CLEANUP_STAT_CONT | CLEANUP_STAT_WRITE, "5.7.1 bad", "550 5.7.1 bad"),
    (CLEANUP_STAT_HOPS | CLEANUP_STAT_CONT, "5.7.1 bad", "554 5.4.0 Error: too many hops"),
    (CLEANUP_STAT_DEFER | CLEANUP_STAT_CONT, "4.7.1 later", "451 4.7.1 later"),
])
def test_reply(status: int, reason: str, reply: str) -> None:
    result = CleanupResult("ABC123", status, reason)
    assert not result.ok
    got = result.reply
    assert got is not None
    assert f"{got.code} {got.enhanced} {got.text}" == reply


def test_success_has_no_reply() -> None:
    result = CleanupResult("ABC123", 0, "", "incoming")
    assert result.ok and result.reply is None
    assert CleanupResult("ABC123", 0, "", None, True).ok


def test_strerror() -> None:
    assert strerror(CLEANUP_STAT_HOPS) == "too many hops"
    assert strerror(CLEANUP_STAT_WRITE | CLEANUP_STAT_BAD) == "internal protocol error"
    assert strerror(0) == "Success"


def test_receive_override_options() -> None:
    flags = CLEANUP_FLAG_MASK_EXTERNAL
    assert input_transp_cleanup(flags, []) == flags
    assert input_transp_cleanup(flags, ["no_address_mappings"]) == (
        CLEANUP_FLAG_FILTER | CLEANUP_FLAG_MILTER)
    assert input_transp_cleanup(flags, ["no_header_body_checks", "no_milters"]) == (
        CLEANUP_FLAG_BCC_OK | CLEANUP_FLAG_MAP_OK)
    assert input_transp_cleanup(flags, ["no_unknown_recipient_checks"]) == flags
