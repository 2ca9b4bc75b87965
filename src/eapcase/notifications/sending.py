"""Sending claimed deliveries' mail: the lease taken by a conditional UPDATE, the mail sent
with its key header and its Message-ID, the send (or the failure) recorded. Run by the
`deliveries_send` job (tasks.py), one job and one SMTP connection per batch of deliveries
(issue #16 item 3, ADR 0042)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F, Q

from eapcase.core.text import header_text
from eapcase.notifications.models import Delivery

# A sender holds a delivery this long; a delivery still unsent after it is sent again.
LEASE = timedelta(minutes=2)
KEY_HEADER = "X-Eapcase-Key"
# A delivery whose mail failed this many times is left for a person to look at.
MAX_ATTEMPTS = 8


def message_id_of(key: str) -> str:
    """The Message-ID of a delivery's mail: the same for every attempt (a duplicate after a
    crash is one message to mail clients), and what a reply's In-Reply-To names (ADR 0032)."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@eapcase>"


def delivery_status(delivery: Delivery) -> str:
    """`sent`, `queued` (not tried yet, or being retried) or `failed` (the last attempt failed;
    retried until MAX_ATTEMPTS)."""
    if delivery.sent_at is not None:
        return "sent"
    return "failed" if delivery.last_error else "queued"


# Deliveries sent by one job over one SMTP connection.
BATCH = 50


class BatchFailed(Exception):
    """Some mails of a batch failed (each recorded on its delivery, retried by the sweep)."""


def deliveries_send_now(*, delivery_ids: list[int], now: datetime, lease: timedelta = LEASE) -> int:
    """Send the mail of each claimed delivery (as `delivery_send_now`) over one SMTP
    connection; returns how many were sent. A failed mail does not stop the others; the batch
    then raises `BatchFailed` so that the job shows as failed."""
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or 10
    connection = get_connection(fail_silently=False, timeout=timeout)
    sent = failed = 0
    _open(connection)
    try:
        for delivery_id in delivery_ids:
            try:
                sent += delivery_send_now(
                    delivery_id=delivery_id, now=now, lease=lease, connection=connection
                )
            except Exception:
                failed += 1
                # The connection may be broken: the rest of the batch goes over a new one.
                connection.close()
                _open(connection)
    finally:
        connection.close()
    if failed:
        raise BatchFailed(f"{failed} of {len(delivery_ids)} mails failed")
    return sent


def _open(connection: Any) -> None:
    """Open the batch's connection here, so that each send leaves it open for the next
    (Django's SMTP backend closes only a connection it opened itself). A failed open is left
    to the next send, which fails and records its error on its delivery."""
    try:
        connection.open()
    except Exception:
        connection.close()


def delivery_send_now(
    *, delivery_id: int, now: datetime, lease: timedelta = LEASE, connection: Any = None
) -> bool:
    """Send a claimed delivery's mail unless it was sent or another sender holds it. The lease
    is taken by a conditional UPDATE (one winner on either database) and no transaction is
    held while the mail goes out. A failure is recorded on the delivery (the sweep queues it
    again after the lease) and raised to the job. `connection`: an SMTP connection shared by a
    batch (else one of its own)."""
    taken = (
        Delivery.objects.filter(pk=delivery_id, sent_at__isnull=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        .update(lease_until=now + lease, attempts=F("attempts") + 1)
    )
    if not taken:
        return False
    delivery = Delivery.objects.get(pk=delivery_id)
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or 10
    headers = {
        KEY_HEADER: delivery.key,
        "Message-ID": delivery.message_id or message_id_of(delivery.key),
        **{name: header_text(str(value)) for name, value in delivery.headers.items()},
    }
    message = EmailMessage(
        connection=connection or get_connection(fail_silently=False, timeout=timeout),
        subject=header_text(delivery.subject),  # one line, no bidi or control characters
        body=delivery.body,
        from_email=delivery.from_email or settings.DEFAULT_FROM_EMAIL,
        to=list(delivery.recipients),
        headers=headers,
    )
    try:
        message.send()
    except Exception as exc:
        # The error's class and text (an SMTP reply) are kept on the row for the case page,
        # never logged: a refused recipient is named in it.
        error = f"{type(exc).__name__}: {exc}"[:300]
        Delivery.objects.filter(pk=delivery_id).update(last_error=error, lease_until=None)
        raise
    delivery_record_sent(delivery_id=delivery_id, now=now)
    return True


def delivery_record_sent(*, delivery_id: int, now: datetime) -> None:
    Delivery.objects.filter(pk=delivery_id).update(sent_at=now, lease_until=None, last_error="")
