"""The audit trail: who did what, when, to which case. Append-only and hash-chained."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One action, written by the service that performed it in the same transaction. `data`
    holds ids and codes only, never personal data."""

    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=60, help_text="Dotted, e.g. outreach.attempt_recorded.")
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="audit"
    )
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=60, blank=True)
    data = models.JSONField(default=dict)
    sealed = models.JSONField(
        default=dict,
        blank=True,
        help_text="The case events this write appended: event id -> hash (ADR 0035).",
    )
    address = models.CharField(
        max_length=45, blank=True, help_text="Where the request came from (client address)."
    )
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["case", "at"]),
            # The audit page's filters (ADR 0036).
            models.Index(fields=["actor", "at"], name="audit_actor_at"),
            models.Index(fields=["action", "at"], name="audit_action_at"),
            models.Index(fields=["at"], name="audit_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class AuditChainHead(models.Model):
    """The newest hash of the chain. Its row lock serialises writers so the chain never forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    hash = models.CharField(max_length=64)
    count = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit chain head ({self.count} rows)"
