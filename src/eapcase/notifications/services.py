"""Writes of the notifications app: claiming a delivery key with its in-app notifications,
sending a claimed delivery's mail exactly once (at most one duplicate after a crash), and
marking notifications read."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string

from eapcase.accounts.choices import Role
from eapcase.accounts.models import User
from eapcase.core.errors import NotFound
from eapcase.core.localtime import local_text
from eapcase.core.mail import subject_tag
from eapcase.notifications.choices import (
    ESCALATION_RULE,
    PROVIDER_ANSWER_RULE,
    PROVIDER_FLAG_RULE,
    Level,
)
from eapcase.notifications.models import Delivery, HouseSettings, Notification
from eapcase.notifications.sending import BATCH, LEASE, MAX_ATTEMPTS, message_id_of
from eapcase.notifications.tasks import deliveries_send
from eapcase.organisations.models import Operator

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    """What a delivery says, to whom: in-app recipients (users) and mail addresses."""

    subject: str
    body: str
    text: str  # the one-line in-app text
    users: list[Any] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    due_at: datetime | None = None
    path: str = ""  # where the in-app notification leads (blank: the case page)


def delivery_key(*, case: Any, rule: str, trigger: str, level: str) -> str:
    return f"{case.reference}/{rule}/{trigger}/{level}"


def delivery_claim(
    *,
    case: Any,
    rule: str,
    trigger: str,
    level: str,
    due_at: datetime,
    urgent: bool,
    message: Message,
    now: datetime,
    escalation: Any = None,
    from_email: str = "",
    headers: dict[str, str] | None = None,
) -> Delivery | None:
    """Insert the delivery's key (None when another sweep or worker holds it already) and the
    in-app notifications, and queue the mail. Runs inside the caller's transaction, so the
    claim, the notifications and the queued job commit together or not at all. `from_email`
    (blank: DEFAULT_FROM_EMAIL) and `headers` (In-Reply-To, References) go into the mail."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("delivery_claim must run inside the sweep's transaction")
    key = delivery_key(case=case, rule=rule, trigger=trigger, level=level)
    emails = sorted({e for e in message.emails if e})
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                case=case,
                rule=rule,
                trigger=trigger,
                level=level,
                key=key,
                due_at=due_at,
                claimed_at=now,
                urgent=urgent,
                escalation=escalation,
                recipients=emails,
                subject=message.subject[:200],
                body=message.body,
                from_email=from_email,
                message_id=message_id_of(key),
                headers=dict(headers or {}),
                enqueued_at=now if emails else None,
                sent_at=None if emails else now,
            )
    except IntegrityError:
        return None
    Notification.objects.bulk_create(
        Notification(
            recipient=user,
            case=case,
            delivery=delivery,
            key=key,
            level=level,
            text=message.text[:500],
            path=message.path[:200],
            due_at=message.due_at,
            urgent=urgent,
            created_at=now,
        )
        for user in {u.pk: u for u in message.users}.values()
    )
    if emails:
        _enqueue(delivery)
    return delivery


# The deliveries claimed inside `deliveries_batched` (the sweep), to be queued in batches.
_batch: ContextVar[list[int] | None] = ContextVar("eapcase_delivery_batch", default=None)


def _enqueue(delivery: Delivery) -> None:
    batch = _batch.get()
    if batch is None:
        # A claim made by a person's action: its mail is a batch of one, queued with the
        # claim in the same transaction.
        deliveries_send.enqueue([delivery.pk])
    else:
        batch.append(delivery.pk)


@contextmanager
def deliveries_batched() -> Iterator[None]:
    """Claims inside queue no job of their own: on leaving, the deliveries claimed are queued
    in jobs of `BATCH`, each sent over one SMTP connection (ADR 0042). A claim whose
    transaction rolled back is skipped by its job (no lease to take); a job lost with a killed
    worker is queued again by `deliveries_requeue`, as every claimed delivery still unsent a
    lease after it was queued."""
    ids: list[int] = []
    token = _batch.set(ids)
    try:
        yield
    finally:
        # Also when the sweep failed part-way: what it claimed and committed goes out now.
        _batch.reset(token)
        for start in range(0, len(ids), BATCH):
            deliveries_send.enqueue(ids[start : start + BATCH])


def deliveries_requeue(*, now: datetime, lease: timedelta = LEASE) -> int:
    """Queue again every claimed delivery still unsent a lease after it was last queued and
    held by no sender: a worker killed between the claim and the send, or between the send
    and recording it (then the mail goes twice, with the same key header)."""
    stale = list(
        Delivery.objects.filter(
            sent_at__isnull=True,
            attempts__lt=MAX_ATTEMPTS,
            enqueued_at__lte=now - lease,
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        .values_list("pk", flat=True)[:500]
    )
    for pk in stale:
        with transaction.atomic():
            taken = (
                Delivery.objects.filter(pk=pk, sent_at__isnull=True, enqueued_at__lte=now - lease)
                .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
                .update(enqueued_at=now)
            )
            if taken:
                _enqueue(Delivery(pk=pk))
    return len(stale)


def notification_mark_read(*, actor: Any, notification_id: int, now: datetime) -> Notification:
    """Mark one of the actor's own notifications read (reading twice changes nothing)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .filter(recipient_id=actor.pk, pk=notification_id)
            .first()
        )
        if notification is None:
            raise NotFound("No such notification.", field="notification")
        if notification.read_at is None:
            notification.read_at = now
            notification.save(update_fields=["read_at"])
    return notification


def notification_mark_all_read(*, actor: Any, now: datetime) -> int:
    return Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(
        read_at=now
    )


def notice_render(template: str, context: dict[str, Any]) -> str:
    """The body of a notice: plain words, absolute links (`EAPCASE_BASE_URL`), times on the
    case Partner's clock with the zone named (ADR 0034)."""
    return render_to_string(f"notifications/email/{template}.txt", context)


def notice_time(case: Any, at: datetime) -> str:
    """An instant as a notice says it: on the clock of the recipient's Partner. Every
    recipient of a notice about a case is on that case's Partner's clock: its staff, and WPO
    and the provider, who work with the Partner on its case (ADR 0034)."""
    return local_text(at, case.partner.timezone)


def _active_wpo_clinicians() -> list[Any]:
    return list(
        User.objects.filter(
            is_active=True, memberships__active=True, memberships__role=Role.WPO_CLINICIAN
        ).distinct()
    )


def escalation_reminder_hours(case: Any) -> int:
    settings_row = HouseSettings.objects.filter(partner_id=case.partner_id).first()
    return int(settings_row.escalation_reminder_hours) if settings_row else 4


def escalation_notify(*, escalation: Any, now: datetime) -> Delivery | None:
    """Tell WPO that a case was escalated, whoever raised it (a clinician, a dissatisfaction,
    the sweep's automatic CM-EMAIL-INFORM escalation): one keyed delivery per escalation, so
    it is mailed exactly once, retried if a worker dies, and carries its key in the headers.
    The message names the case and what WPO must do by when, no clinical detail. Runs in the
    escalating transaction."""
    case = escalation.case
    operator = Operator.objects.order_by("pk").first()
    inbox = [operator.escalation_email] if operator and operator.escalation_email else []
    reminder_at = escalation.raised_at + timedelta(hours=escalation_reminder_hours(case))
    raised = notice_time(case, escalation.raised_at)
    message = Message(
        subject=f"Case escalated to WPO {subject_tag(case.reference)}",
        body=notice_render(
            "escalation",
            {
                "reference": case.reference,
                "partner": case.partner.name,
                "raised": raised,
                "reminder": notice_time(case, reminder_at),
                "path": "/escalations/",
            },
        ),
        text=(
            f"Case {case.reference} was escalated to WPO on {raised}: acknowledge it "
            f"(reminder {notice_time(case, reminder_at)})."
        ),
        users=_active_wpo_clinicians(),
        emails=inbox,
        path="/escalations/",
    )
    return delivery_claim(
        case=case,
        rule=ESCALATION_RULE,
        trigger=escalation.event_id,
        level=Level.ESCALATION,
        due_at=now,
        urgent=True,
        message=message,
        now=now,
        escalation=escalation,
    )


def _clinician_or_leads(case: Any) -> list[Any]:
    """The case's clinician; the Partner's clinical leads when nobody holds the case."""
    clinician = case.assigned_clinician
    if clinician is not None and clinician.is_active:
        return [clinician]
    return list(
        User.objects.filter(
            is_active=True,
            memberships__active=True,
            memberships__role=Role.PARTNER_LEAD,
            memberships__partner_id=case.partner_id,
        ).distinct()
    )


def escalation_answer_notify(*, escalation: Any, now: datetime) -> Delivery | None:
    """Tell the case's clinician (the leads, when nobody holds the case) that WPO acknowledged
    an escalation: in the app and by mail, one keyed delivery. The mail names the case and
    leads to it; WPO's note is read on the case's timeline. Runs in the acknowledging
    transaction."""
    case = escalation.case
    users = _clinician_or_leads(case)
    raised = notice_time(case, escalation.raised_at)
    answered = notice_time(case, escalation.acknowledged_at)
    path = f"/cases/{case.reference}/"
    message = Message(
        subject=f"WPO acknowledged the escalation {subject_tag(case.reference)}",
        body=notice_render(
            "escalation_answered",
            {
                "reference": case.reference,
                "raised": raised,
                "answered": answered,
                "has_note": bool(escalation.acknowledgement_note),
                "path": path,
            },
        ),
        text=(
            f"WPO acknowledged the escalation of case {case.reference} (raised {raised}) "
            f"on {answered}"
            + (": read WPO's note on the case." if escalation.acknowledgement_note else ".")
        ),
        users=users,
        emails=[u.email for u in users if u.email],
        path=path,
    )
    return delivery_claim(
        case=case,
        rule=ESCALATION_RULE,
        trigger=escalation.event_id,
        level=Level.ESCALATION_ANSWER,
        due_at=now,
        urgent=False,
        message=message,
        now=now,
        escalation=escalation,
    )


_FLAG_WORDS = {"risk": "a risk situation", "goal_slip": "a goal slip"}


def provider_flag_notify(*, case: Any, topic: str, event_id: str, now: datetime) -> Delivery | None:
    """Tell the case's clinician and its Partner's clinical leads, at once and at any hour,
    that the provider flagged a risk or a goal slip: one keyed delivery (in the app and by
    mail), naming the case only. Runs in the recording transaction."""
    leads = User.objects.filter(
        is_active=True,
        memberships__active=True,
        memberships__role=Role.PARTNER_LEAD,
        memberships__partner_id=case.partner_id,
    ).distinct()
    users = list(leads)
    clinician = case.assigned_clinician
    if clinician is not None and clinician.is_active:
        users.append(clinician)
    what = _FLAG_WORDS.get(topic, topic.replace("_", " "))
    path = f"/cases/{case.reference}/"
    message = Message(
        subject=f"Provider flagged {what} {subject_tag(case.reference)}",
        body=notice_render(
            "provider_flag",
            {
                "reference": case.reference,
                "what": what,
                "at": notice_time(case, now),
                "path": path,
            },
        ),
        text=f"The provider flagged {what} on case {case.reference}: review it and set the risk.",
        users=users,
        emails=[u.email for u in users if u.email],
        path=path,
    )
    return delivery_claim(
        case=case,
        rule=PROVIDER_FLAG_RULE,
        trigger=event_id,
        level=Level.PROVIDER_FLAG,
        due_at=now,
        urgent=True,
        message=message,
        now=now,
    )


_TOPIC_WORDS = {"query": "query", "risk": "risk report", "goal_slip": "goal-slip report"}


def provider_answer_notify(*, contact: Any, now: datetime) -> Delivery | None:
    """Tell the provider that the Partner answered their contact or query: the provider's
    users in the app (leading to the referral in the provider portal) and the provider's
    address by mail, one keyed delivery. The answer itself is read in the portal, not in the
    mail. Runs in the answering transaction."""
    case = contact.case
    provider = contact.provider or case.provider
    if provider is None:
        return None
    users = list(
        User.objects.filter(
            is_active=True, memberships__active=True, memberships__provider=provider
        ).distinct()
    )
    what = _TOPIC_WORDS.get(contact.topic, "contact")
    sent = notice_time(case, contact.received_at)
    answered = notice_time(case, contact.responded_at or now)
    path = f"/provider/cases/{case.reference}/"
    emails = [provider.email] if provider.email else []
    message = Message(
        subject=f"The Partner answered your {what} {subject_tag(case.reference)}",
        body=notice_render(
            "provider_answered",
            {
                "reference": case.reference,
                "what": what,
                "sent": sent,
                "answered": answered,
                "partner": case.partner.name,
                "path": path,
            },
        ),
        text=(f"{case.partner.name} answered your {what} of {sent} on referral {case.reference}."),
        users=users,
        emails=emails,
        path=path,
    )
    return delivery_claim(
        case=case,
        rule=PROVIDER_ANSWER_RULE,
        trigger=contact.event_id,
        level=Level.PROVIDER_ANSWER,
        due_at=now,
        urgent=False,
        message=message,
        now=now,
    )


def audit_break_notify(*, problem: str, now: datetime) -> int:
    """Tell every active WPO admin, in the app, that the daily check of the audit trail found
    a break: once a day however often the check is retried (ADR 0035). `problem` names rows
    and events by id and case reference only. Returns how many were told."""
    key = f"audit-break/{now.date().isoformat()}"
    admins = User.objects.filter(
        is_active=True, memberships__active=True, memberships__role=Role.WPO_ADMIN
    ).distinct()
    with transaction.atomic():
        told = set(Notification.objects.filter(key=key).values_list("recipient_id", flat=True))
        fresh = [
            Notification(
                recipient=user,
                key=key,
                level=Level.AUDIT_BREAK,
                text=(
                    f"The daily check of the audit trail failed: {problem}. Keep the database "
                    "as it is; run `eapcase audit verify` and compare with a backup."
                )[:500],
                urgent=True,
                created_at=now,
            )
            for user in admins
            if user.pk not in told
        ]
        Notification.objects.bulk_create(fresh)
    return len(fresh)
