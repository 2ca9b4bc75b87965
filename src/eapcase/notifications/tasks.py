"""Background jobs (django-tasks, run by `eapcase worker`): sending a claimed delivery's mail.
A job is the edge: it reads the clock and passes `now` down."""

from __future__ import annotations

from django_tasks import task

from eapcase.core import clock
from eapcase.notifications.sending import delivery_send_now


@task()
def delivery_send(delivery_id: int) -> bool:
    """Send the mail of one claimed delivery (nothing when it was sent or is being sent)."""
    return delivery_send_now(delivery_id=delivery_id, now=clock.now())
