"""Tests for eapcase.policy.calendar: business days as rules.md "Time" defines them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eapcase.policy.calendar import (
    BusinessCalendar,
    CalendarError,
    _schedule,
    add_business_days,
    closed_reason,
    explain_due,
    is_business_day,
    is_business_instant,
    next_opening,
    parse_hours,
    parse_workdays,
)

LONDON_TZ = ZoneInfo("Europe/London")
NEW_YORK_TZ = ZoneInfo("America/New_York")
SYDNEY_TZ = ZoneInfo("Australia/Sydney")
JERUSALEM_TZ = ZoneInfo("Asia/Jerusalem")

LONDON = BusinessCalendar("Europe/London", "GB", "ENG")
NEW_YORK = BusinessCalendar("America/New_York", "US", "NY")
SYDNEY = BusinessCalendar("Australia/Sydney", "AU", "NSW")
LONDON_CLOSED_NYE = BusinessCalendar(
    "Europe/London", "GB", "ENG", closed_dates=frozenset({date(2026, 12, 31)})
)
SUN_THU = BusinessCalendar(
    "Asia/Jerusalem",
    opening=time(8, 30),
    closing=time(16, 30),
    workdays=frozenset({6, 0, 1, 2, 3}),
)
LONDON_LONG_DAY = BusinessCalendar(
    "Europe/London", "GB", "ENG", opening=time(8, 0), closing=time(20, 0)
)
# Every day open, no public holidays: isolates the daylight-saving switches.
LONDON_EVERY_DAY = BusinessCalendar("Europe/London", workdays=frozenset(range(7)))
LONDON_SMALL_HOURS = BusinessCalendar(
    "Europe/London", opening=time(1, 0), closing=time(4, 0), workdays=frozenset(range(7))
)
LONDON_ALMOST_ALL_DAY = BusinessCalendar(
    "Europe/London", opening=time(0, 0), closing=time(23, 59), workdays=frozenset(range(7))
)
LONDON_REPEATED_HOUR = BusinessCalendar(
    "Europe/London", opening=time(0, 0), closing=time(1, 30), workdays=frozenset(range(7))
)


def lon(y: int, m: int, d: int, h: int, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, s, tzinfo=LONDON_TZ)


def utc(y: int, m: int, d: int, h: int, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, s, tzinfo=UTC)


# --- add_business_days: table ----------------------------------------------------------------

DUE_CASES = [
    # rules.md "Time", worked examples (London 09:00-17:00, GB/ENG)
    pytest.param(LONDON, lon(2026, 3, 2, 10), 1, lon(2026, 3, 3, 10), id="mon-10-to-tue-10"),
    pytest.param(LONDON, lon(2026, 3, 6, 16), 1, lon(2026, 3, 9, 16), id="fri-16-to-mon-16"),
    pytest.param(LONDON, lon(2026, 5, 1, 16), 1, lon(2026, 5, 5, 16), id="fri-16-bank-hol-mon"),
    pytest.param(LONDON, lon(2026, 3, 7, 11), 1, lon(2026, 3, 9, 17), id="sat-11-to-mon-17"),
    pytest.param(LONDON, lon(2026, 3, 2, 17), 1, lon(2026, 3, 3, 17), id="mon-closing"),
    pytest.param(LONDON, lon(2026, 3, 2, 8, 30), 1, lon(2026, 3, 2, 17), id="mon-0830"),
    pytest.param(LONDON, utc(2026, 12, 24, 15), 1, utc(2026, 12, 29, 15), id="christmas"),
    # at opening, a second before closing, zero days
    pytest.param(LONDON, lon(2026, 3, 2, 9), 1, lon(2026, 3, 2, 17), id="at-opening"),
    pytest.param(
        LONDON, lon(2026, 3, 2, 16, 59, 59), 1, lon(2026, 3, 3, 16, 59, 59), id="second-to-close"
    ),
    pytest.param(LONDON, lon(2026, 3, 2, 10), 0, lon(2026, 3, 2, 10), id="zero-days-inside"),
    pytest.param(LONDON, lon(2026, 3, 7, 11), 0, lon(2026, 3, 9, 9), id="zero-days-weekend"),
    pytest.param(LONDON, lon(2026, 3, 2, 10), 5, lon(2026, 3, 9, 10), id="five-days-a-week"),
    # holidays: Easter (Good Friday and Easter Monday), Christmas and New Year
    pytest.param(LONDON, lon(2026, 4, 2, 10), 1, lon(2026, 4, 7, 10), id="easter"),
    pytest.param(LONDON, lon(2026, 4, 2, 10), 2, lon(2026, 4, 8, 10), id="easter-2-days"),
    pytest.param(LONDON, utc(2026, 12, 24, 15), 2, utc(2026, 12, 30, 15), id="christmas-2"),
    pytest.param(LONDON, utc(2026, 12, 24, 15), 5, utc(2027, 1, 5, 15), id="christmas-5"),
    pytest.param(LONDON, lon(2026, 12, 25, 11), 1, lon(2026, 12, 29, 17), id="on-a-holiday"),
    # the Partner's own closed dates
    pytest.param(
        LONDON_CLOSED_NYE, utc(2026, 12, 30, 15), 1, utc(2027, 1, 4, 15), id="closed-date"
    ),
    pytest.param(LONDON, utc(2026, 12, 30, 15), 1, utc(2026, 12, 31, 15), id="not-closed"),
    # other workdays and hours
    pytest.param(
        SUN_THU,
        datetime(2026, 3, 5, 15, tzinfo=JERUSALEM_TZ),
        1,
        datetime(2026, 3, 8, 15, tzinfo=JERUSALEM_TZ),
        id="sun-thu-thursday",
    ),
    pytest.param(
        SUN_THU,
        datetime(2026, 3, 6, 10, tzinfo=JERUSALEM_TZ),
        1,
        datetime(2026, 3, 8, 16, 30, tzinfo=JERUSALEM_TZ),
        id="sun-thu-friday",
    ),
    pytest.param(
        SUN_THU,
        datetime(2026, 3, 8, 8, tzinfo=JERUSALEM_TZ),
        2,
        datetime(2026, 3, 9, 16, 30, tzinfo=JERUSALEM_TZ),
        id="sun-thu-2-days",
    ),
    pytest.param(LONDON_LONG_DAY, lon(2026, 3, 6, 19), 1, lon(2026, 3, 9, 19), id="08-20"),
    # London daylight saving: 29 Mar and 25 Oct 2026
    pytest.param(LONDON, utc(2026, 3, 27, 16), 1, utc(2026, 3, 30, 15), id="lon-mar-fri"),
    pytest.param(LONDON, utc(2026, 3, 26, 10), 2, utc(2026, 3, 30, 9), id="lon-mar-thu-2"),
    pytest.param(LONDON, utc(2026, 3, 28, 12), 1, utc(2026, 3, 30, 16), id="lon-mar-sat"),
    pytest.param(LONDON, utc(2026, 10, 23, 15), 1, utc(2026, 10, 26, 16), id="lon-oct-fri"),
    pytest.param(LONDON, utc(2026, 10, 22, 9), 3, utc(2026, 10, 27, 10), id="lon-oct-thu-3"),
    pytest.param(
        LONDON_EVERY_DAY, utc(2026, 3, 29, 8), 1, utc(2026, 3, 29, 16), id="lon-spring-sunday"
    ),
    pytest.param(
        LONDON_EVERY_DAY, utc(2026, 10, 25, 9), 1, utc(2026, 10, 25, 17), id="lon-autumn-sunday"
    ),
    # New York: DST 8 Mar and 1 Nov 2026, Election Day 3 Nov, Thanksgiving 26 Nov
    pytest.param(NEW_YORK, utc(2026, 3, 6, 21), 1, utc(2026, 3, 9, 20), id="ny-mar-fri"),
    pytest.param(NEW_YORK, utc(2026, 3, 7, 15), 1, utc(2026, 3, 9, 21), id="ny-mar-sat"),
    pytest.param(NEW_YORK, utc(2026, 10, 30, 19), 1, utc(2026, 11, 2, 20), id="ny-nov-fri"),
    pytest.param(NEW_YORK, utc(2026, 10, 30, 19), 2, utc(2026, 11, 4, 20), id="ny-election"),
    pytest.param(NEW_YORK, utc(2026, 11, 25, 19), 1, utc(2026, 11, 27, 19), id="ny-thanks"),
    pytest.param(NEW_YORK, utc(2026, 11, 25, 19), 2, utc(2026, 11, 30, 19), id="ny-thanks-2"),
    pytest.param(NEW_YORK, utc(2026, 11, 26, 15), 1, utc(2026, 11, 27, 22), id="ny-on-thanks"),
    # New South Wales: DST ends 5 Apr 2026 (Easter), starts 4 Oct 2026 (Labour Day 5 Oct)
    pytest.param(SYDNEY, utc(2026, 4, 1, 23), 1, utc(2026, 4, 7, 0), id="nsw-easter"),
    pytest.param(SYDNEY, utc(2026, 4, 1, 23), 2, utc(2026, 4, 8, 0), id="nsw-easter-2"),
    pytest.param(SYDNEY, utc(2026, 10, 2, 0), 1, utc(2026, 10, 5, 23), id="nsw-october"),
    pytest.param(SYDNEY, utc(2026, 10, 1, 6), 1, utc(2026, 10, 2, 6), id="nsw-october-thu"),
    # Hours straddling the switch: real time inside the local window (see add_business_days).
    # Sun 29 Mar 01:00-04:00 lasts 2 h (01:00Z to 03:00Z); Sun 25 Oct lasts 4 h.
    pytest.param(
        LONDON_SMALL_HOURS, utc(2026, 3, 28, 3), 1, utc(2026, 3, 29, 3), id="small-hours-spring"
    ),
    pytest.param(
        LONDON_SMALL_HOURS, utc(2026, 3, 29, 1), 1, utc(2026, 3, 30, 1), id="small-hours-switch"
    ),
    pytest.param(
        LONDON_SMALL_HOURS, utc(2026, 10, 25, 0), 1, utc(2026, 10, 25, 3), id="small-hours-autumn"
    ),
    pytest.param(
        LONDON_SMALL_HOURS, utc(2026, 10, 24, 1), 1, utc(2026, 10, 25, 1), id="small-hours-sat"
    ),
    pytest.param(
        LONDON_ALMOST_ALL_DAY, utc(2026, 3, 29, 0), 1, utc(2026, 3, 30, 0), id="all-day-spring"
    ),
    pytest.param(
        LONDON_ALMOST_ALL_DAY,
        utc(2026, 10, 24, 23),
        1,
        utc(2026, 10, 25, 22, 59),
        id="all-day-autumn",
    ),
]


@pytest.mark.parametrize(("cal", "start", "days", "due"), DUE_CASES)
def test_add_business_days(
    cal: BusinessCalendar, start: datetime, days: int, due: datetime
) -> None:
    result = add_business_days(cal, start, days)
    assert result == due
    assert result.tzinfo is UTC


def test_add_business_days_returns_utc_for_any_input_zone() -> None:
    result = add_business_days(LONDON, datetime(2026, 3, 2, 5, tzinfo=NEW_YORK_TZ), 1)
    assert (result, result.tzinfo) == (utc(2026, 3, 3, 10), UTC)


def test_add_business_days_rejects_negative_days() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        add_business_days(LONDON, lon(2026, 3, 2, 10), -1)


def test_add_business_days_gives_up_when_the_calendar_never_opens() -> None:
    mondays = frozenset(date(2026, 1, 5) + timedelta(weeks=w) for w in range(5 * 53))
    cal = BusinessCalendar("Europe/London", workdays=frozenset({0}), closed_dates=mondays)
    with pytest.raises(CalendarError, match="no business hours"):
        add_business_days(cal, lon(2026, 1, 1, 10), 1)


# --- instants and days -----------------------------------------------------------------------

INSTANT_CASES = [
    pytest.param(LONDON, lon(2026, 3, 2, 9), True, id="opening"),
    pytest.param(LONDON, lon(2026, 3, 2, 8, 59, 59), False, id="before-opening"),
    pytest.param(LONDON, lon(2026, 3, 2, 16, 59, 59), True, id="second-before-closing"),
    pytest.param(LONDON, lon(2026, 3, 2, 17), False, id="closing"),
    pytest.param(LONDON, lon(2026, 3, 7, 12), False, id="saturday"),
    pytest.param(LONDON, lon(2026, 12, 28, 12), False, id="observed-boxing-day"),
    pytest.param(LONDON_CLOSED_NYE, lon(2026, 12, 31, 12), False, id="closed-date"),
    pytest.param(SUN_THU, datetime(2026, 3, 8, 9, tzinfo=JERUSALEM_TZ), True, id="sunday-open"),
    pytest.param(LONDON_SMALL_HOURS, utc(2026, 3, 29, 0, 59, 59), False, id="before-switch"),
    pytest.param(LONDON_SMALL_HOURS, utc(2026, 3, 29, 1), True, id="at-switch"),
    # 00:00-01:30 on 25 Oct: closes at the first 01:30 (00:30Z); the second pass is closed.
    pytest.param(LONDON_REPEATED_HOUR, utc(2026, 10, 25, 0, 15), True, id="first-pass"),
    pytest.param(LONDON_REPEATED_HOUR, utc(2026, 10, 25, 1, 15), False, id="second-pass"),
]


@pytest.mark.parametrize(("cal", "at", "expected"), INSTANT_CASES)
def test_is_business_instant(cal: BusinessCalendar, at: datetime, expected: bool) -> None:
    assert is_business_instant(cal, at) is expected


NEXT_OPENING_CASES = [
    pytest.param(LONDON, lon(2026, 3, 2, 9), utc(2026, 3, 2, 9), id="at-opening"),
    pytest.param(LONDON, lon(2026, 3, 2, 10), utc(2026, 3, 3, 9), id="inside-hours"),
    pytest.param(LONDON, lon(2026, 3, 6, 18), utc(2026, 3, 9, 9), id="friday-evening"),
    pytest.param(LONDON, utc(2026, 12, 24, 17), utc(2026, 12, 29, 9), id="christmas"),
    pytest.param(LONDON, lon(2026, 3, 27, 18), utc(2026, 3, 30, 8), id="into-summer-time"),
    pytest.param(LONDON_SMALL_HOURS, utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1), id="switch"),
]


@pytest.mark.parametrize(("cal", "at", "expected"), NEXT_OPENING_CASES)
def test_next_opening(cal: BusinessCalendar, at: datetime, expected: datetime) -> None:
    result = next_opening(cal, at)
    assert (result, result.tzinfo) == (expected, UTC)


REASON_CASES = [
    pytest.param(LONDON, date(2026, 3, 2), None, id="monday"),
    pytest.param(LONDON, date(2026, 3, 7), "weekend", id="saturday"),
    pytest.param(LONDON, date(2026, 12, 26), "weekend", id="holiday-on-saturday"),
    pytest.param(LONDON, date(2026, 12, 25), "Christmas Day", id="christmas"),
    pytest.param(LONDON, date(2026, 12, 28), "Boxing Day (observed)", id="observed"),
    pytest.param(LONDON, date(2026, 5, 4), "May Day", id="bank-holiday-monday"),
    pytest.param(LONDON_CLOSED_NYE, date(2026, 12, 31), "closed", id="closed-date"),
    pytest.param(SUN_THU, date(2026, 3, 6), "not a working day", id="friday-off"),
    pytest.param(SUN_THU, date(2026, 3, 7), "weekend", id="saturday-off"),
    pytest.param(SUN_THU, date(2026, 3, 8), None, id="sunday-open"),
    pytest.param(NEW_YORK, date(2026, 11, 26), "Thanksgiving Day", id="thanksgiving"),
    pytest.param(SYDNEY, date(2026, 10, 5), "Labor Day", id="nsw-labour-day"),
]


@pytest.mark.parametrize(("cal", "day", "reason"), REASON_CASES)
def test_closed_reason(cal: BusinessCalendar, day: date, reason: str | None) -> None:
    assert (closed_reason(cal, day), is_business_day(cal, day)) == (reason, reason is None)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: add_business_days(LONDON, datetime(2026, 3, 2, 10), 1), id="add"),
        pytest.param(lambda: is_business_instant(LONDON, datetime(2026, 3, 2, 10)), id="instant"),
        pytest.param(lambda: next_opening(LONDON, datetime(2026, 3, 2, 10)), id="next"),
        pytest.param(
            lambda: explain_due(LONDON, datetime(2026, 3, 2, 10), 1, utc(2026, 3, 3, 10)),
            id="explain",
        ),
    ],
)
def test_naive_datetimes_are_rejected(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


# --- explain_due -----------------------------------------------------------------------------

EXPLAIN_CASES = [
    pytest.param(
        LONDON,
        utc(2026, 12, 24, 15),
        1,
        "due Tue 29 Dec 15:00 Europe/London: 1 business day after Thu 24 Dec 15:00; "
        "25 and 28 Dec are holidays",
        id="christmas",
    ),
    pytest.param(
        LONDON,
        utc(2026, 12, 24, 15),
        2,
        "due Wed 30 Dec 15:00 Europe/London: 2 business days after Thu 24 Dec 15:00; "
        "25 and 28 Dec are holidays",
        id="christmas-2",
    ),
    pytest.param(
        LONDON,
        lon(2026, 3, 14, 11),
        1,
        "due Mon 16 Mar 17:00 Europe/London: 1 business day after Sat 14 Mar 11:00 "
        "(counted from the opening on Mon 16 Mar 09:00)",
        id="weekend-start",
    ),
    pytest.param(
        LONDON,
        lon(2026, 3, 2, 10),
        1,
        "due Tue 3 Mar 10:00 Europe/London: 1 business day after Mon 2 Mar 10:00",
        id="plain",
    ),
    pytest.param(
        LONDON_CLOSED_NYE,
        utc(2026, 12, 30, 15),
        1,
        "due Mon 4 Jan 2027 15:00 Europe/London: 1 business day after Wed 30 Dec 2026 15:00; "
        "1 Jan 2027 is a holiday; 31 Dec 2026 is closed",
        id="new-year",
    ),
    pytest.param(
        BusinessCalendar(
            "Europe/London",
            "GB",
            "ENG",
            closed_dates=frozenset({date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)}),
        ),
        utc(2026, 11, 27, 10),
        1,
        "due Thu 3 Dec 10:00 Europe/London: 1 business day after Fri 27 Nov 10:00; "
        "30 Nov, 1 and 2 Dec are closed",
        id="closed-run",
    ),
    pytest.param(
        NEW_YORK,
        utc(2026, 11, 26, 15),
        1,
        "due Fri 27 Nov 17:00 America/New_York: 1 business day after Thu 26 Nov 10:00 "
        "(counted from the opening on Fri 27 Nov 09:00); 26 Nov is a holiday",
        id="on-thanksgiving",
    ),
]


@pytest.mark.parametrize(("cal", "start", "days", "text"), EXPLAIN_CASES)
def test_explain_due(cal: BusinessCalendar, start: datetime, days: int, text: str) -> None:
    assert explain_due(cal, start, days, add_business_days(cal, start, days)) == text


# --- parsing and validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("09:00-17:00", (time(9, 0), time(17, 0))),
        ("8:30 - 16:45", (time(8, 30), time(16, 45))),
        ("00:00-23:59", (time(0, 0), time(23, 59))),
    ],
)
def test_parse_hours(text: str, hours: tuple[time, time]) -> None:
    assert parse_hours(text) == hours


@pytest.mark.parametrize(
    "text",
    [
        "",
        "9-17",
        "17:00-09:00",
        "09:00-09:00",
        "09:00-24:00",
        "09:60-17:00",
        "09:00\u201317:00",
        "09:00-17:00-18:00",
        "nine to five",
    ],
)
def test_parse_hours_rejects(text: str) -> None:
    with pytest.raises(CalendarError):
        parse_hours(text)


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("Mon-Fri", frozenset({0, 1, 2, 3, 4})),
        ("Mon,Tue,Thu", frozenset({0, 1, 3})),
        ("Sun-Thu", frozenset({6, 0, 1, 2, 3})),
        ("Fri-Mon", frozenset({4, 5, 6, 0})),
        ("Sat", frozenset({5})),
        ("mon-fri", frozenset({0, 1, 2, 3, 4})),
        ("Mon-Wed, Fri", frozenset({0, 1, 2, 4})),
        ("Mon-Sun", frozenset(range(7))),
    ],
)
def test_parse_workdays(text: str, days: frozenset[int]) -> None:
    assert parse_workdays(text) == days


@pytest.mark.parametrize(
    "text", ["", " ", "Funday", "Monday", "Mon-", "Mon-Tue-Wed", ",", "Mon,,Tue", "1-5"]
)
def test_parse_workdays_rejects(text: str) -> None:
    with pytest.raises(CalendarError):
        parse_workdays(text)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "unknown time zone"),
        ({"timezone": "Europe/London", "opening": time(17), "closing": time(9)}, "before"),
        ({"timezone": "Europe/London", "workdays": frozenset()}, "at least one"),
        ({"timezone": "Europe/London", "workdays": frozenset({7})}, "weekday numbers"),
        ({"timezone": "Europe/London", "country": "ZZ"}, "no public holidays"),
        ({"timezone": "Europe/London", "country": "GB", "subdivision": "XX"}, "GB/XX"),
        ({"timezone": "Europe/London", "subdivision": "ENG"}, "without a country"),
        (
            {"timezone": "Europe/London", "closed_dates": frozenset({utc(2026, 1, 2, 0)})},
            "must be dates",
        ),
    ],
)
def test_invalid_calendars_are_rejected(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        BusinessCalendar(**kwargs)  # type: ignore[arg-type]


def test_calendar_error_is_a_value_error() -> None:
    assert issubclass(CalendarError, ValueError)


# --- properties ------------------------------------------------------------------------------

REGIONS = [
    ("Europe/London", "GB", "ENG"),
    ("America/New_York", "US", "NY"),
    ("Australia/Sydney", "AU", "NSW"),
]
# Each zone's 2026 daylight-saving switches (local dates).
SWITCHES = {
    "Europe/London": (date(2026, 3, 29), date(2026, 10, 25)),
    "America/New_York": (date(2026, 3, 8), date(2026, 11, 1)),
    "Australia/Sydney": (date(2026, 4, 5), date(2026, 10, 4)),
}
QUARTER = timedelta(minutes=15)


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    """Random calendars on quarter-hour hours, near one of the zone's DST switches."""
    zone, country, subdivision = draw(st.sampled_from(REGIONS))
    opens = draw(st.integers(0, 94))
    closes = draw(st.integers(opens + 1, 95))
    switch = draw(st.sampled_from(SWITCHES[zone]))
    closed = draw(st.frozensets(st.integers(-12, 20), max_size=4))
    with_holidays = draw(st.booleans())
    return BusinessCalendar(
        zone,
        country if with_holidays else None,
        subdivision if with_holidays else None,
        opening=time(opens // 4, opens % 4 * 15),
        closing=time(closes // 4, closes % 4 * 15),
        workdays=draw(st.frozensets(st.integers(0, 6), min_size=1)),
        closed_dates=frozenset(switch + timedelta(days=d) for d in closed),
    )


def starts_near_switch(cal: BusinessCalendar) -> st.SearchStrategy[datetime]:
    """Quarter-hour instants within ten days of the calendar's DST switches."""
    return st.tuples(st.sampled_from(SWITCHES[cal.timezone]), st.integers(-10 * 96, 10 * 96)).map(
        lambda p: datetime.combine(p[0], time(0), tzinfo=UTC) + p[1] * QUARTER
    )


any_instant = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=200, deadline=None)
@given(cal=calendars(), start=any_instant, days=st.integers(0, 6))
def test_due_is_a_business_instant_or_a_closing_on_an_open_day(
    cal: BusinessCalendar, start: datetime, days: int
) -> None:
    due = add_business_days(cal, start, days)
    just_before = due - timedelta(microseconds=1)
    assert due >= start
    assert is_business_instant(cal, due) or (days > 0 and is_business_instant(cal, just_before))
    assert closed_reason(cal, due.astimezone(ZoneInfo(cal.timezone)).date()) is None


@settings(max_examples=200, deadline=None)
@given(cal=calendars(), start=any_instant, days=st.integers(1, 6))
def test_due_is_never_an_opening(cal: BusinessCalendar, start: datetime, days: int) -> None:
    due = add_business_days(cal, start, days)
    assert next_opening(cal, due) > due


@settings(max_examples=200, deadline=None)
@given(
    cal=calendars(),
    first=any_instant,
    gap=st.timedeltas(timedelta(0), timedelta(days=9)),
    days=st.integers(0, 5),
    more=st.integers(0, 3),
)
def test_due_is_monotonic_in_start_and_days(
    cal: BusinessCalendar, first: datetime, gap: timedelta, days: int, more: int
) -> None:
    due = add_business_days(cal, first, days)
    assert due <= add_business_days(cal, first + gap, days)
    assert due <= add_business_days(cal, first, days + more)
    assert (due < add_business_days(cal, first, days + more)) is (more > 0)


# A slow, independent reference: windows found by scanning the local clock quarter-hour by
# quarter-hour, business time counted quarter-hour by quarter-hour.


@functools.cache
def _ref_holidays(country: str, subdivision: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def _ref_open_day(cal: BusinessCalendar, day: date) -> bool:
    holiday = (
        cal.country is not None
        and cal.subdivision is not None
        and (day in _ref_holidays(cal.country, cal.subdivision, day.year))
    )
    return day.weekday() in cal.workdays and day not in cal.closed_dates and not holiday


@functools.cache
def _ref_first_reading(zone_name: str, day: date, clock: time) -> datetime:
    """The first quarter-hour at which the local clock reads `day` `clock` or later."""
    zone, target = ZoneInfo(zone_name), datetime.combine(day, clock)
    at = datetime.combine(day, time(0), tzinfo=UTC) - timedelta(hours=36)
    while at.astimezone(zone).replace(tzinfo=None) < target:
        at += QUARTER
    return at


def _ref_is_business(cal: BusinessCalendar, at: datetime) -> bool:
    local_day = at.astimezone(ZoneInfo(cal.timezone)).date()
    return any(
        _ref_open_day(cal, day)
        and _ref_first_reading(cal.timezone, day, cal.opening)
        <= at
        < _ref_first_reading(cal.timezone, day, cal.closing)
        for day in (local_day - timedelta(days=1), local_day, local_day + timedelta(days=1))
    )


def _ref_due(cal: BusinessCalendar, start: datetime, days: int) -> datetime:
    at = start
    while not _ref_is_business(cal, at):
        at += QUARTER
    day_quarters = (
        datetime.combine(date.min, cal.closing) - datetime.combine(date.min, cal.opening)
    ) // QUARTER
    owed = days * day_quarters
    while owed > 0:
        owed -= _ref_is_business(cal, at)
        at += QUARTER
    return at


@settings(max_examples=150, deadline=None)
@given(data=st.data(), cal=calendars(), days=st.integers(0, 3))
def test_business_time_to_due_matches_a_slow_reference(
    data: st.DataObject, cal: BusinessCalendar, days: int
) -> None:
    start = data.draw(starts_near_switch(cal))
    assert add_business_days(cal, start, days) == _ref_due(cal, start, days)


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    cal=calendars(),
    edge=st.sampled_from(["start", "opening", "closing"]),
    nudge=st.sampled_from([0, -1, 1]),
)
def test_locate_finds_the_window_a_day_by_day_scan_finds(
    data: st.DataObject, cal: BusinessCalendar, edge: str, nudge: int
) -> None:
    # locate reads the windows listed per UTC date; containing and first_window_from scan
    # the local days around the instant. Instants fall near DST switches, or on the next
    # opening or closing after one, and a microsecond either side.
    schedule = _schedule(cal)
    start = data.draw(starts_near_switch(cal))
    _, opens, closes = schedule.first_window_from(start)
    at = {"start": start, "opening": opens, "closing": closes}[edge]
    at += nudge * timedelta(microseconds=1)
    found = schedule.containing(at)
    if found is None:
        day, opens, closes = schedule.first_window_from(at)
        expected = (opens, day, closes)
    else:
        expected = (at, found[0], found[2])
    assert schedule.locate(at) == expected
