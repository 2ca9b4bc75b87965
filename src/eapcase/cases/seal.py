"""The case history against the audit chain (ADR 0035): every case event carries the hash it
was sealed with at append (`record.event_seal`), and the audit row of the write that appended
it names that hash. A rewritten event no longer matches its hash; one re-hashed to match no
longer matches the audit row; a deleted one is named but missing; one slipped in is named by
no row."""

from __future__ import annotations

import hmac

from eapcase.cases.models import Case, CaseEvent
from eapcase.cases.record import event_seal


def _name(case_id: int, event_id: str) -> str:
    reference = Case.objects.filter(pk=case_id).values_list("reference", flat=True).first()
    return f"case {reference or case_id}, event {event_id}"


def history_verify(named: dict[tuple[int, str], tuple[str, int]]) -> str:
    """The first case event that does not hold, in words; "" when all do. `named`: what the
    verified audit chain says was appended ((case id, event id) -> (hash, audit row id))."""
    left = dict(named)
    rows = CaseEvent.objects.order_by("case_id", "seq").iterator(chunk_size=2000)
    for event in rows:
        key = (event.case_id, event.event_id)
        sealed = left.pop(key, None)
        if not hmac.compare_digest(event.hash, event_seal(event)):
            return f"{_name(*key)} was changed after it was recorded"
        if sealed is None:
            return f"{_name(*key)} was added behind the application's back (no audit row names it)"
        if not hmac.compare_digest(event.hash, sealed[0]):
            return f"{_name(*key)} is not the event audit row {sealed[1]} recorded (rewritten)"
    if left:
        key, (_, row) = min(left.items(), key=lambda item: item[1][1])
        return f"{_name(*key)}, recorded by audit row {row}, is missing (deleted)"
    return ""
