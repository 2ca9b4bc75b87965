"""Reads of the case-life pages: finding a participant before opening a case (with likely
duplicates) and the Partner's unallocated cases. Every read starts from the access gate
(`participants_visible_to`, `cases_visible_to`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet

from eapcase.cases.access import cases_visible_to, participants_visible_to
from eapcase.cases.choices import CaseStatus, risk_rank
from eapcase.cases.models import Case, Participant

SEARCH_LIMIT = 25


@dataclass(frozen=True)
class Found:
    participant: Participant
    cases: int
    duplicate_of: list[Participant]  # other records found that look like the same person


def phone_digits(value: str) -> str:
    """A phone number's digits only: numbers are written many ways."""
    return re.sub(r"\D", "", value or "")


_digits = phone_digits


def participant_search(
    *,
    user: Any,
    name: str = "",
    date_of_birth: date | None = None,
    phone: str = "",
    email: str = "",
    employee_number: str = "",
) -> list[Found]:
    """Participants the user may see matching any of what was given, each with the other
    results that look like the same person (same name and date of birth, or same phone or
    email). Another Partner's participant is never found, whatever was searched."""
    criteria = Q()
    if name.strip():
        words = name.split()
        by_name = Q()
        for word in words:
            by_name &= Q(full_name__icontains=word) | Q(preferred_name__icontains=word)
        criteria |= by_name
    if email.strip():
        criteria |= Q(email__iexact=email.strip())
    if employee_number.strip():
        criteria |= Q(employee_number__iexact=employee_number.strip())
    if date_of_birth is not None:
        criteria = (
            (criteria & Q(date_of_birth=date_of_birth))
            if criteria
            else Q(date_of_birth=date_of_birth)
        )
    rows: list[Any] = list(
        participants_visible_to(user)
        .filter(criteria)
        .annotate(case_count=Count("cases"))
        .select_related("client")
        .order_by("full_name", "pk")[:SEARCH_LIMIT]
        if criteria
        else []
    )
    wanted = _digits(phone)
    if wanted and len(wanted) >= 6:
        # Phone numbers are written many ways: compared by their last digits, in Python,
        # over the participants with a number (the visible set only).
        seen = {p.pk for p in rows}
        tail = wanted[-9:]
        extra = (
            participants_visible_to(user)
            .exclude(phone="")
            .exclude(pk__in=seen)
            .annotate(case_count=Count("cases"))
            .select_related("client")
        )
        rows += [p for p in extra if _digits(p.phone).endswith(tail)][:SEARCH_LIMIT]
    return [Found(p, p.case_count, _alike(p, rows)) for p in rows]


def _alike(one: Participant, rows: list[Any]) -> list[Participant]:
    return [other for other in rows if other.pk != one.pk and looks_alike(one, other)]


def looks_alike(a: Participant, b: Participant) -> bool:
    """Likely the same person: same name and date of birth, or same phone or email."""
    same_name = a.full_name.strip().casefold() == b.full_name.strip().casefold()
    if same_name and a.date_of_birth is not None and a.date_of_birth == b.date_of_birth:
        return True
    if a.email and a.email.casefold() == b.email.casefold():
        return True
    return bool(a.phone) and _digits(a.phone)[-9:] == _digits(b.phone)[-9:]


def participant_get(*, user: Any, participant_id: Any) -> Participant | None:
    """A participant the user may see (None for a missing or invisible one)."""
    try:
        pk = int(participant_id)
    except (TypeError, ValueError):
        return None
    return participants_visible_to(user).select_related("client").filter(pk=pk).first()


def unallocated_list(*, user: Any, partner_ids: list[int] | None) -> QuerySet[Case]:
    """Open cases without a clinician that the user may see (of `partner_ids`; None: all),
    risk cases first, then the longest waiting."""
    cases = cases_visible_to(user).filter(status=CaseStatus.OPEN, assigned_clinician__isnull=True)
    if partner_ids is not None:
        cases = cases.filter(partner_id__in=partner_ids)
    return cases.select_related("participant", "partner", "client").order_by(
        risk_rank(), "opened_at", "pk"
    )
