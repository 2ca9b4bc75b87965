"""audit/services.py: the hash-chained audit trail, written inside the service's transaction and
verified from the start; and the database triggers that make the audit trail and the case
history append-only."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from eapcase.accounts.choices import Role
from eapcase.audit.models import AuditChainHead, AuditEvent
from eapcase.audit.services import GENESIS, audit_record, audit_verify
from eapcase.cases.models import CaseEvent
from eapcase.cases.services import escalation_raise
from tests.factories import MONDAY, open_case, user_with_role

pytestmark = pytest.mark.django_db


def _record(n: int, **kwargs: Any) -> list[AuditEvent]:
    with transaction.atomic():
        return [
            audit_record(actor=None, action=f"test.step_{i}", at=MONDAY, **kwargs) for i in range(n)
        ]


def test_audit_record_writes_a_chained_row() -> None:
    actor = user_with_role(Role.WPO_CLINICIAN)
    case = open_case()
    chain_before = AuditChainHead.objects.get()
    with transaction.atomic():
        event = audit_record(
            actor=actor,
            action="case.viewed",
            at=MONDAY.astimezone(timezone(timedelta(hours=1))),
            case=case,
            obj=case,
            data={"why": "test"},
        )
    row = AuditEvent.objects.get(pk=event.pk)
    assert (
        row.at,
        row.actor_id,
        row.actor_name,
        row.action,
        row.case_id,
        row.object_type,
        row.object_id,
        row.data,
        row.previous_hash,
    ) == (
        MONDAY,
        actor.pk,
        actor.username,
        "case.viewed",
        case.pk,
        "Case",
        str(case.pk),
        {"why": "test"},
        chain_before.hash,
    )
    head = AuditChainHead.objects.get()
    assert (head.hash, head.count) == (row.hash, chain_before.count + 1)
    assert len(row.hash) == 64


def test_the_first_row_follows_the_genesis_hash() -> None:
    (first, second) = _record(2)
    assert first.previous_hash == GENESIS
    assert second.previous_hash == first.hash
    assert first.hash != second.hash


def test_an_anonymous_actor_is_recorded_without_a_user() -> None:
    (row,) = _record(1)
    assert (row.actor_id, row.actor_name, row.object_type, row.object_id, row.data) == (
        None,
        "",
        "",
        "",
        {},
    )


@pytest.mark.django_db(transaction=True)
def test_audit_record_refuses_to_run_outside_a_transaction() -> None:
    with pytest.raises(RuntimeError, match="inside the service's transaction"):
        audit_record(actor=None, action="test.outside", at=MONDAY)
    assert AuditEvent.objects.count() == 0
    assert AuditChainHead.objects.count() == 0


def test_audit_verify_accepts_an_intact_chain() -> None:
    _record(3)
    report = audit_verify()
    assert (report.checked, report.broken_at, report.intact) == (3, None, True)


def test_audit_verify_on_an_empty_trail() -> None:
    report = audit_verify()
    assert (report.checked, report.broken_at, report.intact) == (0, None, True)


def test_audit_verify_covers_what_the_services_write() -> None:
    case = open_case()
    escalation_raise(actor=None, case=case, reason="risk", summary="Risk", now=MONDAY)
    report = audit_verify()
    assert (report.checked, report.intact) == (AuditEvent.objects.count(), True)


def test_audit_verify_detects_a_changed_chain_head_hash() -> None:
    _record(3)
    AuditChainHead.objects.filter(id=1).update(hash="f" * 64)
    report = audit_verify()
    assert (report.checked, report.broken_at, report.intact) == (3, -1, False)


def test_audit_verify_detects_a_changed_chain_head_count() -> None:
    _record(3)
    AuditChainHead.objects.filter(id=1).update(count=2)
    assert audit_verify().broken_at == -1


def _insert_raw(previous_hash: str, hash_: str, action: str = "forged.row") -> int:
    """Append a row behind the services' back (INSERT is not forbidden by the triggers)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (at, actor_name, action, object_type, object_id, "
            "data, sealed, address, previous_hash, hash) "
            "VALUES (%s, '', %s, '', '', '{}', '{}', '', %s, %s)",
            [MONDAY, action, previous_hash, hash_],
        )
    return AuditEvent.objects.get(hash=hash_).pk


def test_audit_verify_detects_a_forged_row_with_the_right_previous_hash() -> None:
    rows = _record(2)
    forged = _insert_raw(rows[-1].hash, "a" * 64)
    report = audit_verify()
    assert (report.checked, report.broken_at) == (2, forged)


def test_audit_verify_detects_a_row_that_does_not_follow() -> None:
    _record(2)
    forged = _insert_raw(GENESIS, "b" * 64)
    assert audit_verify().broken_at == forged


# --- the append-only triggers ------------------------------------------------------------------


def _case_event() -> CaseEvent:
    case = open_case()
    escalation_raise(actor=None, case=case, reason="risk", summary="Risk", now=MONDAY)
    return CaseEvent.objects.get(case=case)


def _raw(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("UPDATE audit_auditevent SET action = 'changed' WHERE id = %s", id="update"),
        pytest.param("DELETE FROM audit_auditevent WHERE id = %s", id="delete"),
    ],
)
def test_the_audit_trail_refuses_update_and_delete(statement: str) -> None:
    (row,) = _record(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw(statement, [row.pk])
    assert AuditEvent.objects.get(pk=row.pk).action == "test.step_0"


def test_the_orm_cannot_change_or_delete_audit_rows_either() -> None:
    (row,) = _record(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=row.pk).update(action="changed")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=row.pk).delete()
    assert AuditEvent.objects.filter(pk=row.pk, action="test.step_0").count() == 1


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("UPDATE compliance_caseevent SET type = 'note' WHERE id = %s", id="update"),
        pytest.param("DELETE FROM compliance_caseevent WHERE id = %s", id="delete"),
    ],
)
def test_the_case_history_refuses_update_and_delete(statement: str) -> None:
    event = _case_event()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw(statement, [event.pk])
    assert CaseEvent.objects.get(pk=event.pk).type == "escalated_to_wpo"


def test_the_chain_head_is_not_protected() -> None:
    _record(1)
    AuditChainHead.objects.filter(id=1).update(count=7)
    assert AuditChainHead.objects.get().count == 7
