"""Case events: the one validator of their fields, shared by the history reader and the
application so that both accept exactly the same events, with the event types themselves
(defined in payloads.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, TypeVar

from eapcase.policy.payloads import (
    COMMON_KEYS,
    REFERENCE_FIELDS,
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
    FieldError,
    InterventionEnded,
    Note,
    OutreachClosed,
    OutreachRequested,
    ParticipantQuery,
    ParticipantQueryResolved,
    ParticipantUpdated,
    Payload,
    ProviderContact,
    ProviderResponded,
    ReviewCompleted,
    RiskSet,
    SessionHeld,
)
from eapcase.policy.types import (
    Channel,
    EmailFrom,
    EscalationReason,
    EventType,
    MessageLeft,
    Outcome,
    ParticipantPrefs,
    ParticipantUpdate,
    ProviderTopic,
    Purpose,
    ReviewDecision,
    RiskLevel,
    Target,
)

__all__ = [
    "COMMON_KEYS",
    "EVENT_TYPES",
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
    "make_event",
    "parse_event_fields",
    "parse_event_type",
    "parse_instant",
    "parse_participant",
    "parse_participant_update",
    "parse_payload",
    "payload_fields",
]

E = TypeVar("E", bound=StrEnum)


# --- scalar parsers ----------------------------------------------------------------------------


def _members(enum: type[E]) -> dict[str, E]:
    return {member.value: member for member in enum}


#: Event types by their name in the history.
EVENT_TYPES: Final = _members(EventType)
_TARGETS: Final = _members(Target)
_CHANNELS: Final = _members(Channel)
_OUTCOMES: Final = _members(Outcome)
_MESSAGES: Final = _members(MessageLeft)
_PURPOSES: Final = _members(Purpose)
_SENDERS: Final = _members(EmailFrom)
_RISK_LEVELS: Final = _members(RiskLevel)
_DECISIONS: Final = _members(ReviewDecision)
_TOPICS: Final = _members(ProviderTopic)
_ESCALATION_REASONS: Final = _members(EscalationReason)
_MISSING: Final = object()
# Enum members read once: attribute access on an Enum class is slow on Python 3.11.
_PARTICIPANT: Final = Target.PARTICIPANT
_NO_MESSAGE: Final = MessageLeft.NONE
_CHECKIN: Final = Purpose.CHECKIN
_QUERY_TOPIC: Final = ProviderTopic.QUERY


def parse_event_type(value: object) -> EventType:
    """The event type named by `value`; FieldError("type", ...) when it is not one."""
    found = EVENT_TYPES.get(value) if isinstance(value, str) else None
    if found is None:
        raise FieldError("type", "missing" if value is None else f"unknown event type {value!r}")
    return found


def parse_instant(text: object) -> datetime:
    """An ISO 8601 instant with an explicit offset, as an aware datetime in UTC.

    Raises ValueError (naming the problem) for anything else, naive instants included."""
    if isinstance(text, datetime):
        parsed = text
    elif isinstance(text, str):
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text!r} is not an ISO 8601 instant") from None
    else:
        raise ValueError(f"expected an ISO 8601 instant with an offset, not {text!r}")
    tz = parsed.tzinfo
    if tz is UTC:
        return parsed
    if tz is None or tz.utcoffset(parsed) is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return parsed.astimezone(UTC)


def _enum(fields: Mapping[str, object], name: str, members: dict[str, E], default: E | None) -> E:
    try:
        return members[fields[name]]  # type: ignore[index]
    except (KeyError, TypeError):
        return _enum_or_default(fields, name, members, default)


def _enum_or_default(
    fields: Mapping[str, object], name: str, members: dict[str, E], default: E | None
) -> E:
    value = fields.get(name, _MISSING)
    if value is _MISSING or value is None:
        if default is None:
            raise FieldError(name, "missing")
        return default
    found = members.get(value) if isinstance(value, str) else None
    if found is None:
        raise FieldError(name, f"must be one of {', '.join(members)}, not {value!r}")
    return found


def _bool(fields: Mapping[str, object], name: str, default: bool) -> bool:
    value = fields.get(name, _MISSING)
    if value is _MISSING or value is None:
        return default
    if value is True or value is False:
        return value
    raise FieldError(name, f"must be true or false, not {value!r}")


def _text(fields: Mapping[str, object], name: str) -> str | None:
    value = fields.get(name)
    if value is None or isinstance(value, str):
        return value
    raise FieldError(name, f"must be a string, not {value!r}")


def _required_text(fields: Mapping[str, object], name: str) -> str:
    value = fields.get(name)
    if value is None:
        raise FieldError(name, "missing")
    if not isinstance(value, str):
        raise FieldError(name, f"must be a string, not {value!r}")
    if not value.strip():
        raise FieldError(name, "must not be blank")
    return value


def _instant(fields: Mapping[str, object], name: str) -> datetime | None:
    value = fields.get(name)
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise FieldError(name, str(exc)) from None


def _count(fields: Mapping[str, object], name: str, default: int | None) -> int:
    value = fields.get(name)
    if value is None:
        if default is None:
            raise FieldError(name, "missing")
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FieldError(name, f"must be a whole number, 0 or more, not {value!r}")
    return value


_PREF_NAMES: Final = tuple(f.name for f in fields(ParticipantPrefs))


def _participant_values(value: object, field: str) -> dict[str, bool]:
    if not isinstance(value, Mapping):
        raise FieldError(field, f"must be an object, not {value!r}")
    found: dict[str, bool] = {}
    for key, flag in value.items():
        if key not in _PREF_NAMES:
            raise FieldError(f"{field}.{key}", "unknown participant field")
        if flag is not True and flag is not False:
            raise FieldError(f"{field}.{key}", f"must be true or false, not {flag!r}")
        found[key] = flag
    return found


def parse_participant(value: object, field: str = "participant") -> ParticipantPrefs:
    """A case line's `participant` object; absent fields take their defaults (all true,
    `email_only` false). None gives the defaults."""
    if value is None:
        return ParticipantPrefs()
    return ParticipantPrefs(**_participant_values(value, field))


def parse_participant_update(value: object, field: str = "participant") -> ParticipantUpdate:
    """A `participant_updated` event's `participant` object: only the fields that change."""
    if value is None:
        raise FieldError(field, "missing")
    return ParticipantUpdate(**_participant_values(value, field))


# --- payload parsers ---------------------------------------------------------------------------

_Fields = Mapping[str, object]
_NO_FIELDS: Final = frozenset[str]()
_DISSATISFACTION: Final = DissatisfactionNoted()
_QUERY: Final = ParticipantQuery()
_SESSION: Final = SessionHeld()


def _outreach_requested(f: _Fields) -> OutreachRequested:
    purpose = _enum(f, "purpose", _PURPOSES, None)
    target = _enum(f, "target", _TARGETS, _PARTICIPANT)
    if purpose is _CHECKIN and target is not _PARTICIPANT:
        raise FieldError("target", "a check-in is made to the participant")
    return OutreachRequested(purpose, target, _instant(f, "due"))


def _contact_attempt(f: _Fields) -> ContactAttempt:
    return ContactAttempt(
        _enum(f, "channel", _CHANNELS, None),
        _enum(f, "outcome", _OUTCOMES, None),
        _enum(f, "target", _TARGETS, _PARTICIPANT),
        _enum(f, "message", _MESSAGES, _NO_MESSAGE),
        _text(f, "summary"),
    )


def _provider_contact(f: _Fields) -> ProviderContact:
    topic = _enum(f, "topic", _TOPICS, None)
    # Risk and goal-slip reports are urgent unless the line says otherwise (rules.md,
    # CM-PROVIDER-RESPONSE notes).
    return ProviderContact(topic, _bool(f, "urgent", topic is not _QUERY_TOPIC))


def _review_completed(f: _Fields) -> ReviewCompleted:
    resources = f.get("resources")
    if resources is None:
        resources = ()
    elif not isinstance(resources, list | tuple) or not all(
        isinstance(item, str) for item in resources
    ):
        raise FieldError("resources", f"must be a list of strings, not {resources!r}")
    return ReviewCompleted(
        _enum(f, "decision", _DECISIONS, None), _count(f, "sessions", 0), tuple(resources)
    )


_Parser = Any  # Callable[[_Fields], Payload]; Any keeps the table below readable for mypy
_PARSERS: Final[dict[EventType, tuple[frozenset[str], _Parser]]] = {
    EventType.PARTICIPANT_UPDATED: (
        frozenset({"participant"}),
        lambda f: ParticipantUpdated(parse_participant_update(f.get("participant"))),
    ),
    EventType.RISK_SET: (
        frozenset({"level"}),
        lambda f: RiskSet(_enum(f, "level", _RISK_LEVELS, None)),
    ),
    EventType.CALLBACK_REQUESTED: (
        frozenset({"not_before"}),
        lambda f: CallbackRequested(_instant(f, "not_before")),
    ),
    EventType.OUTREACH_REQUESTED: (frozenset({"purpose", "target", "due"}), _outreach_requested),
    EventType.OUTREACH_CLOSED: (
        frozenset({"outreach", "reason"}),
        lambda f: OutreachClosed(_required_text(f, "outreach"), _text(f, "reason")),
    ),
    EventType.CONTACT_ATTEMPT: (
        frozenset({"target", "channel", "outcome", "message", "summary"}),
        _contact_attempt,
    ),
    EventType.EMAIL_RECEIVED: (
        frozenset({"from", "urgent", "needs_contact"}),
        lambda f: EmailReceived(
            _enum(f, "from", _SENDERS, None),
            _bool(f, "urgent", False),
            _bool(f, "needs_contact", True),
        ),
    ),
    EventType.EMAIL_ACKNOWLEDGED: (
        frozenset({"email"}),
        lambda f: EmailAcknowledged(_required_text(f, "email")),
    ),
    EventType.EMAIL_ACTIONED: (
        frozenset({"email"}),
        lambda f: EmailActioned(_required_text(f, "email")),
    ),
    EventType.ESCALATED_TO_WPO: (
        frozenset({"reason"}),
        lambda f: EscalatedToWpo(_enum(f, "reason", _ESCALATION_REASONS, None)),
    ),
    EventType.DISSATISFACTION_NOTED: (_NO_FIELDS, lambda f: _DISSATISFACTION),
    EventType.PARTICIPANT_QUERY: (_NO_FIELDS, lambda f: _QUERY),
    EventType.PARTICIPANT_QUERY_RESOLVED: (
        frozenset({"query"}),
        lambda f: ParticipantQueryResolved(_required_text(f, "query")),
    ),
    EventType.PROVIDER_CONTACT: (frozenset({"topic", "urgent"}), _provider_contact),
    EventType.PROVIDER_RESPONDED: (
        frozenset({"contact"}),
        lambda f: ProviderResponded(_required_text(f, "contact")),
    ),
    EventType.SESSION_HELD: (_NO_FIELDS, lambda f: _SESSION),
    EventType.REVIEW_COMPLETED: (
        frozenset({"decision", "sessions", "resources"}),
        _review_completed,
    ),
    EventType.INTERVENTION_ENDED: (
        frozenset({"provider"}),
        lambda f: InterventionEnded(_required_text(f, "provider")),
    ),
    EventType.CASE_NOTES_UPLOADED: (
        frozenset({"provider"}),
        lambda f: CaseNotesUploaded(_required_text(f, "provider")),
    ),
    EventType.CASE_NOTES_REVIEWED: (
        frozenset({"notes"}),
        lambda f: CaseNotesReviewed(_required_text(f, "notes")),
    ),
    EventType.NOTE: (
        frozenset({"summary", "next_step"}),
        lambda f: Note(_text(f, "summary"), _text(f, "next_step")),
    ),
    EventType.CASE_CLOSED: (frozenset({"reason"}), lambda f: CaseClosed(_text(f, "reason"))),
    EventType.CASE_REOPENED: (
        frozenset({"reason"}),
        lambda f: CaseReopened(_text(f, "reason")),
    ),
}
# A line may carry the common keys next to the type's own fields.
_TABLE: Final = {kind: (names | COMMON_KEYS, parse) for kind, (names, parse) in _PARSERS.items()}


def parse_payload(event_type: EventType, fields: Mapping[str, object]) -> Payload:
    """Validate the type-specific fields of one event and build its typed payload.

    `fields` may also hold the common keys (`type`, `case`, `at`, `id`, `by`), which are not
    checked here. Raises FieldError naming the first bad field; unknown fields are errors."""
    allowed, parse = _TABLE[event_type]
    if not fields.keys() <= allowed:
        unknown = sorted(set(fields) - allowed)[0]
        raise FieldError(unknown, f"unknown field for {event_type.value}")
    payload: Payload = parse(fields)
    return payload


#: Payload attribute names that differ from the history's field names.
_FIELD_NAMES: Final = {"sender": "from"}


def payload_fields(payload: Payload) -> dict[str, object]:
    """The history-format fields of a payload, defaults included (enums are `str`s;
    instants stay datetimes; a participant update lists only the fields it changes)."""
    found: dict[str, object] = {}
    # The class's own tuple of field names: `msgspec.structs.fields` resolves the class's
    # annotations at every call (about 0.2 ms, once for every event an import writes).
    for name in type(payload).__struct_fields__:
        value = getattr(payload, name)
        if isinstance(value, ParticipantUpdate):
            value = {k: getattr(value, k) for k in _PREF_NAMES if getattr(value, k) is not None}
        elif isinstance(value, tuple):
            value = list(value)
        found[_FIELD_NAMES.get(name, name)] = value
    return found


def parse_event_fields(event_type: str, fields: Mapping[str, object]) -> dict[str, object]:
    """Validate and normalise the type-specific fields of one event (defaults applied, enums
    checked, instants parsed to UTC). Raises FieldError. The history reader goes through the
    same code, so the application and `eapcase check` accept exactly the same events."""
    return payload_fields(parse_payload(parse_event_type(event_type), fields))


def make_event(
    case: str,
    id: str | None,
    type: str,
    at: datetime | str,
    by: str | None,
    fields: Mapping[str, object],
    seq: int,
) -> Event[Payload]:
    """Build an Event from stored values (for example a database row), validating them as
    the history reader does. `seq` orders events of the same instant (the file's line
    number; for the application, the row's sequence). Without an id the event is named
    `L<seq>`, as the reader names a line without one. Raises FieldError."""
    kind = parse_event_type(type)
    if not isinstance(case, str) or not case:
        raise FieldError("case", f"must be a non-empty string, not {case!r}")
    try:
        instant = parse_instant(at)
    except ValueError as exc:
        raise FieldError("at", str(exc)) from None
    if id is None:
        id = f"L{seq}"
    elif not isinstance(id, str) or not id:
        raise FieldError("id", f"must be a non-empty string, not {id!r}")
    if by is not None and not isinstance(by, str):
        raise FieldError("by", f"must be a string, not {by!r}")
    return Event(case, id, kind, instant, by, seq, parse_payload(kind, fields))
