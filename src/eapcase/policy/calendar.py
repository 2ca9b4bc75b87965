"""Business calendars of the acting Partner and business-day deadlines (rules.md, "Time").

The only place in eapcase where business time is computed; pure, no clock reads, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

__all__ = [
    "BusinessCalendar",
    "CalendarError",
    "add_business_days",
    "add_business_time",
    "business_time_between",
    "closed_reason",
    "explain_due",
    "is_business_day",
    "is_business_instant",
    "next_opening",
    "parse_hours",
    "parse_workdays",
]

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SATURDAY_SUNDAY = frozenset({5, 6})
_ONE_DAY = timedelta(days=1)
_ONE_MICROSECOND = timedelta(microseconds=1)
# How far ahead to look for an open day before deciding the calendar never opens.
_MAX_SCAN_DAYS = 3 * 366
# Daily windows kept per calendar before the cache is emptied (bounds memory).
_WINDOW_CACHE_SIZE = 20_000
_HOURS_RE = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")

_ClosureKind = Literal["weekday", "holiday", "closed"]
_Window = tuple[datetime, datetime]


class CalendarError(ValueError):
    """An invalid calendar or calendar text, or a calendar with no business hours in reach."""


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """The acting Partner's calendar (rules.md, "Time"; history-format.md, `partner` line).

    `opening` and `closing` are local wall-clock times in `timezone`; `workdays` uses
    Monday=0 .. Sunday=6; `country`/`subdivision` select the public holidays of the
    `holidays` package (observed days included); `closed_dates` are the Partner's own.
    """

    timezone: str
    country: str | None = None
    subdivision: str | None = None
    opening: time = time(9, 0)
    closing: time = time(17, 0)
    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    closed_dates: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not isinstance(self.timezone, str):
            raise CalendarError(f"time zone must be an IANA name, not {self.timezone!r}")
        _zone(self.timezone)
        for name, value in (("opening", self.opening), ("closing", self.closing)):
            if not isinstance(value, time) or value.tzinfo is not None:
                raise CalendarError(f"{name} must be a local time without a zone, not {value!r}")
        if self.opening >= self.closing:
            raise CalendarError(
                f"opening {self.opening:%H:%M} must be before closing {self.closing:%H:%M}"
            )
        workdays = frozenset(self.workdays)
        if not workdays:
            raise CalendarError("a calendar needs at least one working weekday")
        if any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6 for d in workdays):
            raise CalendarError(f"workdays must be weekday numbers 0 (Mon) to 6 (Sun): {workdays}")
        closed = frozenset(self.closed_dates)
        if any(isinstance(d, datetime) or not isinstance(d, date) for d in closed):
            raise CalendarError("closed_dates must be dates")
        object.__setattr__(self, "workdays", workdays)
        object.__setattr__(self, "closed_dates", closed)
        if self.country is None:
            if self.subdivision is not None:
                raise CalendarError(f"subdivision {self.subdivision!r} given without a country")
        else:
            _check_region(self.country, self.subdivision)


def parse_hours(text: str) -> tuple[time, time]:
    """Parse opening hours written `HH:MM-HH:MM` (history-format.md, `hours`)."""
    match = _HOURS_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise CalendarError(f"hours must look like 09:00-17:00, not {text!r}")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60):
        raise CalendarError(f"hours {text!r}: not a time of day (00:00 to 23:59)")
    opening, closing = time(h1, m1), time(h2, m2)
    if opening >= closing:
        raise CalendarError(f"hours {text!r}: opening must be before closing")
    return opening, closing


def parse_workdays(text: str) -> frozenset[int]:
    """Parse working weekdays: a range (`Mon-Fri`, wrapping: `Sun-Thu`), a comma list
    (`Mon,Tue,Thu`) or a comma list of days and ranges (history-format.md, `workdays`)."""
    if not isinstance(text, str) or not text.strip():
        raise CalendarError(f"workdays must name days Mon..Sun, not {text!r}")
    days: set[int] = set()
    for item in text.split(","):
        ends = [_day_number(part, text) for part in item.split("-")]
        if len(ends) == 1:
            days.add(ends[0])
        elif len(ends) == 2:
            first, last = ends
            days.update((first + i) % 7 for i in range((last - first) % 7 + 1))
        else:
            raise CalendarError(f"workdays {text!r}: {item.strip()!r} is not a day or a range")
    return frozenset(days)


def _day_number(part: str, text: str) -> int:
    name = part.strip().capitalize()
    if name not in _DAY_NAMES:
        raise CalendarError(f"workdays {text!r}: {part.strip()!r} is not one of Mon..Sun")
    return _DAY_NAMES.index(name)


def is_business_day(cal: BusinessCalendar, day: date) -> bool:
    """Whether `day` is a working weekday that is neither a public holiday nor closed."""
    return _closure(cal, day) is None


def closed_reason(cal: BusinessCalendar, day: date) -> str | None:
    """Why `day` is closed: "weekend" (a non-working Saturday or Sunday), "not a working day"
    (another non-working weekday), the public holiday's name, or "closed" (a closed date).
    None when the day is a business day. The weekday reason comes first, then the holiday."""
    closure = _closure(cal, day)
    return None if closure is None else closure[1]


def is_business_instant(cal: BusinessCalendar, at: datetime) -> bool:
    """Whether `at` lies in business hours: opening inclusive, closing exclusive."""
    return _schedule(cal).containing(_utc(at, "at")) is not None


def next_opening(cal: BusinessCalendar, at: datetime) -> datetime:
    """The first opening at or after `at`, in UTC (`at` itself when it is an opening)."""
    return _schedule(cal).first_window_from(_utc(at, "at"))[1]


def add_business_days(cal: BusinessCalendar, start: datetime, days: int) -> datetime:
    """The deadline `days` business days after `start`, in UTC (rules.md, "Time").

    S is `start` when it lies in business hours, else the next opening. The deadline is the
    earliest instant at which `days` x (closing - opening) of business time has elapsed after
    S; one that falls exactly at a day's end is that day's closing, not the next opening.
    `days` = 0 gives S.

    Daylight saving: business time is real elapsed time inside each day's local window, and
    the amount owed per day is the nominal wall-clock length (closing - opening). A day's
    window opens at the first instant the local clock reads the opening time or later and
    closes at the first instant it reads the closing time or later. So a boundary inside a
    skipped hour falls on the switch itself, a boundary inside a repeated hour on its first
    pass, and a window that straddles the switch is shorter or longer in real time by the jump
    (its deficit or surplus carries into the next business day). A 09:00-17:00 day is never
    touched by the switches of London, New York or Sydney and always lasts 8 hours.
    """
    # The checks below each cost little, but `eapcase check` computes a deadline for every
    # call back, provider contact and check-in (by the hundred thousand): the usual UTC start
    # and plain int skip them, and the schedule is found by the calendar's identity.
    if type(days) is not int and (isinstance(days, bool) or not isinstance(days, int)):
        raise TypeError(f"days must be an int, not {days!r}")
    if days < 0:
        raise ValueError(f"days must be 0 or more, not {days}")
    schedule = _schedule_of(cal)
    # _utc(start) returns an aware UTC datetime itself unchanged (astimezone(UTC) of it).
    utc = start if type(start) is datetime and start.tzinfo is UTC else _utc(start, "start")
    cursor, day, closes = schedule.locate(utc)
    remaining = schedule.day_length * days
    while True:
        available = closes - cursor
        if remaining <= available:
            return cursor + remaining
        remaining -= available
        day, cursor, closes = schedule.first_window_from_day(day + _ONE_DAY)


def business_time_between(cal: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """The business time that elapses from `start` to `end` (zero when `end` is not later).
    Used by the reminders: a share of the business time an obligation allows."""
    start_utc, end_utc = _utc(start, "start"), _utc(end, "end")
    total = timedelta(0)
    if end_utc <= start_utc:
        return total
    schedule = _schedule(cal)
    cursor, day, closes = schedule.locate(start_utc)
    while cursor < end_utc:
        total += min(closes, end_utc) - cursor
        if closes >= end_utc:
            break
        day, cursor, closes = schedule.first_window_from_day(day + _ONE_DAY)
    return total


def add_business_time(cal: BusinessCalendar, start: datetime, amount: timedelta) -> datetime:
    """The instant at which `amount` of business time has elapsed after `start`, counted as
    `add_business_days` counts (from S; an end exactly at a closing is that closing)."""
    if amount < timedelta(0):
        raise ValueError(f"amount must be 0 or more, not {amount}")
    schedule = _schedule(cal)
    cursor, day, closes = schedule.locate(_utc(start, "start"))
    remaining = amount
    while True:
        available = closes - cursor
        if remaining <= available:
            return cursor + remaining
        remaining -= available
        day, cursor, closes = schedule.first_window_from_day(day + _ONE_DAY)


def explain_due(cal: BusinessCalendar, start: datetime, days: int, due: datetime) -> str:
    """A plain-language reason for a business-day deadline, in the calendar's local time, e.g.
    "due Tue 29 Dec 15:00 Europe/London: 1 business day after Thu 24 Dec 15:00; 25 and 28 Dec
    are holidays". Names the opening counted from when `start` was outside business hours,
    and the holidays and closed dates (not non-working weekdays) from `start` to `due`.
    Years are shown when `start` and `due` fall in different local years."""
    schedule = _schedule(cal)
    start_utc, due_utc = _utc(start, "start"), _utc(due, "due")
    local_start = start_utc.astimezone(schedule.zone)
    local_due = due_utc.astimezone(schedule.zone)
    with_year = local_start.year != local_due.year
    unit = "business day" if days == 1 else "business days"
    text = (
        f"due {_format_instant(local_due, with_year)} {cal.timezone}: "
        f"{days} {unit} after {_format_instant(local_start, with_year)}"
    )
    counted_from = schedule.locate(start_utc)[0]
    if counted_from != start_utc:
        opening = counted_from.astimezone(schedule.zone)
        text += f" (counted from the opening on {_format_instant(opening, with_year)})"
    holiday_days: list[date] = []
    closed_days: list[date] = []
    day = local_start.date()
    while day <= local_due.date():
        closure = _closure(cal, day)
        if closure is not None and closure[0] == "holiday":
            holiday_days.append(day)
        elif closure is not None and closure[0] == "closed":
            closed_days.append(day)
        day += _ONE_DAY
    for found, one, many in (
        (holiday_days, "is a holiday", "are holidays"),
        (closed_days, "is closed", "are closed"),
    ):
        if found:
            text += f"; {_format_dates(found, with_year)} {one if len(found) == 1 else many}"
    return text


# --- internals -----------------------------------------------------------------------------


def _utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CalendarError(f"unknown time zone {name!r}") from exc


@lru_cache(maxsize=256)
def _check_region(country: str, subdivision: str | None) -> None:
    try:
        holidays.country_holidays(country, subdiv=subdivision)
    except (NotImplementedError, ValueError, KeyError) as exc:
        where = country if subdivision is None else f"{country}/{subdivision}"
        raise CalendarError(f"no public holidays known for {where!r}: {exc}") from exc


@lru_cache(maxsize=1024)
def _holiday_names(country: str, subdivision: str | None, year: int) -> Mapping[date, str]:
    """Public holidays dated in `year`, observed days included (neighbouring years are
    generated too, so an observed day that spills across New Year is not lost)."""
    found = holidays.country_holidays(
        country, subdiv=subdivision, years=(year - 1, year, year + 1), observed=True
    )
    return {day: name for day, name in found.items() if day.year == year}


def _closure(cal: BusinessCalendar, day: date) -> tuple[_ClosureKind, str] | None:
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"day must be a date, not {day!r}")
    weekday = day.weekday()
    if weekday not in cal.workdays:
        return "weekday", "weekend" if weekday in _SATURDAY_SUNDAY else "not a working day"
    if cal.country is not None:
        name = _holiday_names(cal.country, cal.subdivision, day.year).get(day)
        if name is not None:
            return "holiday", name
    if day in cal.closed_dates:
        return "closed", "closed"
    return None


def _boundary(zone: ZoneInfo, day: date, clock: time) -> datetime:
    """The first instant (UTC) at which the local clock on `day` reads `clock` or later."""
    wall = datetime.combine(day, clock, tzinfo=zone)
    naive = wall.replace(tzinfo=None)
    instant = wall.astimezone(UTC)  # fold=0: the first pass through a repeated hour
    if instant.astimezone(zone).replace(tzinfo=None) == naive:
        return instant
    # `clock` is skipped by a forward switch: the clock first passes it at the switch.
    low = wall.replace(fold=1).astimezone(UTC)
    if not low.astimezone(zone).replace(tzinfo=None) < naive:
        return instant
    below, above = 0, (instant - low) // _ONE_MICROSECOND
    while above - below > 1:
        middle = (below + above) // 2
        if (low + middle * _ONE_MICROSECOND).astimezone(zone).replace(tzinfo=None) >= naive:
            above = middle
        else:
            below = middle
    return low + above * _ONE_MICROSECOND


class _Schedule:
    """A calendar prepared for fast queries: its zone and its daily windows in UTC."""

    __slots__ = ("_from_utc_day", "_next", "_windows", "cal", "day_length", "zone")

    def __init__(self, cal: BusinessCalendar) -> None:
        self.cal = cal
        self.zone = _zone(cal.timezone)
        self.day_length = datetime.combine(date.min, cal.closing) - datetime.combine(
            date.min, cal.opening
        )
        self._windows: dict[date, _Window | None] = {}
        self._next: dict[date, tuple[date, datetime, datetime]] = {}
        self._from_utc_day: dict[int, tuple[tuple[date, datetime, datetime], ...]] = {}

    def window(self, day: date) -> _Window | None:
        """The business window [opens, closes) of a local date in UTC; None when closed."""
        try:
            return self._windows[day]
        except KeyError:
            pass
        found: _Window | None = None
        if _closure(self.cal, day) is None:
            opens = _boundary(self.zone, day, self.cal.opening)
            closes = _boundary(self.zone, day, self.cal.closing)
            found = (opens, closes) if opens < closes else None
        if len(self._windows) >= _WINDOW_CACHE_SIZE:
            self._windows.clear()
        self._windows[day] = found
        return found

    def containing(self, at: datetime) -> tuple[date, datetime, datetime] | None:
        """The window that contains `at` (with its local date), if any."""
        local_day = at.astimezone(self.zone).date()
        # A zone switching at midnight can put an instant in the window of the next or
        # previous local date.
        for day in (local_day, local_day - _ONE_DAY, local_day + _ONE_DAY):
            found = self.window(day)
            if found is not None and found[0] <= at < found[1]:
                return day, found[0], found[1]
        return None

    def first_window_from_day(self, day: date) -> tuple[date, datetime, datetime]:
        """The first open window on `day` or later: (date, opens, closes)."""
        try:
            return self._next[day]
        except KeyError:
            pass
        current = day
        for _ in range(_MAX_SCAN_DAYS):
            found = self.window(current)
            if found is not None:
                if len(self._next) >= _WINDOW_CACHE_SIZE:
                    self._next.clear()
                self._next[day] = (current, found[0], found[1])
                return current, found[0], found[1]
            current += _ONE_DAY
        raise CalendarError(
            f"calendar {self.cal.timezone} has no business hours in the {_MAX_SCAN_DAYS} days "
            f"from {day.isoformat()}"
        )

    def first_window_from(self, at: datetime) -> tuple[date, datetime, datetime]:
        """The first window opening at or after `at`."""
        day = at.astimezone(self.zone).date() - _ONE_DAY
        while True:
            day, opens, closes = self.first_window_from_day(day)
            if opens >= at:
                return day, opens, closes
            day += _ONE_DAY

    def locate(self, at: datetime) -> tuple[datetime, date, datetime]:
        """S of rules.md "Time" for a start `at` (UTC), with the date and closing of its
        window: `at` itself within the window that contains it, else the next opening.

        The same answer as `containing` then `first_window_from`, found among the windows
        around `at`'s UTC date, listed once per date (every business-day deadline starts
        here, by the ten thousand in a check, and converting each start to the local zone
        was most of its cost). A day's window lies inside that local day, so windows in the
        order of their days are in time order and never overlap: the first window closing
        after `at` is the one containing it, or else the first opening after it."""
        windows = self._from_utc_day.get(at.toordinal())
        if windows is None:
            windows = self._windows_around(at.toordinal())
        for day, opens, closes in windows:
            if at < closes:
                return (at if opens <= at else opens), day, closes
        raise AssertionError("the windows of a UTC date end with one opening after it")

    def _windows_around(self, ordinal: int) -> tuple[tuple[date, datetime, datetime], ...]:
        """The windows (date, opens, closes) that close after the start of the UTC date
        `ordinal`, up to the first that opens at or after its end."""
        start = datetime.combine(date.fromordinal(ordinal), time(0), tzinfo=UTC)
        end = start + _ONE_DAY
        # A window closes within its own local day: none before the day before start's.
        day = start.astimezone(self.zone).date() - _ONE_DAY
        found: list[tuple[date, datetime, datetime]] = []
        while True:
            window = self.first_window_from_day(day)
            if window[2] > start:
                found.append(window)
            if window[1] >= end:
                break
            day = window[0] + _ONE_DAY
        if len(self._from_utc_day) >= _WINDOW_CACHE_SIZE:
            self._from_utc_day.clear()
        windows = self._from_utc_day[ordinal] = tuple(found)
        return windows


@lru_cache(maxsize=256)
def _schedule(cal: BusinessCalendar) -> _Schedule:
    return _Schedule(cal)


# The schedule of each calendar object met, by its id: hashing a calendar (a dataclass of
# seven fields, hashed in Python) cost more than the rest of a cached lookup. Each entry keeps
# its calendar alive, so an id is not reused while it is here.
_BY_IDENTITY: Final[dict[int, tuple[BusinessCalendar, _Schedule]]] = {}


def _schedule_of(cal: BusinessCalendar) -> _Schedule:
    """`_schedule(cal)`, found by the calendar's identity first."""
    found = _BY_IDENTITY.get(id(cal))
    if found is not None and found[0] is cal:
        return found[1]
    schedule = _schedule(cal)
    if len(_BY_IDENTITY) >= 256:
        _BY_IDENTITY.clear()
    _BY_IDENTITY[id(cal)] = (cal, schedule)
    return schedule


def _format_instant(local: datetime, with_year: bool) -> str:
    year = f" {local.year}" if with_year else ""
    # From the fields: strftime (`f"{local:%H:%M}"`) was most of this function's time.
    clock = (
        f"{local.hour:02d}:{local.minute:02d}"
        if local.second == 0
        else f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}"
    )
    return (
        f"{_DAY_NAMES[local.weekday()]} {local.day} {_MONTH_NAMES[local.month - 1]}{year} {clock}"
    )


def _format_dates(days: list[date], with_year: bool) -> str:
    """`[25 Dec, 28 Dec]` -> "25 and 28 Dec"; the month (and year) follow each month's run."""
    items = []
    for index, day in enumerate(days):
        following = days[index + 1] if index + 1 < len(days) else None
        item = str(day.day)
        if following is None or (following.year, following.month) != (day.year, day.month):
            item += f" {_MONTH_NAMES[day.month - 1]}" + (f" {day.year}" if with_year else "")
        items.append(item)
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]
