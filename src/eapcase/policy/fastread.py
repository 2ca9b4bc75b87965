"""The history reader's fast path: event lines decoded and type-checked by msgspec straight into
typed structs, then turned into the engine's `Event`s (ADR 0006).

It is only ever stricter than the validator of events.py, never looser: a line it declines
(not an event line, a value of the wrong kind, a blank name, anything unusual) returns None and
goes through the ordinary path, which accepts it or words the error exactly as before. So the
events it builds are the ones the ordinary path would build, and every error message and line
number is the ordinary path's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, Final

import msgspec

from eapcase.policy.payloads import (
    CallbackRequested,
    CaseClosed,
    CaseNotesReviewed,
    CaseNotesUploaded,
    CaseReopened,
    ContactAttempt,
    DissatisfactionNoted,
    EmailAcknowledged,
    EmailActioned,
    EmailReceived,
    EscalatedToWpo,
    Event,
    InterventionEnded,
    Note,
    OutreachClosed,
    OutreachRequested,
    ParticipantQuery,
    ParticipantQueryResolved,
    Payload,
    ProviderContact,
    ProviderResponded,
    ReviewCompleted,
    RiskSet,
    SessionHeld,
)
from eapcase.policy.types import (
    CaseInfo,
    CaseType,
    Channel,
    EmailFrom,
    EscalationReason,
    EventType,
    MessageLeft,
    Outcome,
    ParticipantPrefs,
    ProviderTopic,
    Purpose,
    Referral,
    ReviewDecision,
    RiskLevel,
    Target,
)

__all__ = ["decode_case", "decode_event"]

_fromisoformat: Final = datetime.fromisoformat
_PARTICIPANT: Final = Target.PARTICIPANT
_NO_MESSAGE: Final = MessageLeft.NONE
_CHECKIN: Final = Purpose.CHECKIN
_QUERY_TOPIC: Final = ProviderTopic.QUERY


class _Line(msgspec.Struct, tag_field="type", forbid_unknown_fields=True, kw_only=True):
    """The keys every event line may carry."""

    case: str
    at: str
    id: str | None = None
    by: str | None = None


class _RiskSet(_Line, tag="risk_set"):
    level: RiskLevel


class _CallbackRequested(_Line, tag="callback_requested"):
    not_before: str | None = None


class _OutreachRequested(_Line, tag="outreach_requested"):
    purpose: Purpose
    target: Target | None = None
    due: str | None = None


class _OutreachClosed(_Line, tag="outreach_closed"):
    outreach: str
    reason: str | None = None


class _ContactAttempt(_Line, tag="contact_attempt"):
    channel: Channel
    outcome: Outcome
    target: Target | None = None
    message: MessageLeft | None = None
    summary: str | None = None


class _EmailReceived(_Line, tag="email_received"):
    sender: EmailFrom = msgspec.field(name="from")
    urgent: bool | None = None
    needs_contact: bool | None = None


class _EmailAcknowledged(_Line, tag="email_acknowledged"):
    email: str


class _EmailActioned(_Line, tag="email_actioned"):
    email: str


class _EscalatedToWpo(_Line, tag="escalated_to_wpo"):
    reason: EscalationReason


class _DissatisfactionNoted(_Line, tag="dissatisfaction_noted"):
    pass


class _ParticipantQuery(_Line, tag="participant_query"):
    pass


class _ParticipantQueryResolved(_Line, tag="participant_query_resolved"):
    query: str


class _ProviderContact(_Line, tag="provider_contact"):
    topic: ProviderTopic
    urgent: bool | None = None


class _ProviderResponded(_Line, tag="provider_responded"):
    contact: str


class _SessionHeld(_Line, tag="session_held"):
    pass


class _ReviewCompleted(_Line, tag="review_completed"):
    decision: ReviewDecision
    sessions: int | None = None
    resources: list[str] | None = None


class _InterventionEnded(_Line, tag="intervention_ended"):
    provider: str


class _CaseNotesUploaded(_Line, tag="case_notes_uploaded"):
    provider: str


class _CaseNotesReviewed(_Line, tag="case_notes_reviewed"):
    notes: str


class _Note(_Line, tag="note"):
    summary: str | None = None
    next_step: str | None = None


class _CaseClosed(_Line, tag="case_closed"):
    reason: str | None = None


class _CaseReopened(_Line, tag="case_reopened"):
    reason: str | None = None


# `participant_updated` is not here: its object of flags is rare and goes the ordinary way.
_Lines = (
    _RiskSet
    | _CallbackRequested
    | _OutreachRequested
    | _OutreachClosed
    | _ContactAttempt
    | _EmailReceived
    | _EmailAcknowledged
    | _EmailActioned
    | _EscalatedToWpo
    | _DissatisfactionNoted
    | _ParticipantQuery
    | _ParticipantQueryResolved
    | _ProviderContact
    | _ProviderResponded
    | _SessionHeld
    | _ReviewCompleted
    | _InterventionEnded
    | _CaseNotesUploaded
    | _CaseNotesReviewed
    | _Note
    | _CaseClosed
    | _CaseReopened
)
_decode: Final = msgspec.json.Decoder(_Lines).decode
_DECLINE: Final = (msgspec.DecodeError, msgspec.ValidationError)


def _instant(text: str | None) -> datetime | None:
    """An optional instant field; raises ValueError (the line is declined) unless it is an
    instant with an offset."""
    if text is None:
        return None
    parsed = _fromisoformat(text)
    if parsed.tzinfo is UTC:
        return parsed
    if parsed.utcoffset() is None:
        raise ValueError(text)
    return parsed.astimezone(UTC)


def _named(name: str) -> str:
    # A field naming an event or a provider must not be blank (events._required_text).
    if not name.strip():
        raise ValueError(name)
    return name


_DISSATISFACTION: Final = DissatisfactionNoted()
_QUERY: Final = ParticipantQuery()
_SESSION: Final = SessionHeld()


def _outreach_requested(line: Any) -> Payload:
    target = _PARTICIPANT if line.target is None else line.target
    if line.purpose is _CHECKIN and target is not _PARTICIPANT:
        raise ValueError("check-in")
    return OutreachRequested(line.purpose, target, _instant(line.due))


def _review_completed(line: Any) -> Payload:
    sessions = line.sessions
    if sessions is None:
        sessions = 0
    elif sessions < 0:
        raise ValueError(sessions)
    resources = line.resources
    return ReviewCompleted(line.decision, sessions, () if resources is None else tuple(resources))


def _provider_contact(line: Any) -> Payload:
    urgent = line.urgent
    if urgent is None:
        urgent = line.topic is not _QUERY_TOPIC
    return ProviderContact(line.topic, urgent)


_PAYLOADS: Final[dict[type[_Line], tuple[EventType, Callable[[Any], Payload]]]] = {
    _RiskSet: (EventType.RISK_SET, lambda x: RiskSet(x.level)),
    _CallbackRequested: (
        EventType.CALLBACK_REQUESTED,
        lambda x: CallbackRequested(_instant(x.not_before)),
    ),
    _OutreachRequested: (EventType.OUTREACH_REQUESTED, _outreach_requested),
    _OutreachClosed: (
        EventType.OUTREACH_CLOSED,
        lambda x: OutreachClosed(_named(x.outreach), x.reason),
    ),
    _ContactAttempt: (
        EventType.CONTACT_ATTEMPT,
        lambda x: ContactAttempt(
            x.channel,
            x.outcome,
            _PARTICIPANT if x.target is None else x.target,
            _NO_MESSAGE if x.message is None else x.message,
            x.summary,
        ),
    ),
    _EmailReceived: (
        EventType.EMAIL_RECEIVED,
        lambda x: EmailReceived(
            x.sender,
            False if x.urgent is None else x.urgent,
            True if x.needs_contact is None else x.needs_contact,
        ),
    ),
    _EmailAcknowledged: (
        EventType.EMAIL_ACKNOWLEDGED,
        lambda x: EmailAcknowledged(_named(x.email)),
    ),
    _EmailActioned: (EventType.EMAIL_ACTIONED, lambda x: EmailActioned(_named(x.email))),
    _EscalatedToWpo: (EventType.ESCALATED_TO_WPO, lambda x: EscalatedToWpo(x.reason)),
    _DissatisfactionNoted: (EventType.DISSATISFACTION_NOTED, lambda x: _DISSATISFACTION),
    _ParticipantQuery: (EventType.PARTICIPANT_QUERY, lambda x: _QUERY),
    _ParticipantQueryResolved: (
        EventType.PARTICIPANT_QUERY_RESOLVED,
        lambda x: ParticipantQueryResolved(_named(x.query)),
    ),
    _ProviderContact: (EventType.PROVIDER_CONTACT, _provider_contact),
    _ProviderResponded: (
        EventType.PROVIDER_RESPONDED,
        lambda x: ProviderResponded(_named(x.contact)),
    ),
    _SessionHeld: (EventType.SESSION_HELD, lambda x: _SESSION),
    _ReviewCompleted: (EventType.REVIEW_COMPLETED, _review_completed),
    _InterventionEnded: (
        EventType.INTERVENTION_ENDED,
        lambda x: InterventionEnded(_named(x.provider)),
    ),
    _CaseNotesUploaded: (
        EventType.CASE_NOTES_UPLOADED,
        lambda x: CaseNotesUploaded(_named(x.provider)),
    ),
    _CaseNotesReviewed: (
        EventType.CASE_NOTES_REVIEWED,
        lambda x: CaseNotesReviewed(_named(x.notes)),
    ),
    _Note: (EventType.NOTE, lambda x: Note(x.summary, x.next_step)),
    _CaseClosed: (EventType.CASE_CLOSED, lambda x: CaseClosed(x.reason)),
    _CaseReopened: (EventType.CASE_REOPENED, lambda x: CaseReopened(x.reason)),
}


def decode_event(text: str | bytes, number: int) -> Event[Payload] | None:
    """The event on line `number`, or None when the fast path declines the line (a partner
    or case line, `participant_updated`, anything invalid or unusual): the caller then reads
    it the ordinary way. `text` may be the line's bytes when they are ASCII (and so their own
    UTF-8 text)."""
    try:
        line = _decode(text)
    except _DECLINE:
        return None
    case = line.case
    event_id = line.id
    if not case or event_id == "":
        return None
    try:
        kind, build = _PAYLOADS[type(line)]
        payload = build(line)
        at = _fromisoformat(line.at)
        if at.tzinfo is not UTC:
            if at.utcoffset() is None:
                return None
            at = at.astimezone(UTC)
    except (ValueError, TypeError):
        return None
    return Event(
        case, f"L{number}" if event_id is None else event_id, kind, at, line.by, number, payload
    )


class _CaseLine(msgspec.Struct, tag_field="type", tag="case", forbid_unknown_fields=True):
    """A case line (history-format.md); the first pass reads one per case."""

    case: str
    at: str
    partner: str
    referral: Referral
    case_type: CaseType
    benefit_sessions: int
    participant: dict[str, bool] | None = None


_decode_case: Final = msgspec.json.Decoder(_CaseLine).decode
_PREF_NAMES: Final = frozenset(spec.name for spec in fields(ParticipantPrefs))
_DEFAULT_PREFS: Final = ParticipantPrefs()


def decode_case(text: str | bytes, number: int) -> CaseInfo | None:
    """The case a case line on line `number` opens, as `history.parse_case_line` reads it, or
    None when the fast path declines the line (anything invalid or unusual; the caller then
    reads it the ordinary way, which words the error). Its partner is not looked up here."""
    try:
        line = _decode_case(text)
    except _DECLINE:
        return None
    if not line.case.strip() or not line.partner.strip() or line.benefit_sessions < 0:
        return None
    try:
        opened_at = _instant(line.at)
    except (ValueError, TypeError):
        return None
    participant = line.participant
    if participant is None:
        prefs = _DEFAULT_PREFS
    elif participant.keys() <= _PREF_NAMES:
        prefs = ParticipantPrefs(**participant)
    else:
        return None
    assert opened_at is not None  # a str always gives an instant or raises
    return CaseInfo(
        line.case,
        opened_at,
        line.partner,
        line.referral,
        line.case_type,
        line.benefit_sessions,
        prefs,
        number,
    )
