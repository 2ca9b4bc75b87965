"""Forms of the provider pages. They check input only; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from eapcase.cases.choices import Attendance, Modality
from eapcase.cases.services import SESSION_MINUTES_MAX
from eapcase.core.localtime import LocalDateTimeField
from eapcase.providers.choices import ProviderTopic
from eapcase.providers.uploads import MAX_NOTES_LABEL, case_notes_content_type, too_large_message


class ProviderForm(forms.Form):
    """Bootstrap's classes on the widgets, and `is-invalid` on a field with an error (Django
    itself sets aria-invalid and points aria-describedby at the help text and the error)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for bound_field in self.fields.values():
            widget = bound_field.widget
            base = "form-check-input" if isinstance(widget, forms.RadioSelect) else "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {base}".strip()

    def add_error(self, field: str | None, error: Any) -> None:
        """Mark the fields in error; the first one takes the focus when the page comes back
        (the form may be far down the page)."""
        super().add_error(field, error)
        focused = any("autofocus" in f.widget.attrs for f in self.fields.values())
        for name in self.errors:
            if name not in self.fields:
                continue
            attrs = self.fields[name].widget.attrs
            if "is-invalid" not in attrs.get("class", ""):
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
            if not focused:
                attrs["autofocus"] = True
                focused = True


def _when(label: str) -> forms.DateTimeField:
    """A date and time in the Partner's zone (the view activates it while the form is used);
    one that happens twice at a clock change asks which is meant (core.localtime)."""
    return LocalDateTimeField(label=label)


class SessionForm(ProviderForm):
    """A session held with the participant. `confirm` is asked for only when the engine finds
    the session beyond what is authorised (CM-SESSION-UNAUTHORISED, CM-REVIEW)."""

    attendance = forms.ChoiceField(
        label="Did it take place",
        choices=Attendance.choices,
        initial=Attendance.ATTENDED,
        required=False,  # left out: held
        widget=forms.RadioSelect,
        help_text="Not attended or cancelled late: not a session held, and it uses no session.",
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
    at = _when("When the session was held (or booked for)")
    confirm = forms.CharField(
        label="Reason to go ahead",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why this session was held although it is not authorised.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.needs_confirmation: list[str] = []


class InterventionEndForm(ProviderForm):
    at = _when("When the intervention ended")


class CaseNotesForm(ProviderForm):
    file = forms.FileField(
        label="Completed case notes",
        help_text=f"A PDF, a Word document (DOCX) or a plain text file, up to {MAX_NOTES_LABEL}.",
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".pdf,.docx,.txt,application/pdf,text/plain,"
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
        ),
    )

    def __init__(self, *args: Any, too_large: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.too_large = too_large

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        self.cleaned_data["content_type"] = case_notes_content_type(
            file, label=str(self.fields["file"].label)
        )
        return file

    def clean(self) -> dict[str, Any]:
        if self.too_large:
            # The upload handler dropped the file while reading it: say why it is missing.
            self.errors.pop("file", None)
            self.add_error("file", too_large_message(str(self.fields["file"].label)))
        return self.cleaned_data


class FlagForm(ProviderForm):
    """An urgent contact to the Partner: a risk situation or a goal slip."""

    topic = forms.ChoiceField(
        label="What to flag",
        choices=[
            (ProviderTopic.RISK.value, "A risk situation"),
            (ProviderTopic.GOAL_SLIP.value, "A goal slip (progress has stalled or reversed)"),
        ],
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label="What the Partner needs to know",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class QueryForm(ProviderForm):
    text = forms.CharField(
        label="Your question to the Partner",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
