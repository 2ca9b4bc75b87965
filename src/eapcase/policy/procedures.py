"""A client organisation's own procedures (policy, Clinical Practice: "specific case
management procedures"), as the application asks about them: when a check-in requested at a
case's closure may be made and is due, and whether an instant falls in the client's
contact-time window. Pure: the caller passes the Partner's calendar, the zone and the times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from eapcase.policy.calendar import BusinessCalendar, add_business_days

__all__ = ["CheckinTimes", "ContactWindow", "checkin_after_closure", "in_contact_window"]


@dataclass(frozen=True)
class CheckinTimes:
    """A check-in requested at closure: from when it is made (`not_before`), and its deadline
    (`due`, the history's `due` of the `outreach_requested`, which CM-CHECKIN is judged by)."""

    not_before: datetime
    due: datetime


def checkin_after_closure(
    cal: BusinessCalendar, closed_at: datetime, after_days: int, due_days: int
) -> CheckinTimes:
    """The check-in a client asks for `after_days` business days after the case closed, to be
    made within `due_days` business days from then (at least one: a check-in always has a
    day to be made in), counted on the Partner's calendar."""
    not_before = add_business_days(cal, closed_at, max(after_days, 0))
    return CheckinTimes(
        not_before=not_before, due=add_business_days(cal, not_before, max(due_days, 1))
    )


@dataclass(frozen=True)
class ContactWindow:
    """The hours a client allows contact, on the wall clock of `zone`. An `end` before
    `start` spans midnight (18:00 to 08:00: evenings and early mornings)."""

    start: time
    end: time
    zone: str

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError("a contact window needs different start and end times")
        try:
            ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.zone!r}") from exc


def in_contact_window(window: ContactWindow, at: datetime) -> bool:
    """Whether `at` (aware) falls in the window: start inclusive, end exclusive, on the
    window's local clock."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    clock = at.astimezone(ZoneInfo(window.zone)).time().replace(tzinfo=None)
    if window.start < window.end:
        return window.start <= clock < window.end
    return clock >= window.start or clock < window.end
