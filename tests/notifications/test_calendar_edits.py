"""A Partner's calendar edited in the admin moves the deadlines of its open work (ADR 0042):
the cases are marked for re-judging in the admin's transaction, and the sweep re-judges them.
Closed work and other Partners' cases are left as they were judged."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from eapcase.cases.models import Case
from eapcase.organisations.models import PartnerClosedDate
from eapcase.outreach.services import callback_request
from tests.factories import obligation, utc
from tests.notifications.helpers import run_worker, world

pytestmark = pytest.mark.django_db

# Mon 2 Mar 2026, London on GMT, business hours 09:00-17:00.
OPENED = utc(2, 9)


def test_a_closed_date_added_moves_an_open_call_back_and_its_notices() -> None:
    w = world(opened=OPENED)
    callback_request(actor=w.clinician, case=w.case, now=utc(2, 10))
    assert obligation(w.case, "CM-CALLBACK", "E1").due_at == utc(3, 10)

    with time_machine.travel(utc(2, 11), tick=False):
        PartnerClosedDate.objects.create(partner=w.partner, date=date(2026, 3, 3), reason="")
    assert Case.objects.get(pk=w.case.pk).reevaluate_at == utc(2, 11)
    run_worker(utc(2, 11))

    row = obligation(w.case, "CM-CALLBACK", "E1")
    # Tuesday is closed: the business day allowed runs from Monday 10:00 to Wednesday 10:00,
    # and the reminder at 6 of its 8 hours is still Monday 16:00.
    assert row.due_at == utc(4, 10)
    assert row.next_notice_at == utc(2, 16)
    assert Case.objects.get(pk=w.case.pk).reevaluate_at != utc(2, 11)

    # The day open again: the deadline comes back.
    with time_machine.travel(utc(2, 12), tick=False):
        PartnerClosedDate.objects.filter(partner=w.partner).delete()
    run_worker(utc(2, 12))
    assert obligation(w.case, "CM-CALLBACK", "E1").due_at == utc(3, 10)


def test_changed_working_days_move_the_deadline_and_a_rename_marks_nothing() -> None:
    w = world(opened=OPENED)
    other = world(opened=OPENED)
    callback_request(actor=w.clinician, case=w.case, now=utc(2, 10))
    callback_request(actor=other.clinician, case=other.case, now=utc(2, 10))

    with time_machine.travel(utc(2, 11), tick=False):
        w.partner.name = "Renamed Partner"
        w.partner.save()
    assert Case.objects.get(pk=w.case.pk).reevaluate_at != utc(2, 11)

    with time_machine.travel(utc(2, 11), tick=False):
        w.partner.workdays = "Mon,Wed-Fri"
        w.partner.save()
    assert Case.objects.get(pk=w.case.pk).reevaluate_at == utc(2, 11)
    assert Case.objects.get(pk=other.case.pk).reevaluate_at != utc(2, 11)
    run_worker(utc(2, 11))
    # Tuesday is no longer a working day: the call back is due Wednesday; the other
    # Partner's is not moved.
    assert obligation(w.case, "CM-CALLBACK", "E1").due_at == utc(4, 10)
    assert obligation(other.case, "CM-CALLBACK", "E1").due_at == utc(3, 10)


def test_a_case_without_open_work_is_not_judged_again() -> None:
    w = world(opened=OPENED)
    assert not w.case.obligations.filter(status__in=["open", "overdue"]).exists()
    before = Case.objects.get(pk=w.case.pk).reevaluate_at
    with time_machine.travel(utc(2, 11), tick=False):
        PartnerClosedDate.objects.create(partner=w.partner, date=date(2026, 3, 3), reason="")
    assert Case.objects.get(pk=w.case.pk).reevaluate_at == before
