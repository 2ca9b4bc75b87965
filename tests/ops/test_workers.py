"""The worker's heartbeat, the lease of jobs a killed worker left RUNNING, and the daily
duties claimed once a day."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from eapcase.compliance.worker import Worker
from eapcase.ops import duties
from eapcase.ops.models import DailyRun, WorkerHeartbeat
from eapcase.ops.workers import jobs_requeue_abandoned, worker_beat
from tests.factories import utc

pytestmark = pytest.mark.django_db

HOOKS = ["eapcase.ops.duties.worker_loop"]
T0 = utc(2, 10)


@task()
def doubled(n: int) -> int:
    return 2 * n


def _claimed_by_a_worker_that_dies(at: Any) -> DBTaskResult:
    """A job claimed at `at` by worker "dead", which beat once and was then killed -9."""
    with time_machine.travel(at, tick=False):
        worker_beat(worker_id="dead", started_at=at - timedelta(minutes=1), now=at)
        job = DBTaskResult.objects.get(id=doubled.enqueue(21).id)
        job.claim("dead")
    return job


def _status(job: DBTaskResult) -> str:
    return str(DBTaskResult.objects.get(id=job.id).status)


def test_the_library_itself_never_takes_up_a_running_job_again() -> None:
    job = _claimed_by_a_worker_that_dies(T0)
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        assert Worker(hooks=[], say=lambda _: None).run_jobs() == 0
    assert _status(job) == TaskResultStatus.RUNNING


# The worker's loop takes the daily backup through a connection of its own, so it must see
# committed rows: these tests commit (nothing in them is append-only, so the flush works).
@pytest.mark.django_db(transaction=True)
def test_a_killed_workers_job_is_run_again_after_the_lease(settings: Any, tmp_path: Path) -> None:
    settings.EAPCASE_BACKUP_DIR = tmp_path
    job = _claimed_by_a_worker_that_dies(T0)
    with time_machine.travel(T0 + timedelta(minutes=4), tick=False):
        Worker(worker_id="next", hooks=HOOKS, say=lambda _: None).run_once()
    assert _status(job) == TaskResultStatus.RUNNING  # within the lease: left alone
    with time_machine.travel(T0 + timedelta(minutes=6), tick=False):
        Worker(worker_id="next", hooks=HOOKS, say=lambda _: None).run_once()
    done = DBTaskResult.objects.get(id=job.id)
    assert (done.status, done.return_value, done.worker_ids) == (
        TaskResultStatus.SUCCESSFUL,
        42,
        ["dead", "next"],
    )


def test_a_job_of_a_live_worker_is_left_alone_however_long_it_runs() -> None:
    job = _claimed_by_a_worker_that_dies(T0)
    later = T0 + timedelta(minutes=30)
    worker_beat(worker_id="dead", started_at=T0 - timedelta(minutes=1), now=later)
    assert jobs_requeue_abandoned(now=later) == 0
    assert _status(job) == TaskResultStatus.RUNNING


def test_a_worker_restarted_under_the_same_id_gets_its_old_job_back() -> None:
    job = _claimed_by_a_worker_that_dies(T0)
    later = T0 + timedelta(minutes=6)
    worker_beat(worker_id="dead", started_at=later, now=later)  # the new process beats
    assert jobs_requeue_abandoned(now=later) == 1
    assert _status(job) == TaskResultStatus.READY


def test_every_loop_writes_the_heartbeat() -> None:
    worker = Worker(worker_id="w1", hooks=["eapcase.ops.workers.worker_beat"], say=print)
    with time_machine.travel(T0, tick=False):
        worker.run_once()
    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        worker.run_once()
    beat = WorkerHeartbeat.objects.get()
    assert (beat.worker_id, beat.seen_at) == ("w1", T0 + timedelta(seconds=30))


def test_a_failing_hook_does_not_stop_the_loop(caplog: Any) -> None:
    worker = Worker(worker_id="w1", hooks=["eapcase.ops.backup.backup_name"], say=print)
    with time_machine.travel(T0, tick=False):
        _report, jobs = worker.run_once()
    assert (jobs, "a loop hook failed" in caplog.text) == (0, True)


@pytest.mark.django_db(transaction=True)
def test_the_daily_duties_run_once_a_day_and_keep_the_newest_backups(
    settings: Any, tmp_path: Path
) -> None:
    settings.EAPCASE_BACKUP_DIR = tmp_path
    settings.EAPCASE_BACKUP_KEEP = 2
    for day in (2, 2, 3, 4, 4, 5):
        with time_machine.travel(utc(day, 10), tick=False):
            duties.worker_loop(worker_id="w1", started_at=utc(2, 9), now=utc(day, 10))
    runs = DailyRun.objects.filter(name="backup").order_by("day")
    assert [(r.day.day, r.ok) for r in runs] == [(2, True), (3, True), (4, True), (5, True)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "eapcase-20260304-100000",
        "eapcase-20260305-100000",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_failed_daily_duty_is_tried_again_an_hour_later(settings: Any, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backups should go")
    settings.EAPCASE_BACKUP_DIR = blocker
    failed = duties.daily_run(name="backup", now=T0)
    assert failed is not None and (failed.ok, failed.outcome.startswith("failed:")) == (False, True)
    assert duties.daily_run(name="backup", now=T0 + timedelta(minutes=30)) is None
    settings.EAPCASE_BACKUP_DIR = tmp_path / "backups"
    with time_machine.travel(T0 + timedelta(minutes=61), tick=False):
        again = duties.daily_run(name="backup", now=T0 + timedelta(minutes=61))
    assert again is not None and again.ok
    assert DailyRun.objects.filter(name="backup").count() == 1
