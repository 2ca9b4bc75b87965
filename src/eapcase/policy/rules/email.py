"""Emails from WPO or the participant (policy, Policy section): CM-EMAIL-ACK,
CM-EMAIL-ACTION and CM-EMAIL-INFORM, all on clock hours (rules.md, "24 hours")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from eapcase.policy.events import (
    ContactAttempt,
    EmailAcknowledged,
    EmailActioned,
    EmailReceived,
    EscalatedToWpo,
    Event,
)
from eapcase.policy.state import CaseRun, Handler, InformWatch
from eapcase.policy.types import EventType, Outcome, Rule, Target

RULES: Final = (Rule.EMAIL_ACK, Rule.EMAIL_ACTION, Rule.EMAIL_INFORM)
# Enum members bound once: attribute access on an Enum class is slow on Python 3.11.
_EVENT_TYPE_CONTACT_ATTEMPT: Final = EventType.CONTACT_ATTEMPT
_EVENT_TYPE_ESCALATED_TO_WPO: Final = EventType.ESCALATED_TO_WPO
_OUTCOME_REACHED: Final = Outcome.REACHED
_RULE_EMAIL_ACK: Final = Rule.EMAIL_ACK
_RULE_EMAIL_ACTION: Final = Rule.EMAIL_ACTION
_RULE_EMAIL_INFORM: Final = Rule.EMAIL_INFORM
_TARGET_PARTICIPANT: Final = Target.PARTICIPANT


def on_received(run: CaseRun, event: Event[EmailReceived]) -> None:
    pack = run.packs.at(event.at)
    email = event.fields
    if email.sender not in pack.email.senders:
        return
    due, basis = run.clock_due(event.at, pack.email.ack)
    run.open(_RULE_EMAIL_ACK, event, due, pack, basis=basis)
    due, basis = run.clock_due(event.at, pack.email.action)
    run.open(_RULE_EMAIL_ACTION, event, due, pack, basis=basis)
    if not email.needs_contact:
        return
    watch = InformWatch(event, event.at + pack.email.inform_after, pack)
    # The window and the escalation both start at receipt: events of the same instant that
    # were applied just before the email count.
    for attempt in run.at_instant(_EVENT_TYPE_CONTACT_ATTEMPT, event.at):
        if _reaches_participant(attempt):
            watch.contacted = True
    for escalation in run.at_instant(_EVENT_TYPE_ESCALATED_TO_WPO, event.at):
        watch.escalation = escalation  # iterating backwards: the last one kept is the first
    run.inform.append(watch)
    run.schedule(watch.window_end, lambda run: _window_ended(run, watch))


def _reaches_participant(event: Event[ContactAttempt]) -> bool:
    attempt = event.fields
    return attempt.target is _TARGET_PARTICIPANT and attempt.outcome is _OUTCOME_REACHED


def _window_ended(run: CaseRun, watch: InformWatch) -> None:
    run.inform.remove(watch)
    if watch.contacted:
        return
    opened_at = watch.window_end
    due, basis = run.clock_due(opened_at, watch.pack.email.inform_due)
    obligation = run.open(
        _RULE_EMAIL_INFORM,
        watch.email,
        due,
        watch.pack,
        opened_at=opened_at,
        basis=basis,
        wait=watch.escalation is None,
    )
    if watch.escalation is not None:
        # An escalation before the obligation opened still satisfies it, and in time.
        obligation.satisfy(watch.escalation)


def on_attempt(run: CaseRun, event: Event[ContactAttempt]) -> None:
    if run.inform and _reaches_participant(event):
        for watch in run.inform:
            # Inclusive: contact exactly at the end of the window counts.
            if event.at <= watch.window_end:
                watch.contacted = True


def on_escalated(run: CaseRun, event: Event[EscalatedToWpo]) -> None:
    for watch in run.inform:
        if watch.escalation is None:
            watch.escalation = event
    run.satisfy_waiting(_RULE_EMAIL_INFORM, event)


def on_acknowledged(run: CaseRun, event: Event[EmailAcknowledged]) -> None:
    run.satisfy_named(_RULE_EMAIL_ACK, event.fields.email, event)


def on_actioned(run: CaseRun, event: Event[EmailActioned]) -> None:
    run.satisfy_named(_RULE_EMAIL_ACTION, event.fields.email, event)


HANDLERS: Final[Mapping[EventType, Handler]] = {
    EventType.EMAIL_RECEIVED: on_received,
    EventType.EMAIL_ACKNOWLEDGED: on_acknowledged,
    EventType.EMAIL_ACTIONED: on_actioned,
    EventType.CONTACT_ATTEMPT: on_attempt,
    EventType.ESCALATED_TO_WPO: on_escalated,
}
