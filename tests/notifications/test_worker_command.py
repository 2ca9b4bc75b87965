"""`eapcase worker --once` runs one sweep and the queued jobs; a signal stops the loop."""

from __future__ import annotations

import io
import signal

import pytest
import time_machine
from django.core.management import CommandError, call_command

from eapcase.compliance.worker import Worker
from eapcase.notifications.models import Delivery
from eapcase.outreach.services import email_receive
from tests.factories import utc
from tests.notifications.conftest import Inbox
from tests.notifications.helpers import world

pytestmark = pytest.mark.django_db


def test_worker_once_sweeps_and_runs_the_mail_jobs(smtp: Inbox) -> None:
    w = world(opened=utc(2, 9))
    email_receive(actor=None, case=w.case, sender_kind="wpo", needs_contact=False, now=utc(2, 10))
    out = io.StringIO()
    with time_machine.travel(utc(2, 16), tick=False):
        call_command("worker", "--once", stdout=out)
    assert out.getvalue() == (
        "sweep: refreshed 0, escalated 0, escalation_reminders 0, reminders 2, deadlines 0, "
        "requeued 0; jobs run 1\n"  # one job sends the batch (ADR 0042)
    )
    assert len(smtp.key_headers()) == 2
    assert Delivery.objects.filter(sent_at__isnull=True).count() == 0


def test_the_interval_must_be_positive() -> None:
    with pytest.raises(CommandError, match="--interval"):
        call_command("worker", "--interval", "0")


def test_a_signal_stops_the_loop_after_the_current_step() -> None:
    said: list[str] = []
    worker = Worker(interval=3600, say=said.append)
    worker.handle_signal(signal.SIGTERM, None)
    worker.run()  # returns at once: the stop was asked before the first sweep
    assert said == ["Terminated: stopping after the current step"]
    with pytest.raises(SystemExit):
        worker.handle_signal(signal.SIGINT, None)
