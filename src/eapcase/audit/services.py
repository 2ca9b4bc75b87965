"""Writing and verifying the audit trail. Each service calls `audit_record` inside its own
transaction; the HMAC chain makes a removed or altered row detectable by `audit_verify`."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max

from eapcase.audit.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64


def _digest(
    previous: str,
    at: datetime,
    actor: str,
    action: str,
    case_id: int | None,
    object_type: str,
    object_id: str,
    data: dict[str, Any],
) -> str:
    payload = json.dumps(
        [previous, at.isoformat(), actor, action, case_id, object_type, object_id, data],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def audit_record(
    *,
    actor: Any,
    action: str,
    at: datetime,
    case: Any = None,
    obj: Any = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit row; must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the service's transaction")
    at = at.astimezone(UTC)
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(
        id=1, defaults={"hash": GENESIS}
    )
    actor_name = getattr(actor, "username", "") or ""
    object_type = type(obj).__name__ if obj is not None else ""
    object_id = str(getattr(obj, "pk", "") or "") if obj is not None else ""
    payload = data or {}
    case_id = case.pk if case is not None else None
    digest = _digest(head.hash, at, actor_name, action, case_id, object_type, object_id, payload)
    event = AuditEvent.objects.create(
        at=at,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=actor_name,
        action=action,
        case_id=case_id,
        object_type=object_type,
        object_id=object_id,
        data=payload,
        previous_hash=head.hash,
        hash=digest,
    )
    head.hash = digest
    head.count += 1
    head.save(update_fields=["hash", "count"])
    return event


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None  # id of the first row whose hash does not follow

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def audit_verify() -> ChainReport:
    """Walk the chain from the start; report the first row that does not follow."""
    previous = GENESIS
    checked = 0
    for row in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        expected = _digest(
            previous,
            row.at,
            row.actor_name,
            row.action,
            row.case_id,
            row.object_type,
            row.object_id,
            row.data,
        )
        if row.previous_hash != previous or not hmac.compare_digest(row.hash, expected):
            return ChainReport(checked=checked, broken_at=row.pk)
        previous = row.hash
        checked += 1
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and (head.hash != previous or head.count != checked):
        return ChainReport(checked=checked, broken_at=-1)
    return ChainReport(checked=checked, broken_at=None)


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
