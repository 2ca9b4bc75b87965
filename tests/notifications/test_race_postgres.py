"""Two workers racing on PostgreSQL (each a thread with its own connection, released at the
same instant) raise one escalation and send one mail. Skipped on SQLite, whose writers are
serialised; `.ci/run` runs it on PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import time_machine
from django.db import connection

from eapcase.cases.models import Escalation
from eapcase.compliance.worker import Worker
from eapcase.notifications.models import Delivery
from eapcase.outreach.services import email_receive
from tests.factories import utc
from tests.notifications.conftest import Inbox
from tests.notifications.helpers import run_worker, world

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (DATABASE_URL=postgres://...; .ci/run runs it there): "
        "SQLite serialises writers, so there is no race to test",
    ),
]


def _race(workers: int, at: Any) -> list[BaseException]:
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            worker = Worker(worker_id=f"racer-{n}", say=lambda _: None)
            barrier.wait(timeout=10)
            worker.run_once()
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    with time_machine.travel(at, tick=False):
        threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    return errors


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_raise_one_escalation_and_send_one_mail(smtp: Inbox) -> None:
    w = world(opened=utc(2, 9))
    email_receive(actor=None, case=w.case, sender_kind="participant", now=utc(2, 10))
    assert _race(2, utc(3, 10, 1)) == []
    run_worker(utc(3, 10, 2))  # a calm sweep after the race finds nothing left to do
    assert Escalation.objects.filter(reason="no_contact").count() == 1
    assert Delivery.objects.filter(rule="CM-EMAIL-INFORM").count() == 1
    escalation = Escalation.objects.get()
    wpo = [s for s in smtp.subjects() if s.startswith("Case escalated to WPO")]
    assert wpo == [f"Case escalated to WPO [{w.case.reference}]"]
    # The WPO notice and the deadline notices of the same email, each sent once, claimed by
    # whichever worker got there first.
    keys = smtp.key_headers()
    assert sorted(keys) == sorted(set(keys))
    assert sorted(keys) == [
        f"{w.case.reference}/CM-EMAIL-ACK/E1/deadline",
        f"{w.case.reference}/CM-EMAIL-ACTION/E1/deadline",
        f"{w.case.reference}/WPO-ESCALATION/{escalation.event_id}/escalation",
    ]


@pytest.mark.django_db(transaction=True)
def test_four_workers_on_many_cases_send_each_reminder_once(smtp: Inbox) -> None:
    cases = [world(opened=utc(2, 9)).case for _ in range(6)]
    for case in cases:
        email_receive(actor=None, case=case, sender_kind="wpo", needs_contact=False, now=utc(2, 10))
    assert _race(4, utc(2, 16)) == []
    run_worker(utc(2, 16, 1))
    keys = smtp.key_headers()
    assert len(keys) == len(set(keys)) == 12
    assert Delivery.objects.filter(sent_at__isnull=True).count() == 0
