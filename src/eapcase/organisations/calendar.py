"""A Partner's business calendar as the policy engine counts business time: its zone, working
days, opening hours, public holidays and own closed dates (rules.md "Time")."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from typing import Any

from eapcase.core.prepared import PreparedQuery
from eapcase.organisations.models import Partner, PartnerClosedDate
from eapcase.policy import calendar as policy_calendar


def partner_calendar(partner: Partner) -> policy_calendar.BusinessCalendar:
    if "closed_dates" in getattr(partner, "_prefetched_objects_cache", {}):
        return calendar_with_closed_dates(partner, (d.date for d in partner.closed_dates.all()))
    return calendar_with_closed_dates(partner, (day for (day,) in _CLOSED.rows(partner=partner.pk)))


# Every write asks the engine, which reads its Partner's closed dates: the query is compiled
# once per process (core.prepared; issue #16). Dates already prefetched are used as they are.
_CLOSED = PreparedQuery(
    lambda partner: PartnerClosedDate.objects.filter(partner_id=partner).values_list("date")
)


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
