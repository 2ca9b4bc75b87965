"""Re-sign the audit chain with the audit key instead of SECRET_KEY, over every column (ADR
0035), and seal the case history: each case event gets its hash and the audit row of the write
that appended it names that hash. The old chain is verified first, with the old key and the
old format; a broken one is refused, not laundered into a valid new one. Events no audit row
names (written before the history was audited) are named by one `audit.history_sealed` row per
case. The append-only triggers are lifted for this migration only."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import migrations

GENESIS = "0" * 64
TABLES = ["audit_auditevent", "compliance_caseevent"]


def _old_digest(previous: str, row: Any) -> str:
    payload = json.dumps(
        [
            previous,
            row.at.astimezone(UTC).isoformat(),
            row.actor_name,
            row.action,
            row.case_id,
            row.object_type,
            row.object_id,
            row.data,
        ],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hmac.new(settings.SECRET_KEY.encode(), payload.encode(), hashlib.sha256).hexdigest()


def _triggers(schema_editor: Any, *, on: bool) -> None:
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            for op in ("UPDATE", "DELETE"):
                if on:
                    schema_editor.execute(
                        f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"
                    )
                else:
                    schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op.lower()}")
        elif vendor == "postgresql":
            # Foreign keys are checked at commit; ALTER TABLE wants none of that pending.
            schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            state = "ENABLE" if on else "DISABLE"
            schema_editor.execute(f"ALTER TABLE {table} {state} TRIGGER {table}_append_only")


def forwards(apps: Any, schema_editor: Any) -> None:
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    # Adding a column remakes a SQLite table without its triggers: put them back in any case.
    _triggers(schema_editor, on=False)
    if AuditEvent.objects.exists() or CaseEvent.objects.exists():
        _reseal(AuditEvent, AuditChainHead, CaseEvent)
    _triggers(schema_editor, on=True)


def _reseal(AuditEvent: Any, AuditChainHead: Any, CaseEvent: Any) -> None:
    from eapcase.audit.services import event_digest, row_digest

    previous = GENESIS
    for row in AuditEvent.objects.order_by("id").iterator():
        if row.previous_hash != previous or not hmac.compare_digest(
            row.hash, _old_digest(previous, row)
        ):
            raise RuntimeError(
                f"the audit chain is broken at row {row.pk} (checked with SECRET_KEY, as it "
                "was signed): not re-signing it with the audit key. Restore a good backup."
            )
        previous = row.hash
    sealed: dict[tuple[int, str], str] = {}
    for event in CaseEvent.objects.order_by("id").iterator():
        event.hash = event_digest(
            case_id=event.case_id,
            seq=event.seq,
            event_id=event.event_id,
            type=event.type,
            at=event.at,
            by=event.by,
            fields=event.fields,
            recorded_at=event.recorded_at,
        )
        event.save(update_fields=["hash"])
        sealed[(event.case_id, event.event_id)] = event.hash
    named: set[tuple[int, str]] = set()
    previous = GENESIS
    count = 0
    for row in AuditEvent.objects.order_by("id").iterator():
        ids = row.data.get("events") if isinstance(row.data, dict) else None
        if row.case_id is not None and isinstance(ids, list):
            row.sealed = {
                str(i): sealed[(row.case_id, str(i))]
                for i in ids
                if (row.case_id, str(i)) in sealed
            }
            named.update((row.case_id, i) for i in row.sealed)
        row.previous_hash = previous
        row.hash = row_digest(row, previous)
        row.save(update_fields=["sealed", "previous_hash", "hash"])
        previous = row.hash
        count += 1
    unnamed: dict[int, list[str]] = {}
    for case_id, event_id in sealed:
        if (case_id, event_id) not in named:
            unnamed.setdefault(case_id, []).append(event_id)
    now = datetime.now(UTC)
    for case_id, ids in sorted(unnamed.items()):
        row = AuditEvent(
            at=now,
            actor_id=None,
            actor_name="",
            action="audit.history_sealed",
            case_id=case_id,
            object_type="",
            object_id="",
            data={"events": ids},
            sealed={i: sealed[(case_id, i)] for i in ids},
            address="",
            previous_hash=previous,
        )
        row.hash = row_digest(row, previous)
        row.save(force_insert=True)
        previous = row.hash
        count += 1
    AuditChainHead.objects.update_or_create(id=1, defaults={"hash": previous, "count": count})


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_auditevent_address_sealed_filters"),
        ("cases", "0013_caseevent_hash"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
