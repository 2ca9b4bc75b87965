"""What-if questions: what closing the case, or closing one outreach, at `now` would newly
breach. The application asks before it closes (ADR 0002: a new breach needs a reason), with the
same history it would judge afterwards, so the answer is the engine's own verdict."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Final

from eapcase.policy.calendar import BusinessCalendar
from eapcase.policy.engine import evaluate
from eapcase.policy.events import Event, make_event
from eapcase.policy.pack import PackSet, PolicyPack, as_pack_set
from eapcase.policy.types import CaseInfo, Evaluation, EventType, Obligation, Status

__all__ = ["HYPOTHETICAL_ID", "closing_would_breach"]

#: The id of the closing event added to the history (`breached_by` of what is returned).
HYPOTHETICAL_ID: Final = "this closure"
_CLOSABLE: Final = frozenset({EventType.OUTREACH_REQUESTED, EventType.CALLBACK_REQUESTED})


def closing_would_breach(
    case: CaseInfo,
    events: Iterable[Event[Any]],
    packs: PolicyPack | PackSet | Sequence[PolicyPack] | None,
    calendar: BusinessCalendar,
    now: datetime,
    *,
    outreach: str | None = None,
    evaluation: Evaluation | None = None,
) -> tuple[Obligation, ...]:
    """The obligations that closing at `now` would newly breach, in the order they opened.

    Without `outreach`: a `case_closed` at `now`. With `outreach` (the id of an
    `outreach_requested` or `callback_requested` of the case): an `outreach_closed` naming it.
    The closing event is added after every event of the history (its `line` is one more than
    the largest) and the case is judged as `evaluate` would; what is breached then and was
    not breached before is returned (`breached_by` is `HYPOTHETICAL_ID`). `evaluation` is the
    case's current verdict at `now`, if the caller has it. Raises ValueError when `outreach`
    names no outreach or call back of the history."""
    history = list(events)
    pack_set = as_pack_set(packs)
    if outreach is None:
        kind, fields = EventType.CASE_CLOSED, {"reason": "what closing would breach"}
    else:
        if not any(e.id == outreach and e.type in _CLOSABLE for e in history):
            raise ValueError(f"{outreach!r} is no outreach or call back of case {case.case}")
        kind = EventType.OUTREACH_CLOSED
        fields = {"outreach": outreach, "reason": "what closing would breach"}
    closing = make_event(
        case.case,
        HYPOTHETICAL_ID,
        kind.value,
        now,
        None,
        fields,
        max((e.line for e in history), default=0) + 1,
    )
    before = evaluation or evaluate(case, history, pack_set, calendar, now)
    breached = {(o.rule, o.trigger) for o in before.obligations if o.status is Status.BREACHED}
    after = evaluate(case, [*history, closing], pack_set, calendar, now)
    return tuple(
        o
        for o in after.obligations
        if o.status is Status.BREACHED and (o.rule, o.trigger) not in breached
    )
