"""Forms of the email pages (input only: the services decide)."""

from __future__ import annotations

from django import forms


class ActionForm(forms.Form):
    summary = forms.CharField(
        label="What was done",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
    )


class LinkForm(forms.Form):
    case_reference = forms.CharField(
        label="Case reference", max_length=40, help_text="For example EAP-10001."
    )

    information_only = forms.BooleanField(
        label="Information only: needs no contact with the participant",
        required=False,
        help_text="For WPO's email that tells, and asks nothing of the participant.",
    )

    def clean_case_reference(self) -> str:
        return str(self.cleaned_data["case_reference"]).strip().upper()
