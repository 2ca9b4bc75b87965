"""Case events as values: `Event` and one frozen payload type per event type of
history-format.md. Their validation is in events.py, which also re-exports them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Generic, TypeVar

from eapcase.policy._build import fast_init
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


@dataclass(frozen=True, slots=True)
class Payload:
    """Base of the per-type payloads; carries no fields itself."""


@fast_init
@dataclass(frozen=True, slots=True)
class ParticipantUpdated(Payload):
    participant: ParticipantUpdate


@fast_init
@dataclass(frozen=True, slots=True)
class RiskSet(Payload):
    level: RiskLevel


@fast_init
@dataclass(frozen=True, slots=True)
class CallbackRequested(Payload):
    not_before: datetime | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class OutreachRequested(Payload):
    purpose: Purpose
    target: Target = Target.PARTICIPANT
    due: datetime | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class OutreachClosed(Payload):
    outreach: str
    reason: str | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class ContactAttempt(Payload):
    channel: Channel
    outcome: Outcome
    target: Target = Target.PARTICIPANT
    message: MessageLeft = MessageLeft.NONE
    summary: str | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class EmailReceived(Payload):
    sender: EmailFrom
    urgent: bool = False
    needs_contact: bool = True


@fast_init
@dataclass(frozen=True, slots=True)
class EmailAcknowledged(Payload):
    email: str


@fast_init
@dataclass(frozen=True, slots=True)
class EmailActioned(Payload):
    email: str


@fast_init
@dataclass(frozen=True, slots=True)
class EscalatedToWpo(Payload):
    reason: EscalationReason


@fast_init
@dataclass(frozen=True, slots=True)
class DissatisfactionNoted(Payload):
    pass


@fast_init
@dataclass(frozen=True, slots=True)
class ParticipantQuery(Payload):
    pass


@fast_init
@dataclass(frozen=True, slots=True)
class ParticipantQueryResolved(Payload):
    query: str


@fast_init
@dataclass(frozen=True, slots=True)
class ProviderContact(Payload):
    topic: ProviderTopic
    urgent: bool = False


@fast_init
@dataclass(frozen=True, slots=True)
class ProviderResponded(Payload):
    contact: str


@fast_init
@dataclass(frozen=True, slots=True)
class SessionHeld(Payload):
    pass


@fast_init
@dataclass(frozen=True, slots=True)
class ReviewCompleted(Payload):
    decision: ReviewDecision
    sessions: int = 0
    resources: tuple[str, ...] = ()


@fast_init
@dataclass(frozen=True, slots=True)
class InterventionEnded(Payload):
    provider: str


@fast_init
@dataclass(frozen=True, slots=True)
class CaseNotesUploaded(Payload):
    provider: str


@fast_init
@dataclass(frozen=True, slots=True)
class CaseNotesReviewed(Payload):
    notes: str


@fast_init
@dataclass(frozen=True, slots=True)
class Note(Payload):
    summary: str | None = None
    next_step: str | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class CaseClosed(Payload):
    reason: str | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class CaseReopened(Payload):
    reason: str | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class Event(Generic[P]):
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
