"""Background jobs (django-tasks, run by `eapcase worker`): sending claimed deliveries' mail,
one job per batch. A job is the edge: it reads the clock and passes `now` down."""

from __future__ import annotations

from django_tasks import task

from eapcase.core import clock
from eapcase.notifications.sending import deliveries_send_now, delivery_send_now


@task()
def delivery_send(delivery_id: int) -> bool:
    """Send the mail of one claimed delivery (nothing when it was sent or is being sent).
    Nothing queues it any more (`deliveries_send` sends batches, ADR 0042); kept so that the
    jobs a database already holds from before still run."""
    return delivery_send_now(delivery_id=delivery_id, now=clock.now())


@task()
def deliveries_send(delivery_ids: list[int]) -> int:
    """Send the mail of a batch of claimed deliveries over one SMTP connection."""
    return deliveries_send_now(delivery_ids=delivery_ids, now=clock.now())
