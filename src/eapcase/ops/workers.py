"""Workers seen alive, and the jobs a dead one left behind.

Every loop of `eapcase worker` writes its heartbeat (`worker_beat`). django-tasks-db marks a
job RUNNING when a worker claims it and never looks at it again, so a job whose worker was
killed would stay RUNNING for ever; `jobs_requeue_abandoned` puts such a job back to READY once
its lease is over and the worker that claimed it has not been seen for a lease (or has been
restarted since under the same id). The job then runs again: the jobs are written to be
repeatable (each mail carries its delivery key, `notifications.services`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from eapcase.ops.models import WorkerHeartbeat

# A worker loops every 30 seconds by default; five minutes without a beat is dead or stuck.
STALE_AFTER = timedelta(minutes=5)
LEASE = STALE_AFTER


def worker_beat(*, worker_id: str, started_at: datetime, now: datetime) -> None:
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id[:64], defaults={"started_at": started_at, "seen_at": now}
    )


def jobs_requeue_abandoned(*, now: datetime, lease: timedelta = LEASE) -> int:
    """Put back to READY the jobs RUNNING for longer than `lease` whose worker is gone."""
    beats = {b.worker_id: b for b in WorkerHeartbeat.objects.filter(seen_at__gt=now - lease)}
    requeued = 0
    with transaction.atomic():
        running = DBTaskResult.objects.running().filter(started_at__lte=now - lease)
        for job in running.select_for_update(skip_locked=True):
            holder = beats.get(job.worker_ids[-1] if job.worker_ids else "")
            alive = holder is not None and job.started_at is not None
            if alive and holder is not None and holder.started_at <= job.started_at:
                continue  # its worker is alive and is the process that claimed it
            job.status = TaskResultStatus.READY
            job.started_at = None
            job.save(update_fields=["status", "started_at"])
            requeued += 1
    return requeued


def heartbeats_forget(*, now: datetime) -> int:
    """Drop the rows of workers gone for a day (each restart makes a new id)."""
    deleted, _ = WorkerHeartbeat.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()
    return deleted
