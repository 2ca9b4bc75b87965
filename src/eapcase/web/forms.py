"""Forms of the web pages: what the user typed, checked for shape only (the services decide)."""

from __future__ import annotations

from typing import Any

from django import forms

from eapcase.web.selectors import FAMILIES


class WorkFilterForm(forms.Form):
    """The work queue's filters (GET)."""

    scope = forms.ChoiceField(
        choices=[("mine", "My cases"), ("team", "Whole team")], required=False
    )
    family = forms.ChoiceField(
        label="Kind of work", choices=[("", "All kinds"), *FAMILIES], required=False
    )
    case = forms.CharField(label="Case", required=False, max_length=40)


class AssignForm(forms.Form):
    """Give a case to a clinician of its Partner."""

    clinician = forms.TypedChoiceField(label="Clinician", coerce=int, choices=())
    reason = forms.CharField(label="Why", required=False, max_length=500)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, clinicians: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clinicians = {u.pk: u for u in clinicians}
        field: Any = self.fields["clinician"]
        field.choices = [(u.pk, u.get_full_name() or u.username) for u in clinicians]

    def clean_clinician(self) -> Any:
        return self.clinicians[self.cleaned_data["clinician"]]
