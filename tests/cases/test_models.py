"""Database constraints of cases: a closed case has its closing time, the benefit is never
negative, references and session numbers are used once, a resolved query says how."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from eapcase.cases.models import Case, ParticipantQuery, Session
from tests.factories import MONDAY, open_case

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("status", "closed_at"),
    [
        pytest.param("closed", None, id="closed-without-time"),
        pytest.param("open", MONDAY, id="open-with-closing-time"),
        pytest.param("paused", None, id="unknown-status"),
    ],
)
def test_case_closed_has_time(status: str, closed_at: object) -> None:
    case = open_case()
    with pytest.raises(IntegrityError, match="case_closed_has_time"), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(status=status, closed_at=closed_at)
    assert Case.objects.filter(pk=case.pk).values_list("status", "closed_at").get() == (
        "open",
        None,
    )


def test_a_closed_case_with_its_time_is_fine() -> None:
    case = open_case()
    Case.objects.filter(pk=case.pk).update(status="closed", closed_at=MONDAY)
    assert Case.objects.get(pk=case.pk).status == "closed"


def test_case_benefit_is_not_negative() -> None:
    case = open_case()
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(benefit_sessions=-1)
    assert Case.objects.get(pk=case.pk).benefit_sessions == 6


def test_case_reference_is_unique() -> None:
    case = open_case(reference="C-1")
    other = open_case()
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=other.pk).update(reference=case.reference)
    assert Case.objects.filter(reference="C-1").count() == 1


def test_session_number_once() -> None:
    case = open_case()
    Session.objects.create(case=case, number=1, held_at=MONDAY, event_id="E1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.create(case=case, number=1, held_at=MONDAY, event_id="E2")
    Session.objects.create(case=open_case(), number=1, held_at=MONDAY, event_id="E1")
    assert Session.objects.filter(number=1).count() == 2


def test_query_resolution_text() -> None:
    case = open_case()
    with pytest.raises(IntegrityError, match="query_resolution_text"), transaction.atomic():
        ParticipantQuery.objects.create(
            case=case, received_at=MONDAY, resolved_at=MONDAY, resolution="", event_id="E1"
        )
    ParticipantQuery.objects.create(case=case, received_at=MONDAY, event_id="E1")
    assert ParticipantQuery.objects.filter(case=case).count() == 1
