"""House settings (reminder share and targets for work the policy sets no deadline for), the
delivery keys that make every reminder and escalation happen exactly once, and the in-app
notifications users read."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from eapcase.notifications.choices import Level

_SHARE_VALIDATORS = [MinValueValidator(Decimal("0.05")), MaxValueValidator(Decimal("0.95"))]


class HouseSettings(models.Model):
    """A Partner's house settings: when reminders go out, and the targets (in business days)
    of work the policy gives no deadline. They order the work queue and drive reminders; they
    never change the status the engine computes (rules.md, "Where the policy sets no
    deadline")."""

    partner = models.OneToOneField(
        "organisations.Partner", on_delete=models.CASCADE, related_name="house_settings"
    )
    reminder_share = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.75"),
        validators=_SHARE_VALIDATORS,
        help_text="Share of an obligation's allowance after which the clinician is reminded.",
    )
    review_days = models.PositiveSmallIntegerField(
        default=2, help_text="First-session review within N business days of the session."
    )
    notes_upload_days = models.PositiveSmallIntegerField(
        default=5, help_text="Provider case notes within N business days of the intervention end."
    )
    notes_review_days = models.PositiveSmallIntegerField(
        default=2, help_text="Case notes reviewed within N business days of their upload."
    )
    query_days = models.PositiveSmallIntegerField(
        default=2, help_text="A participant query resolved within N business days."
    )
    outreach_spacing_days = models.PositiveSmallIntegerField(
        default=1,
        help_text="Business days allowed per required outreach attempt (2 attempts: 2 days).",
    )
    escalation_reminder_hours = models.PositiveSmallIntegerField(
        default=4, help_text="WPO is reminded of an escalation unacknowledged this many hours."
    )

    class Meta:
        verbose_name_plural = "house settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    reminder_share__gte=Decimal("0.05"), reminder_share__lte=Decimal("0.95")
                ),
                name="house_settings_share_range",
            )
        ]

    def __str__(self) -> str:
        return f"house settings of {self.partner_id}"


class ClientHouseSettings(models.Model):
    """Where a client organisation's procedure says so: its own reminder share or targets,
    overriding the Partner's for that client's cases. Blank fields follow the Partner."""

    client = models.OneToOneField(
        "organisations.ClientOrganisation",
        on_delete=models.CASCADE,
        related_name="house_settings",
    )
    reminder_share = models.DecimalField(
        max_digits=3, decimal_places=2, null=True, blank=True, validators=_SHARE_VALIDATORS
    )
    review_days = models.PositiveSmallIntegerField(null=True, blank=True)
    notes_upload_days = models.PositiveSmallIntegerField(null=True, blank=True)
    notes_review_days = models.PositiveSmallIntegerField(null=True, blank=True)
    query_days = models.PositiveSmallIntegerField(null=True, blank=True)
    outreach_spacing_days = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "client house settings"

    def __str__(self) -> str:
        return f"house settings of client {self.client_id}"


class Delivery(models.Model):
    """The key of one reminder or escalation: (case, rule, trigger) names the obligation (its
    rows are replaced on every refresh, so never its primary key) and `level` what is sent.
    The row is inserted, in the transaction that writes the notifications, BEFORE anything is
    sent (the claim); `sent_at` is set after the mail went out. The key travels in the mail's
    `X-Eapcase-Key` header, so a duplicate after a crash is recognisable."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="deliveries")
    rule = models.CharField(max_length=40)
    trigger = models.CharField(max_length=60)
    level = models.CharField(max_length=20, choices=Level.choices)
    key = models.CharField(max_length=200, help_text="case/rule/trigger/level, as in the mail.")
    due_at = models.DateTimeField(help_text="When it was due to be delivered.")
    claimed_at = models.DateTimeField()
    urgent = models.BooleanField(default=False)
    escalation = models.ForeignKey(
        "cases.Escalation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    recipients = models.JSONField(default=list, help_text="Email addresses.")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    from_email = models.CharField(
        max_length=254, blank=True, help_text="The sender; blank: DEFAULT_FROM_EMAIL."
    )
    message_id = models.CharField(
        max_length=200,
        blank=True,
        db_index=True,
        help_text="The mail's Message-ID (from the key): replies are threaded by it.",
    )
    headers = models.JSONField(
        default=dict, blank=True, help_text="Further headers (In-Reply-To, References)."
    )
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text="A sender holds the delivery until then."
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(
        max_length=300, blank=True, help_text="Why the last attempt to send failed."
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["case", "rule", "trigger", "level"], name="delivery_key_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["enqueued_at"],
                name="delivery_unsent",
                condition=Q(sent_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.key


class Notification(models.Model):
    """An in-app notification for one user; unread until `read_at`."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    delivery = models.ForeignKey(
        Delivery, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    key = models.CharField(max_length=200, blank=True)
    level = models.CharField(max_length=20, choices=Level.choices)
    text = models.CharField(max_length=500)
    path = models.CharField(
        max_length=200,
        blank=True,
        help_text="Where the notification leads (blank: the case page of its case).",
    )
    due_at = models.DateTimeField(
        null=True, blank=True, help_text="The deadline, or the house target, it is about."
    )
    urgent = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "recipient"], name="notification_once_per_recipient"
            )
        ]
        indexes = [
            models.Index(
                fields=["recipient", "created_at"],
                name="notification_unread",
                condition=Q(read_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.level} for {self.recipient_id}: {self.key}"
