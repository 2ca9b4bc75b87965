"""Choice lists for organisations and client benefits."""

from django.db import models


class BenefitUnit(models.TextChoices):
    PER_ISSUE = "per_issue", "per issue"
    PER_PERSON = "per_person", "per person"
    PER_HOUSEHOLD = "per_household", "per household"
    PER_CASE = "per_case", "per case"


class BenefitPeriod(models.TextChoices):
    CALENDAR_YEAR = "calendar_year", "calendar year"
    CONTRACT_YEAR = "contract_year", "contract year"
    ROLLING_12M = "rolling_12m", "rolling 12 months"
    PER_INCIDENT = "per_incident", "per incident"


class CheckinTrigger(models.TextChoices):
    CASE_CLOSED = "case_closed", "after the case closes"
    INTERVENTION_ENDED = "intervention_ended", "after the intervention ends"
    REFERRAL_MADE = "referral_made", "after the referral to a provider"


class CheckinChannels(models.TextChoices):
    PHONE_OR_EMAIL = "phone_or_email", "phone, or email with consent"
    PHONE = "phone", "phone only"
    EMAIL = "email", "email only (with consent)"


class WindowZone(models.TextChoices):
    """Whose clock a client's contact-time window is stated in."""

    PARTNER = "partner", "the Partner's time"
    PARTICIPANT = "participant", "the participant's time"
