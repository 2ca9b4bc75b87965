"""Forms of the participant pages: the WPO admin's search for two records and the merge with
its reason. They check shape only; `cases.merging.participant_merge` decides."""

from __future__ import annotations

from typing import Any

from django import forms

from eapcase.cases.merging import MERGE_REASON_MAX
from eapcase.web.case_forms import _style


class MergeSearchForm(forms.Form):
    """Find the records to merge (GET): identifying details only."""

    name = forms.CharField(label="Name", required=False, max_length=200)
    date_of_birth = forms.DateField(
        label="Date of birth", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    phone = forms.CharField(label="Phone", required=False, max_length=40)
    email = forms.CharField(label="Email", required=False, max_length=254)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            _style(field.widget)

    def searched(self) -> bool:
        return self.is_bound and self.is_valid() and any(self.cleaned_data.values())


class MergeForm(forms.Form):
    """Merge one record into the other, and why."""

    keep = forms.IntegerField(widget=forms.HiddenInput)
    merge = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Why these records are the same person",
        max_length=MERGE_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: same name, date of birth and employee number; "
        "confirmed with the participant on the phone.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self.fields["reason"].widget)
