"""Is the installation healthy? The database answers, a worker was seen in the last five
minutes, and no job has waited in the queue for longer than that. `/healthz` serves it as JSON
for monitors and `eapcase status` prints it for people; neither shows any personal data (only
ages, counts and the last backup's outcome)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, connection
from django.db.models import Max, Min
from django_tasks_db.models import DBTaskResult

from eapcase.ops.models import DailyRun, WorkerHeartbeat
from eapcase.ops.workers import STALE_AFTER

# A job waits at most one worker loop (30 s) when all is well.
QUEUE_STALE_AFTER = timedelta(minutes=5)
BACKUP = "backup"


@dataclass
class Health:
    database: bool
    worker_seen_seconds: int | None = None  # None: never seen
    queued_jobs: int = 0
    oldest_queued_seconds: int | None = None  # None: the queue is empty
    last_backup_at: datetime | None = None
    last_backup_ok: bool | None = None  # None: running
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.healthy else "unhealthy",
            "database": {"reachable": self.database},
            "worker": {
                "heartbeat_age_seconds": self.worker_seen_seconds,
                "stale_after_seconds": int(STALE_AFTER.total_seconds()),
            },
            "queue": {
                "ready_jobs": self.queued_jobs,
                "oldest_ready_age_seconds": self.oldest_queued_seconds,
                "stale_after_seconds": int(QUEUE_STALE_AFTER.total_seconds()),
            },
            "backup": {
                "last_at": self.last_backup_at.isoformat() if self.last_backup_at else None,
                "last_ok": self.last_backup_ok,
            },
            "problems": self.problems,
        }


def _age(now: datetime, then: datetime) -> int:
    return max(int((now - then).total_seconds()), 0)


def _minutes(seconds: int) -> str:
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def health_check(*, now: datetime) -> Health:
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        seen = WorkerHeartbeat.objects.aggregate(last=Max("seen_at"))["last"]
        ready = DBTaskResult.objects.ready()
        queued = ready.aggregate(oldest=Min("enqueued_at"))["oldest"]
        count = ready.count()
        backup = DailyRun.objects.filter(name=BACKUP).order_by("-day").first()
    except DatabaseError:
        return Health(database=False, problems=["the database does not answer"])
    health = Health(database=True, queued_jobs=count)
    if seen is None:
        health.problems.append("no worker has ever been seen: start `eapcase worker`")
    else:
        health.worker_seen_seconds = _age(now, seen)
        if now - seen > STALE_AFTER:
            health.problems.append(
                f"no worker seen for {_minutes(health.worker_seen_seconds)} "
                f"(more than {_minutes(int(STALE_AFTER.total_seconds()))})"
            )
    if queued is not None:
        health.oldest_queued_seconds = _age(now, queued)
        if now - queued > QUEUE_STALE_AFTER:
            health.problems.append(
                f"a job has waited {_minutes(health.oldest_queued_seconds)} in the queue"
            )
    if backup is not None:
        health.last_backup_at = backup.finished_at or backup.claimed_at
        health.last_backup_ok = backup.ok if backup.finished_at is not None else None
        if backup.finished_at is not None and not backup.ok:
            health.problems.append(f"the daily backup of {backup.day:%a %-d %b} failed")
    return health
