"""NAME
    pyfix.smtp.params - ESMTP parameters of MAIL FROM and RCPT TO

SUMMARY
    parse_mail_params(), parse_rcpt_params(), MailParams, RcptParams,
    wants_smtputf8(), xtext_decode(), uxtext_decode()

DESCRIPTION
    parse_mail_params() reads the words after the MAIL FROM address, in
    order, with Postfix's replies for bad ones:

    SIZE=n (RFC 1870)
        digits only ("501 5.5.4 Bad message size syntax"); a value that
        does not fit a file offset is "552 5.3.4 Message size exceeds
        file system imposed limit".
    BODY=8BITMIME, BODY=7BIT (RFC 1652); SMTPUTF8 (RFC 6531)
        SMTPUTF8 only with smtputf8_enable and when not discarded.
    RET=FULL|HDRS, ENVID=xtext (RFC 3461)
        "501 5.7.1 DSN support is disabled" when DSN is discarded;
        a repeated or bad value is "501 5.5.4 Bad RET/ENVID parameter
        syntax"; ENVID must decode to printable ASCII.
    AUTH=addr (RFC 4954)
        accepted and remembered (<> is ignored); a second AUTH= with an
        address is "503 5.5.4 Error: multiple AUTH= options".
    XVERP[=cc]
        only for smtpd_authorized_verp_clients: two characters from
        verp_delimiter_filter.
    Anything else is "555 5.5.4 Unsupported option: WORD".

    parse_rcpt_params() does the same for NOTIFY=NEVER or any of
    SUCCESS, FAILURE, DELAY, and ORCPT=type;xtext (utf-8;uxtext).

    Keywords compare without regard to ASCII case.

    Parameters read: none (callers pass smtputf8_enable, the EHLO
    discard mask results, verp_delimiter_filter, default_verp_delimiters).

DIAGNOSTICS
    Each parser returns a ParamError holding the Reply and the error
    class ("protocol" or "policy") for the first bad parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from pyfix.smtp import replies
from pyfix.smtp.replies import Reply
from pyfix.smtp.tokens import ascii_lower, is_ascii_digits, is_ascii_printable

OFF_T_MAX = (1 << 63) - 1
NOTIFY_NAMES = ("NEVER", "SUCCESS", "FAILURE", "DELAY")
_NOTIFY_BY_LOWER = {name.lower(): name for name in NOTIFY_NAMES}
_HEXVAL = {c: int(c, 16) for c in "0123456789abcdefABCDEF"}


@dataclass(frozen=True)
class ParamError:
    reply: Reply
    error_class: str  # "protocol" or "policy"
    warning: str | None = None  # a log line, as Postfix's name_mask() warns


@dataclass(frozen=True)
class MailParams:
    size: int | None = None
    body: str | None = None  # "8BITMIME" or "7BIT"
    smtputf8: bool = False
    ret: str | None = None  # "FULL" or "HDRS"
    envid: str | None = None
    auth: str | None = None
    verp: str | None = None


@dataclass(frozen=True)
class RcptParams:
    notify: frozenset[str] = field(default_factory=frozenset)
    orcpt: tuple[str, str] | None = None  # (address type, decoded address)


def _to_bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _to_text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def xtext_decode(text: str) -> str | None:
    """RFC 3461 xtext: "+XX" hex escapes; None when malformed."""
    data = _to_bytes(text)
    out = bytearray()
    pos = 0
    while pos < len(data):
        if data[pos] == 0x2B:  # "+"
            pair = data[pos + 1 : pos + 3].decode("latin-1")
            if len(pair) != 2 or pair[0] not in _HEXVAL or pair[1] not in _HEXVAL:
                return None
            out.append(_HEXVAL[pair[0]] * 16 + _HEXVAL[pair[1]])
            pos += 3
        else:
            out.append(data[pos])
            pos += 1
    return _to_text(bytes(out))


def uxtext_decode(text: str) -> str | None:
    """RFC 6533 unitext: "\\x{HEX}" escapes; None when malformed."""
    data = _to_bytes(text)
    out = bytearray()
    pos = 0
    while pos < len(data):
        if data.startswith(b"\\x{", pos):
            close = data.find(b"}", pos + 3)
            digits = data[pos + 3 : close].decode("latin-1") if close >= 0 else "x"
            if any(ch not in _HEXVAL for ch in digits):
                return None
            value = int(digits, 16) if digits else 0
            if value > 0x10FFFF:
                return None
            out += chr(value).encode("utf-8", "surrogatepass")
            pos = close + 1
        else:
            out.append(data[pos])
            pos += 1
    return _to_text(bytes(out))


def notify_mask(text: str) -> frozenset[str] | str | None:
    """The NOTIFY names; None when invalid, a warning text for unknown names."""
    names: set[str] = set()
    for word in re.split(r"[, \t\r\n]+", text):
        if not word:
            continue
        name = ascii_lower(word)
        if name not in _NOTIFY_BY_LOWER:
            return f'unknown DSN NOTIFY command value "{word}" in "{text}"'
        names.add(_NOTIFY_BY_LOWER[name])
    if not names or ("NEVER" in names and len(names) > 1):
        return None
    return frozenset(names)


def _keyword(arg: str, name: str) -> str | None:
    """The value of "NAME=value" (any case), else None."""
    if ascii_lower(arg[: len(name) + 1]) == ascii_lower(name) + "=":
        return arg[len(name) + 1 :]
    return None


def wants_smtputf8(args: list[str], enabled: bool) -> bool:
    return enabled and any(ascii_lower(arg) == "smtputf8" for arg in args)


@dataclass(frozen=True)
class MailOptions:
    smtputf8: bool  # smtputf8_enable and SMTPUTF8 not discarded
    dsn: bool  # DSN not discarded
    verp_allowed: bool = False
    verp_filter: str = "-=+"
    verp_default: str = "+="


def parse_mail_params(args: list[str], opts: MailOptions) -> tuple[MailParams, ParamError | None]:
    """The parameters, and the error for the first bad one.

    The MailParams holds what was parsed before an error: Postfix keeps
    a SIZE value even when a later parameter is rejected.
    """
    p = MailParams()
    for arg in args:
        lower = ascii_lower(arg)
        error: ParamError | None = None
        if lower == "body=8bitmime":
            p = replace(p, body="8BITMIME")
        elif lower == "body=7bit":
            p = replace(p, body="7BIT")
        elif (value := _keyword(arg, "SIZE")) is not None:
            if not is_ascii_digits(value):
                error = ParamError(replies.BAD_SIZE_SYNTAX, "protocol")
            elif int(value) > OFF_T_MAX:
                p = replace(p, size=-1)
                error = ParamError(replies.SIZE_FS_LIMIT, "policy")
            else:
                p = replace(p, size=int(value))
        elif opts.smtputf8 and lower == "smtputf8":
            p = replace(p, smtputf8=True)
        elif (value := _keyword(arg, "AUTH")) is not None:
            if p.auth is not None:
                error = ParamError(replies.MULTIPLE_AUTH, "protocol")
            elif value != "<>":
                p = replace(p, auth=value)
        elif opts.verp_allowed and lower[:5] == "xverp" and arg[5:6] in ("", "="):
            delims = opts.verp_default if len(arg) == 5 else arg[6:]
            if len(delims) != 2 or any(ch not in opts.verp_filter for ch in delims):
                text = f"Error: XVERP needs two characters from {opts.verp_filter}"
                error = ParamError(Reply(501, "5.5.4", text), "protocol")
            else:
                p = replace(p, verp=delims)
        elif (value := _keyword(arg, "RET")) is not None:
            ret = ascii_lower(value)
            if not opts.dsn:
                error = ParamError(replies.DSN_DISABLED, "protocol")
            elif p.ret is not None or ret not in ("full", "hdrs"):
                error = ParamError(replies.BAD_RET, "protocol")
            else:
                p = replace(p, ret=ret.upper())
        elif (value := _keyword(arg, "ENVID")) is not None:
            envid = xtext_decode(value)
            if not opts.dsn:
                error = ParamError(replies.DSN_DISABLED, "protocol")
            elif p.envid is not None or envid is None or not is_ascii_printable(envid):
                error = ParamError(replies.BAD_ENVID, "protocol")
            else:
                p = replace(p, envid=envid)
        else:
            error = ParamError(replies.unsupported_option(arg), "protocol")
        if error is not None:
            return p, error
    return p, None


def parse_rcpt_params(args: list[str], dsn: bool) -> RcptParams | ParamError:
    notify: frozenset[str] = frozenset()
    orcpt: tuple[str, str] | None = None
    for arg in args:
        if (value := _keyword(arg, "NOTIFY")) is not None:
            if not dsn:
                return ParamError(replies.DSN_DISABLED, "protocol")
            if notify:
                return ParamError(replies.BAD_NOTIFY, "protocol")
            names = notify_mask(value)
            if not isinstance(names, frozenset):
                return ParamError(replies.BAD_NOTIFY, "protocol", names)
            notify = names
        elif (value := _keyword(arg, "ORCPT")) is not None:
            if not dsn:
                return ParamError(replies.DSN_DISABLED, "protocol")
            addr_type, semi, coded = value.partition(";")
            if orcpt is not None or not semi or not addr_type:
                return ParamError(replies.BAD_ORCPT, "protocol")
            utf8 = ascii_lower(addr_type) == "utf-8"
            decoded = uxtext_decode(coded) if utf8 else xtext_decode(coded)
            if decoded is None:
                return ParamError(replies.BAD_ORCPT, "protocol")
            orcpt = (addr_type, decoded)
        else:
            return ParamError(replies.unsupported_option(arg), "protocol")
    return RcptParams(notify, orcpt)
