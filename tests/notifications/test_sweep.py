"""The sweep through `eapcase worker --once`, with the clock travelled by time-machine and the
mail received by a real SMTP server: reminders and deadline notices at the right instants
(weekend, bank holiday, DST, night, urgent), each exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from eapcase.notifications.models import Delivery, Notification
from eapcase.outreach.services import callback_request, email_receive
from tests.factories import obligation, utc
from tests.notifications.conftest import Inbox
from tests.notifications.helpers import run_worker, world

pytestmark = pytest.mark.django_db


def key(case: object, rule: str, trigger: str, level: str) -> str:
    return f"{case.reference}/{rule}/{trigger}/{level}"  # type: ignore[attr-defined]


def test_a_call_back_is_reminded_on_monday_and_its_deadline_told_to_the_lead(
    smtp: Inbox,
) -> None:
    w = world(opened=utc(6, 13))  # Fri 6 Mar 2026
    callback_request(actor=w.clinician, case=w.case, now=utc(6, 14))
    trigger = obligation(w.case, "CM-CALLBACK", "E1").trigger
    for quiet in (utc(6, 16, 59), utc(7, 12), utc(8, 23, 59), utc(9, 11, 59)):
        run_worker(quiet)
    assert smtp.key_headers() == []

    run_worker(utc(9, 12))  # Mon: 6 of the 8 business hours allowed have passed
    run_worker(utc(9, 12, 1))
    reminder = key(w.case, "CM-CALLBACK", trigger, "reminder")
    assert smtp.key_headers() == [reminder]
    assert smtp.received[0][0] == [w.clinician.email]

    run_worker(utc(9, 14))  # the deadline: the Partner's clinical lead is told
    run_worker(utc(9, 14, 30))
    deadline = key(w.case, "CM-CALLBACK", trigger, "deadline")
    assert smtp.key_headers() == [reminder, deadline]
    assert smtp.received[1][0] == [w.lead.email]
    assert list(Notification.objects.order_by("pk").values_list("recipient__username", "key")) == [
        (w.clinician.username, reminder),
        (w.lead.username, deadline),
    ]
    # Re-judged by the engine when its deadline passed (Case.reevaluate_at), not by the sweep.
    assert obligation(w.case, "CM-CALLBACK", "E1").status == "overdue"


@pytest.mark.parametrize(
    ("received", "quiet", "opening"),
    [
        # weekend: due Sat 7 Mar 20:00, told at Monday's opening
        (utc(6, 20), [utc(7, 20), utc(8, 23)], utc(9, 9)),
        # bank holiday: due on Mon 25 Aug 2025 (summer bank holiday), told Tue 09:00 BST
        (
            datetime(2025, 8, 24, 10, tzinfo=UTC),
            [datetime(2025, 8, 25, 10, tzinfo=UTC), datetime(2025, 8, 25, 16, tzinfo=UTC)],
            datetime(2025, 8, 26, 8, tzinfo=UTC),
        ),
        # DST: due Sun 29 Mar 2026, the day BST starts; Monday opens at 08:00 UTC
        (utc(28, 12), [utc(29, 12), utc(30, 7, 59)], utc(30, 8)),
        # night: due Tue 3 Mar 02:00, told at 09:00
        (utc(2, 2), [utc(3, 2), utc(3, 8, 59)], utc(3, 9)),
    ],
    ids=["weekend", "bank-holiday", "dst", "night"],
)
def test_a_deadline_outside_business_hours_waits_for_the_opening(
    smtp: Inbox, received: datetime, quiet: list[datetime], opening: datetime
) -> None:
    w = world(opened=received - timedelta(hours=1))
    email_receive(actor=None, case=w.case, sender_kind="wpo", needs_contact=False, now=received)
    for instant in quiet:
        run_worker(instant)
    deadlines = [k for k in smtp.key_headers() if k.endswith("/deadline")]
    assert deadlines == []
    run_worker(opening)
    run_worker(opening + timedelta(minutes=1))
    assert sorted(k for k in smtp.key_headers() if k.endswith("/deadline")) == [
        key(w.case, "CM-EMAIL-ACK", "E1", "deadline"),
        key(w.case, "CM-EMAIL-ACTION", "E1", "deadline"),
    ]
    assert {tuple(to) for to, _ in smtp.received if "deadline" in str(_["X-Eapcase-Key"])} == {
        (w.lead.email,)
    }


def test_urgent_work_is_delivered_at_once_at_night(smtp: Inbox) -> None:
    w = world(opened=utc(7, 1))  # Sat 7 Mar
    email_receive(
        actor=None, case=w.case, sender_kind="wpo", urgent=True, needs_contact=False, now=utc(7, 2)
    )
    run_worker(utc(7, 19, 59))
    assert smtp.key_headers() == []
    run_worker(utc(7, 20))  # 18 of the 24 clock hours: Saturday 20:00, delivered at once
    assert sorted(smtp.key_headers()) == [
        key(w.case, "CM-EMAIL-ACK", "E1", "reminder"),
        key(w.case, "CM-EMAIL-ACTION", "E1", "reminder"),
    ]
    run_worker(utc(8, 2))  # Sunday 02:00, the deadline
    assert len([k for k in smtp.key_headers() if k.endswith("/deadline")]) == 2
    assert all("[urgent]" in s for s in smtp.subjects())


def test_a_second_sweep_sends_nothing_twice(smtp: Inbox) -> None:
    w = world(opened=utc(2, 9))
    email_receive(actor=None, case=w.case, sender_kind="wpo", needs_contact=False, now=utc(2, 10))
    for minute in range(4):
        run_worker(utc(3, 10, minute))
    assert len(smtp.key_headers()) == len(set(smtp.key_headers())) == 2
    assert Delivery.objects.filter(sent_at__isnull=True).count() == 0


def test_house_targets_remind_work_the_policy_gives_no_deadline(smtp: Inbox) -> None:
    from eapcase.notifications.models import HouseSettings

    w = world(opened=utc(2, 9))
    HouseSettings.objects.create(partner=w.partner, outreach_spacing_days=2)
    callback_request(actor=w.clinician, case=w.case, now=utc(2, 10))
    # CM-OUTREACH: 2 attempts x 2 business days = Fri 6 Mar 10:00; 24 of 32 h is Thu 10:00.
    run_worker(utc(5, 9, 59))
    assert [k for k in smtp.key_headers() if "CM-OUTREACH" in k] == []
    run_worker(utc(5, 10))
    assert [k for k in smtp.key_headers() if "CM-OUTREACH" in k] == [
        key(w.case, "CM-OUTREACH", "E1", "reminder")
    ]
    note = Notification.objects.get(key=key(w.case, "CM-OUTREACH", "E1", "reminder"))
    assert note.due_at == utc(6, 10)
    assert obligation(w.case, "CM-OUTREACH", "E1").status == "open"
