"""NAME
    pyfix.address.extension - recipient address extensions

SUMMARY
    split_localpart(), strip_extension()

DESCRIPTION
    With recipient_delimiter (for example "+"), "user+ext@domain" has the
    base address "user@domain" and the extension "+ext".  As in Postfix,
    these local parts are never split: postmaster, MAILER-DAEMON, the
    double_bounce_sender, and, when "-" is a delimiter and
    owner_request_special is on, "owner-*" and "*-request".  A split
    that would leave an empty local part is not made.

    Parameters read: recipient_delimiter, owner_request_special,
    double_bounce_sender (passed in by the caller).

DIAGNOSTICS
    None.
"""

from __future__ import annotations


def split_localpart(
    local: str,
    delimiters: str,
    *,
    owner_request_special: bool = True,
    double_bounce_sender: str = "double-bounce",
) -> tuple[str, str] | None:
    """Split local at the first delimiter: (base, extension-with-delimiter)."""
    folded = local.lower()
    if folded in ("postmaster", "mailer-daemon", double_bounce_sender.lower()):
        return None
    if "-" in delimiters and owner_request_special and (
        folded.startswith("owner-") or (len(folded) > 8 and folded.endswith("-request"))
    ):
        return None
    for index, ch in enumerate(local):
        if ch in delimiters:
            if index == 0:
                return None
            return local[:index], local[index:]
    return None


def strip_extension(
    address: str,
    delimiters: str,
    *,
    owner_request_special: bool = True,
    double_bounce_sender: str = "double-bounce",
) -> tuple[str, str] | None:
    """("user+ext@domain") -> ("user@domain", "+ext"), or None."""
    if not delimiters:
        return None
    at = address.rfind("@")
    local, domain = (address, "") if at < 0 else (address[:at], address[at:])
    split = split_localpart(
        local,
        delimiters,
        owner_request_special=owner_request_special,
        double_bounce_sender=double_bounce_sender,
    )
    if split is None:
        return None
    return split[0] + domain, split[1]
