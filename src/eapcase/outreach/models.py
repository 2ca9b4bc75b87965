"""Call backs and outreach requests, contact attempts, and emails received."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from eapcase.notifications.sending import MAX_ATTEMPTS, delivery_status
from eapcase.outreach.choices import (
    Channel,
    EmailFrom,
    MessageLeft,
    Outcome,
    Purpose,
    RequestKind,
    Target,
)
from eapcase.outreach.mail_templates import placeholders_check


class OutreachRequest(models.Model):
    """A Clinical Call Back or an outreach (general, after a complaint, a check-in)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="outreach")
    kind = models.CharField(max_length=10, choices=RequestKind.choices)
    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.GENERAL)
    target = models.CharField(max_length=12, choices=Target.choices, default=Target.PARTICIPANT)
    requested_at = models.DateTimeField()
    not_before = models.DateTimeField(null=True, blank=True)
    due = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=500, blank=True)
    event_id = models.CharField(max_length=60)
    close_event_id = models.CharField(max_length=60, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="outreach") | Q(purpose="general", target="participant"),
                name="callback_is_to_participant",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | ~Q(close_reason=""),
                name="outreach_close_reason",
            ),
            models.UniqueConstraint(fields=["case", "event_id"], name="outreach_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_id} of {self.case_id}"


class ContactAttempt(models.Model):
    """One attempt to contact the participant or the provider."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="contact_attempts"
    )
    target = models.CharField(max_length=12, choices=Target.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    message = models.CharField(max_length=10, choices=MessageLeft.choices)
    summary = models.TextField()
    attempted_at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    event_id = models.CharField(max_length=60)

    class Meta:
        ordering = ["case", "attempted_at", "id"]
        indexes = [models.Index(fields=["case", "attempted_at"])]

    def __str__(self) -> str:
        return f"attempt {self.event_id} of {self.case_id}"


class Email(models.Model):
    """An email from WPO or a participant that the Partner must acknowledge and action."""

    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    sender_kind = models.CharField(max_length=12, choices=EmailFrom.choices)
    from_address = models.EmailField(blank=True)
    subject = models.CharField(max_length=500, blank=True)
    body = models.TextField(blank=True)
    message_id = models.CharField(max_length=500, blank=True)
    urgent = models.BooleanField(default=False)
    needs_contact = models.BooleanField(default=True)
    received_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    actioned_at = models.DateTimeField(null=True, blank=True)
    action_summary = models.TextField(blank=True)
    event_id = models.CharField(max_length=60, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["urgent", "received_at"]),
            # The email queue reads only the emails still to acknowledge or action (a few
            # thousand of hundreds of thousands): this index holds just those.
            models.Index(
                fields=["urgent", "received_at"],
                condition=Q(acknowledged_at__isnull=True) | Q(actioned_at__isnull=True),
                name="email_pending",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"], condition=~Q(message_id=""), name="email_message_id_once"
            )
        ]

    def __str__(self) -> str:
        return f"email {self.event_id or self.pk}"


class EmailUrgencyChange(models.Model):
    """A clinician re-rated an email's urgency, with the reason. The email's `urgent` column
    holds the urgency now; its `email_received` event keeps the urgency it arrived with (ADR
    0033). Urgency orders the queue and times the reminders; the policy judges no deadline by
    it."""

    email = models.ForeignKey(Email, on_delete=models.CASCADE, related_name="urgency_changes")
    urgent = models.BooleanField(help_text="The urgency set.")
    reason = models.TextField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["email", "at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="email_urgency_change_reason")
        ]

    def __str__(self) -> str:
        return f"urgency of {self.email_id} set to {self.urgent}"


class OutboundMessage(models.Model):
    """An email to the participant a clinician sent from the case: written in the transaction
    of the write that causes it, with the keyed `notifications.Delivery` the worker sends and
    retries (ADR 0031). Holds no message body (the delivery does, to send it); the status is the
    delivery's. Rows written before ADR 0031 have no delivery: `sent_at` and `error` are theirs."""

    class Kind(models.TextChoices):
        ACKNOWLEDGEMENT = "acknowledgement", "acknowledgement of a participant's email"
        DETAILED = "detailed", "detailed message after an unsuccessful attempt"
        ESCALATION = "escalation", "escalation notification to WPO"

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="outbound_messages"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=500)
    message_id = models.CharField(max_length=500, unique=True)
    in_reply_to = models.CharField(max_length=500, blank=True)
    event_id = models.CharField(
        max_length=60, blank=True, help_text="The case event the message belongs to."
    )
    created_at = models.DateTimeField()
    delivery = models.OneToOneField(
        "notifications.Delivery",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outbound_message",
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["case", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id}"

    @property
    def status(self) -> str:
        """`queued`, `sent` or `failed`: the delivery's, which the worker updates."""
        if self.delivery is not None:
            return delivery_status(self.delivery)
        return "sent" if self.sent_at else ("failed" if self.error else "queued")

    @property
    def attempts(self) -> int:
        return self.delivery.attempts if self.delivery is not None else int(bool(self.sent_at))

    @property
    def given_up(self) -> bool:
        """The worker stopped retrying: a person must look at the mail server or address."""
        return self.status == "failed" and self.attempts >= MAX_ATTEMPTS


class MailTemplate(models.Model):
    """What a client organisation's participants are sent, per kind of mail: a subject and a
    body with placeholders (outreach/mail_templates.py lists them; none carries clinical
    detail). A client without its own template gets the default. Edited by WPO admins."""

    class Kind(models.TextChoices):
        ACKNOWLEDGEMENT = "acknowledgement", "acknowledgement of a participant's email"
        DETAILED = "detailed", "detailed message after an unsuccessful attempt"

    client = models.ForeignKey(
        "organisations.ClientOrganisation", on_delete=models.CASCADE, related_name="mail_templates"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField(
        max_length=150,
        help_text="One line; the case tag [EAP-...] is added when missing.",
    )
    body = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "kind"], name="mail_template_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.client}"

    def clean(self) -> None:
        placeholders_check(self.kind, subject=self.subject, body=self.body)
