"""Choice lists of compliance; values are those of the history format and `eapcase check`."""

from django.db import models


class ObligationStatus(models.TextChoices):
    OPEN = "open", "open"
    OVERDUE = "overdue", "overdue"
    MET = "met", "met"
    LATE = "late", "late"
    BREACHED = "breached", "breached"


class Severity(models.TextChoices):
    BREACH = "breach", "breach"
    WARNING = "warning", "warning"


class EscalationReason(models.TextChoices):
    DISSATISFACTION = "dissatisfaction", "participant dissatisfied"
    NO_CONTACT = "no_contact", "no contact within 24 hours of an email"
    COMPLAINT = "complaint", "complaint"
    RISK = "risk", "risk"
    OTHER = "other", "other"


UNSATISFIED = (ObligationStatus.OPEN, ObligationStatus.OVERDUE)
