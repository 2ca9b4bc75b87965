"""Inbound mail as received: the raw message (stored before anything else), what parsing and
linking made of it, its attachments (case documents), and the triage state of unlinked mail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from eapcase.intake.choices import Automatic, LinkedBy, SenderKind, Source, Status

# Larger messages are refused (SMTP 552, `eapcase intake eml` and IMAP report them).
MAX_MESSAGE_BYTES = 25 * 1024 * 1024


class InboundMessage(models.Model):
    """One message delivered to a Partner's mailbox, kept byte for byte.

    `received_at` is the receipt time the email rules run from: the earlier of the mail
    server's receipt (IMAP INTERNALDATE) and ingestion, never the sender's Date header.
    A message that became an outreach `Email` (with its CM-EMAIL-* obligations) points to it;
    one that is not on a case yet is in triage (status `triage`)."""

    source = models.CharField(max_length=10, choices=Source.choices)
    raw = models.BinaryField(editable=False)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    # Message-ID, or "sha256:<digest>" for a message without one: a second delivery is found.
    dedupe_key = models.CharField(max_length=520, unique=True)
    message_id = models.CharField(max_length=500, blank=True)
    mail_from = models.CharField(max_length=320, blank=True, help_text="SMTP envelope sender.")
    rcpt_tos = models.JSONField(default=list, blank=True, help_text="SMTP envelope recipients.")
    received_at = models.DateTimeField()
    ingested_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True, help_text="The Date header.")
    from_address = models.CharField(max_length=320, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    body = models.TextField(blank=True)
    urgent = models.BooleanField(default=False)
    automatic = models.CharField(
        max_length=12, choices=Automatic.choices, blank=True, default=Automatic.NONE
    )
    sender_kind = models.CharField(
        max_length=12, choices=SenderKind.choices, default=SenderKind.UNKNOWN
    )
    parse_error = models.TextField(blank=True)
    status = models.CharField(max_length=15, choices=Status.choices)
    triage_reason = models.CharField(max_length=300, blank=True)
    partner = models.ForeignKey(
        "organisations.Partner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inbound_messages",
        help_text="The Partner whose mailbox received it (by recipient address).",
    )
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inbound_messages",
    )
    email = models.OneToOneField(
        "outreach.Email",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inbound",
    )
    linked_by = models.CharField(
        max_length=15, choices=LinkedBy.choices, blank=True, default=LinkedBy.NONE
    )
    linked_at = models.DateTimeField(null=True, blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )

    # Set by message_ingest on the instance it returns: this delivery was seen before.
    duplicate: bool = False

    class Meta:
        indexes = [
            models.Index(fields=["status", "received_at"]),
            models.Index(fields=["partner", "status", "received_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="linked") | Q(case__isnull=False, email__isnull=False),
                name="inbound_linked_has_email",
            ),
            models.CheckConstraint(
                condition=~Q(status="triage") | Q(case__isnull=True),
                name="inbound_triage_has_no_case",
            ),
        ]
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return f"inbound message {self.pk} ({self.status})"


class Attachment(models.Model):
    """A file that came with an inbound message: a document of its case once linked. Files are
    under MEDIA_ROOT/intake/, which no URL serves: they are read through a checked view."""

    message = models.ForeignKey(
        InboundMessage, on_delete=models.PROTECT, related_name="attachments"
    )
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="email_attachments",
    )
    file = models.FileField(upload_to="intake/attachments/%Y/%m/")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["message", "id"]

    def __str__(self) -> str:
        return self.filename
