"""Vocabulary of the policy engine: the enums of the history format and rule catalogue, and the
frozen values that describe a case and the engine's verdict on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Final

import msgspec

from eapcase.policy._build import fast_init

if TYPE_CHECKING:
    from eapcase.policy.calendar import BusinessCalendar

__all__ = [
    "CaseInfo",
    "CaseState",
    "CaseType",
    "Channel",
    "DueBasis",
    "EmailFrom",
    "EscalationReason",
    "Evaluation",
    "EventType",
    "Finding",
    "MessageLeft",
    "Obligation",
    "Outcome",
    "OutreachProgress",
    "ParticipantPrefs",
    "ParticipantUpdate",
    "ProviderTopic",
    "Purpose",
    "Referral",
    "ReviewDecision",
    "RiskLevel",
    "Rule",
    "Severity",
    "Status",
    "Target",
    "Verdict",
]


class Referral(StrEnum):
    SELF = "self"
    MANAGEMENT_REFERRAL = "management_referral"
    CRITICAL_INCIDENT = "critical_incident"
    FREQUENT_USER = "frequent_user"


class CaseType(StrEnum):
    INDIVIDUAL = "individual"
    COUPLES = "couples"
    FAMILY = "family"
    MINOR = "minor"
    TRANSITIONAL_SUPPORT = "transitional_support"
    ASSESSMENT_ONLY = "assessment_only"


class EventType(StrEnum):
    PARTICIPANT_UPDATED = "participant_updated"
    RISK_SET = "risk_set"
    CALLBACK_REQUESTED = "callback_requested"
    OUTREACH_REQUESTED = "outreach_requested"
    OUTREACH_CLOSED = "outreach_closed"
    CONTACT_ATTEMPT = "contact_attempt"
    EMAIL_RECEIVED = "email_received"
    EMAIL_ACKNOWLEDGED = "email_acknowledged"
    EMAIL_ACTIONED = "email_actioned"
    ESCALATED_TO_WPO = "escalated_to_wpo"
    DISSATISFACTION_NOTED = "dissatisfaction_noted"
    PARTICIPANT_QUERY = "participant_query"
    PARTICIPANT_QUERY_RESOLVED = "participant_query_resolved"
    PROVIDER_CONTACT = "provider_contact"
    PROVIDER_RESPONDED = "provider_responded"
    SESSION_HELD = "session_held"
    REVIEW_COMPLETED = "review_completed"
    INTERVENTION_ENDED = "intervention_ended"
    CASE_NOTES_UPLOADED = "case_notes_uploaded"
    CASE_NOTES_REVIEWED = "case_notes_reviewed"
    NOTE = "note"
    CASE_CLOSED = "case_closed"
    CASE_REOPENED = "case_reopened"


class Target(StrEnum):
    PARTICIPANT = "participant"
    PROVIDER = "provider"


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"


class Outcome(StrEnum):
    REACHED = "reached"
    NOT_REACHED = "not_reached"


class MessageLeft(StrEnum):
    DETAILED = "detailed"
    GENERIC = "generic"
    NONE = "none"


class Purpose(StrEnum):
    GENERAL = "general"
    COMPLAINT = "complaint"
    CHECKIN = "checkin"


class EmailFrom(StrEnum):
    WPO = "wpo"
    PARTICIPANT = "participant"


class RiskLevel(StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ReviewDecision(StrEnum):
    AUTHORISE_REMAINING = "authorise_remaining"
    TRANSITION_SESSION = "transition_session"
    DENY = "deny"


class ProviderTopic(StrEnum):
    QUERY = "query"
    RISK = "risk"
    GOAL_SLIP = "goal_slip"


class EscalationReason(StrEnum):
    DISSATISFACTION = "dissatisfaction"
    NO_CONTACT = "no_contact"
    COMPLAINT = "complaint"
    RISK = "risk"
    OTHER = "other"


class Rule(StrEnum):
    """Rule ids of the catalogue (rules.md, "Rules" and "Findings on single events")."""

    CALLBACK = "CM-CALLBACK"
    EMAIL_ACK = "CM-EMAIL-ACK"
    EMAIL_ACTION = "CM-EMAIL-ACTION"
    EMAIL_INFORM = "CM-EMAIL-INFORM"
    DISSATISFACTION = "CM-DISSATISFACTION"
    REVIEW = "CM-REVIEW"
    PROVIDER_RESPONSE = "CM-PROVIDER-RESPONSE"
    NOTES_UPLOAD = "CM-NOTES-UPLOAD"
    NOTES_REVIEW = "CM-NOTES-REVIEW"
    QUERY = "CM-QUERY"
    CHECKIN = "CM-CHECKIN"
    OUTREACH = "CM-OUTREACH"
    DOCUMENTATION = "CM-DOCUMENTATION"
    MESSAGE_CONSENT = "CM-MESSAGE-CONSENT"
    MESSAGE_DETAIL = "CM-MESSAGE-DETAIL"
    OUTREACH_PHONE = "CM-OUTREACH-PHONE"
    OUTREACH_EXCESS = "CM-OUTREACH-EXCESS"
    CHECKIN_SINGLE = "CM-CHECKIN-SINGLE"
    CHECKIN_CHANNEL = "CM-CHECKIN-CHANNEL"
    REVIEW_DECISION = "CM-REVIEW-DECISION"
    SESSION_UNAUTHORISED = "CM-SESSION-UNAUTHORISED"


class Status(StrEnum):
    """Status of an obligation (rules.md, "Status of an obligation")."""

    MET = "met"
    LATE = "late"
    OVERDUE = "overdue"
    OPEN = "open"
    BREACHED = "breached"


class Severity(StrEnum):
    BREACH = "breach"
    WARNING = "warning"


@fast_init
@dataclass(frozen=True, slots=True)
class ParticipantPrefs:
    """How the participant may be contacted (history-format.md, `participant`)."""

    phone: bool = True
    email: bool = True
    voicemail_ok: bool = True
    email_messages_ok: bool = True
    email_only: bool = False
    email_consent: bool = True


@dataclass(frozen=True, slots=True)
class ParticipantUpdate:
    """The preferences a `participant_updated` event changes; None leaves a field as it is."""

    phone: bool | None = None
    email: bool | None = None
    voicemail_ok: bool | None = None
    email_messages_ok: bool | None = None
    email_only: bool | None = None
    email_consent: bool | None = None

    def apply(self, prefs: ParticipantPrefs) -> ParticipantPrefs:
        return ParticipantPrefs(
            phone=prefs.phone if self.phone is None else self.phone,
            email=prefs.email if self.email is None else self.email,
            voicemail_ok=prefs.voicemail_ok if self.voicemail_ok is None else self.voicemail_ok,
            email_messages_ok=(
                prefs.email_messages_ok
                if self.email_messages_ok is None
                else self.email_messages_ok
            ),
            email_only=prefs.email_only if self.email_only is None else self.email_only,
            email_consent=(
                prefs.email_consent if self.email_consent is None else self.email_consent
            ),
        )


class CaseInfo(msgspec.Struct, frozen=True, gc=False):
    """A case as its `case` line opens it."""

    case: str
    opened_at: datetime
    partner: str
    referral: Referral
    case_type: CaseType
    benefit_sessions: int
    participant: ParticipantPrefs = ParticipantPrefs()
    line: int = 0


class DueBasis(msgspec.Struct, frozen=True, gc=False):
    """How a deadline was computed, kept so that it can be explained later: `business_days`
    on `calendar` after `start`, `clock_hours` after `start`, `given` by the event, or
    `none` (no deadline; the calendar still gives the local time zone)."""

    kind: str
    start: datetime
    amount: float
    calendar: BusinessCalendar | None = None


class Obligation(msgspec.Struct, frozen=True, gc=False):
    """One obligation of a rule, opened by a trigger event (rules.md, "Rules").

    `trigger`, `satisfied_by` and `breached_by` are event ids; `breached_on` is the type of
    the event that breached it. `revision` is the pack revision in force when the obligation
    opened; `basis` says how `due_at` was computed. The plain-language `reason` is built on
    demand (see eapcase.policy.explain) because most callers never read it.
    """

    rule: str
    trigger: str
    opened_at: datetime
    due_at: datetime | None
    satisfied_at: datetime | None
    status: Status
    satisfied_by: str | None
    target: str | None
    attempts_made: int | None
    attempts_required: int | None
    revision: int
    breached_by: str | None = None
    breached_at: datetime | None = None
    breached_on: EventType | None = None
    basis: DueBasis | None = None

    @property
    def reason(self) -> str:
        from eapcase.policy.explain import obligation_reason

        reason: str = obligation_reason(self)
        return reason


class Finding(msgspec.Struct, frozen=True, gc=False):
    """A single event that breaks a rule (`breach`) or deserves a second look (`warning`)."""

    rule: str
    event: str
    at: datetime
    severity: Severity
    detail: str


class OutreachProgress(msgspec.Struct, frozen=True, gc=False):
    """An outreach still open for counting attempts. `id` is its request's event id;
    `purpose` is `general`, `complaint`, `checkin`, or `callback` for the outreach a call
    back starts."""

    id: str
    purpose: str
    target: Target
    attempts_made: int
    attempts_required: int


class CaseState(msgspec.Struct, frozen=True, gc=False):
    """What the case looks like after the events up to `now`, for the application to show.

    `closed_at` is the closure in force: the latest `case_closed`, or None while the case is
    open (never closed, or reopened since). `reopened_at` is the latest `case_reopened`, kept
    after a later closure so that a report can say the case was closed again."""

    sessions_held: int
    sessions_authorised: int
    risk: RiskLevel
    participant: ParticipantPrefs
    open_outreach: tuple[OutreachProgress, ...]
    closed_at: datetime | None
    review_pending: bool
    reopened_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        """Whether the case is open now: never closed, or reopened after its last closure."""
        return self.closed_at is None


class Evaluation(msgspec.Struct, frozen=True, gc=False):
    """The engine's verdict on one case at `now`: obligations in the order they opened,
    findings in event order, the derived state, and the revision in force when the case
    opened (which decided its scope)."""

    case: str
    in_scope: bool
    obligations: tuple[Obligation, ...]
    findings: tuple[Finding, ...]
    state: CaseState
    revision: int
    # The earliest instant after `now` at which the verdict can change with no new event (an
    # open obligation falling due, a clock such as CM-EMAIL-INFORM's 24 hours running out):
    # the shell re-evaluates the case then. None when only a new event can change it.
    next_change_at: datetime | None = None
    # The emails whose contact window (rules.md, "24 hours") is still running with the
    # participant not reached and WPO not told: (email event id, end of the window). Unless
    # an event changes that, CM-EMAIL-INFORM opens for each at the end of its window; the
    # sweep raises the escalation then without judging the case first (ADR 0042).
    informs_pending: tuple[tuple[str, datetime], ...] = ()

    @property
    def failing(self) -> bool:
        """Whether anything is overdue, late or breached, or a finding is a breach."""
        return _failing(self.obligations, self.findings)


class Verdict(msgspec.Struct, frozen=True, gc=False):
    """What `eapcase check` prints of a case: the `case`, `in_scope`, `obligations` and
    `findings` of its Evaluation, the same values, without what only the application reads
    (`engine.verdict`)."""

    case: str
    in_scope: bool
    obligations: tuple[Obligation, ...]
    findings: tuple[Finding, ...]

    @property
    def failing(self) -> bool:
        """As `Evaluation.failing`."""
        return _failing(self.obligations, self.findings)


def _failing(obligations: tuple[Obligation, ...], findings: tuple[Finding, ...]) -> bool:
    # Sets of the members bound once (attribute access on an Enum class is slow on 3.11):
    # `eapcase check` asks this of every case.
    return not _FAILING_STATUSES.isdisjoint([ob.status for ob in obligations]) or (
        _BREACH in [fd.severity for fd in findings]
    )


_FAILING_STATUSES: Final = frozenset({Status.OVERDUE, Status.LATE, Status.BREACHED})
_BREACH: Final = Severity.BREACH
