"""The shell's side of the policy engine: turns database rows into the engine's values
(calendar, case line, events, packs). Nothing here decides a rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

from eapcase.cases.choices import PREFERENCE_FIELDS
from eapcase.cases.models import Case, CaseEvent
from eapcase.organisations.calendar import partner_calendar
from eapcase.policy import events, history, pack
from eapcase.policy.engine import evaluate
from eapcase.policy.explain import obligation_reason
from eapcase.policy.types import (
    CaseInfo,
    CaseState,
    Evaluation,
    Obligation,
    OutreachProgress,
    ParticipantPrefs,
    RiskLevel,
    Target,
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


# --- the engine's derived state, kept on the case row (Case.engine_state) -----------------------

#: Bumped when the stored shape changes; a row of another version is read as absent.
ENGINE_STATE_VERSION = 1


@dataclass(frozen=True, slots=True)
class StoredEvaluation:
    """The part of the engine's verdict that pages show besides the stored obligations and
    findings: the derived case state, whether the policy covers the case, and the revision.
    Written by `compliance_refresh` at every write; read back without running the engine."""

    state: CaseState
    in_scope: bool
    revision: int


def state_to_json(state: CaseState) -> dict[str, Any]:
    """The engine's CaseState as JSON values (no rule is decided here: it is a copy)."""
    return {
        "sessions_held": state.sessions_held,
        "sessions_authorised": state.sessions_authorised,
        "risk": str(state.risk),
        "participant": {name: bool(getattr(state.participant, name)) for name in PREFERENCE_FIELDS},
        "open_outreach": [
            {
                "id": p.id,
                "purpose": p.purpose,
                "target": str(p.target),
                "attempts_made": p.attempts_made,
                "attempts_required": p.attempts_required,
            }
            for p in state.open_outreach
        ],
        "closed_at": state.closed_at.isoformat() if state.closed_at is not None else None,
        "review_pending": state.review_pending,
    }


def state_from_json(data: Mapping[str, Any]) -> CaseState:
    """The inverse of `state_to_json`."""
    closed_at = data.get("closed_at")
    prefs = data.get("participant") or {}
    return CaseState(
        sessions_held=int(data["sessions_held"]),
        sessions_authorised=int(data["sessions_authorised"]),
        risk=RiskLevel(data["risk"]),
        participant=ParticipantPrefs(
            **{k: bool(v) for k, v in prefs.items() if k in PREFERENCE_FIELDS}
        ),
        open_outreach=tuple(
            OutreachProgress(
                id=str(p["id"]),
                purpose=str(p["purpose"]),
                target=Target(p["target"]),
                attempts_made=int(p["attempts_made"]),
                attempts_required=int(p["attempts_required"]),
            )
            for p in data.get("open_outreach") or ()
        ),
        closed_at=datetime.fromisoformat(closed_at) if closed_at else None,
        review_pending=bool(data["review_pending"]),
    )


def engine_state_json(evaluation: Evaluation) -> dict[str, Any]:
    """What `Case.engine_state` holds after a refresh."""
    return {
        "version": ENGINE_STATE_VERSION,
        **state_to_json(evaluation.state),
        "in_scope": evaluation.in_scope,
        "revision": evaluation.revision,
        # For the sweep's automatic escalation (compliance/sweep.py, ADR 0042).
        "informs_pending": [
            [email, window_end.isoformat()] for email, window_end in evaluation.informs_pending
        ],
    }


def informs_pending(data: Mapping[str, Any] | None) -> list[tuple[str, datetime]]:
    """The stored `Evaluation.informs_pending` of a case ([] for an older stored shape)."""
    if not data or data.get("version") != ENGINE_STATE_VERSION:
        return []
    return [
        (str(email), datetime.fromisoformat(end)) for email, end in data.get("informs_pending", [])
    ]


def stored_evaluation(data: Mapping[str, Any] | None) -> StoredEvaluation | None:
    """Read `Case.engine_state`; None when the case holds none (never refreshed) or an older
    shape, so that the caller asks the engine instead."""
    if not data or data.get("version") != ENGINE_STATE_VERSION:
        return None
    return StoredEvaluation(
        state=state_from_json(data),
        in_scope=bool(data["in_scope"]),
        revision=int(data["revision"]),
    )


def stored_from_evaluation(evaluation: Evaluation) -> StoredEvaluation:
    return StoredEvaluation(evaluation.state, evaluation.in_scope, evaluation.revision)
