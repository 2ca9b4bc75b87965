"""`eapcase audit verify` finds every tamper of ADR 0035, on the database the suite runs on
(SQLite, and PostgreSQL in CI's second pass): a flipped byte, a changed actor, a deleted,
inserted or swapped row, a rewritten, deleted or slipped-in case event, and, given a
checkpoint, a chain cut short or emptied. The tampering goes behind the application's back:
raw SQL with the append-only triggers lifted, as someone with the database's password could."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from eapcase.accounts.choices import Role
from eapcase.audit.models import AuditChainHead, AuditEvent
from eapcase.audit.services import audit_head, audit_record, event_digest
from eapcase.cases.models import CaseEvent
from eapcase.cases.services import note_add
from eapcase.ops.trail import trail_verify
from tests.factories import OPENED, clinician_of, open_case, user_with_role

pytestmark = pytest.mark.django_db

TABLES = ("audit_auditevent", "compliance_caseevent")


@contextmanager
def triggers_lifted() -> Iterator[Any]:
    """What an intruder with the database's owner rights can do: switch the append-only
    triggers off. Put back afterwards (the test's transaction rolls it all back anyway)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for table in TABLES:
                for op in ("update", "delete"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op}")
        else:
            # Foreign keys are checked at commit; ALTER TABLE wants none of that pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in TABLES:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        yield cursor
        if connection.vendor == "sqlite":
            for table in TABLES:
                for op in ("UPDATE", "DELETE"):
                    cursor.execute(
                        f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"
                    )
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in TABLES:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")


@pytest.fixture
def world() -> dict[str, Any]:
    """Two cases written through the services: a few dozen audit rows, with case events."""
    first = open_case()
    second = open_case()
    for case in (first, second):
        note_add(
            actor=clinician_of(case),
            case=case,
            summary="Called back as agreed.",
            next_step="Session next week.",
            now=OPENED + timedelta(hours=1),
        )
    # Rows that name no case event, after the last case write (reads, sign-ins).
    reader = user_with_role(Role.WPO_CLINICIAN)
    with transaction.atomic():
        audit_record(actor=reader, action="auth.login", at=OPENED + timedelta(hours=2))
        audit_record(
            actor=reader,
            action="case.read",
            at=OPENED + timedelta(hours=2),
            case=first,
            address="192.0.2.7",
        )
    rows = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    assert len(rows) >= 4
    assert trail_verify().intact
    return {"cases": (first, second), "rows": rows}


def _fails(expected: str, checkpoint: Any = None) -> Any:
    report = trail_verify(checkpoint)
    assert not report.intact
    assert expected in report.problem, report.problem
    return report


def test_an_untouched_trail_verifies(world: dict[str, Any]) -> None:
    report = trail_verify(audit_head())
    assert (report.intact, report.checked) == (True, len(world["rows"]))


def test_a_flipped_byte_is_found_at_its_row(world: dict[str, Any]) -> None:
    target = world["rows"][1]
    with triggers_lifted() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET action = %s WHERE id = %s",
            ["case.openeD", target],
        )
    report = _fails(f"row {target} was changed")
    assert report.broken_at == target


def test_a_changed_actor_is_found(world: dict[str, Any]) -> None:
    target = AuditEvent.objects.filter(actor__isnull=False).order_by("id").first()
    assert target is not None
    other = user_with_role(Role.WPO_CLINICIAN)
    with triggers_lifted() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET actor_id = %s WHERE id = %s", [other.pk, target.pk]
        )
    assert _fails(f"row {target.pk} was changed").broken_at == target.pk


def test_a_changed_address_or_sealed_event_list_is_found(world: dict[str, Any]) -> None:
    target = world["rows"][0]
    with triggers_lifted() as cursor:
        cursor.execute("UPDATE audit_auditevent SET address = '10.9.9.9' WHERE id = %s", [target])
    assert _fails(f"row {target} was changed").broken_at == target


def test_a_deleted_row_is_found_at_the_row_after_it(world: dict[str, Any]) -> None:
    gone, after = world["rows"][2], world["rows"][3]
    with triggers_lifted() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [gone])
    assert _fails(f"row {after} does not follow").broken_at == after


def test_an_inserted_row_is_found(world: dict[str, Any]) -> None:
    last = AuditEvent.objects.order_by("-id").first()
    assert last is not None
    with connection.cursor() as cursor:  # INSERT needs no trigger lifted
        cursor.execute(
            "INSERT INTO audit_auditevent (at, actor_name, action, object_type, object_id, "
            "data, sealed, address, previous_hash, hash) "
            "VALUES (%s, 'intruder', 'case.viewed', '', '', '{}', '{}', '', %s, %s)",
            [last.at, last.hash, "f" * 64],
        )
    forged = AuditEvent.objects.get(hash="f" * 64)
    assert _fails(f"row {forged.pk} was changed").broken_at == forged.pk


def test_swapped_rows_are_found(world: dict[str, Any]) -> None:
    a, b = world["rows"][1], world["rows"][2]
    columns = "at, actor_id, actor_name, action, case_id, object_type, object_id, data, sealed, address, previous_hash, hash"  # noqa: E501
    with triggers_lifted() as cursor:
        cursor.execute(f"SELECT {columns} FROM audit_auditevent WHERE id = %s", [a])  # noqa: S608
        row_a = cursor.fetchone()
        cursor.execute(f"SELECT {columns} FROM audit_auditevent WHERE id = %s", [b])  # noqa: S608
        row_b = cursor.fetchone()
        sets = ", ".join(f"{c} = %s" for c in columns.split(", "))
        # The hash column is unique: park one row's hash first.
        cursor.execute("UPDATE audit_auditevent SET hash = %s WHERE id = %s", ["x" * 64, a])
        cursor.execute(f"UPDATE audit_auditevent SET {sets} WHERE id = %s", [*row_a, b])  # noqa: S608
        cursor.execute(f"UPDATE audit_auditevent SET {sets} WHERE id = %s", [*row_b, a])  # noqa: S608
    assert _fails(f"row {a} does not follow").broken_at == a


def test_a_rewritten_case_event_is_found(world: dict[str, Any]) -> None:
    case = world["cases"][0]
    event = CaseEvent.objects.filter(case=case).order_by("seq").first()
    assert event is not None
    with triggers_lifted() as cursor:
        cursor.execute(
            "UPDATE compliance_caseevent SET at = %s WHERE id = %s",
            [event.at - timedelta(days=3), event.pk],
        )
    report = _fails(f"case {case.reference}, event {event.event_id} was changed")
    assert report.broken_at == 0


def test_a_case_event_rewritten_with_a_matching_hash_is_found_against_the_chain(
    world: dict[str, Any],
) -> None:
    """Even someone holding the audit key, who re-seals the event, cannot re-sign the audit row
    that named its first hash without breaking the chain there."""
    case = world["cases"][1]
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert event is not None
    fields = {**event.fields, "summary": "rewritten"}
    digest = event_digest(
        case_id=case.pk,
        seq=event.seq,
        event_id=event.event_id,
        type=event.type,
        at=event.at,
        by=event.by,
        fields=fields,
        recorded_at=event.recorded_at,
    )
    with triggers_lifted() as cursor:
        cursor.execute(
            "UPDATE compliance_caseevent SET fields = %s, hash = %s WHERE id = %s",
            [json.dumps(fields), digest, event.pk],
        )
    _fails(f"case {case.reference}, event {event.event_id} is not the event audit row")


def test_a_deleted_case_event_is_found(world: dict[str, Any]) -> None:
    case = world["cases"][0]
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert event is not None
    with triggers_lifted() as cursor:
        cursor.execute("DELETE FROM compliance_caseevent WHERE id = %s", [event.pk])
    _fails(f"case {case.reference}, event {event.event_id}, recorded by audit row")


def test_a_case_event_slipped_in_is_found(world: dict[str, Any]) -> None:
    case = world["cases"][0]
    last = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert last is not None
    forged = CaseEvent(
        case=case,
        seq=last.seq + 1,
        event_id="E99",
        type=last.type,
        at=last.at,
        by="intruder",
        fields=last.fields,
        recorded_at=last.recorded_at,
    )
    forged.hash = event_digest(
        case_id=case.pk,
        seq=forged.seq,
        event_id="E99",
        type=forged.type,
        at=forged.at,
        by=forged.by,
        fields=forged.fields,
        recorded_at=forged.recorded_at,
    )
    forged.save(force_insert=True)
    _fails(f"case {case.reference}, event E99 was added behind the application's back")


def _cut(keep: int) -> None:
    """Remove the chain's last rows and set the head row to match: a clean cut."""
    rows = list(AuditEvent.objects.order_by("id").values_list("id", "hash"))
    with triggers_lifted() as cursor:
        cursor.execute(
            "DELETE FROM audit_auditevent WHERE id > %s", [rows[keep - 1][0] if keep else 0]
        )
    AuditChainHead.objects.filter(id=1).update(
        count=keep, hash=rows[keep - 1][1] if keep else "0" * 64
    )


def test_a_truncated_chain_is_found_only_against_a_checkpoint(world: dict[str, Any]) -> None:
    checkpoint = audit_head()
    # The case events the cut rows named would be missing: cut only the rows after the last
    # case write, so that what is left holds together and only the checkpoint can tell.
    last_write = AuditEvent.objects.exclude(sealed={}).order_by("-id").first()
    assert last_write is not None
    keep = AuditEvent.objects.filter(id__lte=last_write.pk).count()
    assert keep < checkpoint.count
    _cut(keep)
    assert trail_verify().intact  # without a checkpoint a clean cut goes unseen
    report = _fails("rows were removed from its end", checkpoint)
    assert report.broken_at == -1


def test_an_emptied_chain_is_found_against_a_checkpoint(world: dict[str, Any]) -> None:
    checkpoint = audit_head()
    with triggers_lifted() as cursor:
        cursor.execute("DELETE FROM compliance_caseevent")
    _cut(0)
    assert trail_verify().intact
    _fails(f"the chain has 0 rows, the checkpoint {checkpoint.count}", checkpoint)


def test_a_chain_rewritten_past_the_checkpoint_is_found(world: dict[str, Any]) -> None:
    checkpoint = audit_head()
    forged = type(checkpoint)(count=checkpoint.count, hash="e" * 64)
    _fails("is not the one the checkpoint names", forged)


def test_the_command_prints_a_checkpoint_and_verifies_against_it(
    world: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("audit", "checkpoint")
    printed = capsys.readouterr().out.strip()
    assert json.loads(printed) == audit_head().as_json()
    saved = tmp_path / "checkpoint.json"
    saved.write_text(printed)
    call_command("audit", "verify", "--checkpoint", str(saved))
    assert "audit trail intact" in capsys.readouterr().out
    target = world["rows"][1]
    with triggers_lifted() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_name = 'someone' WHERE id = %s", [target])
    with pytest.raises(CommandError, match=f"row {target} was changed"):
        call_command("audit", "verify", "--checkpoint", str(saved))


def test_the_command_finds_an_emptied_chain_with_the_checkpoint_file(
    world: dict[str, Any], tmp_path: Path
) -> None:
    saved = tmp_path / "checkpoint.json"
    saved.write_text(json.dumps(audit_head().as_json()))
    with triggers_lifted() as cursor:
        cursor.execute("DELETE FROM compliance_caseevent")
    _cut(0)
    call_command("audit", "verify")  # nothing to see without the checkpoint
    with pytest.raises(CommandError, match="rows were removed from its end"):
        call_command("audit", "verify", "--checkpoint", str(saved))


def test_the_command_refuses_a_file_that_is_no_checkpoint(tmp_path: Path) -> None:
    bad = tmp_path / "nope.json"
    bad.write_text("{}")
    with pytest.raises(CommandError, match="is not a checkpoint"):
        call_command("audit", "verify", "--checkpoint", str(bad))
