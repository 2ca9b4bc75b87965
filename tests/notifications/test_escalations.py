"""Automatic escalation to WPO (CM-EMAIL-INFORM) raised by the sweep exactly once, the
dissatisfaction path through the same `escalation_raise`, and reminders of unacknowledged
escalations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from eapcase.cases.models import Escalation
from eapcase.cases.services import dissatisfaction_record, escalation_acknowledge, escalation_raise
from eapcase.notifications.models import Delivery, Notification
from eapcase.outreach.services import attempt_record, email_receive
from tests.factories import audit_of, obligation, obligations_of, utc
from tests.notifications.conftest import Inbox
from tests.notifications.helpers import run_worker, world

pytestmark = pytest.mark.django_db

WPO_SUBJECT = "Case escalated to WPO"


def wpo_mails(smtp: Inbox) -> list[str]:
    return [s for s in smtp.subjects() if s.startswith(WPO_SUBJECT)]


def test_an_unanswered_email_is_escalated_once_by_the_sweep(
    smtp: Inbox, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    w = world(opened=utc(2, 9))
    email_receive(actor=None, case=w.case, sender_kind="participant", now=utc(2, 10))
    # Nothing is written to the case after the email: CM-EMAIL-INFORM is not stored yet.
    assert [o[0] for o in obligations_of(w.case)] == ["CM-EMAIL-ACK", "CM-EMAIL-ACTION"]
    with django_capture_on_commit_callbacks(execute=True):
        run_worker(utc(3, 9, 59))
    assert Escalation.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        report, _ = run_worker(utc(3, 10) + timedelta(seconds=30))  # 24 h 30 s after the email
    with django_capture_on_commit_callbacks(execute=True):
        again, _ = run_worker(utc(3, 10, 1))
    assert (report.refreshed, report.escalated, again.escalated) == (1, 1, 0)
    escalation = Escalation.objects.get()
    assert (escalation.case_id, escalation.reason, escalation.raised_by, escalation.raised_at) == (
        w.case.pk,
        "no_contact",
        None,
        utc(3, 10) + timedelta(seconds=30),
    )
    inform = obligation(w.case, "CM-EMAIL-INFORM", "E1")
    assert (inform.status, inform.satisfied_by) == ("met", escalation.event_id)
    assert list(
        Delivery.objects.filter(rule="CM-EMAIL-INFORM").values_list("key", "escalation")
    ) == [(f"{w.case.reference}/CM-EMAIL-INFORM/E1/escalation", escalation.pk)]
    # escalation_raise claims the keyed delivery that mails the WPO inbox; the worker sent it.
    notice = f"{w.case.reference}/WPO-ESCALATION/{escalation.event_id}/escalation"
    assert wpo_mails(smtp) == [f"{WPO_SUBJECT} [{w.case.reference}]"]
    assert [k for k in smtp.key_headers() if "WPO-ESCALATION" in k] == [notice]
    assert Delivery.objects.get(key=notice).sent_at is not None
    assert ("escalation.raised", "", "Escalation") in [a[:3] for a in audit_of(w.case)]


def test_contact_within_24_hours_raises_no_escalation(smtp: Inbox) -> None:
    w = world(opened=utc(2, 9))
    email_receive(actor=None, case=w.case, sender_kind="participant", now=utc(2, 10))
    attempt_record(
        actor=w.clinician,
        case=w.case,
        target="participant",
        channel="phone",
        outcome="reached",
        message="none",
        summary="Spoke with the participant; agreed next steps.",
        now=utc(2, 15),
    )
    report, _ = run_worker(utc(3, 10, 1))
    assert (report.escalated, Escalation.objects.count()) == (0, 0)


def test_dissatisfaction_is_escalated_in_its_own_transaction_by_the_same_mechanism(
    smtp: Inbox, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    w = world(opened=utc(2, 9))
    with django_capture_on_commit_callbacks(execute=True):
        recorded = dissatisfaction_record(
            actor=w.clinician, case=w.case, aspect="waiting times", now=utc(2, 11)
        )
    escalation = Escalation.objects.get()
    assert recorded.escalation_id == escalation.pk
    assert (escalation.reason, escalation.raised_by_id) == ("dissatisfaction", w.clinician.pk)
    assert obligation(w.case, "CM-DISSATISFACTION", recorded.event_id).status == "met"
    # The WPO notice is a keyed delivery, claimed in the same transaction, sent by the worker.
    assert wpo_mails(smtp) == []
    with django_capture_on_commit_callbacks(execute=True):
        report, _ = run_worker(utc(2, 11, 5))
    with django_capture_on_commit_callbacks(execute=True):
        run_worker(utc(2, 11, 6))
    assert (report.escalated, Escalation.objects.count(), len(wpo_mails(smtp))) == (0, 1, 1)


def test_an_unacknowledged_escalation_is_reminded_once(smtp: Inbox) -> None:
    w = world(opened=utc(2, 9))
    raised = escalation_raise(
        actor=w.clinician, case=w.case, reason="risk", summary="Risk disclosed.", now=utc(2, 10)
    )
    done = escalation_raise(
        actor=w.clinician, case=w.case, reason="other", summary="FYI.", now=utc(2, 10, 5)
    )
    escalation_acknowledge(actor=w.wpo, escalation=done, note="seen", now=utc(2, 11))
    notices = [f"{w.case.reference}/WPO-ESCALATION/{e.event_id}/escalation" for e in (raised, done)]
    # ... and the clinician's notice of WPO's acknowledgement
    notices.append(f"{w.case.reference}/WPO-ESCALATION/{done.event_id}/escalation-answer")
    run_worker(utc(2, 13, 59))
    assert sorted(smtp.key_headers()) == sorted(notices)  # the two escalations' own notices
    run_worker(utc(2, 14))  # 4 hours (the house default) unacknowledged
    run_worker(utc(2, 15))
    reminder = f"{w.case.reference}/WPO-ESCALATION/{raised.event_id}/escalation-reminder"
    assert smtp.key_headers()[3:] == [reminder]
    assert smtp.received[3][0] == ["escalations@wpo.example.test"]
    assert list(
        Notification.objects.filter(level="escalation-reminder").values_list("recipient", "key")
    ) == [(w.wpo.pk, reminder)]
