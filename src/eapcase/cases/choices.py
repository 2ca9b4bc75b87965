"""Choice lists of cases; values are those of the history format (shared/spec)."""

from django.db import models


class Referral(models.TextChoices):
    SELF = "self", "self-referral"
    MANAGEMENT_REFERRAL = "management_referral", "management referral"
    CRITICAL_INCIDENT = "critical_incident", "critical incident"
    FREQUENT_USER = "frequent_user", "frequent user"


class CaseType(models.TextChoices):
    INDIVIDUAL = "individual", "individual"
    COUPLES = "couples", "couples"
    FAMILY = "family", "family"
    MINOR = "minor", "minor"
    TRANSITIONAL_SUPPORT = "transitional_support", "transitional support"
    ASSESSMENT_ONLY = "assessment_only", "assessment only"


class CaseStatus(models.TextChoices):
    OPEN = "open", "open"
    CLOSED = "closed", "closed"


class CaseOutcome(models.TextChoices):
    """How a case ended, asked when it closes. Not a history-format field: the history keeps the
    closing event's `reason`; the outcome is the application's own record of the closure."""

    RESOLVED = "resolved", "resolved"
    REFERRED_ON = "referred_on", "referred on"
    DECLINED = "declined", "declined further help"
    NOT_CONTACTED = "not_contacted", "could not be contacted"
    MOVED = "moved", "moved to another service"


class Modality(models.TextChoices):
    """How a session is held. Not a history-format field: the app keeps it on Session (ADR 0028)."""

    IN_PERSON = "in_person", "in person"
    VIDEO = "video", "video"
    PHONE = "phone", "phone"


class Attendance(models.TextChoices):
    """Whether a booked session took place. Only `attended` is a session held (`session_held`);
    a did-not-attend or a late cancellation is the app's own record (ADR 0028)."""

    ATTENDED = "attended", "held"
    DID_NOT_ATTEND = "did_not_attend", "did not attend"
    LATE_CANCELLATION = "late_cancellation", "cancelled late"


class RiskLevel(models.TextChoices):
    NONE = "none", "none identified"
    LOW = "low", "low"
    MEDIUM = "medium", "medium"
    HIGH = "high", "high"


# Risk cases first, the highest first (My work, WPO's escalations, the unallocated list).
RISK_ORDER = {"high": 0, "medium": 1, "low": 2, "none": 3}


def risk_rank(path: str = "risk_level") -> models.Case:
    """RISK_ORDER as an SQL expression on a risk column (e.g. "case__risk_level")."""
    return models.Case(
        *(
            models.When(**{path: level}, then=models.Value(rank))
            for level, rank in RISK_ORDER.items()
        ),
        default=models.Value(len(RISK_ORDER)),
        output_field=models.IntegerField(),
    )


class ReviewDecision(models.TextChoices):
    AUTHORISE_REMAINING = "authorise_remaining", "authorise sessions of the benefit"
    TRANSITION_SESSION = "transition_session", "one transition session"
    DENY = "deny", "deny further sessions, offer resources"


class AuthorisationOrigin(models.TextChoices):
    INITIAL = "initial", "initial"
    REVIEW = "review", "review"


class PreferenceSource(models.TextChoices):
    PARTICIPANT = "participant", "said by the participant"
    WPO_INTAKE = "wpo_intake", "WPO intake"
    PARTNER = "partner", "recorded by the Partner"
    IMPORT = "import", "imported history"


# The contact preferences and consents of the history format's participant object, and the
# Participant column that keeps each (the one place they are spelt).
PREFERENCE_COLUMNS = {
    "phone": "has_phone",
    "email": "has_email",
    "voicemail_ok": "voicemail_ok",
    "email_messages_ok": "email_messages_ok",
    "email_only": "email_only",
    "email_consent": "email_consent",
}
PREFERENCE_FIELDS = tuple(PREFERENCE_COLUMNS)


class ObligationStatus(models.TextChoices):
    OPEN = "open", "open"
    OVERDUE = "overdue", "overdue"
    MET = "met", "met"
    LATE = "late", "late"
    BREACHED = "breached", "breached"


class Severity(models.TextChoices):
    BREACH = "breach", "breach"
    WARNING = "warning", "warning"


class EscalationReason(models.TextChoices):
    DISSATISFACTION = "dissatisfaction", "participant dissatisfied"
    NO_CONTACT = "no_contact", "no contact within 24 hours of an email"
    COMPLAINT = "complaint", "complaint"
    RISK = "risk", "risk"
    OTHER = "other", "other"


UNSATISFIED = (ObligationStatus.OPEN, ObligationStatus.OVERDUE)
