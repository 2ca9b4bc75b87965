"""Eligibility of a new case: the client organisation's active contract, the sessions of its
benefit left to the participant in the benefit period across their other cases, and the Partner
WPO's routing table proposes. Read-only helpers of the case-opening service and its pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Q

from eapcase.cases.choices import Attendance
from eapcase.cases.models import Case, Participant
from eapcase.core.errors import ServiceError
from eapcase.organisations.choices import BenefitPeriod, BenefitUnit
from eapcase.organisations.models import (
    AccessLine,
    Benefit,
    ClientOrganisation,
    Partner,
    PartnerRoute,
)

# Units counted across a participant's cases; a per-issue or per-case benefit starts afresh
# with each case (ADR 0025).
_SHARED_UNITS = (BenefitUnit.PER_PERSON, BenefitUnit.PER_HOUSEHOLD)


@dataclass(frozen=True)
class CaseUse:
    reference: str
    sessions: int


@dataclass(frozen=True)
class BenefitQuote:
    """What a new case may use of the client's benefit, and the sum that gives it."""

    benefit: Benefit
    period_start: date | None
    used: tuple[CaseUse, ...]

    @property
    def total(self) -> int:
        return self.benefit.sessions

    @property
    def used_sessions(self) -> int:
        return sum(u.sessions for u in self.used)

    @property
    def remaining(self) -> int:
        return max(self.total - self.used_sessions, 0)

    @property
    def sum_text(self) -> str:
        """The sum in words, e.g. "8 sessions per person, contract year from 1 Apr 2026:
        8 - 3 held in EAP-10001 = 5"."""
        head = (
            f"{self.total} sessions {self.benefit.get_unit_display()}, "
            f"{self.benefit.get_period_display()}"
        )
        if self.period_start is not None:
            head += f" from {self.period_start.day} {self.period_start:%b %Y}"
        if not self.used:
            return f"{head}: {self.total} available"
        parts = " - ".join(f"{u.sessions} held in {u.reference}" for u in self.used)
        return f"{head}: {self.total} - {parts} = {self.remaining}"


def contract_active(client: ClientOrganisation | None, on: date) -> Benefit:
    """The client's benefit valid on `on`; a ServiceError (on `client`) when it has none."""
    if client is None:
        raise ServiceError("choose the participant's client organisation", field="client")
    benefit = (
        Benefit.objects.filter(client=client, valid_from__lte=on)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .order_by("-valid_from")
        .first()
        if client.active
        else None
    )
    if benefit is None:
        raise ServiceError(
            f"{client.name} has no active EAP contract on {on:%d %b %Y}: no case can be "
            "opened for its staff. Ask WPO to check the contract.",
            field="client",
        )
    return benefit


def period_start(benefit: Benefit, on: date) -> date | None:
    """The first day of the benefit period that `on` falls in (None: no shared period)."""
    if benefit.period == BenefitPeriod.CALENDAR_YEAR:
        return date(on.year, 1, 1)
    if benefit.period == BenefitPeriod.CONTRACT_YEAR:
        month = benefit.year_starts_month or benefit.valid_from.month
        start = date(on.year, month, 1)
        return start if start <= on else date(on.year - 1, month, 1)
    if benefit.period == BenefitPeriod.ROLLING_12M:
        return on - timedelta(days=365)
    return None


def benefit_quote(
    *, participant: Participant | None, client: ClientOrganisation | None, at: datetime
) -> BenefitQuote:
    """The benefit a new case of the participant's gets: the client's sessions less those held
    in the period in their other cases of that client (for benefits counted per person)."""
    benefit = contract_active(client, at.date())
    start = period_start(benefit, at.date())
    used: tuple[CaseUse, ...] = ()
    if participant is not None and start is not None and benefit.unit in _SHARED_UNITS:
        rows = (
            Case.objects.filter(participant=participant, client=client)
            .annotate(
                held=Count(
                    "sessions",
                    filter=Q(
                        sessions__held_at__date__gte=start,
                        sessions__held_at__lte=at,
                        sessions__attendance=Attendance.ATTENDED,
                    ),
                )
            )
            .filter(held__gt=0)
            .order_by("opened_at", "pk")
            .values_list("reference", "held")
        )
        used = tuple(CaseUse(ref, held) for ref, held in rows)
    return BenefitQuote(benefit=benefit, period_start=start, used=used)


def partner_propose(
    *, client: ClientOrganisation | None, country: str, region: str = ""
) -> Partner | None:
    """The Partner WPO's routing table names for a client's staff in a country and region:
    the most specific row (client and region, client, region, country alone)."""
    if not country:
        return None
    rows = list(
        PartnerRoute.objects.filter(country=country.upper(), partner__active=True)
        .filter(Q(client=client) | Q(client__isnull=True))
        .filter(Q(region__iexact=region.strip()) | Q(region=""))
        .select_related("partner")
    )
    rows.sort(key=lambda r: (r.client_id is None, r.region == ""))
    return rows[0].partner if rows else None


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def client_by_access_line(number: str) -> ClientOrganisation | None:
    """The client organisation whose access line this is (compared by digits)."""
    wanted = _digits(number)
    if len(wanted) < 6:
        return None
    for line in AccessLine.objects.select_related("client").filter(client__active=True):
        if _digits(line.number).endswith(wanted[-9:]):
            return line.client
    return None
