"""policy.procedures: when a check-in requested at closure may be made and is due, and whether
an instant falls in a client's contact-time window (ADR 0027)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eapcase.policy.calendar import BusinessCalendar, parse_workdays
from eapcase.policy.procedures import (
    ContactWindow,
    checkin_after_closure,
    in_contact_window,
)

LONDON = BusinessCalendar(
    timezone="Europe/London",
    country="GB",
    subdivision="ENG",
    opening=time(9, 0),
    closing=time(17, 0),
    workdays=parse_workdays("Mon-Fri"),
    closed_dates=frozenset({date(2026, 3, 13)}),
)


def test_the_checkin_is_counted_in_business_days_from_the_closing() -> None:
    # Closed Monday 2 March 2026 at 10:00 London (GMT). Ten business days later, skipping the
    # Partner's own closed Friday 13 March, is Tuesday 17 March 10:00; one more day: the 18th.
    times = checkin_after_closure(LONDON, datetime(2026, 3, 2, 10, 0, tzinfo=UTC), 10, 1)
    assert times.not_before == datetime(2026, 3, 17, 10, 0, tzinfo=UTC)
    assert times.due == datetime(2026, 3, 18, 10, 0, tzinfo=UTC)


def test_a_checkin_due_in_no_days_still_has_one_and_closing_after_hours_counts_from_opening() -> (
    None
):
    # Closed Friday 6 March at 19:00: counting starts at Monday's opening, and one business
    # day from an opening ends at that day's closing.
    times = checkin_after_closure(LONDON, datetime(2026, 3, 6, 19, 0, tzinfo=UTC), 0, 0)
    assert times.not_before == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    assert times.due == datetime(2026, 3, 9, 17, 0, tzinfo=UTC)


def test_a_window_in_the_day_includes_its_start_and_excludes_its_end() -> None:
    window = ContactWindow(start=time(9, 0), end=time(17, 0), zone="Europe/London")
    assert in_contact_window(window, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    assert in_contact_window(window, datetime(2026, 3, 2, 16, 59, tzinfo=UTC))
    assert not in_contact_window(window, datetime(2026, 3, 2, 17, 0, tzinfo=UTC))
    assert not in_contact_window(window, datetime(2026, 3, 2, 8, 59, tzinfo=UTC))


def test_a_window_over_midnight_is_read_on_the_windows_own_clock() -> None:
    # Drivers: 18:00 to 08:00 New York time (EST, UTC-5, on 2 March 2026).
    window = ContactWindow(start=time(18, 0), end=time(8, 0), zone="America/New_York")
    assert in_contact_window(window, datetime(2026, 3, 2, 23, 30, tzinfo=UTC))  # 18:30
    assert in_contact_window(window, datetime(2026, 3, 3, 12, 59, tzinfo=UTC))  # 07:59
    assert not in_contact_window(window, datetime(2026, 3, 2, 15, 0, tzinfo=UTC))  # 10:00
    assert not in_contact_window(window, datetime(2026, 3, 3, 13, 0, tzinfo=UTC))  # 08:00


def test_a_window_refuses_an_empty_span_an_unknown_zone_and_a_naive_time() -> None:
    with pytest.raises(ValueError, match="different"):
        ContactWindow(start=time(9, 0), end=time(9, 0), zone="Europe/London")
    with pytest.raises(ValueError, match="time zone"):
        ContactWindow(start=time(9, 0), end=time(17, 0), zone="Mars/Olympus")
    window = ContactWindow(start=time(9, 0), end=time(17, 0), zone="UTC")
    with pytest.raises(ValueError, match="aware"):
        in_contact_window(window, datetime(2026, 3, 2, 10, 0))


@given(
    start=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    end=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    at=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
)
def test_a_window_and_its_complement_split_every_instant(
    start: time, end: time, at: datetime
) -> None:
    if start == end:
        return
    window = ContactWindow(start=start, end=end, zone="UTC")
    other = ContactWindow(start=end, end=start, zone="UTC")
    assert in_contact_window(window, at) != in_contact_window(other, at)
