"""Sessions keep modality and duration; a session not attended or cancelled late is recorded
and is not a session held: no event, no number, nothing used of the benefit or the
authorisation (ADR 0028)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from eapcase.cases import bridge
from eapcase.cases.eligibility import benefit_quote
from eapcase.cases.models import Case, Session
from eapcase.cases.record import NeedsConfirmation
from eapcase.cases.services import case_close, session_record
from eapcase.core.errors import Conflict, ServiceError
from tests.factories import (
    MONDAY,
    BenefitFactory,
    ClientOrganisationFactory,
    audit_of,
    clinician_of,
    events_of,
    open_case,
    utc,
)

pytestmark = pytest.mark.django_db


def record(case: Case, **kwargs: object) -> Session:
    args: dict[str, object] = {"now": utc(3, 10), **kwargs}
    return session_record(actor=clinician_of(case), case=case, **args)  # type: ignore[arg-type]


def test_a_session_held_keeps_its_modality_and_length() -> None:
    case = open_case()
    session = record(case, modality="video", duration_minutes=50)
    row = Session.objects.get(pk=session.pk)
    assert (row.number, row.attendance, row.modality, row.duration_minutes) == (
        1,
        "attended",
        "video",
        50,
    )
    assert events_of(case)[-1][2] == "session_held"
    assert row.event_id == events_of(case)[-1][1]
    assert audit_of(case)[-1][0] == "case.session_recorded"


@pytest.mark.parametrize("kind", ["did_not_attend", "late_cancellation"])
def test_a_missed_session_is_recorded_but_is_not_a_session_held(kind: str) -> None:
    case = open_case(case_type="couples")  # one session authorised before the review
    before = events_of(case)
    missed = record(case, attendance=kind, modality="phone", note="No answer.", at=utc(3, 9))
    assert (missed.number, missed.event_id, missed.attendance, missed.note) == (
        None,
        "",
        kind,
        "No answer.",
    )
    assert events_of(case) == before  # no history event
    assert audit_of(case)[-1][0] == "case.session_not_held"
    # The one authorised session is still there to hold, and it is session 1.
    held = record(case, now=utc(4, 10))
    assert held.number == 1
    case.refresh_from_db()
    stored = bridge.stored_evaluation(case.engine_state)
    assert stored is not None and stored.state.sessions_held == 1
    # The next held session is beyond what is authorised: a missed one did not use it up.
    with pytest.raises(NeedsConfirmation):
        record(case, now=utc(5, 10))


def test_a_missed_session_uses_nothing_of_the_benefit() -> None:
    client = ClientOrganisationFactory()
    BenefitFactory(client=client, sessions=6, unit="per_person", period="calendar_year")
    case = open_case(client=client)
    record(case, attendance="did_not_attend")
    record(case, modality="in_person")
    quote = benefit_quote(participant=case.participant, client=client, at=utc(6, 10))
    assert quote.used_sessions == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"attendance": "maybe"}, "attendance"),
        ({"modality": "carrier_pigeon"}, "modality"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 601}, "duration_minutes"),
        ({"attendance": "did_not_attend", "duration_minutes": 50}, "duration_minutes"),
        ({"attendance": "did_not_attend", "at": utc(3, 11)}, "at"),  # after now
        ({"attendance": "late_cancellation", "at": MONDAY - timedelta(days=3)}, "at"),
    ],
)
def test_refusals_name_their_field_and_write_nothing(kwargs: dict[str, object], field: str) -> None:
    case = open_case()
    before = (events_of(case), list(Session.objects.values_list("pk", flat=True)))
    with pytest.raises(ServiceError) as refused:
        record(case, **kwargs)
    assert refused.value.field == field
    assert (events_of(case), list(Session.objects.values_list("pk", flat=True))) == before


@pytest.mark.parametrize("kind", ["attended", "did_not_attend"])
def test_a_closed_case_takes_no_session_of_either_kind(kind: str) -> None:
    case = open_case()
    case_close(actor=clinician_of(case), case=case, outcome="resolved", note="Done", now=MONDAY)
    with pytest.raises(Conflict, match="closed"):
        record(case, attendance=kind)
    assert not Session.objects.filter(case=case).exists()
