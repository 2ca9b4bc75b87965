"""The case history (append-only CaseEvent rows in the history format), the obligations and
findings the policy engine derives from it, and escalations to WPO."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from eapcase.compliance.choices import EscalationReason, ObligationStatus, Severity


class CaseEvent(models.Model):
    """One line of the case's history (shared/spec/history-format.md). Never updated or deleted:
    the history is the source of truth for compliance."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField(help_text="Order of recording within the case.")
    event_id = models.CharField(max_length=60)
    type = models.CharField(max_length=40)
    at = models.DateTimeField(help_text="When it happened.")
    by = models.CharField(max_length=150, blank=True, help_text="Who did it (username).")
    fields = models.JSONField(default=dict, help_text="The type's fields, as in the history.")
    recorded_at = models.DateTimeField(help_text="When it was written down.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "seq"], name="case_event_seq_once"),
            models.UniqueConstraint(fields=["case", "event_id"], name="case_event_id_once"),
        ]
        indexes = [models.Index(fields=["case", "at", "seq"])]
        ordering = ["case", "at", "seq"]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.event_id} {self.type}"


class Obligation(models.Model):
    """What the engine says the Partner owes on a case, as of `evaluated_at`. A projection,
    replaced on every write to the case; read by the work queues."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="obligations")
    # Denormalised from the case so the queues filter without a join.
    partner = models.ForeignKey("organisations.Partner", on_delete=models.CASCADE)
    assigned_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The case's clinician, kept in step by the services.",
    )
    rule = models.CharField(max_length=40)
    trigger = models.CharField(max_length=60)
    opened_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    satisfied_at = models.DateTimeField(null=True, blank=True)
    satisfied_by = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=10, choices=ObligationStatus.choices)
    target = models.CharField(max_length=12, blank=True)
    attempts_made = models.PositiveSmallIntegerField(null=True, blank=True)
    attempts_required = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    revision = models.PositiveSmallIntegerField()
    position = models.PositiveSmallIntegerField(help_text="Order of opening within the case.")
    evaluated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "rule", "trigger"], name="obligation_once"),
        ]
        indexes = [
            models.Index(fields=["partner", "status", "due_at"], name="obligation_queue"),
            models.Index(
                fields=["assigned_clinician", "status", "due_at"], name="obligation_my_queue"
            ),
            # The work queue: a clinician's cases, then their unsatisfied obligations.
            models.Index(fields=["case", "status"], name="obligation_case_status"),
            models.Index(
                fields=["status", "due_at"],
                name="obligation_unsatisfied",
                condition=Q(status__in=["open", "overdue"]),
            ),
        ]
        ordering = ["case", "position"]

    def __str__(self) -> str:
        return f"{self.rule} {self.trigger} {self.status}"


class Finding(models.Model):
    """A single event that breaks a rule (breach) or should make a clinician think (warning)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="findings")
    partner = models.ForeignKey("organisations.Partner", on_delete=models.CASCADE)
    rule = models.CharField(max_length=40)
    event_id = models.CharField(max_length=60)
    at = models.DateTimeField()
    severity = models.CharField(max_length=10, choices=Severity.choices)
    detail = models.CharField(max_length=500)
    position = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "rule", "event_id"], name="finding_once"),
        ]
        indexes = [models.Index(fields=["partner", "severity", "at"])]
        ordering = ["case", "position"]

    def __str__(self) -> str:
        return f"{self.rule} on {self.event_id}"


class Escalation(models.Model):
    """The Partner informed or escalated to WPO; WPO acknowledges it."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="escalations")
    reason = models.CharField(max_length=20, choices=EscalationReason.choices)
    summary = models.TextField()
    raised_at = models.DateTimeField()
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalations_raised",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalations_acknowledged",
    )
    acknowledgement_note = models.TextField(blank=True)
    event_id = models.CharField(max_length=60)

    class Meta:
        indexes = [models.Index(fields=["acknowledged_at", "raised_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | Q(acknowledged_by__isnull=False),
                name="escalation_acknowledged_by_someone",
            )
        ]

    def __str__(self) -> str:
        return f"escalation {self.reason} of {self.case_id}"


class Override(models.Model):
    """A clinician went ahead although the engine found that the write breaks or strains a
    rule: what it found and the reason given, kept with the case."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="overrides")
    event_ids = models.JSONField(default=list)
    findings = models.JSONField(default=list, help_text="What the engine found, in words.")
    reason = models.TextField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["case", "at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="override_has_reason")]

    def __str__(self) -> str:
        return f"override on {self.case_id} at {self.at:%Y-%m-%d %H:%M}"
