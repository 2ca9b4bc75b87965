"""Writes of the compliance app: appending to a case's history, refreshing the obligations and
findings through the policy engine (the single place that does), and escalations to WPO."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F

from eapcase.audit.services import audit_record
from eapcase.compliance import bridge
from eapcase.compliance.choices import EscalationReason
from eapcase.compliance.models import CaseEvent, Escalation, Finding, Obligation
from eapcase.core.errors import Conflict, ServiceError
from eapcase.policy import events

if TYPE_CHECKING:
    from eapcase.cases.models import Case

# A clinician's clock may run a little ahead of the server's; further than this is an error.
CLOCK_SKEW = timedelta(minutes=5)

# Fields of an event that name another event of the same case, and the types they may name.
REFERENCES: dict[str, dict[str, tuple[str, ...]]] = {
    "email_acknowledged": {"email": ("email_received",)},
    "email_actioned": {"email": ("email_received",)},
    "outreach_closed": {"outreach": ("outreach_requested", "callback_requested")},
    "participant_query_resolved": {"query": ("participant_query",)},
    "provider_responded": {"contact": ("provider_contact",)},
    "case_notes_reviewed": {"notes": ("case_notes_uploaded",)},
}


def lock_case(case: Case) -> Case:
    """Re-read the case under a row lock: writes to one case queue behind each other."""
    from eapcase.cases.models import Case

    return Case.objects.select_for_update().select_related("partner").get(pk=case.pk)


def event_append(
    *,
    case: Case,
    type: str,
    at: datetime,
    actor: Any,
    fields: dict[str, Any],
    now: datetime,
    event_id: str | None = None,
) -> CaseEvent:
    """Validate one event exactly as the history reader does and append it to the case's
    history. The caller holds the case lock and refreshes the case afterwards."""
    if at.tzinfo is None:
        raise ServiceError("must carry a time zone", field="at")
    if at > now + CLOCK_SKEW:
        raise ServiceError("is in the future", field="at")
    if at < case.opened_at:
        raise ServiceError("is before the case was opened", field="at")
    try:
        events.parse_event_fields(type, fields)
    except events.FieldError as exc:
        raise ServiceError(exc.reason, field=exc.field) from exc
    for field, types in REFERENCES.get(type, {}).items():
        named = fields.get(field)
        if not CaseEvent.objects.filter(case=case, event_id=named, type__in=types).exists():
            raise ServiceError(f"names no earlier {' or '.join(types)} of this case", field=field)
    from eapcase.cases.models import Case

    # Counted in the database, not on this instance: nested services may hold other copies.
    Case.objects.filter(pk=case.pk).update(event_seq=F("event_seq") + 1)
    case.event_seq = Case.objects.values_list("event_seq", flat=True).get(pk=case.pk)
    event_id = event_id or f"E{case.event_seq}"
    if CaseEvent.objects.filter(case=case, event_id=event_id).exists():
        raise Conflict(f"event id {event_id} is already used in this case", field="id")
    return CaseEvent.objects.create(
        case=case,
        seq=case.event_seq,
        event_id=event_id,
        type=type,
        at=at,
        by=getattr(actor, "username", "") or "",
        fields=fields,
        recorded_at=now,
    )


def compliance_refresh(*, case: Case, now: datetime) -> Any:
    """Ask the engine about the whole case history and replace the stored obligations and
    findings with its answer. Every service that appends an event calls this before commit."""
    rows = list(case.events.order_by("at", "seq"))
    evaluation = bridge.evaluate_case(case, rows, now)
    Obligation.objects.filter(case=case).delete()
    Finding.objects.filter(case=case).delete()
    Obligation.objects.bulk_create(
        Obligation(
            case=case,
            partner_id=case.partner_id,
            rule=o.rule,
            trigger=o.trigger,
            opened_at=o.opened_at,
            due_at=o.due_at,
            satisfied_at=o.satisfied_at,
            satisfied_by=o.satisfied_by or "",
            status=str(o.status),
            target=str(o.target or ""),
            attempts_made=o.attempts_made,
            attempts_required=o.attempts_required,
            reason=bridge.reason(o)[:500],
            revision=o.revision,
            position=i,
            evaluated_at=now,
        )
        for i, o in enumerate(evaluation.obligations)
    )
    Finding.objects.bulk_create(
        Finding(
            case=case,
            partner_id=case.partner_id,
            rule=f.rule,
            event_id=f.event,
            at=f.at,
            severity=str(f.severity),
            detail=f.detail[:500],
            position=i,
        )
        for i, f in enumerate(evaluation.findings)
    )
    return evaluation


class NeedsConfirmation(ServiceError):
    """The engine finds that the write breaks or strains a rule; the clinician may go ahead
    only with a reason. The finding is recorded all the same."""

    def __init__(self, findings: list[Any]) -> None:
        details = "; ".join(f"{f.rule}: {f.detail}" for f in findings)
        super().__init__(f"confirm with a reason to go ahead ({details})", field="confirm")
        self.findings = findings


def case_write_finish(
    *,
    case: Case,
    actor: Any,
    action: str,
    now: datetime,
    events: list[CaseEvent],
    obj: Any = None,
    data: dict[str, Any] | None = None,
    historical: bool = False,
    refuse: frozenset[str] = frozenset(),
    confirm: str = "",
) -> Any:
    """The common end of every case write: refresh through the engine, judge the new events
    by what the engine found on them, then audit.

    A finding whose rule the service lists in `refuse` rolls the write back; any other finding
    on a new event needs `confirm` (a reason). `historical` records events as they happened
    (import, demo): findings are kept, nothing is refused."""
    evaluation = compliance_refresh(case=case, now=now)
    if not historical:
        new_ids = {e.event_id for e in events}
        found = [f for f in evaluation.findings if f.event in new_ids]
        refused = [f for f in found if f.rule in refuse]
        if refused:
            raise ServiceError("; ".join(f"{f.rule}: {f.detail}" for f in refused))
        if found and not confirm.strip():
            raise NeedsConfirmation(found)
    payload = dict(data or {})
    if confirm.strip():
        payload["confirmed_findings"] = sorted(
            {f.rule for f in evaluation.findings if f.event in {e.event_id for e in events}}
        )
    payload["events"] = [e.event_id for e in events]
    audit_record(actor=actor, action=action, at=now, case=case, obj=obj, data=payload)
    return evaluation


def escalation_raise(
    *,
    actor: Any,
    case: Case,
    reason: str,
    summary: str,
    now: datetime,
    at: datetime | None = None,
    event_id: str | None = None,
    finish: bool = True,
) -> Escalation:
    """Inform or escalate to WPO (rules CM-EMAIL-INFORM, CM-DISSATISFACTION)."""
    if reason not in EscalationReason.values:
        raise ServiceError(f"must be one of {', '.join(EscalationReason.values)}", field="reason")
    if not summary.strip():
        raise ServiceError("say what WPO needs to know", field="summary")
    at = at or now
    with transaction.atomic():
        case = lock_case(case)
        event = event_append(
            case=case,
            type="escalated_to_wpo",
            at=at,
            actor=actor,
            fields={"reason": reason},
            now=now,
            event_id=event_id,
        )
        escalation = Escalation.objects.create(
            case=case,
            reason=reason,
            summary=summary.strip(),
            raised_at=at,
            raised_by=actor if getattr(actor, "pk", None) else None,
            event_id=event.event_id,
        )
        if finish:
            case_write_finish(
                case=case,
                actor=actor,
                action="escalation.raised",
                now=now,
                events=[event],
                obj=escalation,
                data={"reason": reason},
            )
    return escalation


def escalation_acknowledge(
    *, actor: Any, escalation: Escalation, note: str, now: datetime
) -> Escalation:
    """WPO acknowledges an escalation (not a case event: the policy does not judge it)."""
    with transaction.atomic():
        escalation = Escalation.objects.select_for_update().get(pk=escalation.pk)
        if escalation.acknowledged_at is not None:
            raise Conflict("this escalation is already acknowledged", field="escalation")
        escalation.acknowledged_at = now
        escalation.acknowledged_by = actor
        escalation.acknowledgement_note = note.strip()
        escalation.save(
            update_fields=["acknowledged_at", "acknowledged_by", "acknowledgement_note"]
        )
        audit_record(
            actor=actor,
            action="escalation.acknowledged",
            at=now,
            case=escalation.case,
            obj=escalation,
        )
    return escalation
