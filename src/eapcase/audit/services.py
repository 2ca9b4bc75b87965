"""Writing and verifying the audit trail. Each service calls `audit_record` inside its own
transaction; the HMAC chain (keyed apart from SECRET_KEY, ADR 0035) makes a removed, inserted
or altered row detectable by `audit_verify`."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Max

from eapcase.audit.keys import audit_key
from eapcase.audit.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64


def _sign(parts: list[Any]) -> str:
    payload = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(audit_key(), payload.encode(), hashlib.sha256).hexdigest()


def _digest(
    previous: str,
    at: datetime,
    actor_id: int | None,
    actor: str,
    action: str,
    case_id: int | None,
    object_type: str,
    object_id: str,
    data: dict[str, Any],
    sealed: dict[str, str],
    address: str,
) -> str:
    """The HMAC of one row: every column but its own id and hash, and the previous row's hash
    (ADR 0035). `at` in UTC, as both databases give it back."""
    return _sign(
        [
            previous,
            at.astimezone(UTC).isoformat(),
            actor_id,
            actor,
            action,
            case_id,
            object_type,
            object_id,
            data,
            sealed,
            address,
        ]
    )


def row_digest(row: AuditEvent, previous: str) -> str:
    return _digest(
        previous,
        row.at,
        row.actor_id,
        row.actor_name,
        row.action,
        row.case_id,
        row.object_type,
        row.object_id,
        row.data,
        row.sealed,
        row.address,
    )


def event_digest(
    *,
    case_id: int,
    seq: int,
    event_id: str,
    type: str,
    at: datetime,
    by: str,
    fields: dict[str, Any],
    recorded_at: datetime,
) -> str:
    """The HMAC of one case-history event, every column of it; the audit row of the write
    that appended the event names it (`AuditEvent.sealed`), so the audit chain covers the
    case history (ADR 0035)."""
    return _sign(
        [
            "case-event",
            case_id,
            seq,
            event_id,
            type,
            at.astimezone(UTC).isoformat(),
            by,
            fields,
            recorded_at.astimezone(UTC).isoformat(),
        ]
    )


def audit_record(
    *,
    actor: Any,
    action: str,
    at: datetime,
    case: Any = None,
    obj: Any = None,
    data: dict[str, Any] | None = None,
    address: str | None = None,
    sealed: dict[str, str] | None = None,
) -> AuditEvent:
    """Append one audit row; must run inside the caller's transaction. `address`: where the
    request came from, when there was one; `sealed`: the case events the write appended (event
    id -> hash), which the chain thereby covers."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the service's transaction")
    at = at.astimezone(UTC)
    actor_name = getattr(actor, "username", "") or ""
    actor_id = getattr(actor, "pk", None) or None
    object_type = type(obj).__name__ if obj is not None else ""
    object_id = str(getattr(obj, "pk", "") or "") if obj is not None else ""
    # Stored as JSON and read back: sign the value as the database will return it.
    payload = json.loads(json.dumps(data or {}, default=str))
    case_id = case.pk if case is not None else None
    where = (address or "")[:45]
    row = AuditEvent(
        at=at,
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        case_id=case_id,
        object_type=object_type,
        object_id=object_id,
        data=payload,
        sealed=sealed or {},
        address=where,
    )
    gathered = _gathered.get()
    if gathered is not None:
        # Chained and inserted with the others when the gathering block ends.
        gathered.append(row)
        return row
    # Read (and on PostgreSQL locked) only for a row written now: a gathered row's head is
    # taken once, when the gathering block ends, and held from there to the commit only.
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(
        id=1, defaults={"hash": GENESIS}
    )
    digest = row_digest(row, head.hash)
    row.previous_hash, row.hash = head.hash, digest
    row.save(force_insert=True)
    head.hash = digest
    head.count += 1
    head.save(update_fields=["hash", "count"])
    return row


# The rows `audit_record` is gathering in this context (`audit_gathered`), or None.
_gathered: ContextVar[list[AuditEvent] | None] = ContextVar("eapcase_audit_gathered", default=None)


@contextmanager
def audit_gathered() -> Iterator[None]:
    """Inside the caller's transaction, gather the rows `audit_record` makes in the block and
    write them when it ends, in the order they were recorded: the chain head locked and
    updated once and the rows inserted in one statement, instead of three statements a row.
    The rows are the ones `audit_record` would have written one by one (same columns, same
    chain). The head is held from the block's end to the commit only. A row returned inside
    the block is not saved yet (no id). An exception in the block writes none of them; so the
    block is for a write that ends at any exception (`cases.record.historical_writes`): a row
    recorded in a savepoint that rolls back while the block goes on would still be written."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_gathered must run inside the service's transaction")
    rows: list[AuditEvent] = []
    token = _gathered.set(rows)
    try:
        yield
    finally:
        _gathered.reset(token)
    if not rows:
        return
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(
        id=1, defaults={"hash": GENESIS}
    )
    previous = head.hash
    for row in rows:
        row.previous_hash = previous
        row.hash = previous = row_digest(row, previous)
    AuditEvent.objects.bulk_create(rows)
    head.hash = previous
    head.count += len(rows)
    head.save(update_fields=["hash", "count"])


@dataclass(frozen=True)
class ChainReport:
    """What a walk of the chain found. `broken_at`: the id of the first row that does not
    follow (-1 when the rows hold but the end does not: the chain-head row or the checkpoint
    disagree); `problem`: in words. `events`: the case events the rows name, by (case id,
    event id), with the hash each was appended with and the id of the row naming it."""

    checked: int
    broken_at: int | None
    problem: str = ""
    events: dict[tuple[int, str], tuple[str, int]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def _named_events(row: AuditEvent, into: dict[tuple[int, str], tuple[str, int]]) -> None:
    if row.case_id is None or not isinstance(row.sealed, dict):
        return
    for event_id, digest in row.sealed.items():
        into[(row.case_id, str(event_id))] = (str(digest), row.pk)


def audit_verify(checkpoint: AuditHead | None = None) -> ChainReport:
    """Walk the chain from the start; report the first row that does not follow. Every column
    of every row is signed with the previous row's hash, so a changed byte or actor, a
    deleted, inserted or swapped row breaks the walk there. A cut-off end is found against
    the chain-head row and, stronger, against a `checkpoint` kept elsewhere (ADR 0035)."""
    previous = GENESIS
    checked = 0
    events: dict[tuple[int, str], tuple[str, int]] = {}
    seen: dict[int, str] = {}
    for row in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if row.previous_hash != previous:
            return ChainReport(
                checked,
                row.pk,
                f"row {row.pk} does not follow the row before it (rows deleted, inserted or moved)",
                events,
            )
        if not hmac.compare_digest(row.hash, row_digest(row, previous)):
            return ChainReport(
                checked, row.pk, f"row {row.pk} was changed after it was written", events
            )
        _named_events(row, events)
        previous = row.hash
        checked += 1
        if checkpoint is not None and checked == checkpoint.count:
            seen[checked] = previous
    if checkpoint is not None:
        if checked < checkpoint.count:
            return ChainReport(
                checked,
                -1,
                f"the chain has {checked} rows, the checkpoint {checkpoint.count}: "
                "rows were removed from its end",
                events,
            )
        if checkpoint.count and seen.get(checkpoint.count) != checkpoint.hash:
            return ChainReport(
                checked,
                -1,
                f"row number {checkpoint.count} is not the one the checkpoint "
                "names: the chain was rewritten",
                events,
            )
    head = AuditChainHead.objects.filter(id=1).first()
    if (head is None and checked) or (
        head is not None and (head.hash != previous or head.count != checked)
    ):
        return ChainReport(
            checked,
            -1,
            "the chain ends elsewhere than its head row says: rows were removed "
            "from its end, or the head row was changed",
            events,
        )
    return ChainReport(checked=checked, broken_at=None, events=events)


@dataclass(frozen=True)
class AuditHead:
    """Where the chain stands: how many rows, and the hash of the last one (GENESIS if none).
    A backup's checkpoint; a restored database must end at the same head."""

    count: int
    hash: str

    def as_json(self) -> dict[str, Any]:
        return {"count": self.count, "hash": self.hash}


def audit_head(using: str = "default") -> AuditHead:
    """The head of the chain as the rows say (not the `AuditChainHead` row, which
    `audit_verify` checks separately): count of `AuditEvent` rows and the newest one's hash."""
    rows = AuditEvent.objects.using(using)
    # One statement for both, so a write committing in between cannot split them; a row's
    # hash never changes once written.
    seen = rows.aggregate(count=Count("id"), last=Max("id"))
    if seen["last"] is None:
        return AuditHead(count=0, hash=GENESIS)
    return AuditHead(count=seen["count"], hash=rows.get(id=seen["last"]).hash)
