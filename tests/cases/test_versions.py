"""A case's version (ADR 0038): every `case_write` raises it by one and records the write that
made it; a write that names another version than the case's is refused with StaleWrite and
writes nothing; `expecting` checks only the case it names, once; `changes_since` says in words
what happened after a version."""

from __future__ import annotations

import pytest

from eapcase.cases.changes import case_now, changes_since
from eapcase.cases.models import Case, CaseVersion
from eapcase.cases.record import StaleWrite, case_write, expecting
from eapcase.cases.services import (
    case_assign,
    note_add,
    participant_preferences_update,
    risk_set,
)
from tests.factories import clinician_of, db_state, open_case, utc

pytestmark = pytest.mark.django_db
NOW = utc(2, 12)


def test_every_write_raises_the_version_by_one_and_records_it() -> None:
    case = open_case()
    actor = clinician_of(case)
    start = Case.objects.get().version
    note_add(actor=actor, case=case, summary="Called", next_step="Again", now=NOW)
    risk_set(actor=actor, case=case, level="high", reason="Disclosed", now=NOW)
    assert Case.objects.get().version == start + 2
    rows = list(CaseVersion.objects.filter(case=case).order_by("version"))
    assert [r.version for r in rows] == list(range(1, start + 3))
    assert [(r.action, r.by_id) for r in rows[-2:]] == [
        ("case.note_added", actor.pk),
        ("case.risk_set", actor.pk),
    ]
    assert rows[-1].events == ["E2"]


def test_a_stale_seen_version_is_refused_and_writes_nothing() -> None:
    case = open_case()
    actor = clinician_of(case)
    seen = Case.objects.get().version
    note_add(actor=actor, case=case, summary="Called", next_step="Again", now=NOW)
    before = db_state()
    with (
        pytest.raises(StaleWrite) as refused,
        case_write(case, actor=actor, action="test.write", now=NOW, seen=seen) as write,
    ):
        write.append("note", at=NOW, fields={"summary": "late"})
    assert (refused.value.seen, refused.value.current) == (seen, seen + 1)
    assert refused.value.http_status == 409
    assert db_state() == before
    assert CaseVersion.objects.filter(case=case).count() == seen + 1


def test_expecting_checks_only_its_case_and_only_once() -> None:
    """A change of preferences writes every open case of the participant: the case the form
    was opened on is checked, the others are not; both versions move."""
    first = open_case()
    second = open_case(participant=first.participant, partner=first.partner)
    actor = clinician_of(first)
    v1, v2 = Case.objects.get(pk=first.pk).version, Case.objects.get(pk=second.pk).version
    with expecting(first, v1):
        participant_preferences_update(
            actor=actor,
            participant=first.participant,
            changes={"voicemail_ok": False},
            source="participant",
            now=NOW,
        )
    assert Case.objects.get(pk=first.pk).version == v1 + 1
    assert Case.objects.get(pk=second.pk).version == v2 + 1
    # A stale version of the first case does not stop a write to the second.
    with expecting(first, v1):
        note_add(actor=actor, case=second, summary="Called", next_step="Again", now=NOW)
    assert Case.objects.get(pk=second.pk).version == v2 + 2
    with expecting(first, v1), pytest.raises(StaleWrite):
        note_add(actor=actor, case=first, summary="Called", next_step="Again", now=NOW)


def test_changes_since_in_words() -> None:
    case = open_case()
    lead = clinician_of(case)
    lead.first_name, lead.last_name = "Lea", "Lead"
    lead.save()
    other = clinician_of(case)
    other.first_name, other.last_name = "Ola", "Other"
    other.save()
    seen = Case.objects.get().version
    case_assign(actor=lead, case=case, clinician=other, now=NOW)
    risk_set(actor=lead, case=case, level="medium", reason="Said so", now=NOW)
    note_add(actor=other, case=case, summary="Called", next_step="Again", now=NOW)
    changes = changes_since(case, seen)
    assert [(c.version, c.by, c.what) for c in changes] == [
        (seen + 1, "Lea Lead", ["Gave the case to Ola Other"]),
        (seen + 2, "Lea Lead", ["Set the risk to medium"]),
        (seen + 3, "Ola Other", ["Recorded a note"]),
    ]
    assert changes_since(case, seen + 3) == []
    now = case_now(case)
    assert (now.version, now.risk, now.status, now.clinician) == (
        seen + 3,
        "medium",
        "open",
        "Ola Other",
    )
