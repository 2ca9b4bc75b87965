"""What the reports keep: one fact row per obligation (the engine's stored answer with the
case's client, the month in the Partner's zone and the time it took, precomputed so that a
year's report is a GROUP BY), the mark up to which the facts are current, WPO's thresholds
for frequent users, and the "what if" replays of a draft policy pack."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ObligationFact(models.Model):
    """One obligation as the report counts it. Rebuilt for a whole case whenever the engine
    re-evaluates the case (services.facts_catch_up); never edited by hand."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    partner = models.ForeignKey("organisations.Partner", on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(
        "organisations.ClientOrganisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rule = models.CharField(max_length=40)
    trigger = models.CharField(max_length=60)
    opened_at = models.DateTimeField()
    opened_day = models.DateField(help_text="The day it opened, in the Partner's time zone.")
    month = models.DateField(help_text="First day of opened_day's month.")
    due_at = models.DateTimeField(null=True, blank=True)
    satisfied_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10)
    satisfy_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Time to satisfy: business time for business-day rules, else elapsed.",
    )
    satisfy_bucket = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="satisfy_seconds' bucket (reports.histogram)."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "rule", "trigger"], name="fact_once"),
        ]
        indexes = [
            models.Index(fields=["opened_day", "rule", "partner"], name="fact_period"),
            models.Index(fields=["partner", "opened_day"], name="fact_partner_period"),
            # The overdue count reads the unsatisfied ones only: few at any time.
            models.Index(
                fields=["opened_day", "due_at"],
                name="fact_unsatisfied",
                condition=models.Q(status__in=["open", "overdue"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.trigger} {self.status}"


class _Rollup(models.Model):
    """Facts added up by a period, rule, Partner and client organisation, with a histogram of
    times to satisfy (reports.histogram). Kept exactly in step with the facts by
    services.facts_rebuild, which applies each change as a difference."""

    rule = models.CharField(max_length=40)
    partner = models.ForeignKey("organisations.Partner", on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(
        "organisations.ClientOrganisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    opened = models.PositiveIntegerField(default=0)
    met = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)
    breached = models.PositiveIntegerField(default=0)
    unsatisfied = models.PositiveIntegerField(default=0)
    histogram = models.JSONField(default=dict, help_text="bucket -> obligations satisfied")

    class Meta:
        abstract = True


class ComplianceMonth(_Rollup):
    """By month (in the Partner's zone): whole months of a report."""

    month = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "rule", "partner", "client"],
                name="compliance_month_once",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.rule} {self.partner_id}"


class ComplianceDay(_Rollup):
    """By day (in the Partner's zone): the days of a report's first and last months."""

    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "rule", "partner", "client"],
                name="compliance_day_once",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.rule} {self.partner_id}"


class FactsMark(models.Model):
    """A single row: the latest `Obligation.evaluated_at` the facts were rebuilt for."""

    through = models.DateTimeField(null=True, blank=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"facts through {self.through}"


class FrequentUserThresholds(models.Model):
    """WPO's thresholds for the frequent-users list (a single row, edited in the admin)."""

    cases = models.PositiveSmallIntegerField(
        default=3, help_text="List a participant with at least this many cases in 12 months."
    )
    contacts = models.PositiveSmallIntegerField(
        default=12,
        help_text="List a participant with at least this many contacts in 12 months "
        "(contact attempts to them, their emails and their queries).",
    )

    class Meta:
        verbose_name = "frequent-user thresholds"
        verbose_name_plural = "frequent-user thresholds"

    def __str__(self) -> str:
        return f"{self.cases} cases or {self.contacts} contacts in 12 months"


class WhatIf(models.Model):
    """A replay of a period's cases under a draft policy pack, run by the worker."""

    class State(models.TextChoices):
        QUEUED = "queued", "waiting for the worker"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    pack_text = models.TextField()
    pack_name = models.CharField(max_length=200)
    period_from = models.DateField()
    period_to = models.DateField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    cases_total = models.PositiveIntegerField(default=0)
    cases_done = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"what if {self.pack_name} ({self.state})"
