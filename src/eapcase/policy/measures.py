"""What the reports measure of the engine's answers, read from the rules (rules.md): which
rules count their deadline in business time (so their time to satisfy is measured in it),
and which emails were handled out of the order the email queue must follow ("Email order").
Pure, like the rest of the package: the calendar and the instants are arguments."""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from eapcase.policy.calendar import BusinessCalendar, business_time_between
from eapcase.policy.types import Rule

__all__ = [
    "BUSINESS_TIME_RULES",
    "EmailHandling",
    "counts_business_time",
    "emails_out_of_order",
    "time_to_satisfy",
]

#: Rules whose deadline is a number of business days (pack: callback.business_days,
#: provider.response_business_days, checkin.default_business_days). Every other deadline is
#: clock hours or none, so its time to satisfy is plain elapsed time.
BUSINESS_TIME_RULES = frozenset({Rule.CALLBACK, Rule.PROVIDER_RESPONSE, Rule.CHECKIN})


def counts_business_time(rule: str) -> bool:
    return rule in BUSINESS_TIME_RULES


def time_to_satisfy(
    rule: str, calendar: BusinessCalendar, opened_at: datetime, satisfied_at: datetime
) -> timedelta:
    """How long an obligation took, in the time its rule counts: business time on the
    acting Partner's calendar for business-day rules, elapsed time otherwise."""
    if counts_business_time(rule):
        return business_time_between(calendar, opened_at, satisfied_at)
    return max(satisfied_at - opened_at, timedelta(0))


@dataclass(frozen=True, slots=True)
class EmailHandling:
    """One email of a Partner's queue: when it arrived, whether it is urgent, when it was
    actioned (None: not yet)."""

    key: Hashable
    received_at: datetime
    urgent: bool
    actioned_at: datetime | None


def emails_out_of_order(emails: Iterable[EmailHandling]) -> dict[Hashable, Hashable]:
    """The emails of one queue that were actioned out of order, each with an email that
    should have come first. The queue's order is urgent first, then the oldest received
    (rules.md, "Email order"). An email is handled out of order when, at the instant it was
    actioned, another email of the queue stood received and not yet actioned that comes
    before it in that order: an urgent one while it is not urgent, or one of the same
    urgency received earlier. Emails actioned at the same instant do not count against each
    other. O(n log n): one pass over receipts and actions in time order."""
    items = list(emails)
    # At the same instant, actions come before receipts: an email received at the very
    # instant another is actioned was not yet waiting.
    timeline: list[tuple[datetime, int, int]] = []
    for index, email in enumerate(items):
        timeline.append((email.received_at, 1, index))
        if email.actioned_at is not None:
            timeline.append((email.actioned_at, 0, index))
    timeline.sort()
    waiting: dict[bool, list[tuple[datetime, int]]] = {True: [], False: []}
    done: set[int] = set()
    found: dict[Hashable, Hashable] = {}
    position = 0
    while position < len(timeline):
        at = timeline[position][0]
        batch = []
        while position < len(timeline) and timeline[position][0] == at:
            batch.append(timeline[position])
            position += 1
        actioned = [index for _at, kind, index in batch if kind == 0]
        for index in actioned:
            done.add(index)
        for index in actioned:
            email = items[index]
            ahead = _first_waiting(waiting[True], done)
            if email.urgent or ahead is None:
                same = _first_waiting(waiting[email.urgent], done)
                ahead = same if same is not None and same[0] < email.received_at else None
            if ahead is not None:
                found[email.key] = items[ahead[1]].key
        for _at, kind, index in batch:
            if kind == 1 and index not in done:
                email = items[index]
                heapq.heappush(waiting[email.urgent], (email.received_at, index))
    return found


def _first_waiting(heap: list[tuple[datetime, int]], done: set[int]) -> tuple[datetime, int] | None:
    while heap and heap[0][1] in done:
        heapq.heappop(heap)
    return heap[0] if heap else None
