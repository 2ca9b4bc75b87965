"""The refresh writes only what differs (issue #16 item 2): a case whose engine answer has not
changed costs three reads and no write, and a new event writes the rows it changes, not the
case's whole projection."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from eapcase.cases.models import Case, Finding, Obligation
from eapcase.cases.record import compliance_refresh
from eapcase.outreach.services import callback_request, email_receive
from tests.factories import MONDAY, clinician_of, open_case

pytestmark = pytest.mark.django_db


def stored(case):  # type: ignore[no-untyped-def]
    return {
        (o.rule, o.trigger): (o.pk, o.status, o.position, o.evaluated_at)
        for o in Obligation.objects.filter(case=case)
    }


def writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def test_an_unchanged_answer_reads_four_times_and_writes_nothing() -> None:
    case = open_case()
    clinician = clinician_of(case)
    callback_request(actor=clinician, case=case, now=MONDAY)
    email_receive(actor=clinician, case=case, sender_kind="participant", now=MONDAY)
    # As the write path holds it: locked with its Partner.
    case = Case.objects.select_related("partner").get(pk=case.pk)
    before = stored(case)
    with CaptureQueriesContext(connection) as queries:
        compliance_refresh(case=case, now=MONDAY + timedelta(minutes=5))
    assert writes(queries) == []
    # The history, the Partner's closed dates (its calendar), the obligations, the findings.
    assert len(queries.captured_queries) == 4, [q["sql"][:60] for q in queries.captured_queries]
    # Unchanged rows keep their id and their stamp.
    assert stored(case) == before


def test_a_new_event_writes_only_the_rows_it_changes() -> None:
    case = open_case()
    clinician = clinician_of(case)
    callback_request(actor=clinician, case=case, now=MONDAY)
    case.refresh_from_db()
    before = stored(case)
    assert before
    email_receive(
        actor=clinician, case=case, sender_kind="participant", now=MONDAY + timedelta(hours=1)
    )
    after = stored(case)
    kept = {key: row for key, row in after.items() if key in before}
    assert kept == before, "the call back's obligations were not rewritten"
    added = {key: row for key, row in after.items() if key not in before}
    assert {rule for rule, _ in added} == {"CM-EMAIL-ACK", "CM-EMAIL-ACTION"}
    assert all(row[3] == MONDAY + timedelta(hours=1) for row in added.values())


def test_time_alone_updates_the_status_in_place_and_stamps_it() -> None:
    case = open_case()
    email_receive(actor=clinician_of(case), case=case, sender_kind="participant", now=MONDAY)
    case.refresh_from_db()
    before = stored(case)
    later = MONDAY + timedelta(hours=25)
    with CaptureQueriesContext(connection) as queries:
        compliance_refresh(case=case, now=later)
    after = stored(case)
    for key, (pk, status, _position, stamp) in before.items():
        assert after[key][0] == pk, "updated in place, not deleted and inserted"
        assert after[key][1] == "overdue" and status == "open"
        assert after[key][3] == later and stamp == MONDAY
    assert "CM-EMAIL-INFORM" in {rule for rule, _ in after}
    assert not any(sql.lstrip().upper().startswith("DELETE") for sql in writes(queries))


def test_the_stored_rows_equal_a_full_replacement() -> None:
    """Whatever the diff did, the rows are what deleting and re-inserting would give."""
    case = open_case()
    clinician = clinician_of(case)
    callback_request(actor=clinician, case=case, now=MONDAY)
    email_receive(actor=clinician, case=case, sender_kind="participant", now=MONDAY)
    later = MONDAY + timedelta(days=3)
    case.refresh_from_db()
    evaluation = compliance_refresh(case=case, now=later)
    rows = list(
        Obligation.objects.filter(case=case)
        .order_by("position")
        .values_list("rule", "trigger", "status", "due_at", "satisfied_at", "position")
    )
    assert rows == [
        (o.rule, o.trigger, str(o.status), o.due_at, o.satisfied_at, i)
        for i, o in enumerate(evaluation.obligations)
    ]
    findings = list(
        Finding.objects.filter(case=case)
        .order_by("position")
        .values_list("rule", "event_id", "severity", "position")
    )
    assert findings == [
        (f.rule, f.event, str(f.severity), i) for i, f in enumerate(evaluation.findings)
    ]
