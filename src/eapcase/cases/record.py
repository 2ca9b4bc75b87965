"""The write path of the case record: locking a case, appending to its history, refreshing the
obligations and findings through the policy engine (the single place that does), judging the
new events by what the engine found, and auditing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F

from eapcase.audit.services import audit_record
from eapcase.cases import bridge
from eapcase.cases.models import Case, CaseEvent, Finding, Obligation, Override
from eapcase.core.errors import Conflict, ServiceError
from eapcase.policy import events, history

# A clinician's clock may run a little ahead of the server's; further than this is an error.
CLOCK_SKEW = timedelta(minutes=5)

_REFERRING_TYPES = frozenset(kind.value for kind in events.REFERENCE_FIELDS)


def lock_case(case: Case) -> Case:
    """Re-read the case under a row lock: writes to one case queue behind each other."""
    # `of=("self",)`: lock the case row only, not the Partner row the join reads, or every
    # write to one Partner's cases would queue behind the others on PostgreSQL.
    return Case.objects.select_for_update(of=("self",)).select_related("partner").get(pk=case.pk)


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
    if event_id is not None and CaseEvent.objects.filter(case=case, event_id=event_id).exists():
        raise Conflict(f"event id {event_id} is already used in this case", field="id")
    # Counted in the database, not on this instance: nested services may hold other copies.
    Case.objects.filter(pk=case.pk).update(event_seq=F("event_seq") + 1)
    case.event_seq = Case.objects.values_list("event_seq", flat=True).get(pk=case.pk)
    if event_id is None:
        event_id = f"E{case.event_seq}"
        # An imported history may already use the name; never reuse one.
        while CaseEvent.objects.filter(case=case, event_id=event_id).exists():
            event_id = f"{event_id}x"
    _check_references(case, event_id=event_id, type=type, at=at, fields=fields)
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


def _check_references(
    case: Case, *, event_id: str, type: str, at: datetime, fields: dict[str, Any]
) -> None:
    """The reader's own cross-event check (ids named exist, are earlier, of the right type),
    run over the case's history with the new event in its place."""
    new = events.make_event(
        case=case.reference,
        id=event_id,
        type=type,
        at=at,
        by=None,
        fields=fields,
        seq=case.event_seq,
    )
    if new.type.value not in _REFERRING_TYPES:
        return
    rows = [bridge.engine_event(case, row) for row in case.events.order_by("at", "seq")]
    ordered = sorted([*rows, new], key=lambda e: (e.at, e.line))
    for error in history.check_references(ordered):
        if error.line == new.line:
            field, _, reason = error.reason.partition(": ")
            raise ServiceError(reason, field=field)


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
            assigned_clinician_id=case.assigned_clinician_id,
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
    # The engine's derived state (ledger, risk, consent, open outreach) is kept on the case
    # row, so that pages show it without replaying the history.
    engine_state = bridge.engine_state_json(evaluation)
    Case.objects.filter(pk=case.pk).update(
        reevaluate_at=evaluation.next_change_at, engine_state=engine_state
    )
    case.reevaluate_at = evaluation.next_change_at
    case.engine_state = engine_state
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
    only with a reason (`confirm`). What the engine found is recorded all the same."""

    def __init__(self, reasons: list[str], findings: list[Any]) -> None:
        super().__init__(
            f"confirm with a reason to go ahead: {'; '.join(reasons)}", field="confirm"
        )
        self.reasons = reasons
        self.findings = findings  # the engine's findings on the new events


def compliance_refresh_due(*, now: datetime, limit: int = 500) -> int:
    """Refresh the cases whose verdict time alone has changed by `now` (Case.reevaluate_at),
    each in its own transaction, so stored obligations fall overdue and CM-EMAIL-INFORM opens
    without waiting for a write to the case. Returns how many cases were refreshed. Safe to run
    from several workers: a case locked by another is skipped."""
    refreshed = 0
    due = Case.objects.filter(reevaluate_at__lte=now).order_by("reevaluate_at")
    for pk in list(due.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            case = (
                Case.objects.select_for_update(skip_locked=True)
                .select_related("partner")
                .filter(pk=pk, reevaluate_at__lte=now)
                .first()
            )
            if case is None:
                continue
            compliance_refresh(case=case, now=now)
            refreshed += 1
    return refreshed


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
    breached_before = set(case.obligations.filter(status="breached").values_list("rule", "trigger"))
    evaluation = compliance_refresh(case=case, now=now)
    reasons: list[str] = []
    confirmed: list[str] = []
    if not historical:
        new_ids = {e.event_id for e in events}
        found = [f for f in evaluation.findings if f.event in new_ids]
        refused = [f for f in found if f.rule in refuse]
        if refused:
            raise ServiceError("; ".join(f"{f.rule}: {f.detail}" for f in refused))
        breached = [
            o
            for o in evaluation.obligations
            if str(o.status) == "breached" and (o.rule, o.trigger) not in breached_before
        ]
        reasons = [f"{f.rule}: {f.detail}" for f in found]
        reasons += [f"{o.rule} ({o.trigger}) would be breached" for o in breached]
        if reasons and not confirm.strip():
            raise NeedsConfirmation(reasons, found)
        confirmed = sorted({str(f.rule) for f in found} | {str(o.rule) for o in breached})
    payload = dict(data or {})
    payload["events"] = [e.event_id for e in events]
    if confirmed:
        payload["confirmed_findings"] = confirmed
    audit_record(actor=actor, action=action, at=now, case=case, obj=obj, data=payload)
    if reasons:
        Override.objects.create(
            case=case,
            event_ids=payload["events"],
            findings=reasons,
            reason=confirm.strip(),
            by=actor if getattr(actor, "pk", None) else None,
            at=now,
        )
    return evaluation
