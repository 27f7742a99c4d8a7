"""NAME
    pyfix.smtp.outcome - how an SMTP command handler finishes

SUMMARY
    Done, Ask, Running, Outcome

DESCRIPTION
    A command handler (cmd_session.py, cmd_mail.py) returns one of:

    Done(ok, event)
        the command is over; ok says whether it counts as a success
        (Postfix's command statistics and error counter); event is what
        next_event() reports (None: nothing more to report).
    Ask(request, resume)
        the command needs a verdict on request first; resume(verdict)
        returns the next Outcome.
    Running(event)
        the command goes on in another input state (DATA content, a BDAT
        chunk); the state machine finishes it later.

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyfix.smtp.events import Event, Request, Verdict


@dataclass(frozen=True, slots=True)
class Done:
    ok: bool
    event: Event | None


@dataclass(frozen=True, slots=True)
class Ask:
    request: Request
    resume: Callable[[Verdict], Outcome]


@dataclass(frozen=True, slots=True)
class Running:
    event: Event


Outcome = Done | Ask | Running
