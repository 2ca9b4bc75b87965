"""Serializers of the API: read-only views of rows, and the schema of an event to POST.
No business logic here: writes go through the services (see views.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from eapcase.cases.choices import Attendance, Modality, ObligationStatus
from eapcase.cases.models import Case, Escalation, Finding, Obligation, Participant, Session
from eapcase.cases.services import SESSION_MINUTES_MAX
from eapcase.compliance.event_services import EVENT_DETAILS


def effective_status(obligation: Obligation, now: datetime) -> str:
    """A stored `open` obligation whose due time has passed is overdue (docs/architecture.md)."""
    if (
        obligation.status == ObligationStatus.OPEN
        and obligation.due_at is not None
        and obligation.due_at <= now
    ):
        return str(ObligationStatus.OVERDUE)
    return obligation.status


class ObligationSerializer(serializers.ModelSerializer[Obligation]):
    case = serializers.CharField(source="case.reference", read_only=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = Obligation
        fields = [
            "case",
            "rule",
            "trigger",
            "opened_at",
            "due_at",
            "satisfied_at",
            "satisfied_by",
            "status",
            "target",
            "attempts_made",
            "attempts_required",
            "reason",
            "evaluated_at",
        ]

    def get_status(self, obj: Obligation) -> str:
        return effective_status(obj, self.context["now"])


class FindingSerializer(serializers.ModelSerializer[Finding]):
    event = serializers.CharField(source="event_id", read_only=True)

    class Meta:
        model = Finding
        fields = ["rule", "event", "at", "severity", "detail"]


class CaseSerializer(serializers.ModelSerializer[Case]):
    partner = serializers.CharField(source="partner.code", read_only=True)
    client = serializers.CharField(source="client.code", read_only=True, allow_null=True)
    provider = serializers.CharField(source="provider.code", read_only=True, allow_null=True)
    assigned_clinician = serializers.CharField(
        source="assigned_clinician.username", read_only=True, allow_null=True
    )

    class Meta:
        model = Case
        fields = [
            "reference",
            "status",
            "partner",
            "client",
            "provider",
            "assigned_clinician",
            "participant",
            "referral",
            "case_type",
            "risk_level",
            "benefit_sessions",
            "opened_at",
            "closed_at",
        ]
        read_only_fields = fields


class CaseDetailSerializer(CaseSerializer):
    """A case with the engine's state as stored by its last write."""

    obligations = serializers.SerializerMethodField()
    findings = FindingSerializer(many=True, read_only=True)

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields,
            "closure_reason",
            "next_step",
            "version",
            "obligations",
            "findings",
        ]
        read_only_fields = fields

    @extend_schema_field(ObligationSerializer(many=True))
    def get_obligations(self, obj: Case) -> list[dict[str, Any]]:
        rows = sorted(obj.obligations.all(), key=lambda o: o.position)
        return list(ObligationSerializer(rows, many=True, context=self.context).data)


class ParticipantSerializer(serializers.ModelSerializer[Participant]):
    client = serializers.CharField(source="client.code", read_only=True, allow_null=True)
    preferences = serializers.SerializerMethodField()
    cases = serializers.SerializerMethodField()

    class Meta:
        model = Participant
        fields = [
            "id",
            "full_name",
            "preferred_name",
            "client",
            "country",
            "phone",
            "email",
            "preferences",
            "cases",
        ]
        read_only_fields = fields

    def get_preferences(self, obj: Participant) -> dict[str, bool]:
        return obj.preferences()

    def get_cases(self, obj: Participant) -> list[str]:
        """References of the participant's cases that the user may see."""
        return sorted(c.reference for c in getattr(obj, "visible_cases", []))


class EscalationSerializer(serializers.ModelSerializer[Escalation]):
    case = serializers.CharField(source="case.reference", read_only=True)
    raised_by = serializers.CharField(source="raised_by.username", read_only=True, allow_null=True)
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.username", read_only=True, allow_null=True
    )
    event = serializers.CharField(source="event_id", read_only=True)

    class Meta:
        model = Escalation
        fields = [
            "id",
            "case",
            "event",
            "reason",
            "summary",
            "raised_at",
            "raised_by",
            "acknowledged_at",
            "acknowledged_by",
            "acknowledgement_note",
        ]
        read_only_fields = fields


class EscalationAcknowledgeSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class EventsCreatedSerializer(serializers.Serializer[Any]):
    events = serializers.ListField(
        child=serializers.DictField(), help_text="The history lines the write appended."
    )
    version = serializers.IntegerField(
        help_text="The case's version after the write (its new ETag, ADR 0038)."
    )


_DETAIL_TYPES: dict[str, dict[str, Any]] = {
    "send_email": {"type": "boolean"},
    "issues_found": {"type": "boolean"},
    "file": {"type": "string", "format": "byte", "description": "the file, base64"},
    "from_address": {"type": "string", "format": "email"},
    "source": {"type": "string", "enum": ["participant", "wpo_intake", "partner"]},
}


def event_request_schema() -> dict[str, Any]:
    """OpenAPI schema of one event to POST: a history-format line plus `confirm` and
    `details`. The type's own fields are validated by the engine's history reader."""
    detail_names = sorted({name for names in EVENT_DETAILS.values() for name in names})
    return {
        "type": "object",
        "required": ["type", "at"],
        "properties": {
            "type": {"type": "string", "enum": sorted(EVENT_DETAILS)},
            "at": {
                "type": "string",
                "format": "date-time",
                "description": "When it happened (ISO 8601 with an offset).",
            },
            "id": {
                "type": "string",
                "maxLength": 60,
                "description": "Event id, unique in the case (default: the next E<n>).",
            },
            "case": {"type": "string", "description": "If given, the case of the URL."},
            "by": {"type": "string", "description": "Ignored: the authenticated user is."},
            "confirm": {
                "type": "string",
                "description": "A reason to go ahead when the engine asks (409).",
            },
            "details": {
                "type": "object",
                "description": "What a page asks for beyond the history's fields, by type: "
                + "; ".join(
                    f"{kind}: {', '.join(sorted(names))}"
                    for kind, names in sorted(EVENT_DETAILS.items())
                    if names
                ),
                "properties": {
                    name: _DETAIL_TYPES.get(name, {"type": "string"}) for name in detail_names
                },
                "additionalProperties": False,
            },
        },
        "additionalProperties": True,
        "description": "One event of shared/spec/history-format.md: the type's own fields "
        "sit next to `type` and `at` (for example `level` of `risk_set`).",
    }


# --- writes: the shape of what is posted (the services decide the rest) ------------------------


class PreferencesSerializer(serializers.Serializer[Any]):
    phone = serializers.BooleanField(required=False)
    email = serializers.BooleanField(required=False)
    voicemail_ok = serializers.BooleanField(required=False)
    email_messages_ok = serializers.BooleanField(required=False)
    email_only = serializers.BooleanField(required=False)
    email_consent = serializers.BooleanField(required=False)


class ParticipantWriteSerializer(serializers.Serializer[Any]):
    """A participant to register (POST /participants/, or `new_participant` of POST /cases/)."""

    full_name = serializers.CharField(max_length=200)
    client = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text="The client's code."
    )
    access_line = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="The access line they called: finds the client when `client` is not given.",
    )
    preferred_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    employee_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    language = serializers.CharField(max_length=40, required=False, allow_blank=True)
    interpreter_needed = serializers.BooleanField(required=False, default=False)
    country = serializers.CharField(max_length=2)
    region = serializers.CharField(max_length=60, required=False, allow_blank=True)
    preferences = PreferencesSerializer(required=False)


class ParticipantPatchSerializer(serializers.Serializer[Any]):
    """Changed contact details and preferences (recorded as `participant_updated`)."""

    full_name = serializers.CharField(max_length=200, required=False)
    preferred_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    employee_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    language = serializers.CharField(max_length=40, required=False, allow_blank=True)
    interpreter_needed = serializers.BooleanField(required=False)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True)
    region = serializers.CharField(max_length=60, required=False, allow_blank=True)
    preferences = PreferencesSerializer(required=False)
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=["participant", "wpo_intake", "partner"], default="participant"
    )
    at = serializers.DateTimeField(
        required=False, help_text="When it was stated (default now); never later than now."
    )


class CaseOpenSerializer(serializers.Serializer[Any]):
    """A case to open: for `participant` (an id the user may see) or `new_participant`."""

    participant = serializers.IntegerField(required=False)
    new_participant = ParticipantWriteSerializer(required=False)
    referral = serializers.CharField(max_length=30)
    case_type = serializers.CharField(max_length=30)
    presenting_issue = serializers.CharField(max_length=200, required=False, allow_blank=True)
    risk_level = serializers.CharField(max_length=10, required=False, default="none")
    risk_reason = serializers.CharField(max_length=500, required=False, allow_blank=True)
    callback = serializers.BooleanField(required=False, default=False)
    callback_not_before = serializers.DateTimeField(required=False, allow_null=True)
    partner = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text="A Partner's code."
    )
    partner_reason = serializers.CharField(max_length=500, required=False, allow_blank=True)
    provider = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text="A provider's code."
    )
    benefit_sessions = serializers.IntegerField(required=False, min_value=0, max_value=999)
    benefit_reason = serializers.CharField(max_length=500, required=False, allow_blank=True)
    at = serializers.DateTimeField(required=False, help_text="When it opened (default now).")


# --- sessions ----------------------------------------------------------------------------------


class SessionSerializer(serializers.ModelSerializer[Session]):
    """A booked session: held (numbered, with its history event) or not attended or cancelled
    late (no number, no event: not a session held)."""

    provider = serializers.CharField(source="provider.code", read_only=True, allow_null=True)
    at = serializers.DateTimeField(source="held_at", read_only=True)
    event = serializers.CharField(source="event_id", read_only=True, allow_blank=True)

    class Meta:
        model = Session
        fields = ["number", "at", "attendance", "modality", "duration_minutes", "provider", "event"]
        read_only_fields = fields


class SessionWriteSerializer(serializers.Serializer[Any]):
    attendance = serializers.ChoiceField(choices=Attendance.choices, default=Attendance.ATTENDED)
    modality = serializers.ChoiceField(
        choices=Modality.choices, required=False, allow_blank=True, default=""
    )
    duration_minutes = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=SESSION_MINUTES_MAX
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    at = serializers.DateTimeField(
        required=False, help_text="When it was held or booked for (default now)."
    )
    confirm = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="A reason to go ahead when the engine asks (409).",
    )
