"""Messages and documentation (policy, Policy section and Clinical Practice): the findings
CM-MESSAGE-CONSENT (a message of any kind on a channel the target refused messages on),
CM-MESSAGE-DETAIL and CM-DOCUMENTATION, judged on single events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from eapcase.policy.consent import messages_allowed
from eapcase.policy.events import ContactAttempt, Event, Note
from eapcase.policy.state import CaseRun, Handler
from eapcase.policy.types import Channel, EventType, MessageLeft, Outcome, Rule, Severity

RULES: Final = (Rule.MESSAGE_CONSENT, Rule.MESSAGE_DETAIL, Rule.DOCUMENTATION)
# Enum members bound once: attribute access on an Enum class is slow on Python 3.11. For the
# same reason the details format a member itself, not its `.value` (a Python property on
# 3.11): a StrEnum member formats as its value.
_CHANNEL_PHONE: Final = Channel.PHONE
_MESSAGE_LEFT_DETAILED: Final = MessageLeft.DETAILED
_OUTCOME_NOT_REACHED: Final = Outcome.NOT_REACHED
_RULE_DOCUMENTATION: Final = Rule.DOCUMENTATION
_RULE_MESSAGE_CONSENT: Final = Rule.MESSAGE_CONSENT
_RULE_MESSAGE_DETAIL: Final = Rule.MESSAGE_DETAIL
_SEVERITY_BREACH: Final = Severity.BREACH
_SEVERITY_WARNING: Final = Severity.WARNING


def on_attempt(run: CaseRun, event: Event[ContactAttempt]) -> None:
    attempt = event.fields
    message = attempt.message
    # The same answer the application's forms offer (consent.messages_allowed).
    allowed = messages_allowed(run.prefs, attempt.target, attempt.channel)
    if message not in allowed:
        what = "voicemail" if attempt.channel is _CHANNEL_PHONE else "email message"
        run.find(
            _RULE_MESSAGE_CONSENT,
            event,
            _SEVERITY_BREACH,
            f"{message} {what} left although the {attempt.target} does not accept "
            f"{attempt.channel} messages",
        )
    elif (
        message is not _MESSAGE_LEFT_DETAILED
        and attempt.outcome is _OUTCOME_NOT_REACHED
        and _MESSAGE_LEFT_DETAILED in allowed
    ):
        run.find(
            _RULE_MESSAGE_DETAIL,
            event,
            _SEVERITY_WARNING,
            f"no detailed message left by {attempt.channel} although the "
            f"{attempt.target} accepts them",
        )
    _documented(run, event, attempt.summary)


def on_note(run: CaseRun, event: Event[Note]) -> None:
    _documented(run, event, event.fields.summary)


def _documented(
    run: CaseRun, event: Event[ContactAttempt] | Event[Note], summary: str | None
) -> None:
    if summary is None or not summary.strip():
        run.find(
            _RULE_DOCUMENTATION,
            event,
            _SEVERITY_BREACH,
            f"{event.type} without a summary of what was done or agreed",
        )


HANDLERS: Final[Mapping[EventType, Handler]] = {
    EventType.CONTACT_ATTEMPT: on_attempt,
    EventType.NOTE: on_note,
}
