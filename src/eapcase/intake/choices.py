"""Choice lists of intake."""

from django.db import models


class Source(models.TextChoices):
    SMTP = "smtp", "SMTP intake server"
    IMAP = "imap", "IMAP mailbox"
    EML = "eml", "imported .eml file"


class SenderKind(models.TextChoices):
    WPO = "wpo", "WPO staff"
    PARTICIPANT = "participant", "participant"
    PROVIDER = "provider", "provider"
    UNKNOWN = "unknown", "unknown sender"


class Status(models.TextChoices):
    LINKED = "linked", "on its case"  # an outreach Email with its obligations
    TRIAGE = "triage", "waiting in triage"  # no case yet
    AUTOMATIC = "automatic", "auto-reply or bounce"  # stored and shown, no obligations
    NO_OBLIGATION = "no_obligation", "on its case, no email rules"  # provider mail (A7)


class Automatic(models.TextChoices):
    NONE = "", "written by a person"
    AUTO_REPLY = "auto_reply", "auto-reply"
    BOUNCE = "bounce", "bounce (delivery status)"


class LinkedBy(models.TextChoices):
    NONE = "", "not linked"
    THREAD = "thread", "a reply to our mail"
    SUBJECT_TOKEN = "subject_token", "case reference in the subject"
    PLUS_ADDRESS = "plus_address", "case reference in the address"
    SENDER_CASE = "sender_case", "the sender's open case"
    TRIAGE = "triage", "linked in triage"
