"""What the operations side remembers: which workers are alive, and which daily duties ran."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """One row a worker process, rewritten at every loop. `started_at` tells a worker that
    restarted under the same id apart from the process that held a job before it died."""

    worker_id = models.CharField(max_length=64, unique=True)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"worker {self.worker_id} seen {self.seen_at:%Y-%m-%d %H:%M:%S}"


class DailyRun(models.Model):
    """A daily duty claimed for one day (UTC): the unique key makes it run once a day however
    many workers share the database. `finished_at` stays empty while it runs or if it died;
    `outcome` is a short summary for `eapcase status` (paths and counts, no personal data)."""

    name = models.CharField(max_length=40)
    day = models.DateField()
    claimed_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    outcome = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "day"], name="daily_run_once")]

    def __str__(self) -> str:
        return f"{self.name} {self.day}"
