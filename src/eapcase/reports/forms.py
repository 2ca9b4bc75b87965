"""The report filters, read from the URL (GET), and the "what if" upload."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.http import QueryDict

from eapcase.organisations.models import ClientOrganisation
from eapcase.policy.explain import RULE_TITLES
from eapcase.reports.selectors import DEFAULT_BY, DIMENSIONS, ReportQuery, Scope

BY_LABELS = {
    "partner": "Partner",
    "client": "Client organisation",
    "clinician": "Clinician",
    "month": "Month",
}
#: The longest period a report covers (a year's report with room for a leap day and more).
MAX_DAYS = 800


def last_quarter(today: date) -> tuple[date, date]:
    """The calendar quarter before the one `today` is in: the report's default period."""
    first_this = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    last = first_this - timedelta(days=1)
    return date(last.year, 3 * ((last.month - 1) // 3) + 1, 1), last


class ReportForm(forms.Form):
    date_from = forms.DateField(label="From (first day)", widget=forms.DateInput({"type": "date"}))
    date_to = forms.DateField(label="To (last day)", widget=forms.DateInput({"type": "date"}))
    partner = forms.TypedChoiceField(label="Partner", coerce=int, required=False, empty_value=None)
    client = forms.TypedChoiceField(
        label="Client organisation", coerce=int, required=False, empty_value=None
    )
    rule = forms.ChoiceField(label="Rule", required=False)
    by = forms.MultipleChoiceField(
        label="Break down by (besides the rule)",
        choices=[(d, BY_LABELS[d]) for d in DIMENSIONS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, data: Any, *, scope: Scope, today: date) -> None:
        start, end = last_quarter(today)
        query = data.copy() if data is not None else QueryDict(mutable=True)
        if not query.get("date_from") and not query.get("date_to"):
            query["date_from"], query["date_to"] = start.isoformat(), end.isoformat()
            if "by" not in query:
                query.setlist("by", list(DEFAULT_BY))
        super().__init__(query)
        cast(forms.ChoiceField, self.fields["partner"]).choices = [("", "Every Partner")] + [
            (p.pk, p.name) for p in scope.partners()
        ]
        cast(forms.ChoiceField, self.fields["client"]).choices = [("", "Every client")] + [
            (c.pk, c.name) for c in ClientOrganisation.objects.order_by("name")
        ]
        cast(forms.ChoiceField, self.fields["rule"]).choices = [("", "Every rule")] + [
            (rule, f"{title} ({rule})") for rule, title in RULE_TITLES.items()
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end:
            if end < start:
                self.add_error("date_to", "The last day is before the first.")
            elif (end - start).days > MAX_DAYS:
                self.add_error("date_to", f"A report covers at most {MAX_DAYS} days.")
        return cleaned

    def query(self) -> ReportQuery:
        c = self.cleaned_data
        return ReportQuery(
            date_from=c["date_from"],
            date_to=c["date_to"],
            partner_id=c.get("partner"),
            client_id=c.get("client"),
            rule=c.get("rule") or "",
            by=tuple(d for d in DIMENSIONS if d in (c.get("by") or ())),
        )


class WhatIfForm(forms.Form):
    pack = forms.FileField(
        label="Draft policy pack (TOML)",
        help_text="The same format as the built-in pack; every key is checked.",
    )
    period_from = forms.DateField(
        label="Cases opened from", widget=forms.DateInput({"type": "date"})
    )
    period_to = forms.DateField(
        label="Cases opened until", widget=forms.DateInput({"type": "date"})
    )
