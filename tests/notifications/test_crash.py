"""A worker killed mid-way and restarted sends nothing twice and misses nothing; killed
between sending and recording it, it sends one duplicate with the same key header."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.mail import EmailMessage

from eapcase.compliance import sweep
from eapcase.notifications import sending
from eapcase.notifications.models import Delivery
from eapcase.outreach.services import email_receive
from tests.factories import utc
from tests.notifications.conftest import Inbox
from tests.notifications.helpers import run_worker, world

pytestmark = pytest.mark.django_db


class Killed(BaseException):
    """Stands for the process dying (SIGKILL): not an Exception, nothing catches it."""


def due_email(smtp: Inbox) -> Any:
    w = world(opened=utc(2, 9))
    email_receive(actor=None, case=w.case, sender_kind="wpo", needs_contact=False, now=utc(2, 10))
    return w


def test_killed_between_the_claim_and_the_send(smtp: Inbox, monkeypatch: Any) -> None:
    w = due_email(smtp)

    def dies(*args: Any, **kwargs: Any) -> None:
        raise Killed

    # The claims commit; the job dies before the mail goes out.
    monkeypatch.setattr(EmailMessage, "send", dies)
    report, _ = run_worker(utc(2, 16))
    assert report.reminders == 2
    assert Delivery.objects.filter(sent_at__isnull=True).count() == 2
    monkeypatch.undo()

    run_worker(utc(2, 16, 1))  # restarted within the lease: nothing yet
    assert smtp.key_headers() == []
    report, _ = run_worker(utc(2, 16, 3))  # the lease is over: sent again, once
    run_worker(utc(2, 16, 10))
    assert report.requeued == 2
    assert sorted(smtp.key_headers()) == [
        f"{w.case.reference}/CM-EMAIL-ACK/E1/reminder",
        f"{w.case.reference}/CM-EMAIL-ACTION/E1/reminder",
    ]
    assert Delivery.objects.filter(sent_at__isnull=True).count() == 0


def test_killed_between_sending_and_recording_sends_one_duplicate(
    smtp: Inbox, monkeypatch: Any
) -> None:
    w = due_email(smtp)

    def dies(**kwargs: Any) -> None:
        raise Killed

    monkeypatch.setattr(sending, "delivery_record_sent", dies)
    run_worker(utc(2, 16))
    monkeypatch.undo()
    # Both mails are one batch (one job): the process dies after sending the first.
    [first] = smtp.key_headers()
    run_worker(utc(2, 16, 3))
    run_worker(utc(2, 16, 10))
    run_worker(utc(2, 17))
    ack = f"{w.case.reference}/CM-EMAIL-ACK/E1/reminder"
    action = f"{w.case.reference}/CM-EMAIL-ACTION/E1/reminder"
    assert sorted(smtp.key_headers()) == sorted([ack, action, first])
    # The duplicate is recognisably the same message: same key, same Message-ID.
    pairs = {(str(m["X-Eapcase-Key"]), str(m["Message-ID"])) for _, m in smtp.received}
    assert sorted(k for k, _ in pairs) == [ack, action]


def test_killed_mid_sweep_restarts_without_repeating(smtp: Inbox, monkeypatch: Any) -> None:
    w = due_email(smtp)
    real = sweep._remind_one
    calls: list[int] = []

    def dies_on_the_second(*args: Any, **kwargs: Any) -> bool:
        calls.append(1)
        if len(calls) == 2:
            raise Killed
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep, "_remind_one", dies_on_the_second)
    with pytest.raises(Killed):
        run_worker(utc(2, 16))
    monkeypatch.undo()
    assert Delivery.objects.count() == 1  # the first claim committed, the second never ran
    run_worker(utc(2, 16) + timedelta(seconds=30))
    run_worker(utc(2, 16, 3))
    assert sorted(smtp.key_headers()) == [
        f"{w.case.reference}/CM-EMAIL-ACK/E1/reminder",
        f"{w.case.reference}/CM-EMAIL-ACTION/E1/reminder",
    ]
