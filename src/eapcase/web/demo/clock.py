"""Business hours of a demo Partner, used only to place invented events at plausible times.

The policy engine has its own calendar for judging deadlines; this one just has to agree with
it closely enough that an event planned "within a business day" is one."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays


class PartnerClock:
    """Opening hours Monday to Friday, minus public holidays and the Partner's closed dates."""

    def __init__(
        self,
        *,
        timezone: str,
        country: str,
        subdivision: str,
        opening: time,
        closing: time,
        closed: frozenset[date],
    ) -> None:
        self.zone = ZoneInfo(timezone)
        self.opening = opening
        self.closing = closing
        self.closed = closed
        self._holidays = holidays.country_holidays(country, subdiv=subdivision or None)

    @property
    def day_hours(self) -> float:
        """Length of a business day in hours (8 for 09:00-17:00)."""
        return (
            self.closing.hour * 60
            + self.closing.minute
            - self.opening.hour * 60
            - self.opening.minute
        ) / 60

    def is_open_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._holidays and day not in self.closed

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.zone)

    def window(self, day: date) -> tuple[datetime, datetime]:
        """That day's opening and closing, in UTC."""
        start = datetime.combine(day, self.opening, self.zone).astimezone(UTC)
        end = datetime.combine(day, self.closing, self.zone).astimezone(UTC)
        return start, end

    def next_open_day(self, day: date) -> date:
        while not self.is_open_day(day):
            day += timedelta(days=1)
        return day

    def business_start(self, at: datetime) -> datetime:
        """`at` when it is within business hours, else the next opening after it."""
        day = self.local(at).date()
        while True:
            if self.is_open_day(day):
                start, end = self.window(day)
                if at < end:
                    return max(at, start)
            day += timedelta(days=1)

    def add_business_hours(self, at: datetime, hours: float) -> datetime:
        """The instant `hours` of business time after `at` (counted from the next opening when
        `at` is outside hours)."""
        current = self.business_start(at)
        remaining = timedelta(hours=hours)
        while True:
            _start, end = self.window(self.local(current).date())
            if current + remaining <= end:
                return current + remaining
            remaining -= end - current
            current = self.business_start(end)

    def business_hours_between(self, start: datetime, end: datetime) -> float:
        """Business time from `start` to `end`, in hours (0 when `end` is not later)."""
        total = timedelta()
        current = self.business_start(start)
        while current < end:
            _open, close = self.window(self.local(current).date())
            total += min(close, end) - current
            current = self.business_start(close)
        return total.total_seconds() / 3600

    def at_local(self, day: date, hour: float) -> datetime:
        """`hour` (e.g. 13.5) on `day`, local time, as a UTC instant."""
        minutes = round(hour * 60)
        local = datetime.combine(day, time(minutes // 60, minutes % 60), self.zone)
        return local.astimezone(UTC)
