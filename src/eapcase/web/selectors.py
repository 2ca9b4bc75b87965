"""Reads for the pages, always starting from the access predicate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q

from eapcase.accounts.access import cases_visible_to
from eapcase.compliance.models import Obligation


@dataclass(frozen=True)
class HomeSummary:
    open_cases: int
    overdue: int
    due_soon: list[Any]


def home_summary(*, user: Any, now: datetime, limit: int = 20) -> HomeSummary:
    """Counts and the most pressing obligations of the cases the user may see."""
    cases = cases_visible_to(user)
    open_cases = cases.filter(status="open").count()
    unsatisfied = Obligation.objects.filter(
        case__in=cases, status__in=["open", "overdue"], due_at__isnull=False
    )
    overdue = unsatisfied.aggregate(n=Count("id", filter=Q(due_at__lte=now)))["n"]
    due_soon = list(unsatisfied.select_related("case", "case__partner").order_by("due_at")[:limit])
    return HomeSummary(open_cases=open_cases, overdue=overdue, due_soon=due_soon)
