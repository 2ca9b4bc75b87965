"""cases/record.py and escalations to WPO: `event_append`, the one way into a case's
history, with every refusal. At the end, the database constraints of the compliance models
(history ids and order, one obligation or finding per key, an acknowledgement by someone)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from eapcase.accounts.choices import Role
from eapcase.cases.models import CaseEvent, Escalation, Finding, Obligation
from eapcase.cases.record import CLOCK_SKEW, compliance_refresh, event_append, lock_case
from eapcase.cases.services import dissatisfaction_record, escalation_acknowledge, escalation_raise
from eapcase.core.errors import Conflict, ServiceError
from eapcase.outreach.services import callback_request
from tests.factories import (
    MONDAY,
    OPENED,
    audit_of,
    clinician_of,
    db_state,
    events_of,
    obligations_of,
    open_case,
    user_with_role,
    utc,
)

pytestmark = pytest.mark.django_db


def refused(exc: pytest.ExceptionInfo[ServiceError]) -> tuple[type, str | None]:
    return type(exc.value), exc.value.field


# --- escalation_raise --------------------------------------------------------------------------


def test_escalation_raise_records_the_escalation_its_event_and_audit() -> None:
    case = open_case()
    actor = clinician_of(case)
    escalation = escalation_raise(
        actor=actor, case=case, reason="risk", summary=" Risk to self disclosed ", now=MONDAY
    )
    row = Escalation.objects.get(pk=escalation.pk)
    assert (
        row.case_id,
        row.reason,
        row.summary,
        row.raised_at,
        row.raised_by_id,
        row.event_id,
        row.acknowledged_at,
        row.acknowledged_by_id,
    ) == (case.pk, "risk", "Risk to self disclosed", MONDAY, actor.pk, "E1", None, None)
    assert events_of(case) == [
        (1, "E1", "escalated_to_wpo", MONDAY, actor.username, {"reason": "risk"})
    ]
    assert audit_of(case)[1:] == [
        ("escalation.raised", actor.username, "Escalation", {"reason": "risk", "events": ["E1"]})
    ]


def test_an_escalation_may_carry_its_history_id_and_time() -> None:
    case = open_case()
    escalation_raise(
        actor=None,
        case=case,
        reason="other",
        summary="Imported",
        now=MONDAY,
        at=utc(2, 9, 10),
        event_id="x1",
    )
    assert events_of(case) == [
        (1, "x1", "escalated_to_wpo", utc(2, 9, 10), "", {"reason": "other"})
    ]
    assert Escalation.objects.get().raised_by_id is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        pytest.param({"reason": "bored"}, "reason", id="unknown-reason"),
        pytest.param({"summary": "  "}, "summary", id="blank-summary"),
        pytest.param({"at": MONDAY + CLOCK_SKEW + timedelta(seconds=1)}, "at", id="future"),
        pytest.param({"at": OPENED - timedelta(seconds=1)}, "at", id="before-the-case-opened"),
        pytest.param({"at": MONDAY.replace(tzinfo=None)}, "at", id="naive"),
    ],
)
def test_escalation_raise_refusals(kwargs: dict[str, Any], field: str) -> None:
    case = open_case()
    actor = clinician_of(case)
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        escalation_raise(
            actor=actor,
            case=case,
            **{"reason": "risk", "summary": "Risk", "now": MONDAY, **kwargs},
        )
    assert refused(raised) == (ServiceError, field)
    assert db_state() == before


def test_a_clock_a_little_ahead_is_tolerated() -> None:
    case = open_case()
    escalation_raise(
        actor=None, case=case, reason="risk", summary="Risk", now=MONDAY, at=MONDAY + CLOCK_SKEW
    )
    assert events_of(case)[0][3] == MONDAY + CLOCK_SKEW


def test_an_event_id_used_before_is_a_conflict_and_nothing_is_written() -> None:
    case = open_case()
    escalation_raise(
        actor=None, case=case, reason="risk", summary="Risk", now=MONDAY, event_id="x1"
    )
    before = db_state()
    with pytest.raises(Conflict) as raised:
        escalation_raise(
            actor=None, case=case, reason="other", summary="Again", now=MONDAY, event_id="x1"
        )
    assert refused(raised) == (Conflict, "id")
    assert db_state() == before


def test_an_escalation_satisfies_the_dissatisfaction_rule() -> None:
    case = open_case()
    actor = clinician_of(case)
    # An imported dissatisfaction left unescalated, then escalated by hand.
    dissatisfaction_record(
        actor=None, case=case, aspect="tone", now=MONDAY, escalate=False, historical=True
    )
    escalation_raise(
        actor=actor, case=case, reason="dissatisfaction", summary="Tone", now=utc(2, 10)
    )
    assert obligations_of(case) == [
        ("CM-DISSATISFACTION", "E1", MONDAY, None, utc(2, 10), "E2", "met")
    ]


# --- escalation_acknowledge --------------------------------------------------------------------


def test_wpo_acknowledges_an_escalation() -> None:
    case = open_case()
    escalation = escalation_raise(
        actor=clinician_of(case), case=case, reason="risk", summary="Risk", now=MONDAY
    )
    wpo = user_with_role(Role.WPO_CLINICIAN)
    escalation_acknowledge(actor=wpo, escalation=escalation, note=" Seen ", now=utc(2, 10))
    row = Escalation.objects.get(pk=escalation.pk)
    assert (row.acknowledged_at, row.acknowledged_by_id, row.acknowledgement_note) == (
        utc(2, 10),
        wpo.pk,
        "Seen",
    )
    # Not a case event: the policy does not judge acknowledgements.
    assert [e[2] for e in events_of(case)] == ["escalated_to_wpo"]
    assert audit_of(case)[-1] == ("escalation.acknowledged", wpo.username, "Escalation", {})


def test_acknowledging_twice_is_a_conflict() -> None:
    case = open_case()
    escalation = escalation_raise(
        actor=clinician_of(case), case=case, reason="risk", summary="Risk", now=MONDAY
    )
    wpo = user_with_role(Role.WPO_CLINICIAN)
    escalation_acknowledge(actor=wpo, escalation=escalation, note="Seen", now=utc(2, 10))
    before = db_state()
    with pytest.raises(Conflict) as raised:
        escalation_acknowledge(actor=wpo, escalation=escalation, note="Again", now=utc(2, 11))
    assert refused(raised) == (Conflict, "escalation")
    assert db_state() == before


def test_an_acknowledgement_needs_someone_to_make_it() -> None:
    """Without an actor the row would break escalation_acknowledged_by_someone: the service
    must refuse with a ServiceError rather than leave it to the database."""
    case = open_case()
    escalation = escalation_raise(
        actor=clinician_of(case), case=case, reason="risk", summary="Risk", now=MONDAY
    )
    before = db_state()
    with pytest.raises(ServiceError):
        escalation_acknowledge(actor=None, escalation=escalation, note="Seen", now=utc(2, 10))
    assert db_state() == before


# --- event_append ------------------------------------------------------------------------------


def _append(case: Any, type: str, fields: dict[str, Any], **kwargs: Any) -> CaseEvent:
    with transaction.atomic():
        locked = lock_case(case)
        return event_append(
            case=locked,
            type=type,
            fields=fields,
            actor=None,
            **{"at": MONDAY, "now": MONDAY, **kwargs},
        )


def test_event_append_numbers_events_and_records_who_and_when() -> None:
    case = open_case()
    actor = clinician_of(case)
    with transaction.atomic():
        first = event_append(
            case=lock_case(case),
            type="risk_set",
            at=utc(2, 9, 10),
            actor=actor,
            fields={"level": "low"},
            now=MONDAY,
        )
        second = event_append(
            case=lock_case(case),
            type="note",
            at=MONDAY,
            actor=actor,
            fields={"summary": "s", "next_step": "n"},
            now=MONDAY,
            event_id="n1",
        )
    assert (first.seq, first.event_id, first.by, first.recorded_at) == (
        1,
        "E1",
        actor.username,
        MONDAY,
    )
    assert (second.seq, second.event_id) == (2, "n1")
    case.refresh_from_db()
    assert case.event_seq == 2


@pytest.mark.parametrize(
    ("type_", "fields", "field"),
    [
        pytest.param("risk_set", {"level": "extreme"}, "level", id="bad-choice"),
        pytest.param("risk_set", {}, "level", id="missing-field"),
        pytest.param("risk_set", {"level": "low", "colour": "red"}, "colour", id="unknown-field"),
        pytest.param(
            "contact_attempt",
            {"channel": "phone", "outcome": "reached", "summary": 7},
            "summary",
            id="wrong-type",
        ),
        pytest.param(
            "callback_requested", {"not_before": "tomorrow"}, "not_before", id="bad-instant"
        ),
        pytest.param(
            "outreach_requested",
            {"purpose": "checkin", "target": "provider"},
            "target",
            id="checkin-to-provider",
        ),
        pytest.param("teleport", {}, "type", id="unknown-type"),
        pytest.param("email_acknowledged", {"email": "E9"}, "email", id="missing-reference"),
        pytest.param("email_acknowledged", {}, "email", id="no-reference"),
        pytest.param("email_actioned", {"email": "r1"}, "email", id="reference-to-wrong-type"),
        pytest.param("outreach_closed", {"outreach": "r1", "reason": "x"}, "outreach", id="oc"),
        pytest.param("participant_query_resolved", {"query": "r1"}, "query", id="query"),
        pytest.param("provider_responded", {"contact": "r1"}, "contact", id="contact"),
        pytest.param("case_notes_reviewed", {"notes": "r1"}, "notes", id="notes"),
    ],
)
def test_event_append_refuses_what_the_history_reader_refuses(
    type_: str, fields: dict[str, Any], field: str
) -> None:
    case = open_case()
    _append(case, "risk_set", {"level": "none"}, event_id="r1")  # a risk_set named r1
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        _append(case, type_, fields)
    assert refused(raised) == (ServiceError, field)
    assert db_state() == before


def test_a_reference_to_another_cases_event_is_refused() -> None:
    other = open_case()
    callback_request(actor=None, case=other, now=MONDAY, event_id="cb1")
    case = open_case()
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        _append(case, "outreach_closed", {"outreach": "cb1", "reason": "stop"})
    assert refused(raised) == (ServiceError, "outreach")
    assert db_state() == before


@pytest.mark.parametrize(
    ("at", "field"),
    [
        pytest.param(MONDAY + timedelta(minutes=6), "at", id="future"),
        pytest.param(OPENED - timedelta(microseconds=1), "at", id="before-opening"),
        pytest.param(MONDAY.replace(tzinfo=None), "at", id="naive"),
    ],
)
def test_event_append_refuses_bad_instants(at: Any, field: str) -> None:
    case = open_case()
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        _append(case, "risk_set", {"level": "low"}, at=at)
    assert refused(raised) == (ServiceError, field)
    assert db_state() == before


def test_compliance_refresh_replaces_the_projection() -> None:
    case = open_case()
    callback_request(actor=None, case=case, now=MONDAY)
    Obligation.objects.filter(case=case).update(status="met", reason="tampered")
    compliance_refresh(case=case, now=utc(3, 10))
    assert obligations_of(case) == [
        ("CM-CALLBACK", "E1", MONDAY, utc(3, 9, 30), None, "", "overdue"),
        ("CM-OUTREACH", "E1", MONDAY, None, None, "", "open"),
    ]
    assert set(Obligation.objects.filter(case=case).values_list("evaluated_at", flat=True)) == {
        utc(3, 10)
    }


# --- model constraints of the compliance app ---------------------------------------------------


def _event(case: Any, seq: int, event_id: str) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        seq=seq,
        event_id=event_id,
        type="risk_set",
        at=MONDAY,
        fields={"level": "low"},
        recorded_at=MONDAY,
    )


def test_case_event_seq_once() -> None:
    case = open_case()
    _event(case, 1, "a")
    with pytest.raises(IntegrityError), transaction.atomic():
        _event(case, 1, "b")
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_case_event_id_once() -> None:
    case = open_case()
    _event(case, 1, "a")
    with pytest.raises(IntegrityError), transaction.atomic():
        _event(case, 2, "a")
    # The same id on another case is another event.
    _event(open_case(), 1, "a")
    assert CaseEvent.objects.filter(event_id="a").count() == 2


def _obligation(case: Any, **kwargs: Any) -> Obligation:
    values = {
        "case": case,
        "partner": case.partner,
        "rule": "CM-QUERY",
        "trigger": "E1",
        "opened_at": MONDAY,
        "status": "open",
        "revision": 1,
        "position": 0,
        "evaluated_at": MONDAY,
        **kwargs,
    }
    return Obligation.objects.create(**values)


def test_obligation_once_per_rule_and_trigger() -> None:
    case = open_case()
    _obligation(case)
    with pytest.raises(IntegrityError), transaction.atomic():
        _obligation(case, position=1)
    _obligation(case, rule="CM-REVIEW", position=1)
    assert Obligation.objects.filter(case=case).count() == 2


def _finding(case: Any, **kwargs: Any) -> Finding:
    values = {
        "case": case,
        "partner": case.partner,
        "rule": "CM-DOCUMENTATION",
        "event_id": "E1",
        "at": MONDAY,
        "severity": "breach",
        "detail": "no summary",
        "position": 0,
        **kwargs,
    }
    return Finding.objects.create(**values)


def test_finding_once_per_rule_and_event() -> None:
    case = open_case()
    _finding(case)
    with pytest.raises(IntegrityError), transaction.atomic():
        _finding(case, position=1)
    _finding(case, rule="CM-MESSAGE-CONSENT", position=1)
    assert Finding.objects.filter(case=case).count() == 2


def test_an_acknowledged_escalation_names_who_acknowledged_it() -> None:
    case = open_case()
    escalation = Escalation.objects.create(
        case=case, reason="risk", summary="Risk", raised_at=MONDAY, event_id="E1"
    )
    with (
        pytest.raises(IntegrityError, match="escalation_acknowledged_by_someone"),
        transaction.atomic(),
    ):
        Escalation.objects.filter(pk=escalation.pk).update(acknowledged_at=MONDAY)
    assert Escalation.objects.get(pk=escalation.pk).acknowledged_at is None
