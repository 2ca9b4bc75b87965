"""`eapcase status`: the health report of `/healthz`, for people. Exit status 0 when healthy,
1 when not (for scripts and cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from eapcase.core import clock
from eapcase.ops.health import health_check


def _ago(seconds: int | None) -> str:
    if seconds is None:
        return "never"
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


class Command(BaseCommand):
    help = "Say whether the database, the worker and the job queue are healthy (exit 0 or 1)."

    def handle(self, *args: Any, **options: Any) -> None:
        now = clock.now()
        health = health_check(now=now)
        lines = [f"Database: {'reachable' if health.database else 'NOT REACHABLE'}"]
        if health.database:
            lines.append(f"Worker last seen: {_ago(health.worker_seen_seconds)}")
            oldest = health.oldest_queued_seconds
            lines.append(
                f"Queued jobs: {health.queued_jobs}"
                + (f", the oldest waiting since {_ago(oldest)}" if oldest is not None else "")
            )
            if health.last_backup_at is None:
                lines.append("Last daily backup: none yet")
            else:
                outcome = {True: "succeeded", False: "FAILED", None: "running"}[
                    health.last_backup_ok
                ]
                lines.append(
                    f"Last daily backup: {health.last_backup_at:%a %-d %b %H:%M} UTC, {outcome}"
                )
        lines.append("Healthy" if health.healthy else "NOT HEALTHY:")
        lines += [f"  - {problem}" for problem in health.problems]
        self.stdout.write("\n".join(lines))
        if not health.healthy:
            raise SystemExit(1)
