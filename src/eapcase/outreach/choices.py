"""Choice lists of outreach; values are those of the history format (shared/spec)."""

from django.db import models


class RequestKind(models.TextChoices):
    CALLBACK = "callback", "clinical call back"
    OUTREACH = "outreach", "outreach"


class Purpose(models.TextChoices):
    GENERAL = "general", "general"
    COMPLAINT = "complaint", "after a complaint"
    CHECKIN = "checkin", "clinical check-in"


class Target(models.TextChoices):
    PARTICIPANT = "participant", "participant"
    PROVIDER = "provider", "provider"


class Channel(models.TextChoices):
    PHONE = "phone", "phone"
    EMAIL = "email", "email"


class Outcome(models.TextChoices):
    REACHED = "reached", "reached"
    NOT_REACHED = "not_reached", "not reached"


class MessageLeft(models.TextChoices):
    DETAILED = "detailed", "detailed message"
    GENERIC = "generic", "generic message"
    NONE = "none", "no message"


class EmailFrom(models.TextChoices):
    WPO = "wpo", "WPO"
    PARTICIPANT = "participant", "participant"
