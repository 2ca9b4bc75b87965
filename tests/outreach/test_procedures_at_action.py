"""A client's procedures at the point of action (ADR 0027): closing a case requests the
check-in the procedure asks for, in the same write; an attempt outside the client's contact
hours needs a reason to go ahead, kept as an Override."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from eapcase.cases.models import Case, CaseEvent, Override
from eapcase.cases.record import NeedsConfirmation
from eapcase.core.errors import Conflict, ServiceError
from eapcase.organisations.choices import CheckinTrigger
from eapcase.outreach.models import OutreachRequest
from eapcase.outreach.services import attempt_record, callback_request, case_close_with_checkin
from tests.factories import (
    MONDAY,
    ClientOrganisationFactory,
    ClientProcedureFactory,
    audit_of,
    clinician_of,
    events_of,
    obligation,
    open_case,
)

pytestmark = pytest.mark.django_db


def checkin_client(**procedure: object) -> object:
    client = ClientOrganisationFactory()
    fields = {
        "checkin_required": True,
        "checkin_trigger": CheckinTrigger.CASE_CLOSED,
        "checkin_after_business_days": 10,
        "checkin_due_business_days": 1,
        **procedure,
    }
    ClientProcedureFactory(client=client, **fields)
    return client


def close(case: Case, **kwargs: object) -> Case:
    args: dict[str, object] = {"outcome": "resolved", "note": "Goals met.", **kwargs}
    return case_close_with_checkin(actor=clinician_of(case), case=case, now=MONDAY, **args)


def test_closing_requests_the_clients_checkin_in_the_same_write_with_its_due_time() -> None:
    case = open_case(client=checkin_client())
    close(case)
    closed, requested = events_of(case)[-2:]
    assert closed[2] == "case_closed"
    # 2 March 09:30 + 10 business days (London) = 16 March 09:30; due one business day later.
    due = datetime(2026, 3, 17, 9, 30, tzinfo=UTC)
    assert requested[2:4] == ("outreach_requested", MONDAY)
    assert requested[5] == {"purpose": "checkin", "target": "participant", "due": due.isoformat()}
    assert closed[0] + 1 == requested[0]  # recorded by the one write
    row = OutreachRequest.objects.get(case=case)
    assert (row.purpose, row.target, row.requested_at, row.due) == (
        "checkin",
        "participant",
        MONDAY,
        due,
    )
    assert row.not_before == datetime(2026, 3, 16, 9, 30, tzinfo=UTC)
    assert "procedures" in row.reason
    ob = obligation(case, "CM-CHECKIN", requested[1])
    assert (ob.due_at, ob.status) == (due, "open")
    actions = [a[0] for a in audit_of(case)]
    assert actions[-2:] == ["outreach.requested", "case.closed"]


@pytest.mark.parametrize(
    "procedure",
    [
        {"checkin_required": False, "checkin_trigger": ""},
        {"checkin_trigger": CheckinTrigger.INTERVENTION_ENDED},
        {"effective_from": date(2026, 3, 3)},  # not yet in force on the closing day
    ],
)
def test_no_checkin_without_a_procedure_in_force_asking_for_one_at_closure(procedure) -> None:
    case = open_case(client=checkin_client(**procedure))
    close(case)
    assert events_of(case)[-1][2] == "case_closed"
    assert not OutreachRequest.objects.filter(case=case).exists()


def test_a_case_without_a_client_closes_without_a_checkin() -> None:
    case = open_case()
    close(case)
    assert not OutreachRequest.objects.filter(case=case).exists()


def test_the_latest_version_in_force_decides() -> None:
    client = checkin_client(version=1, effective_from=date(2025, 1, 1))
    ClientProcedureFactory(
        client=client, version=2, effective_from=date(2026, 2, 1), checkin_required=False
    )
    case = open_case(client=client)
    close(case)
    assert not OutreachRequest.objects.filter(case=case).exists()


def test_an_imported_closing_brings_no_checkin_of_its_own() -> None:
    case = open_case(client=checkin_client())
    case_close_with_checkin(
        actor=clinician_of(case), case=case, now=MONDAY, reason="imported", historical=True
    )
    assert not OutreachRequest.objects.filter(case=case).exists()


def test_a_refused_or_unconfirmed_closing_writes_no_checkin() -> None:
    case = open_case(client=checkin_client())
    callback_request(actor=clinician_of(case), case=case, now=MONDAY)
    with pytest.raises(ServiceError) as refused:
        close(case, note="")
    assert refused.value.field == "note"
    # Closing with the call back unmet breaches it: the engine asks for a reason first.
    with pytest.raises(NeedsConfirmation):
        close(case)
    assert not OutreachRequest.objects.filter(case=case, purpose="checkin").exists()
    close(case, confirm="The participant moved to another service.")
    with pytest.raises(Conflict, match="closed"):
        close(case)
    assert OutreachRequest.objects.filter(case=case, purpose="checkin").count() == 1
    assert CaseEvent.objects.filter(case=case, type="case_closed").count() == 1


def attempt(case: Case, **kwargs: object) -> object:
    return attempt_record(
        actor=clinician_of(case),
        case=case,
        target="participant",
        channel="phone",
        outcome="reached",
        message="none",
        summary="Spoke about the next step.",
        now=MONDAY,
        **kwargs,
    )


WINDOW = "Mon 2 Mar 2026 09:30 Europe/London is outside the client's contact hours."


def test_an_attempt_outside_the_window_needs_a_reason_and_keeps_it() -> None:
    case = open_case()
    with pytest.raises(NeedsConfirmation) as asked:
        attempt(case, outside_window=WINDOW)
    assert asked.value.reasons == [WINDOW]
    assert not CaseEvent.objects.filter(case=case, type="contact_attempt").exists()
    done = attempt(case, outside_window=WINDOW, confirm="The participant asked for a call now.")
    override = Override.objects.get(case=case)
    assert (override.event_ids, override.findings, override.reason) == (
        [done.event_id],
        [WINDOW],
        "The participant asked for a call now.",
    )
    assert audit_of(case)[-1][3]["outside_contact_window"] is True


def test_an_attempt_in_the_window_asks_nothing() -> None:
    case = open_case()
    attempt(case, outside_window="")
    assert not Override.objects.filter(case=case).exists()


def test_the_procedure_keeps_both_ends_of_a_window_or_neither() -> None:
    from django.db import IntegrityError, transaction

    with transaction.atomic(), pytest.raises(IntegrityError):
        ClientProcedureFactory(contact_window_start=time(18, 0))
    ClientProcedureFactory(contact_window_start=time(18, 0), contact_window_end=time(8, 0))
