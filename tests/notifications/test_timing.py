"""When reminders are due (pure): a share of the business time allowed, delivered in the
Partner's business hours unless urgent; across a weekend, a bank holiday and a DST change."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from eapcase.notifications import timing
from eapcase.policy import calendar

pytestmark = pytest.mark.nodb

LONDON = calendar.BusinessCalendar(
    timezone="Europe/London",
    country="GB",
    subdivision="ENG",
    opening=time(9, 0),
    closing=time(17, 0),
    workdays=calendar.parse_workdays("Mon-Fri"),
)
TARGETS = timing.HouseTargets()


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_business_time_between_and_add_business_time_skip_the_weekend() -> None:
    fri = at(2026, 3, 6, 14)
    mon = at(2026, 3, 9, 14)
    assert calendar.business_time_between(LONDON, fri, mon) == timedelta(hours=8)
    assert calendar.add_business_time(LONDON, fri, timedelta(hours=6)) == at(2026, 3, 9, 12)
    assert calendar.add_business_time(LONDON, at(2026, 3, 7, 11), timedelta(0)) == at(2026, 3, 9, 9)
    assert calendar.business_time_between(LONDON, mon, fri) == timedelta(0)


@pytest.mark.parametrize(
    "start",
    [at(2026, 3, 6, 14), at(2026, 3, 7, 11), at(2025, 8, 22, 14), at(2026, 3, 27, 16, 30)],
)
@pytest.mark.parametrize("days", [0, 1, 2, 5])
def test_add_business_time_agrees_with_add_business_days(start: datetime, days: int) -> None:
    due = calendar.add_business_days(LONDON, start, days)
    assert calendar.add_business_time(LONDON, start, timedelta(hours=8 * days)) == due
    assert calendar.business_time_between(LONDON, start, due) == timedelta(hours=8 * days)


def test_a_call_back_over_the_weekend_is_reminded_on_monday_in_hours() -> None:
    # CM-CALLBACK requested Fri 14:00, due Mon 14:00: 8 business hours, 75% is 6 of them.
    plan = timing.plan(
        LONDON,
        TARGETS,
        rule="CM-CALLBACK",
        opened_at=at(2026, 3, 6, 14),
        due_at=at(2026, 3, 9, 14),
        urgent=False,
    )
    assert plan == timing.Plan(
        deadline=at(2026, 3, 9, 14),
        from_target=False,
        reminder_at=at(2026, 3, 9, 12),
        deadline_at=at(2026, 3, 9, 14),
    )
    assert timing.level_due(plan, at(2026, 3, 8, 20)) is None
    assert timing.level_due(plan, at(2026, 3, 9, 12)) == "reminder"
    assert timing.level_due(plan, at(2026, 3, 9, 14)) == "deadline"


def test_a_deadline_on_saturday_is_told_at_mondays_opening() -> None:
    # A 24-hour email received Fri 20:00: no business time before it is due on Saturday.
    plan = timing.plan(
        LONDON,
        TARGETS,
        rule="CM-EMAIL-ACK",
        opened_at=at(2026, 3, 6, 20),
        due_at=at(2026, 3, 7, 20),
        urgent=False,
    )
    assert plan is not None
    assert (plan.reminder_at, plan.deadline_at) == (at(2026, 3, 9, 9), at(2026, 3, 9, 9))
    assert timing.level_due(plan, at(2026, 3, 8, 23)) is None
    assert timing.level_due(plan, at(2026, 3, 9, 9)) == "deadline"


def test_a_bank_holiday_is_skipped() -> None:
    # Fri 22 Aug 2025 15:00 BST; Mon 25 Aug is the summer bank holiday in England.
    plan = timing.plan(
        LONDON,
        TARGETS,
        rule="CM-CALLBACK",
        opened_at=at(2025, 8, 22, 14),
        due_at=calendar.add_business_days(LONDON, at(2025, 8, 22, 14), 1),
        urgent=False,
    )
    assert plan is not None
    assert plan.deadline == at(2025, 8, 26, 14)  # Tue 15:00 BST
    assert plan.reminder_at == at(2025, 8, 26, 12)  # Tue 13:00 BST: 2 h Fri + 4 h Tue
    email = timing.plan(
        LONDON,
        TARGETS,
        rule="CM-EMAIL-ACK",
        opened_at=at(2025, 8, 24, 10),
        due_at=at(2025, 8, 25, 10),
        urgent=False,
    )
    assert email is not None
    assert email.deadline_at == at(2025, 8, 26, 8)  # Tue 09:00 BST


def test_the_opening_after_the_clocks_go_forward_is_an_hour_earlier_in_utc() -> None:
    # London moves to BST on Sun 29 Mar 2026: Monday opens at 08:00 UTC.
    email = timing.plan(
        LONDON,
        TARGETS,
        rule="CM-EMAIL-ACK",
        opened_at=at(2026, 3, 28, 12),
        due_at=at(2026, 3, 29, 12),
        urgent=False,
    )
    assert email is not None
    assert email.deadline_at == at(2026, 3, 30, 8)
    callback = timing.plan(
        LONDON,
        TARGETS,
        rule="CM-CALLBACK",
        opened_at=at(2026, 3, 27, 15),
        due_at=at(2026, 3, 30, 14),
        urgent=False,
    )
    assert callback is not None
    assert callback.reminder_at == at(2026, 3, 30, 12)  # 2 h Fri (GMT) + 4 h Mon (BST)


def test_a_deadline_at_two_in_the_morning_waits_for_the_opening_unless_urgent() -> None:
    night = at(2026, 3, 3, 2)
    assert timing.deliver_at(LONDON, night, urgent=False) == at(2026, 3, 3, 9)
    assert timing.deliver_at(LONDON, night, urgent=True) == night
    ordinary = timing.plan(
        LONDON,
        TARGETS,
        rule="CM-EMAIL-ACK",
        opened_at=at(2026, 3, 2, 2),
        due_at=night,
        urgent=False,
    )
    urgent = timing.plan(
        LONDON,
        TARGETS,
        rule="CM-EMAIL-ACK",
        opened_at=at(2026, 3, 2, 2),
        due_at=night,
        urgent=True,
    )
    assert ordinary is not None and urgent is not None
    assert (ordinary.reminder_at, ordinary.deadline_at) == (at(2026, 3, 2, 15), at(2026, 3, 3, 9))
    # Urgent work runs on the clock: 75% of 24 hours, delivered at once, at night too.
    assert (urgent.reminder_at, urgent.deadline_at) == (at(2026, 3, 2, 20), night)


def test_house_targets_for_work_without_a_policy_deadline() -> None:
    opened = at(2026, 3, 5, 16)  # Thu
    review = timing.plan(
        LONDON, TARGETS, rule="CM-REVIEW", opened_at=opened, due_at=None, urgent=False
    )
    assert review is not None
    assert (review.deadline, review.from_target) == (at(2026, 3, 9, 16), True)
    outreach = timing.target_due_at(
        TARGETS, LONDON, rule="CM-OUTREACH", opened_at=opened, attempts_required=3
    )
    assert outreach == at(2026, 3, 10, 16)
    shorter = timing.HouseTargets(review_days=1, reminder_share=0.5)
    plan = timing.plan(
        LONDON, shorter, rule="CM-REVIEW", opened_at=opened, due_at=None, urgent=False
    )
    assert plan is not None
    assert (plan.deadline, plan.reminder_at) == (at(2026, 3, 6, 16), at(2026, 3, 6, 12))
    assert (
        timing.plan(
            LONDON, TARGETS, rule="CM-DISSATISFACTION", opened_at=opened, due_at=None, urgent=False
        )
        is None
    )
