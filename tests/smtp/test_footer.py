"""smtpd_reject_footer (pyfix.smtp.footer), offline.

The expected texts are what real Postfix 3.7.11 sent for the same
template (tests/smtpd/test_checks_generic_live.py's
test_reject_footer compares both live).
"""

from __future__ import annotations

from pyfix.smtp.footer import with_footer
from pyfix.smtp.replies import Reply

VALUES = {"client_address": "127.0.0.1", "client_port": "57747",
          "server_name": "mail.example.test"}
REJECT = Reply(554, "5.7.1", "<u@mail.example.test>: Recipient address rejected: Access denied")


def test_joined_footer_with_macros_and_a_line_break() -> None:
    warnings: list[str] = []
    reply = with_footer(REJECT, "\\c. Call $server_name about $client_address port? "
                        "$client_port\\nSecond $nosuch line", VALUES, warnings.append)
    assert reply.render() == (
        b"554-5.7.1 <u@mail.example.test>: Recipient address rejected: Access denied. Call "
        b"mail.example.test about 127.0.0.1 port? 57747\r\n554 5.7.1 Second  line\r\n")
    assert warnings == ['unknown macro name "nosuch" in expansion request']


def test_footer_on_its_own_line_and_without_enhanced_code() -> None:
    reply = with_footer(Reply(503, "", "Error: MAIL transaction in progress"),
                        "For help see x.", VALUES, lambda _text: None)
    assert reply.render() == b"503-Error: MAIL transaction in progress\r\n503 For help see x.\r\n"


def test_no_footer_on_success_or_without_template() -> None:
    ok = Reply(250, "2.1.5", "Ok")
    assert with_footer(ok, "For help see x.", VALUES, lambda _text: None) is ok
    assert with_footer(REJECT, "", VALUES, lambda _text: None) is REJECT


def test_localtime_comes_from_the_caller() -> None:
    reply = with_footer(REJECT, "\\c at $localtime", {**VALUES, "localtime": "Dec 08 04:21:12"},
                        lambda _text: None)
    assert reply.text.endswith("Access denied at Dec 08 04:21:12")
