"""A Partner's business calendar as the policy engine counts business time: its zone, working
days, opening hours, public holidays and own closed dates (rules.md "Time")."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from typing import Any

from eapcase.organisations.models import Partner
from eapcase.policy import calendar as policy_calendar


def partner_calendar(partner: Partner) -> policy_calendar.BusinessCalendar:
    return calendar_with_closed_dates(partner, (d.date for d in partner.closed_dates.all()))


def calendar_with_closed_dates(
    partner: Partner, closed_dates: Iterable[date]
) -> policy_calendar.BusinessCalendar:
    """The Partner's calendar with its closed dates read by the caller (the work queue reads
    those of all its Partners in one query)."""
    closed = frozenset(closed_dates)
    return _calendar(
        partner.timezone,
        partner.country or None,
        partner.subdivision or None,
        partner.opening,
        partner.closing,
        partner.workdays,
        closed,
    )


@lru_cache(maxsize=256)
def _calendar(
    tz: str,
    country: str | None,
    subdivision: str | None,
    opening: Any,
    closing: Any,
    workdays: str,
    closed: frozenset[Any],
) -> policy_calendar.BusinessCalendar:
    return policy_calendar.BusinessCalendar(
        timezone=tz,
        country=country,
        subdivision=subdivision,
        opening=opening,
        closing=closing,
        workdays=policy_calendar.parse_workdays(workdays),
        closed_dates=closed,
    )
