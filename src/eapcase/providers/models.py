"""Provider contacts to the Partner, the end of an intervention, completed case notes and
their review by the Partner."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from eapcase.providers.choices import ProviderTopic


class ProviderContact(models.Model):
    """A provider contacted the Partner: a query, or an urgent risk or goal-slip report."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="provider_contacts"
    )
    provider = models.ForeignKey(
        "organisations.Provider",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="Empty when an imported history does not say which provider.",
    )
    topic = models.CharField(max_length=12, choices=ProviderTopic.choices)
    urgent = models.BooleanField(default=False)
    text = models.TextField()
    received_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    response = models.TextField(blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    event_id = models.CharField(max_length=60)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(responded_at__isnull=True) | ~Q(response=""),
                name="provider_contact_response_text",
            )
        ]

    def __str__(self) -> str:
        return f"provider contact {self.event_id} of {self.case_id}"


class InterventionEnd(models.Model):
    """The provider's intervention on the case ended; completed notes are then due."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="intervention_ends"
    )
    provider = models.ForeignKey(
        "organisations.Provider", null=True, blank=True, on_delete=models.PROTECT
    )
    provider_code = models.CharField(max_length=40, help_text="The provider's id in the history.")
    ended_at = models.DateTimeField()
    event_id = models.CharField(max_length=60)

    def __str__(self) -> str:
        return f"intervention ended {self.event_id} of {self.case_id}"


class CaseNotesUpload(models.Model):
    """Completed case notes a provider uploaded, and the Partner's review of them."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="notes_uploads")
    provider = models.ForeignKey(
        "organisations.Provider", null=True, blank=True, on_delete=models.PROTECT
    )
    provider_code = models.CharField(max_length=40, help_text="The provider's id in the history.")
    uploaded_at = models.DateTimeField()
    file = models.FileField(upload_to="case-notes/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    review_note = models.TextField(blank=True)
    issues_found = models.BooleanField(default=False)
    event_id = models.CharField(max_length=60)
    review_event_id = models.CharField(max_length=60, blank=True)

    def __str__(self) -> str:
        return f"case notes {self.event_id} of {self.case_id}"
