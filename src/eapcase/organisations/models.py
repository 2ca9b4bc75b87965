"""Organisations of the network and their reference data: the operator, Partners with their
business calendars, provider practices and providers, client organisations with benefits,
access lines and their specific procedures (versioned)."""

from __future__ import annotations

from datetime import time

from django.db import models
from django.db.models import Q

from eapcase.organisations.choices import (
    BenefitPeriod,
    BenefitUnit,
    CheckinChannels,
    CheckinTrigger,
    WindowZone,
)


class Operator(models.Model):
    """The EAP operator (WPO): it runs the service, is informed and receives escalations."""

    name = models.CharField(max_length=200)
    escalation_email = models.EmailField(help_text="Inbox that receives escalations to WPO.")
    staff_email_domains = models.CharField(
        max_length=500, blank=True, help_text="Comma-separated domains of WPO staff addresses."
    )

    def __str__(self) -> str:
        return self.name


class Partner(models.Model):
    """A Partner organisation that manages cases, with its business calendar (rules.md "Time")."""

    code = models.SlugField(
        max_length=40, unique=True, help_text="Id in case histories, e.g. P-UK."
    )
    name = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, help_text="IANA time zone, e.g. Europe/London.")
    country = models.CharField(max_length=2, help_text="ISO 3166 country for public holidays.")
    subdivision = models.CharField(max_length=10, blank=True)
    opening = models.TimeField(default=time(9, 0))
    closing = models.TimeField(default=time(17, 0))
    workdays = models.CharField(max_length=40, default="Mon-Fri")
    email = models.EmailField(blank=True, help_text="The Partner's case mailbox.")
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(opening__lt=models.F("closing")), name="partner_hours"
            )
        ]

    def __str__(self) -> str:
        return self.name


class PartnerClosedDate(models.Model):
    """A day the Partner is closed beyond weekends and public holidays."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="closed_dates")
    date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "date"], name="partner_closed_date_once")
        ]
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.partner.code} closed {self.date}"


class ProviderPractice(models.Model):
    """A counselling practice that providers belong to."""

    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)

    def __str__(self) -> str:
        return self.name


class Provider(models.Model):
    """A counsellor who holds sessions for the Partners that refer to them."""

    practice = models.ForeignKey(
        ProviderPractice, on_delete=models.PROTECT, related_name="providers"
    )
    partners = models.ManyToManyField(Partner, related_name="providers", blank=True)
    code = models.SlugField(max_length=40, unique=True, help_text="Id in case histories.")
    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    country = models.CharField(max_length=2)
    subdivision = models.CharField(max_length=10, blank=True)
    modalities = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class ClientOrganisation(models.Model):
    """An employer whose staff the EAP serves."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    countries = models.CharField(max_length=200, help_text="Comma-separated ISO countries served.")
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class Benefit(models.Model):
    """The counselling benefit a client organisation buys, valid from a date."""

    client = models.ForeignKey(
        ClientOrganisation, on_delete=models.CASCADE, related_name="benefits"
    )
    sessions = models.PositiveSmallIntegerField()
    unit = models.CharField(max_length=20, choices=BenefitUnit.choices)
    period = models.CharField(max_length=20, choices=BenefitPeriod.choices)
    # The month a contract year starts in (1-12; period "contract_year"), default the month of
    # valid_from.
    year_starts_month = models.PositiveSmallIntegerField(null=True, blank=True)
    valid_from = models.DateField()
    # The contract's end (None: open-ended). A client with no benefit valid today has no active
    # contract: no case is opened for it.
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "valid_from"], name="benefit_once_per_date"),
            models.CheckConstraint(condition=Q(sessions__gte=1), name="benefit_sessions_positive"),
            models.CheckConstraint(
                condition=Q(year_starts_month__isnull=True)
                | Q(year_starts_month__gte=1, year_starts_month__lte=12),
                name="benefit_year_month",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="benefit_valid_range",
            ),
        ]
        ordering = ["client", "-valid_from"]

    def __str__(self) -> str:
        return f"{self.client.code}: {self.sessions} sessions {self.get_unit_display()}"


class PartnerRoute(models.Model):
    """WPO's routing table: which Partner manages new cases of a client organisation's staff
    in a country (and region). The most specific row wins: client and region, client, region,
    country alone."""

    client = models.ForeignKey(
        ClientOrganisation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="routes",
        help_text="Empty: every client organisation.",
    )
    country = models.CharField(max_length=2)
    region = models.CharField(max_length=60, blank=True, help_text="Empty: the whole country.")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="routes")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "country", "region"],
                name="partner_route_once",
                nulls_distinct=False,
            )
        ]
        ordering = ["country", "region", "client"]

    def __str__(self) -> str:
        where = f"{self.country}/{self.region}" if self.region else self.country
        return f"{self.client.code if self.client else '*'} {where} -> {self.partner.code}"


class AccessLine(models.Model):
    """The client's EAP phone line for a country: messages ask participants to call it."""

    client = models.ForeignKey(
        ClientOrganisation, on_delete=models.CASCADE, related_name="access_lines"
    )
    country = models.CharField(max_length=2)
    language = models.CharField(max_length=10, default="en")
    number = models.CharField(max_length=40)
    hours = models.CharField(max_length=100, default="24 hours a day, 7 days a week")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "country", "language"], name="access_line_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client.code} {self.country}: {self.number}"


class ClientProcedure(models.Model):
    """A client organisation's specific case-management procedures (policy, Clinical Practice),
    as versioned data: a new version supersedes the old from its effective date."""

    client = models.ForeignKey(
        ClientOrganisation, on_delete=models.CASCADE, related_name="procedures"
    )
    version = models.PositiveIntegerField()
    effective_from = models.DateField()
    checkin_required = models.BooleanField(default=False)
    checkin_trigger = models.CharField(max_length=30, choices=CheckinTrigger.choices, blank=True)
    checkin_after_business_days = models.PositiveSmallIntegerField(default=0)
    checkin_due_business_days = models.PositiveSmallIntegerField(default=1)
    checkin_channels = models.CharField(
        max_length=20, choices=CheckinChannels.choices, default=CheckinChannels.PHONE_OR_EMAIL
    )
    instructions = models.TextField(blank=True, help_text="Shown to clinicians on every case.")
    # The hours the client allows contact with participants (ADR 0027): the attempt form shows
    # them and asks for a reason to go ahead outside them. An end before the start spans
    # midnight (18:00 to 08:00). Both empty: no window.
    contact_window_start = models.TimeField(null=True, blank=True)
    contact_window_end = models.TimeField(null=True, blank=True)
    contact_window_zone = models.CharField(
        max_length=12,
        choices=WindowZone.choices,
        default=WindowZone.PARTNER,
        db_default=WindowZone.PARTNER,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "version"], name="procedure_version_once"),
            models.CheckConstraint(
                condition=Q(contact_window_start__isnull=True, contact_window_end__isnull=True)
                | (
                    Q(contact_window_start__isnull=False, contact_window_end__isnull=False)
                    & ~Q(contact_window_start=models.F("contact_window_end"))
                ),
                name="procedure_window_both_ends",
            ),
            models.CheckConstraint(
                condition=Q(checkin_required=False) | ~Q(checkin_trigger=""),
                name="procedure_checkin_has_trigger",
            ),
        ]
        ordering = ["client", "-version"]

    def __str__(self) -> str:
        return f"{self.client.code} procedures v{self.version}"
