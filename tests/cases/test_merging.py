"""Merging two participant records of one person (cases.merging.participant_merge, ADR 0029):
the cases move, nothing is lost, it is audited, and each case's history stays its own and
valid; the refusals (same record, already merged, not a WPO admin, no reason) write nothing."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest

from eapcase.accounts.choices import Role
from eapcase.audit.models import AuditEvent
from eapcase.audit.services import audit_verify
from eapcase.cases.access import participants_visible_to
from eapcase.cases.merging import case_preferences, participant_merge
from eapcase.cases.models import Case, CaseEvent, ContactPreference, Participant
from eapcase.cases.record import compliance_refresh
from eapcase.cases.services import case_close, participant_create
from eapcase.compliance.history_io import export_history
from eapcase.core.errors import Conflict, PermissionDenied, ServiceError
from eapcase.intake.linking import link_message
from eapcase.policy.history import read_history
from tests.factories import (
    OPENED,
    OperatorFactory,
    PartnerFactory,
    db_state,
    open_case,
    user_with_role,
)

pytestmark = pytest.mark.django_db
NOW = OPENED + timedelta(days=3)


@pytest.fixture
def world() -> dict[str, Any]:
    ours, theirs = PartnerFactory(code="p-ours"), PartnerFactory(code="p-theirs")
    wpo = user_with_role(Role.WPO_CLINICIAN)
    keep = participant_create(
        actor=wpo,
        full_name="Sam Rivera",
        date_of_birth=date(1980, 5, 1),
        phone="+44 7700 900111",
        email="sam@example.test",
        now=OPENED - timedelta(days=30),
    )
    # The same person registered again, from another mailbox, without voicemail.
    merge = participant_create(
        actor=wpo,
        full_name="Sam Rivera",
        date_of_birth=date(1980, 5, 1),
        employee_number="E-42",
        email="sam.rivera@work.example.test",
        preferences={"voicemail_ok": False},
        now=OPENED - timedelta(days=10),
    )
    kept_case = open_case(partner=ours, participant=keep)
    moved_open = open_case(partner=theirs, participant=merge)
    moved_closed = open_case(partner=theirs, participant=merge, now=OPENED + timedelta(hours=1))
    case_close(
        actor=wpo,
        case=moved_closed,
        outcome="resolved",
        note="Done.",
        now=OPENED + timedelta(days=1),
        confirm="closing in the test",
    )
    return {
        "admin": user_with_role(Role.WPO_ADMIN),
        "wpo": wpo,
        "keep": keep,
        "merge": merge,
        "kept_case": kept_case,
        "moved_open": moved_open,
        "moved_closed": Case.objects.get(pk=moved_closed.pk),
        "ours": ours,
        "theirs": theirs,
    }


def _events(case: Case) -> list[tuple[str, str]]:
    return list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("event_id", "type"))


def test_a_merge_moves_the_cases_and_keeps_everything(world: dict[str, Any]) -> None:
    keep, merge = world["keep"], world["merge"]
    preference_rows = ContactPreference.objects.filter(participant=merge).count()
    before = {c: _events(world[c]) for c in ("kept_case", "moved_open", "moved_closed")}

    participant_merge(
        actor=world["admin"], keep=keep, merge=merge, reason="Same person: DOB and name", now=NOW
    )

    keep.refresh_from_db()
    merge.refresh_from_db()
    assert set(keep.cases.values_list("pk", flat=True)) == {
        world["kept_case"].pk,
        world["moved_open"].pk,
        world["moved_closed"].pk,
    }
    assert (merge.merged_into, merge.merged_at, merge.merged_by) == (keep, NOW, world["admin"])
    assert merge.merge_reason == "Same person: DOB and name"
    # Nothing lost: the merged record, its preference history and its address stay.
    assert ContactPreference.objects.filter(participant=merge).count() == preference_rows
    assert merge.email == "sam.rivera@work.example.test"
    # The record kept takes what it lacked, and keeps its own contact details.
    assert (keep.employee_number, keep.email) == ("E-42", "sam@example.test")
    audit = AuditEvent.objects.get(action="participant.merged")
    assert (audit.actor, audit.object_id) == (world["admin"], str(keep.pk))
    assert audit.data["merged"] == merge.pk
    assert sorted(audit.data["cases"]) == sorted([world["moved_open"].pk, world["moved_closed"].pk])
    assert audit.data["filled"] == ["employee_number"]
    assert audit_verify().intact
    # Each history stays its own: the kept case and the closed one unchanged; the open case
    # moved takes the kept record's preferences (its phone, voicemail allowed), by one
    # participant_updated event.
    assert _events(world["kept_case"]) == before["kept_case"]
    assert _events(world["moved_closed"]) == before["moved_closed"]
    moved = _events(world["moved_open"])
    assert moved[: len(before["moved_open"])] == before["moved_open"]
    assert [t for _, t in moved[len(before["moved_open"]) :]] == ["participant_updated"]
    assert case_preferences(world["moved_open"])["voicemail_ok"] is True
    assert CaseEvent.objects.filter(
        case=world["moved_open"], type="participant_updated"
    ).get().fields == {"participant": {"phone": True, "voicemail_ok": True}}


def test_the_cases_of_both_records_still_read_and_evaluate(world: dict[str, Any]) -> None:
    participant_merge(
        actor=world["admin"], keep=world["keep"], merge=world["merge"], reason="same", now=NOW
    )
    cases = list(world["keep"].cases.order_by("pk"))
    out = io.StringIO()
    export_history(out, cases=cases)
    history = read_history(out.getvalue().splitlines())  # raises on a line that does not read
    assert {c.case.case for c in history.cases} == {c.reference for c in cases}
    for case in cases:
        case.refresh_from_db()
        compliance_refresh(case=case, now=NOW)


def test_the_merged_record_is_found_no_more_and_its_mail_finds_the_moved_case(
    world: dict[str, Any],
) -> None:
    OperatorFactory(staff_email_domains="wpo.example.test")
    participant_merge(
        actor=world["admin"], keep=world["keep"], merge=world["merge"], reason="same", now=NOW
    )
    assert not participants_visible_to(world["wpo"]).filter(pk=world["merge"].pk).exists()
    link = link_message(
        from_address="sam.rivera@work.example.test",
        subject="Hello",
        recipients=[],
        partner=world["theirs"],
    )
    assert link.case == world["moved_open"]


@pytest.mark.parametrize("role", [Role.WPO_CLINICIAN, Role.PARTNER_LEAD, Role.PARTNER_ADMIN])
def test_only_a_wpo_admin_merges(world: dict[str, Any], role: str) -> None:
    user = (
        user_with_role(role, partner=world["ours"]) if role != Role.WPO_CLINICIAN else world["wpo"]
    )
    before = db_state()
    with pytest.raises(PermissionDenied):
        participant_merge(
            actor=user, keep=world["keep"], merge=world["merge"], reason="same", now=NOW
        )
    assert db_state() == before


def test_a_record_is_not_merged_into_itself(world: dict[str, Any]) -> None:
    before = db_state()
    with pytest.raises(ServiceError) as refused:
        participant_merge(
            actor=world["admin"], keep=world["keep"], merge=world["keep"], reason="x", now=NOW
        )
    assert refused.value.field == "merge"
    assert db_state() == before


def test_a_merge_needs_a_reason(world: dict[str, Any]) -> None:
    before = db_state()
    with pytest.raises(ServiceError) as refused:
        participant_merge(
            actor=world["admin"], keep=world["keep"], merge=world["merge"], reason=" ", now=NOW
        )
    assert refused.value.field == "reason"
    assert db_state() == before


def test_a_record_already_merged_is_not_merged_again(world: dict[str, Any]) -> None:
    participant_merge(
        actor=world["admin"], keep=world["keep"], merge=world["merge"], reason="same", now=NOW
    )
    third = participant_create(actor=world["wpo"], full_name="Sam Rivera", now=NOW)
    before = db_state()
    with pytest.raises(Conflict) as again:
        participant_merge(
            actor=world["admin"], keep=third, merge=world["merge"], reason="same", now=NOW
        )
    assert again.value.field == "merge"
    with pytest.raises(Conflict) as into_merged:
        participant_merge(
            actor=world["admin"], keep=world["merge"], merge=third, reason="same", now=NOW
        )
    assert into_merged.value.field == "keep"
    assert db_state() == before
    assert Participant.objects.get(pk=third.pk).merged_into is None
