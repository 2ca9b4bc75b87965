"""Sending one claimed delivery's mail: the lease taken by a conditional UPDATE, the mail sent
with its key header, the send recorded. Run by the `delivery_send` job (tasks.py)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F, Q

from eapcase.core.text import header_text
from eapcase.notifications.models import Delivery

# A sender holds a delivery this long; a delivery still unsent after it is sent again.
LEASE = timedelta(minutes=2)
KEY_HEADER = "X-Eapcase-Key"


def _message_id(key: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@eapcase>"


def delivery_send_now(*, delivery_id: int, now: datetime, lease: timedelta = LEASE) -> bool:
    """Send a claimed delivery's mail unless it was sent or another sender holds it. The lease
    is taken by a conditional UPDATE (one winner on either database) and no transaction is
    held while the mail goes out."""
    taken = (
        Delivery.objects.filter(pk=delivery_id, sent_at__isnull=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        .update(lease_until=now + lease, attempts=F("attempts") + 1)
    )
    if not taken:
        return False
    delivery = Delivery.objects.get(pk=delivery_id)
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or 10
    message = EmailMessage(
        connection=get_connection(fail_silently=False, timeout=timeout),
        subject=header_text(delivery.subject),  # one line, no bidi or control characters
        body=delivery.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(delivery.recipients),
        headers={KEY_HEADER: delivery.key, "Message-ID": _message_id(delivery.key)},
    )
    message.send()
    delivery_record_sent(delivery_id=delivery_id, now=now)
    return True


def delivery_record_sent(*, delivery_id: int, now: datetime) -> None:
    Delivery.objects.filter(pk=delivery_id).update(sent_at=now, lease_until=None)
