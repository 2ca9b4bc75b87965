"""What `eapcase worker` does for operations at every loop (`settings.EAPCASE_WORKER_HOOKS`):
write its heartbeat, put back the jobs a killed worker left, and once a day (UTC) take a
backup and keep the newest EAPCASE_BACKUP_KEEP, verify the audit trail (alerting the WPO
admins on a break, ADR 0035), remove orphaned upload files, and purge expired idempotency keys
and the heartbeats of long-gone workers.

Each daily duty is claimed by inserting its (name, day) row: however many workers share the
database, it runs once a day. A failed duty is tried again an hour later; one whose worker
died while running it, two hours later."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction

from eapcase.api.idempotency import idempotency_keys_purge
from eapcase.audit.services import AuditHead
from eapcase.notifications.services import audit_break_notify
from eapcase.ops.backup import backup_create, backup_name, backups_prune
from eapcase.ops.files import orphans_remove
from eapcase.ops.health import BACKUP
from eapcase.ops.models import DailyRun
from eapcase.ops.trail import trail_verify
from eapcase.ops.workers import heartbeats_forget, jobs_requeue_abandoned, worker_beat

logger = logging.getLogger(__name__)

AUDIT = "audit_verify"
RETRY_AFTER = timedelta(hours=1)
STUCK_AFTER = timedelta(hours=2)


def _backup(now: datetime) -> str:
    folder = Path(settings.EAPCASE_BACKUP_DIR)
    report = backup_create(dest=folder / backup_name(now), now=now, say=lambda _: None)
    pruned = backups_prune(folder=folder, keep=settings.EAPCASE_BACKUP_KEEP)
    return f"{report}; {len(pruned)} older removed"


class AuditBroken(Exception):
    """The daily verification found a break; the duty is marked failed (and retried)."""


def _newest_checkpoint() -> AuditHead | None:
    """The checkpoint of the newest backup, kept outside the database: a chain cut short
    below it is found by the daily check too."""
    folder = Path(settings.EAPCASE_BACKUP_DIR)
    manifests = sorted(folder.glob("*/manifest.json")) if folder.is_dir() else []
    for manifest in reversed(manifests):
        try:
            data = json.loads(manifest.read_text())
            return AuditHead(**data["checkpoint"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


def _audit(now: datetime) -> str:
    checkpoint = _newest_checkpoint()
    report = trail_verify(checkpoint)
    if not report.intact:
        told = audit_break_notify(problem=report.problem, now=now)
        logger.error("daily audit verification: the trail is broken (%d WPO admins told)", told)
        raise AuditBroken(report.problem)
    against = f", ends past the newest backup's {checkpoint.count}" if checkpoint else ""
    return f"audit trail intact: {report.checked} rows{against}"


def _files(now: datetime) -> str:
    return str(orphans_remove(now=now))


def _expired(now: datetime) -> str:
    keys = idempotency_keys_purge(now=now)
    beats = heartbeats_forget(now=now)
    return f"{keys} expired idempotency keys, {beats} old heartbeats removed"


DAILY: dict[str, Callable[[datetime], str]] = {
    # Verified before the day's backup, whose checkpoint would otherwise be the one it checks.
    AUDIT: _audit,
    BACKUP: _backup,
    "orphan_files": _files,
    "expired_rows": _expired,
}


def daily_claim(*, name: str, now: datetime) -> DailyRun | None:
    """The day's row of duty `name`, claimed for this worker; None when it is done or another
    worker is on it."""
    with transaction.atomic():
        run, created = DailyRun.objects.select_for_update().get_or_create(
            name=name, day=now.date(), defaults={"claimed_at": now}
        )
        if created:
            return run
        failed = run.finished_at is not None and not run.ok and run.finished_at <= now - RETRY_AFTER
        stuck = run.finished_at is None and run.claimed_at <= now - STUCK_AFTER
        if not (failed or stuck):
            return None
        run.claimed_at, run.finished_at, run.ok, run.outcome = now, None, False, ""
        run.save()
        return run


def daily_run(*, name: str, now: datetime) -> DailyRun | None:
    run = daily_claim(name=name, now=now)
    if run is None:
        return None
    started = time.monotonic()
    try:
        run.outcome, run.ok = DAILY[name](now)[:500], True
    except Exception as exc:
        logger.exception("daily %s failed", name)
        run.outcome, run.ok = f"failed: {exc}"[:500], False
    run.finished_at = now + timedelta(seconds=time.monotonic() - started)
    run.save(update_fields=["outcome", "ok", "finished_at"])
    return run


def worker_loop(*, worker_id: str, started_at: datetime, now: datetime) -> None:
    worker_beat(worker_id=worker_id, started_at=started_at, now=now)
    requeued = jobs_requeue_abandoned(now=now)
    if requeued:
        logger.warning("worker %s: %d abandoned jobs queued again", worker_id, requeued)
    for name in DAILY:
        daily_run(name=name, now=now)
