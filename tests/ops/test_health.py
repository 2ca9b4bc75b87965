"""`/healthz` and `eapcase status`: the database, the worker's heartbeat and the queue."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from eapcase.ops.models import DailyRun
from eapcase.ops.workers import worker_beat
from tests.factories import utc
from tests.ops.test_workers import doubled

pytestmark = pytest.mark.django_db

NOW = utc(2, 10)


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _beat(seconds_ago: int) -> None:
    at = NOW - timedelta(seconds=seconds_ago)
    worker_beat(worker_id="w1", started_at=at, now=at)


def _status() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("status", stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_healthy_with_a_worker_seen_recently_and_no_personal_data(client: Client) -> None:
    _beat(12)
    response = client.get("/healthz")  # no login
    assert (response.status_code, response["Cache-Control"]) == (
        200,
        "max-age=0, no-cache, no-store, must-revalidate, private",
    )
    assert response.json() == {
        "status": "ok",
        "database": {"reachable": True},
        "worker": {"heartbeat_age_seconds": 12, "stale_after_seconds": 300},
        "queue": {"ready_jobs": 0, "oldest_ready_age_seconds": None, "stale_after_seconds": 300},
        "backup": {"last_at": None, "last_ok": None},
        "problems": [],
    }
    assert _status() == (
        0,
        "Database: reachable\nWorker last seen: 12 s ago\nQueued jobs: 0\n"
        "Last daily backup: none yet\nHealthy\n",
    )


def test_a_worker_not_seen_for_five_minutes_is_reported(client: Client) -> None:
    _beat(5 * 60 + 1)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["problems"] == ["no worker seen for 5 min 1 s (more than 5 min 0 s)"]
    code, text = _status()
    assert (code, text.splitlines()[1], text.splitlines()[-1]) == (
        1,
        "Worker last seen: 5 min ago",
        "  - no worker seen for 5 min 1 s (more than 5 min 0 s)",
    )


def test_no_worker_ever_is_reported(client: Client) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.json()["problems"]) == (
        503,
        ["no worker has ever been seen: start `eapcase worker`"],
    )


def test_a_job_waiting_too_long_is_reported(client: Client) -> None:
    _beat(1)
    with time_machine.travel(NOW - timedelta(minutes=7), tick=False):
        doubled.enqueue(1)
    doubled.enqueue(2)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["queue"] == {
        "ready_jobs": 2,
        "oldest_ready_age_seconds": 420,
        "stale_after_seconds": 300,
    }
    assert response.json()["problems"] == ["a job has waited 7 min 0 s in the queue"]


def test_a_failed_daily_backup_is_reported(client: Client) -> None:
    _beat(1)
    DailyRun.objects.create(
        name="backup", day=NOW.date(), claimed_at=NOW, finished_at=NOW, ok=False, outcome="x"
    )
    response = client.get("/healthz")
    assert (response.status_code, response.json()["problems"]) == (
        503,
        ["the daily backup of Mon 2 Mar failed"],
    )
    assert _status()[1].splitlines()[3] == "Last daily backup: Mon 2 Mar 10:00 UTC, FAILED"


def test_healthz_answers_only_get(client: Client) -> None:
    assert client.post("/healthz").status_code == 405
