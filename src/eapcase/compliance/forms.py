"""Forms of the compliance pages."""

from __future__ import annotations

from django import forms


class AcknowledgeForm(forms.Form):
    """WPO acknowledges an escalation with a note of what it will do."""

    note = forms.CharField(
        label="Note",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "say what WPO will do about it"},
    )
