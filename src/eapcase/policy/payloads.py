"""Case events as values: `Event` and one frozen payload type per event type of
history-format.md. Their validation is in events.py, which also re-exports them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final, Generic, TypeVar

import msgspec

from eapcase.policy.types import (
    Channel,
    EmailFrom,
    EscalationReason,
    EventType,
    MessageLeft,
    Outcome,
    ParticipantUpdate,
    ProviderTopic,
    Purpose,
    ReviewDecision,
    RiskLevel,
    Target,
)

__all__ = [
    "COMMON_KEYS",
    "REFERENCE_FIELDS",
    "CallbackRequested",
    "CaseClosed",
    "CaseNotesReviewed",
    "CaseNotesUploaded",
    "CaseReopened",
    "ContactAttempt",
    "DissatisfactionNoted",
    "EmailAcknowledged",
    "EmailActioned",
    "EmailReceived",
    "EscalatedToWpo",
    "Event",
    "FieldError",
    "InterventionEnded",
    "Note",
    "OutreachClosed",
    "OutreachRequested",
    "ParticipantQuery",
    "ParticipantQueryResolved",
    "ParticipantUpdated",
    "Payload",
    "ProviderContact",
    "ProviderResponded",
    "ReviewCompleted",
    "RiskSet",
    "SessionHeld",
]

P = TypeVar("P", bound="Payload", covariant=True)

#: Keys every event line may carry besides its type-specific fields.
COMMON_KEYS: Final = frozenset({"type", "case", "at", "id", "by"})


class FieldError(ValueError):
    """One invalid field of an event (or case line); `field` is its name in the history."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


# --- payloads ---------------------------------------------------------------------------------


class Payload(msgspec.Struct, frozen=True, gc=False):
    """Base of the per-type payloads; carries no fields itself."""


class ParticipantUpdated(Payload, frozen=True, gc=False):
    participant: ParticipantUpdate


class RiskSet(Payload, frozen=True, gc=False):
    level: RiskLevel


class CallbackRequested(Payload, frozen=True, gc=False):
    not_before: datetime | None = None


class OutreachRequested(Payload, frozen=True, gc=False):
    purpose: Purpose
    target: Target = Target.PARTICIPANT
    due: datetime | None = None


class OutreachClosed(Payload, frozen=True, gc=False):
    outreach: str
    reason: str | None = None


class ContactAttempt(Payload, frozen=True, gc=False):
    channel: Channel
    outcome: Outcome
    target: Target = Target.PARTICIPANT
    message: MessageLeft = MessageLeft.NONE
    summary: str | None = None


class EmailReceived(Payload, frozen=True, gc=False):
    sender: EmailFrom
    urgent: bool = False
    needs_contact: bool = True


class EmailAcknowledged(Payload, frozen=True, gc=False):
    email: str


class EmailActioned(Payload, frozen=True, gc=False):
    email: str


class EscalatedToWpo(Payload, frozen=True, gc=False):
    reason: EscalationReason


class DissatisfactionNoted(Payload, frozen=True, gc=False):
    pass


class ParticipantQuery(Payload, frozen=True, gc=False):
    pass


class ParticipantQueryResolved(Payload, frozen=True, gc=False):
    query: str


class ProviderContact(Payload, frozen=True, gc=False):
    topic: ProviderTopic
    urgent: bool = False


class ProviderResponded(Payload, frozen=True, gc=False):
    contact: str


class SessionHeld(Payload, frozen=True, gc=False):
    pass


class ReviewCompleted(Payload, frozen=True, gc=False):
    decision: ReviewDecision
    sessions: int = 0
    resources: tuple[str, ...] = ()


class InterventionEnded(Payload, frozen=True, gc=False):
    provider: str


class CaseNotesUploaded(Payload, frozen=True, gc=False):
    provider: str


class CaseNotesReviewed(Payload, frozen=True, gc=False):
    notes: str


class Note(Payload, frozen=True, gc=False):
    summary: str | None = None
    next_step: str | None = None


class CaseClosed(Payload, frozen=True, gc=False):
    reason: str | None = None


class CaseReopened(Payload, frozen=True, gc=False):
    reason: str | None = None


class Event(msgspec.Struct, Generic[P], frozen=True, gc=False):
    """One event of a case. `line` is the line of the history file, or for events built by
    the application its sequence number: it orders events that share an instant."""

    case: str
    id: str
    type: EventType
    at: datetime
    by: str | None
    line: int
    fields: P


#: Fields that name an earlier event of the case, with the event types they may name.
REFERENCE_FIELDS: Final[Mapping[EventType, tuple[str, frozenset[EventType]]]] = {
    EventType.OUTREACH_CLOSED: (
        "outreach",
        frozenset({EventType.OUTREACH_REQUESTED, EventType.CALLBACK_REQUESTED}),
    ),
    EventType.EMAIL_ACKNOWLEDGED: ("email", frozenset({EventType.EMAIL_RECEIVED})),
    EventType.EMAIL_ACTIONED: ("email", frozenset({EventType.EMAIL_RECEIVED})),
    EventType.PARTICIPANT_QUERY_RESOLVED: ("query", frozenset({EventType.PARTICIPANT_QUERY})),
    EventType.PROVIDER_RESPONDED: ("contact", frozenset({EventType.PROVIDER_CONTACT})),
    EventType.CASE_NOTES_REVIEWED: ("notes", frozenset({EventType.CASE_NOTES_UPLOADED})),
}
