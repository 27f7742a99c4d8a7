"""NAME
    pyfix.smtpd.checks.policy - check_policy_service, SMTPD policy delegation

SUMMARY
    check_policy_service, policy_attributes()

DESCRIPTION
    check_policy_service SERVER sends the policy server a request with
    every attribute that Postfix 3.7's smtpd sends, in its order:

        request=smtpd_access_policy  protocol_state  protocol_name
        client_address  client_name  client_port  reverse_client_name
        server_address  server_port  helo_name  sender  recipient
        recipient_count  queue_id  instance  size  etrn_domain  stress
        sasl_method  sasl_username  sasl_sender  ccert_subject
        ccert_issuer  ccert_fingerprint  ccert_pubkey_fingerprint
        encryption_protocol  encryption_cipher  encryption_keysize
        policy_context

    protocol_state is the SMTP command being checked (RCPT for the
    client, helo and sender lists that smtpd_delay_reject moves there);
    recipient and recipient_count at DATA and END-OF-MESSAGE are the
    accepted recipient (when there is one only) and how many were
    accepted; size is MAIL FROM's SIZE= (0 without), and the content's
    size at END-OF-MESSAGE; instance names the mail transaction (set at
    MAIL FROM).  pyfix has no SASL, TLS client certificates or stress
    mode yet: those attributes are empty and encryption_keysize is 0, as
    Postfix sends them for a plain session.

    The server's action is an access(5) result (access.py's
    access_verdict), worded for the stage ("<rcpt>: Recipient address
    rejected: text").  When every attempt fails (pyfix.smtpd.policy_client),
    the endpoint's default_action applies instead (a check_policy_service
    named there gets the built-in default action, "451 4.3.5 Server
    configuration problem", when it fails too).  SERVER is
    inet:host:port, unix:pathname or Postfix 3.x's "{ server, name=value,
    ... }" form (policy_client.parse_endpoint()).  Each smtpd process
    keeps one client, with its kept connections, per distinct SERVER.

    Parameters read: smtpd_policy_service_timeout,
    smtpd_policy_service_max_idle, smtpd_policy_service_max_ttl,
    smtpd_policy_service_request_limit, smtpd_policy_service_try_limit,
    smtpd_policy_service_retry_delay, smtpd_policy_service_default_action,
    smtpd_policy_service_policy_context, queue_directory.

DIAGNOSTICS
    The client's warnings (policy_client.py).  A SERVER that cannot be
    used (a bad "{ ... }" form) gives a warning naming the problem and
    "451 4.3.5 Server configuration error".
"""

from __future__ import annotations

from contextvars import ContextVar

from pyfix.smtpd.checks import engine
from pyfix.smtpd.checks.access import access_verdict
from pyfix.smtpd.checks.engine import (
    CONFIG_ERROR,
    Context,
    Request,
    Result,
    Step,
    Verdict,
    restriction,
)
from pyfix.smtpd.policy_client import (
    PolicyClient,
    PolicyConfigError,
    endpoint_defaults,
    parse_endpoint,
)

# The command being checked when the session did not say (offline use).
_STATE = {engine.CLIENT: "CONNECT", engine.HELO: "HELO", engine.SENDER: "MAIL",
          engine.RECIPIENT: "RCPT", engine.RELAY: "RCPT", engine.DATA: "DATA",
          engine.END_OF_DATA: "END-OF-MESSAGE", engine.ETRN: "ETRN"}
_AFTER_RCPT = ("DATA", "END-OF-MESSAGE")
# Postfix's built-in default_action: the one that a check_policy_service
# inside another one's default_action gets.
BUILTIN_DEFAULT_ACTION = "451 4.3.5 Server configuration problem"
_in_default_action: ContextVar[bool] = ContextVar("in_default_action", default=False)


def policy_attributes(request: Request, policy_context: str) -> dict[str, str]:
    """The request's attributes, in Postfix 3.7's order (a dict keeps it)."""
    facts = request.facts
    state = (facts.protocol_state if facts and facts.protocol_state
             else _STATE[request.stage])
    after_rcpt = state in _AFTER_RCPT
    recipient = request.recipient or ""
    count = 0
    if facts is not None and after_rcpt:
        count = facts.recipient_count
        recipient = facts.first_recipient if count == 1 else ""
    return {
        "request": "smtpd_access_policy",
        "protocol_state": state,
        "protocol_name": facts.protocol_name if facts else "SMTP",
        "client_address": request.client_addr,
        "client_name": request.client_name,
        "client_port": facts.client_port if facts else "",
        "reverse_client_name": request.client_name,
        "server_address": facts.server_addr if facts else "",
        "server_port": facts.server_port if facts else "",
        "helo_name": request.helo or "",
        "sender": request.sender or "",
        "recipient": recipient,
        "recipient_count": str(count),
        "queue_id": facts.queue_id if facts else "",
        "instance": facts.instance if facts else "",
        "size": str(facts.size if facts else 0),
        "etrn_domain": request.etrn_domain or "",
        "stress": "",
        "sasl_method": "",
        "sasl_username": "",
        "sasl_sender": "",
        "ccert_subject": "",
        "ccert_issuer": "",
        "ccert_fingerprint": "",
        "ccert_pubkey_fingerprint": "",
        "encryption_protocol": "",
        "encryption_cipher": "",
        "encryption_keysize": "0",
        "policy_context": policy_context,
    }


def policy_client(ctx: Context, server: str) -> PolicyClient:
    """The process's client for check_policy_service's argument server."""
    settings = ctx.settings
    client = settings.policy_clients.get(server)
    if client is None:
        endpoint = parse_endpoint(server, endpoint_defaults(settings.config))
        client = PolicyClient(endpoint, settings.config.get("queue_directory"))
        settings.policy_clients[server] = client
    return client


@restriction("check_policy_service", nargs=1)
async def check_policy_service(ctx: Context, request: Request, step: Step) -> Verdict:
    try:
        client = policy_client(ctx, step.args[0])
    except PolicyConfigError as exc:
        ctx.warn(str(exc))
        return Verdict(Result.DEFER, CONFIG_ERROR)
    endpoint = client.endpoint
    answer = await client.query(policy_attributes(request, endpoint.policy_context), ctx.warn)
    subject = (request.what, request.stage.reply_class)
    if answer is not None:
        return await access_verdict(ctx, request, answer["action"], subject,
                                    "check_policy_service")
    if _in_default_action.get():
        return await access_verdict(ctx, request, BUILTIN_DEFAULT_ACTION, subject,
                                    "check_policy_service")
    token = _in_default_action.set(True)
    try:
        return await access_verdict(ctx, request, endpoint.default_action, subject,
                                    "smtpd_policy_service_default_action")
    finally:
        _in_default_action.reset(token)
