"""NAME
    pyfix.cleanup.settings - the configuration that cleanup works with

SUMMARY
    cleanup_config(), CleanupSettings, unescape()

DESCRIPTION
    cleanup_config(caller) returns the configuration view that the
    cleanup library uses on behalf of a client such as smtpd or pickup.
    As in Postfix, that is the view of the master.cf service that the
    client's cleanup_service_name names (type "unix"), with that
    service's own -o overrides and not the client's.  A site can thus
    give one smtpd "-o cleanup_service_name=pre-cleanup" and set
    header_checks only for pre-cleanup.  When master.cf has no such
    service, the view is main.cf alone.

    CleanupSettings reads, once per view, the typed values of the
    parameters that cleanup uses, so that the per-message code never
    parses configuration.

    unescape() expands the C-like escapes (\\t, \\n, \\ooo, ...) of
    message_reject_characters and message_strip_characters.

    Parameters read: cleanup_service_name (of the caller), and from the
    cleanup view: always_add_missing_headers, always_bcc, body_checks_size_limit,
    delay_warning_time, detect_8bit_encoding_header,
    duplicate_filter_limit, empty_address_recipient,
    enable_long_queue_ids, enable_original_recipient,
    header_address_token_limit, header_from_format,
    header_size_limit, hopcount_limit, info_log_address_format,
    line_length_limit, message_drop_headers,
    message_reject_characters, message_size_limit,
    message_strip_characters, myhostname, myorigin,
    queue_file_attribute_count_limit, remote_header_rewrite_domain,
    cleanup_replace_stray_cr_lf, smtputf8_enable,
    undisclosed_recipients_header, verp_delimiter_filter.

DIAGNOSTICS
    A bad parameter value raises pyfix.config.types.ConfigValueError
    with Postfix's text when the settings are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pyfix.config.lists import split_list
from pyfix.config.store import Config

_ESCAPES: Final = {
    "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
}


def cleanup_config(caller: Config) -> Config:
    """The view of the cleanup service that the caller's
    cleanup_service_name names; main.cf alone when master.cf lacks it."""
    return caller.library_view(caller.get("cleanup_service_name") or "cleanup", "cleanup")


def unescape(text: str) -> bytes:
    """Postfix's unescape(): \\a \\b \\f \\n \\r \\t \\v, \\ooo, \\c is c."""
    out = bytearray()
    pos = 0
    while pos < len(text):
        ch = text[pos]
        pos += 1
        if ch != "\\" or pos >= len(text):
            out += ch.encode("utf-8", "surrogateescape")
            continue
        ch = text[pos]
        pos += 1
        if ch in _ESCAPES:
            out += _ESCAPES[ch].encode()
        elif ch in "01234567":
            end = pos
            while end < len(text) and end < pos + 2 and text[end] in "01234567":
                end += 1
            out.append(int(text[pos - 1 : end], 8) & 0xFF)
            pos = end
        else:
            out += ch.encode("utf-8", "surrogateescape")
    return bytes(out)


@dataclass(frozen=True, slots=True)
class CleanupSettings:
    myhostname: str = "localhost"
    myorigin: str = "localhost"
    hopcount_limit: int = 50
    header_size_limit: int = 102400
    token_limit: int = 10240
    line_limit: int = 2048
    always_add_missing_headers: bool = False
    remote_header_rewrite_domain: str = ""
    undisclosed_recipients_header: str = ""
    enable_original_recipient: bool = True
    empty_address_recipient: str = "MAILER-DAEMON"
    header_from_format: str = "standard"
    delay_warning_time: int = 0
    detect_8bit_encoding_header: bool = True
    replace_stray_cr_lf: bool = True
    drop_headers: frozenset[str] = frozenset({"bcc", "content-length", "resent-bcc", "return-path"})
    body_checks_size_limit: int = 51200
    message_size_limit: int = 10240000
    duplicate_filter_limit: int = 1000
    attribute_count_limit: int = 100
    long_queue_ids: bool = False
    smtputf8_enable: bool = True
    info_log_external: bool = True
    reject_chars: bytes = b""
    strip_chars: bytes = b""
    always_bcc: str = ""
    verp_filter: str = "-=+"

    @classmethod
    def from_config(cls, config: Config) -> CleanupSettings:
        return cls(
            myhostname=config.get("myhostname"),
            myorigin=config.get("myorigin"),
            hopcount_limit=config.get_int("hopcount_limit"),
            header_size_limit=config.get_int("header_size_limit"),
            token_limit=config.get_int("header_address_token_limit"),
            line_limit=config.get_int("line_length_limit"),
            always_add_missing_headers=config.get_bool("always_add_missing_headers"),
            remote_header_rewrite_domain=config.get("remote_header_rewrite_domain"),
            undisclosed_recipients_header=config.get("undisclosed_recipients_header"),
            enable_original_recipient=config.get_bool("enable_original_recipient"),
            empty_address_recipient=config.get("empty_address_recipient"),
            header_from_format=config.get("header_from_format").lower(),
            delay_warning_time=config.get_time("delay_warning_time"),
            detect_8bit_encoding_header=config.get_bool("detect_8bit_encoding_header"),
            replace_stray_cr_lf=config.get_bool("cleanup_replace_stray_cr_lf"),
            drop_headers=frozenset(
                name.lower() for name in split_list(config.get("message_drop_headers"))
            ),
            body_checks_size_limit=config.get_int("body_checks_size_limit"),
            message_size_limit=config.get_long("message_size_limit"),
            duplicate_filter_limit=config.get_int("duplicate_filter_limit"),
            attribute_count_limit=config.get_int("queue_file_attribute_count_limit"),
            long_queue_ids=config.get_bool("enable_long_queue_ids"),
            smtputf8_enable=config.get_bool("smtputf8_enable"),
            info_log_external=config.get("info_log_address_format").lower() != "internal",
            reject_chars=unescape(config.get("message_reject_characters")),
            strip_chars=unescape(config.get("message_strip_characters")),
            always_bcc=config.get("always_bcc"),
            verp_filter=config.get("verp_delimiter_filter"),
        )
