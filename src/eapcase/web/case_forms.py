"""Forms of the case pages. They collect and type the input; the services decide (a form never
checks a policy rule: the engine does, through the service).

Times are entered in the Partner's local time: the views activate the Partner's time zone, so
`core.localtime.LocalDateTimeField` reads and shows `datetime-local` values in it (asking which
instant is meant when a time happens twice); `cleaned_data` instants are aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django import forms

from eapcase.cases.choices import (
    Attendance,
    CaseOutcome,
    CaseStatus,
    CaseType,
    EscalationReason,
    Modality,
    Referral,
    ReviewDecision,
)
from eapcase.cases.services import SESSION_MINUTES_MAX
from eapcase.cases.words import CaseWords, refused_rule
from eapcase.core.errors import ServiceError
from eapcase.core.localtime import LocalDateTimeField, LocalDateTimeWidget
from eapcase.outreach.choices import Channel, MessageLeft, Outcome, Purpose, Target
from eapcase.policy import messages_allowed
from eapcase.policy.types import ParticipantPrefs


def _style(widget: forms.Widget) -> None:
    """Bootstrap's classes on a widget."""
    if isinstance(widget, forms.RadioSelect | forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select):
        css = "form-select"
    else:
        css = "form-control"
    widget.attrs["class"] = css


def local_datetime(label: str, *, required: bool = False, help_text: str = "") -> forms.Field:
    """A local date and time; one that happens twice at a clock change asks which is meant
    (core.localtime)."""
    return LocalDateTimeField(
        label=label,
        required=required,
        widget=LocalDateTimeWidget(attrs={"step": 60}),
        help_text=help_text,
    )


def text(label: str, *, required: bool = True, rows: int = 3, help_text: str = "") -> forms.Field:
    return forms.CharField(
        label=label,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


def version_field() -> forms.Field:
    """The case's version the form was opened at (ADR 0038). Optional: a post without it (an
    old tab, a script) is not checked."""
    return forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


class ActionForm(forms.Form):
    """A form that calls one service. `confirmable` forms get the "reason to go ahead" field,
    shown and required once the service asked for a confirmation."""

    confirmable = False
    #: service error field -> form field, where the names differ
    field_map: dict[str, str] = {}
    #: rule id -> form field, for a refusal that names a rule but no field: it is shown there
    rule_fields: dict[str, str] = {}
    #: radio lists shown on one line
    inline_fields: frozenset[str] = frozenset({"target", "channel", "outcome"})

    def __init__(
        self, *args: Any, now: datetime, prefs: ParticipantPrefs | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.now = now
        self.prefs = prefs or ParticipantPrefs()
        self.reasons: list[str] = []
        #: show the "reason to go ahead" field before the service asks (the page already knows)
        self.offer_confirm = False
        if self.confirmable:
            self.fields["confirm"] = forms.CharField(
                label="Reason to go ahead",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="Recorded with the case and the audit trail.",
            )

        for bound in self.fields.values():
            _style(bound.widget)

    @property
    def confirming(self) -> bool:
        return bool(self.reasons)

    @property
    def show_confirm(self) -> bool:
        return self.confirmable and (
            self.confirming or self.offer_confirm or bool(self.data.get("confirm"))
        )

    def instant(self, name: str = "at") -> datetime:
        """The cleaned instant in UTC (now when left blank)."""
        value = self.cleaned_data.get(name)
        return (value or self.now).astimezone(UTC)

    def optional_instant(self, name: str) -> datetime | None:
        value = self.cleaned_data.get(name)
        return value.astimezone(UTC) if value else None

    def mark_invalid(self) -> None:
        """Bootstrap's invalid style on the fields with errors."""
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()

    def confirmation(self) -> str:
        return str(self.cleaned_data.get("confirm") or "") if self.confirmable else ""

    def ask_confirmation(self, reasons: list[str]) -> None:
        """The service needs a reason to go ahead: show what the engine found."""
        self.reasons = reasons
        if "confirm" in self.fields:
            self.fields["confirm"].required = True
            self.add_error(
                "confirm",
                "Give a reason to go ahead, or change what you entered.",
            )

    def service_error(self, exc: ServiceError) -> None:
        """Put the service's refusal next to the field it names (else above the form)."""
        name = self.field_map.get(exc.field or "", exc.field or "")
        if not name:
            named = refused_rule(exc.message)
            name = self.rule_fields.get(named, "") if named else ""
        # The rule's title, not its id (cases.words); the page rewrites event ids.
        message = CaseWords().text(exc.message)
        if name and name in self.fields:
            self.add_error(name, message)
        else:
            self.add_error(None, message)


# --- the list ------------------------------------------------------------------------------------


class CaseSearchForm(forms.Form):
    q = forms.CharField(
        label="Reference or participant",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *CaseStatus.choices]
    )
    partner = forms.TypedChoiceField(label="Partner", required=False, coerce=int, empty_value=None)
    case_type = forms.ChoiceField(
        label="Case type", required=False, choices=[("", "Any type"), *CaseType.choices]
    )
    route = forms.ChoiceField(
        label="Referral route", required=False, choices=[("", "Any route"), *Referral.choices]
    )

    def __init__(self, *args: Any, partners: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for bound in self.fields.values():
            _style(bound.widget)
        self.fields["partner"].choices = [("", "Any Partner")] + [(p.pk, p.name) for p in partners]  # type: ignore[attr-defined]


# --- outreach ------------------------------------------------------------------------------------


MESSAGE_LABELS = {
    (Channel.PHONE, MessageLeft.DETAILED): "Detailed voicemail (the template shown)",
    (Channel.PHONE, MessageLeft.GENERIC): "Generic voicemail (no details)",
    (Channel.PHONE, MessageLeft.NONE): "No message",
    (Channel.EMAIL, MessageLeft.DETAILED): "Detailed email (the template shown)",
    (Channel.EMAIL, MessageLeft.GENERIC): "Generic email (no details)",
    (Channel.EMAIL, MessageLeft.NONE): "No message",
}


def message_choices(prefs: ParticipantPrefs, target: str, channel: str) -> list[tuple[str, str]]:
    """The messages the form offers: those the policy allows for the target on the channel,
    by the participant's consent as it stood at the last write (`policy.messages_allowed`,
    the function CM-MESSAGE-CONSENT itself uses). On a refused channel only "No message"."""
    channel = channel if channel in Channel.values else Channel.PHONE
    target = target if target in Target.values else Target.PARTICIPANT
    allowed = {str(m) for m in messages_allowed(prefs, target, channel)}
    order = [MessageLeft.DETAILED, MessageLeft.GENERIC, MessageLeft.NONE]
    return [(m.value, MESSAGE_LABELS[(Channel(channel), m)]) for m in order if m in allowed]


class AttemptForm(ActionForm):
    confirmable = True

    target = forms.ChoiceField(
        label="Who", choices=Target.choices, initial=Target.PARTICIPANT, widget=forms.RadioSelect
    )
    channel = forms.ChoiceField(label="Channel", choices=Channel.choices, widget=forms.RadioSelect)
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=Outcome.choices,
        initial=Outcome.NOT_REACHED,
        widget=forms.RadioSelect,
    )
    message = forms.ChoiceField(label="Message left", widget=forms.RadioSelect)
    summary = text("What was done or agreed")
    at = local_datetime("When", help_text="Leave empty for now.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        prefs = self.prefs
        default_channel = Channel.EMAIL if prefs.email_only or not prefs.phone else Channel.PHONE
        self.fields["channel"].initial = default_channel
        source = self.data if self.is_bound else self.initial
        self.current_target = str(source.get("target") or Target.PARTICIPANT)
        self.current_channel = str(source.get("channel") or default_channel)
        choices = message_choices(prefs, self.current_target, self.current_channel)
        message = self.fields["message"]
        message.choices = choices  # type: ignore[attr-defined]
        message.initial = choices[0][0]
        message.error_messages["invalid_choice"] = (
            "The participant's consent does not allow this message on this channel."
        )


class CallbackForm(ActionForm):
    reason = text("Why the participant asked", required=False, rows=2)
    not_before = local_datetime(
        "Not before", help_text="If the participant asked to be called from a later time."
    )
    at = local_datetime("Requested at", help_text="Leave empty for now.")


class OutreachRequestForm(ActionForm):
    purpose = forms.ChoiceField(
        label="Purpose", choices=Purpose.choices, initial=Purpose.GENERAL, widget=forms.RadioSelect
    )
    target = forms.ChoiceField(
        label="Reach out to",
        choices=Target.choices,
        initial=Target.PARTICIPANT,
        widget=forms.RadioSelect,
    )
    reason = text("Why", required=False, rows=2)
    due = local_datetime("Due", help_text="A check-in's deadline, when the client set one.")
    at = local_datetime("Requested at", help_text="Leave empty for now.")


class OutreachCloseForm(ActionForm):
    confirmable = True
    reason = text("Why the outreach stops", rows=2)
    at = local_datetime("When", help_text="Leave empty for now.")


# --- sessions and the review ---------------------------------------------------------------------


class SessionForm(ActionForm):
    confirmable = True
    inline_fields = frozenset({"attendance", "modality"})

    attendance = forms.ChoiceField(
        label="Did it take place",
        choices=Attendance.choices,
        initial=Attendance.ATTENDED,
        required=False,  # left out: held
        widget=forms.RadioSelect,
        help_text="A session not attended or cancelled late is not a session held: it uses no "
        "session of the benefit.",
    )
    modality = forms.ChoiceField(
        label="How",
        choices=Modality.choices,
        initial=Modality.IN_PERSON,
        required=False,  # left out: not recorded
        widget=forms.RadioSelect,
    )

    def clean_attendance(self) -> str:
        return str(self.cleaned_data.get("attendance") or Attendance.ATTENDED)

    duration_minutes = forms.IntegerField(
        label="Length in minutes",
        required=False,
        min_value=1,
        max_value=SESSION_MINUTES_MAX,
        help_text="Of a session held.",
    )
    note = forms.CharField(
        label="Note", required=False, max_length=500, help_text="For example why it was missed."
    )
    at = local_datetime("Held at (or booked for)", help_text="Leave empty for now.")


class ReviewForm(ActionForm):
    rule_fields = {"CM-REVIEW-DECISION": "decision"}

    decision = forms.ChoiceField(
        label="Decision", choices=ReviewDecision.choices, widget=forms.RadioSelect
    )
    sessions = forms.IntegerField(
        label="Further sessions to authorise",
        min_value=0,
        required=False,
        help_text="For “authorise sessions” only.",
    )
    transition_destination = forms.CharField(
        label="Where the participant goes next",
        required=False,
        max_length=200,
        help_text="For a transition session: insurance, private pay or ongoing resources.",
    )
    resources = text(
        "Resources offered",
        required=False,
        help_text="One a line. A denial needs at least one.",
    )
    rationale = text("Rationale", required=False)
    at = local_datetime("Completed at", help_text="Leave empty for now.")

    def __init__(self, *args: Any, remaining: int = 0, transition: int = 1, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.remaining = remaining
        # How many sessions a transition decision authorises is the policy pack's.
        self.transition = transition
        sessions = self.fields["sessions"]
        sessions.widget.attrs["max"] = remaining
        sessions.help_text = (
            f"For “authorise sessions” only: at most {remaining} remain of the benefit. "
            f"A transition decision authorises {transition}, a denial none."
        )

    def decision_sessions(self) -> int:
        """What the decision authorises: the number entered, the transition sessions, or none."""
        decision = self.cleaned_data["decision"]
        if decision == ReviewDecision.TRANSITION_SESSION:
            return self.transition
        if decision == ReviewDecision.DENY:
            return 0
        return int(self.cleaned_data.get("sessions") or 0)

    def resource_list(self) -> list[str]:
        lines = self.cleaned_data["resources"].splitlines()
        return [line.strip() for line in lines if line.strip()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == ReviewDecision.AUTHORISE_REMAINING and data.get("sessions") in (
            None,
            "",
        ):
            self.add_error("sessions", "Say how many further sessions the review authorises.")
        return data


# --- notes, queries, dissatisfaction, escalation -------------------------------------------------


class NoteForm(ActionForm):
    summary = text("What was done or agreed")
    next_step = forms.CharField(label="Next step", max_length=500)
    at = local_datetime("When", help_text="Leave empty for now.")


class QueryForm(ActionForm):
    text = text("What the participant asked")
    channel = forms.ChoiceField(
        label="How they asked",
        choices=[("phone", "phone"), ("email", "email"), ("letter", "letter"), ("other", "other")],
    )
    at = local_datetime("Received at", help_text="Leave empty for now.")


class QueryResolveForm(ActionForm):
    resolution = text("How the query was resolved")
    at = local_datetime("Resolved at", help_text="Leave empty for now.")


class DissatisfactionForm(ActionForm):
    aspect = forms.CharField(label="What they are dissatisfied with", max_length=200)
    description = text("Details", required=False)
    at = local_datetime("Noted at", help_text="Leave empty for now.")


class EscalationForm(ActionForm):
    reason = forms.ChoiceField(
        label="Reason",
        choices=[
            (value, label)
            for value, label in EscalationReason.choices
            if value != EscalationReason.DISSATISFACTION
        ],
    )
    summary = text("What WPO needs to know")
    at = local_datetime("When", help_text="Leave empty for now.")


# --- email, provider, case notes -----------------------------------------------------------------


class EmailAcknowledgeForm(ActionForm):
    at = local_datetime("Acknowledged at", help_text="Leave empty for now.")


class DetailedEmailForm(ActionForm):
    """The detailed message after an unsuccessful attempt: the attempt it records, by email."""

    confirmable = True
    field_map = {"email": "summary", "access_line": "summary", "send_email": "summary"}
    rule_fields = {"CM-MESSAGE-CONSENT": "summary"}

    summary = text(
        "Note for the case",
        required=False,
        rows=2,
        help_text="Kept with the attempt, never sent. Leave empty for the standard note.",
    )
    at = local_datetime("Attempted at", help_text="Leave empty for now.")


class EmailActionForm(ActionForm):
    summary = text("What was done")
    at = local_datetime("Actioned at", help_text="Leave empty for now.")


class EmailUrgencyForm(ActionForm):
    inline_fields = frozenset({"urgency"})
    urgency = forms.ChoiceField(
        label="Urgency",
        choices=[("urgent", "Urgent"), ("routine", "Not urgent")],
        widget=forms.RadioSelect,
    )
    reason = text("Why the urgency changes", rows=2)
    at = local_datetime("Changed at", help_text="Leave empty for now.")


class ProviderResponseForm(ActionForm):
    response = text("Answer to the provider")
    at = local_datetime("Answered at", help_text="Leave empty for now.")


class NotesReviewForm(ActionForm):
    note = text("What the review found")
    issues_found = forms.BooleanField(label="Issues needing action", required=False)
    at = local_datetime("Reviewed at", help_text="Leave empty for now.")


# --- closing -------------------------------------------------------------------------------------


class CloseForm(ActionForm):
    confirmable = True
    inline_fields = frozenset()
    outcome = forms.ChoiceField(
        label="Outcome", choices=CaseOutcome.choices, widget=forms.RadioSelect
    )
    note = text(
        "Closing note",
        rows=4,
        help_text="What was done and where the participant goes from here. Its first line is "
        "the reason shown on the timeline.",
    )
    at = local_datetime("Closed at", help_text="Leave empty for now.")


class ReopenForm(ActionForm):
    reason = text("Why the case opens again", rows=2)
    at = local_datetime("Reopened at", help_text="Leave empty for now.")
