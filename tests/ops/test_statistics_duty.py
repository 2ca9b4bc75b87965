"""The daily duty that refreshes SQLite's planner statistics: without them SQLite planned the
email queue through every case of a Partner instead of the pending emails' index."""

from __future__ import annotations

import pytest
from django.db import connection

from eapcase.ops import duties
from eapcase.outreach.services import email_receive
from tests.factories import utc
from tests.notifications.helpers import world

pytestmark = pytest.mark.django_db


def _stats() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'outreach_email'")
        return {row[0] for row in cursor.fetchall()}


def test_the_statistics_duty_samples_the_pending_emails_index() -> None:
    w = world(opened=utc(2, 9))
    email_receive(actor=None, case=w.case, sender_kind="participant", now=utc(2, 10))
    if connection.vendor != "sqlite":
        run = duties.daily_run(name="planner_statistics", now=utc(2, 11))
        assert run is not None and run.ok and "autovacuum" in run.outcome
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sqlite_schema")  # makes sqlite_stat1 exist, then empty it
        cursor.execute("DELETE FROM sqlite_stat1")
    assert "email_pending" not in _stats()
    run = duties.daily_run(name="planner_statistics", now=utc(2, 11))
    assert run is not None and run.ok, run and run.outcome
    assert run.outcome.startswith("SQLite statistics refreshed")
    assert "email_pending" in _stats()
    # Once a day, like the other duties.
    assert duties.daily_run(name="planner_statistics", now=utc(2, 12)) is None
