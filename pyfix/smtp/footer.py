"""NAME
    pyfix.smtp.footer - smtpd_reject_footer

SUMMARY
    with_footer()

DESCRIPTION
    with_footer() appends the smtpd_reject_footer template to a 4xx or
    5xx reply, as Postfix's SMTP server does for every such reply (not
    in the log).  The template is not expanded as a parameter value;
    only these names are replaced, with the session's values:

        client_address   the client IP address, as logged
        client_port      the client TCP port
        localtime        the server's local time, "Mmm dd hh:mm:ss" (the
                         caller reads the clock: the core does no I/O)
        server_name      $myhostname

    Any other $name expands to nothing, with Postfix's warning.  The
    two characters "\\n" break the footer into lines, each sent with the
    reply's code and enhanced code; "\\c" at the start joins the footer
    to the reply's last line instead of starting a new one.

    Parameters read: smtpd_reject_footer, myhostname (by the caller,
    ServerSettings).

DIAGNOSTICS
    'unknown macro name "NAME" in expansion request', once per reply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pyfix.config.expand import expand
from pyfix.smtp.replies import Reply


def with_footer(reply: Reply, template: str, values: Mapping[str, str],
                warn: Callable[[str], None]) -> Reply:
    """reply with the footer; values: the names the template may use."""
    if not template or reply.code < 400:
        return reply
    joined = template.startswith("\\c")
    if joined:
        template = template[2:]

    def lookup(name: str, _mode: int) -> str | None:
        value = values.get(name)
        if value is None:
            warn(f'unknown macro name "{name}" in expansion request')
        return value

    footer, _status = expand(template, lookup, warn, recurse=False)
    lines = footer.split("\\n")
    text = reply.text + lines.pop(0) if joined else reply.text
    return Reply(reply.code, reply.enhanced, "\n".join([text, *lines]))
