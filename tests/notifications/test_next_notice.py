"""The sweep costs what is due (issue #16 item 3, ADR 0042): every obligation keeps the
instant of its next notice (`Obligation.next_notice_at`), so an idle sweep makes the same few
queries whatever the number of cases; the instant moves when the house settings or an email's
urgency change, and advances as the sweep sends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from eapcase.cases import bridge
from eapcase.cases.models import Escalation, Obligation
from eapcase.compliance.sweep import sweep
from eapcase.compliance.worker import Worker
from eapcase.notifications.models import ClientHouseSettings, Delivery, HouseSettings
from eapcase.outreach.models import Email
from eapcase.outreach.services import callback_request, email_receive, email_urgency_change
from tests.factories import ParticipantFactory, obligation, open_case, utc
from tests.notifications.conftest import Inbox, _free_port
from tests.notifications.helpers import World, run_worker, world

pytestmark = pytest.mark.django_db

# Mon 2 Mar 2026, London on GMT, business hours 09:00-17:00.
OPENED = utc(2, 9)


def add_callbacks(w: World, n: int) -> None:
    """`n` more cases of the Partner, each with a call-back owed by the next day."""
    for _ in range(n):
        case = open_case(
            actor=w.clinician,
            partner=w.partner,
            participant=ParticipantFactory(created_at=OPENED - timedelta(days=30)),
            assigned_clinician=w.clinician,
            now=OPENED,
        )
        callback_request(actor=w.clinician, case=case, now=utc(2, 10))


def idle_queries(now: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        report = sweep(now=now)
    assert not report.anything()
    return len(queries)


def test_an_idle_sweep_makes_the_same_few_queries_whatever_the_number_of_cases(
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    w = world(opened=OPENED)
    add_callbacks(w, 2)
    # Each call-back opens CM-CALLBACK and CM-OUTREACH.
    assert Obligation.objects.filter(next_notice_at__isnull=False).count() == 4
    small = idle_queries(utc(2, 10, 30))
    add_callbacks(w, 18)
    assert Obligation.objects.filter(next_notice_at__isnull=False).count() == 40
    # 7: the house settings of every Partner are one of them, read once per sweep (the shortest
    # delay of WPO's escalation reminders bounds the escalations the sweep reads).
    with django_assert_max_num_queries(7):
        sweep(now=utc(2, 10, 30))
    assert idle_queries(utc(2, 10, 30)) == small


def test_the_stored_instant_is_the_reminder_then_the_deadline_notice_then_none(
    smtp: Inbox,
) -> None:
    w = world(opened=OPENED)
    callback_request(actor=w.clinician, case=w.case, now=utc(2, 10))
    row = obligation(w.case, "CM-CALLBACK", "E1")
    # 8 business hours allowed, the reminder at 6 of them (the house share, 75%).
    assert row.due_at == utc(3, 10)
    assert row.next_notice_at == utc(2, 16)
    run_worker(utc(2, 15, 59))
    assert obligation(w.case, "CM-CALLBACK", "E1").next_notice_at == utc(2, 16)
    run_worker(utc(2, 16))
    assert obligation(w.case, "CM-CALLBACK", "E1").next_notice_at == utc(3, 10)
    run_worker(utc(3, 10))
    assert obligation(w.case, "CM-CALLBACK", "E1").next_notice_at is None
    assert [k.rsplit("/", 1)[1] for k in smtp.key_headers() if "/CM-CALLBACK/" in k] == [
        "reminder",
        "deadline",
    ]


def test_a_changed_house_setting_moves_the_next_notice(smtp: Inbox) -> None:
    w = world(opened=OPENED)
    callback_request(actor=w.clinician, case=w.case, now=utc(2, 10))
    assert obligation(w.case, "CM-CALLBACK", "E1").next_notice_at == utc(2, 16)

    settings = HouseSettings.objects.create(partner=w.partner, reminder_share=0.5)
    assert obligation(w.case, "CM-CALLBACK", "E1").next_notice_at == utc(2, 14)
    run_worker(utc(2, 14))
    assert [k for k in smtp.key_headers() if "/CM-CALLBACK/" in k] == [
        f"{w.case.reference}/CM-CALLBACK/E1/reminder"
    ]
    assert obligation(w.case, "CM-CALLBACK", "E1").next_notice_at == utc(3, 10)

    # The reminder is sent: a later share moves nothing; the deadline notice stays due.
    settings.reminder_share = 0.9
    settings.save()
    assert obligation(w.case, "CM-CALLBACK", "E1").next_notice_at == utc(3, 10)


def test_a_clients_house_setting_moves_the_next_notice_of_its_cases_only() -> None:
    w = world(opened=OPENED)
    if w.case.client_id is None:
        pytest.skip("the factory's cases have no client")
    callback_request(actor=w.clinician, case=w.case, now=utc(2, 10))
    ClientHouseSettings.objects.create(client_id=w.case.client_id, reminder_share=0.25)
    assert obligation(w.case, "CM-CALLBACK", "E1").next_notice_at == utc(2, 12)


def test_an_email_made_urgent_is_reminded_on_the_clock() -> None:
    # Received on Friday evening: ordinary work is reminded in Monday's business hours.
    w = world(opened=utc(6, 17))
    email_receive(actor=None, case=w.case, sender_kind="wpo", needs_contact=False, now=utc(6, 18))
    ack = obligation(w.case, "CM-EMAIL-ACK", "E1")
    assert ack.next_notice_at is not None and ack.next_notice_at >= utc(9, 9)
    email_urgency_change(
        actor=w.clinician,
        email=Email.objects.get(case=w.case),
        urgent=True,
        reason="the participant sounded distressed",
        now=utc(6, 19),
    )
    urgent = obligation(w.case, "CM-EMAIL-ACK", "E1")
    # Urgent work: 75% of the clock time allowed, delivered at once.
    assert urgent.next_notice_at == ack.opened_at + (ack.due_at - ack.opened_at) * 0.75


def test_the_sweeps_escalation_replays_the_history_once(
    smtp: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world(opened=OPENED)
    email_receive(actor=None, case=w.case, sender_kind="participant", now=utc(2, 10))
    calls: list[int] = []
    real = bridge.evaluate_case

    def counted(case: Any, rows: Any, now: Any) -> Any:
        calls.append(case.pk)
        return real(case, rows, now)

    monkeypatch.setattr(bridge, "evaluate_case", counted)
    report = sweep(now=utc(3, 10, 1))
    assert (report.refreshed, report.escalated) == (1, 1)
    assert Escalation.objects.count() == 1
    # The escalation's own write judges the case; nothing judges it before.
    assert calls == [w.case.pk]
    # Escalated: nothing more is due for it, and the next sweep reads nothing of it.
    assert obligation(w.case, "CM-EMAIL-INFORM", "E1").next_notice_at is None
    assert Delivery.objects.filter(rule="CM-EMAIL-INFORM").count() == 1


@dataclass
class PeerInbox(Inbox):
    """The inbox, with the client end (address, port) of the connection of each mail."""

    peers: list[Any] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refused:
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.peers.append(session.peer)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def peer_smtp(settings: Any) -> Iterator[PeerInbox]:
    inbox = PeerInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    try:
        yield inbox
    finally:
        controller.stop()


def test_the_sweeps_mail_goes_in_one_job_over_one_connection(peer_smtp: PeerInbox) -> None:
    w = world(opened=OPENED)
    add_callbacks(w, 3)
    DBTaskResult.objects.all().delete()
    report = sweep(now=utc(2, 16))
    # The reminders of the three call-backs (and of the outreach each opened).
    assert report.reminders >= 3
    assert Delivery.objects.filter(rule="CM-CALLBACK").count() == 3
    jobs = list(DBTaskResult.objects.all())
    assert len(jobs) == 1
    ids = jobs[0].args_kwargs["args"][0]
    assert sorted(ids) == sorted(Delivery.objects.values_list("pk", flat=True))
    with time_machine.travel(utc(2, 16), tick=False):
        assert Worker(say=lambda _: None).run_jobs() == 1
    assert len(peer_smtp.received) == report.reminders
    assert len(set(peer_smtp.peers)) == 1  # one SMTP connection for the batch
    assert Delivery.objects.filter(sent_at__isnull=True).count() == 0


def test_a_mail_that_fails_in_a_batch_is_kept_for_the_retry_and_the_others_go(
    peer_smtp: PeerInbox,
) -> None:
    w = world(opened=OPENED)
    add_callbacks(w, 2)
    DBTaskResult.objects.all().delete()
    sweep(now=utc(2, 16))
    first = Delivery.objects.filter(rule="CM-CALLBACK").order_by("pk").first()
    assert first is not None
    # A recipient the server refuses is an SMTP error on that mail only.
    Delivery.objects.filter(pk=first.pk).update(recipients=["gone@example.test"])
    peer_smtp.refused.add("gone@example.test")
    with time_machine.travel(utc(2, 16), tick=False):
        Worker(say=lambda _: None).run_jobs()
    failed = Delivery.objects.get(pk=first.pk)
    assert (failed.sent_at, bool(failed.last_error)) == (None, True)
    assert Delivery.objects.filter(sent_at__isnull=True).count() == 1
    assert len(peer_smtp.received) == Delivery.objects.count() - 1
    # The rest of the batch went on over the same connection, or one new one after the failure.
    assert len(set(peer_smtp.peers)) <= 2
