"""The shell's side of the policy engine: turns database rows into the engine's values
(calendar, case line, events, packs). Nothing here decides a rule."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings

from eapcase.policy import calendar as policy_calendar
from eapcase.policy import events, history, pack
from eapcase.policy.engine import evaluate
from eapcase.policy.explain import obligation_reason
from eapcase.policy.types import CaseInfo, Evaluation, Obligation

if TYPE_CHECKING:
    from eapcase.cases.models import Case
    from eapcase.compliance.models import CaseEvent
    from eapcase.organisations.models import Partner


def partner_calendar(partner: Partner) -> policy_calendar.BusinessCalendar:
    closed = frozenset(d.date for d in partner.closed_dates.all())
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


@lru_cache(maxsize=8)
def _packs(path: str | None) -> pack.PackSet:
    return pack.as_pack_set(pack.load_pack(Path(path)) if path else pack.builtin_pack())


def policy_packs() -> pack.PackSet:
    """The revisions the application judges by (settings.EAPCASE_POLICY_PACK or revision 1)."""
    return _packs(settings.EAPCASE_POLICY_PACK)


def case_info(case: Case) -> CaseInfo:
    """The history's case line for a case, read by the engine's own parser."""
    return history.parse_case_line(
        {
            "type": "case",
            "case": case.reference,
            "at": case.opened_at,
            "partner": case.partner.code,
            "referral": case.referral,
            "case_type": case.case_type,
            "benefit_sessions": case.benefit_sessions,
            "participant": case.opening_preferences,
        }
    )


def engine_event(case: Case, row: CaseEvent) -> events.Event[Any]:
    return events.make_event(
        case=case.reference,
        id=row.event_id,
        type=row.type,
        at=row.at,
        by=row.by or None,
        fields=row.fields,
        seq=row.seq,
    )


def reason(obligation: Obligation) -> str:
    """The plain-language reason the engine gives for an obligation's status."""
    return obligation_reason(obligation)


def evaluate_case(case: Case, rows: list[CaseEvent], now: datetime) -> Evaluation:
    return evaluate(
        case_info(case),
        [engine_event(case, r) for r in rows],
        policy_packs(),
        partner_calendar(case.partner),
        now,
    )
