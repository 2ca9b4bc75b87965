"""Closing from the case page (outcome and closing note), the reopen page
/cases/<ref>/reopen/, and a closed case's page offering only what a closed case takes
(ADR 0026): the other action pages answer 409."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client

from eapcase.cases.models import Case
from eapcase.cases.services import case_close
from tests.factories import clinician_of, db_state, events_of, open_case, utc

pytestmark = pytest.mark.django_db
NOW = utc(2, 12)


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def as_user(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def closed_case() -> Case:
    case = open_case()
    case_close(
        actor=clinician_of(case),
        case=case,
        outcome="declined",
        note="Declined further sessions.",
        now=utc(2, 10),
    )
    return Case.objects.get(pk=case.pk)


def test_a_closed_case_page_offers_only_what_a_closed_case_takes() -> None:
    case = closed_case()
    body = as_user(clinician_of(case)).get(f"/cases/{case.reference}/").content.decode()
    ref = case.reference
    for offered in ("reopen", "attempt", "note", "outreach", "query"):
        assert f'href="/cases/{ref}/{offered}/"' in body
    for hidden in (
        "session",
        "review",
        "risk",
        "participant",
        "callback",
        "dissatisfaction",
        "escalate",
        "close",
    ):
        assert f'href="/cases/{ref}/{hidden}/"' not in body
    assert (
        '<span class="badge text-bg-secondary">closed 2 Mar 2026: declined further help</span>'
        in (body)
    )
    assert "Declined further sessions." in body


def test_an_open_case_page_offers_closing_not_reopening() -> None:
    case = open_case()
    body = as_user(clinician_of(case)).get(f"/cases/{case.reference}/").content.decode()
    assert f'href="/cases/{case.reference}/close/"' in body
    assert f'href="/cases/{case.reference}/reopen/"' not in body


@pytest.mark.parametrize(
    "action",
    [
        "session",
        "review",
        "risk",
        "participant",
        "callback",
        "dissatisfaction",
        "escalate",
        "close",
    ],
)
def test_the_other_action_pages_answer_409_for_a_closed_case(action: str) -> None:
    case = closed_case()
    client = as_user(clinician_of(case))
    before = db_state()
    for response in (
        client.get(f"/cases/{case.reference}/{action}/"),
        client.post(f"/cases/{case.reference}/{action}/", {"reason": "x", "summary": "x"}),
    ):
        assert response.status_code == 409
        assert "The case is closed" in response.content.decode()
        assert f'href="/cases/{case.reference}/reopen/"' in response.content.decode()
    assert db_state() == before


def test_the_close_form_asks_for_an_outcome_and_a_note_beside_their_fields() -> None:
    case = open_case()
    client = as_user(clinician_of(case))
    page = client.get(f"/cases/{case.reference}/close/").content.decode()
    assert 'for="id_note"' in page
    assert (
        '<label class="form-check-label" for="id_outcome_3">could not be contacted</label>' in page
    )
    before = db_state()
    response = client.post(f"/cases/{case.reference}/close/", {"outcome": "", "note": " "})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_outcome_0" required aria-invalid="true"' in body
    assert body.count('aria-invalid="true"') == 6  # the five outcomes and the note
    assert db_state() == before


def test_close_then_reopen_round_trip_through_the_pages() -> None:
    case = open_case()
    client = as_user(clinician_of(case))
    ref = case.reference
    closed = client.post(
        f"/cases/{ref}/close/",
        {"outcome": "not_contacted", "note": "Three attempts, no answer.\nLetter sent."},
        follow=True,
    )
    assert closed.redirect_chain == [(f"/cases/{ref}/", 302)]
    assert "Case closed." in closed.content.decode()
    assert ": could not be contacted</span>" in closed.content.decode()
    row = Case.objects.get(pk=case.pk)
    assert (row.status, row.closure_outcome, row.closure_reason) == (
        "closed",
        "not_contacted",
        "Three attempts, no answer.",
    )

    form = client.get(f"/cases/{ref}/reopen/").content.decode()
    assert 'for="id_reason"' in form
    assert "Why the case opens again" in form
    refused = client.post(f"/cases/{ref}/reopen/", {"reason": " "})
    assert refused.status_code == 200
    assert Case.objects.get(pk=case.pk).status == "closed"

    reopened = client.post(f"/cases/{ref}/reopen/", {"reason": "Called back asking for help"})
    assert reopened.status_code == 302
    assert Case.objects.get(pk=case.pk).status == "open"
    assert [e[2] for e in events_of(case)][-2:] == ["case_closed", "case_reopened"]
    assert events_of(case)[-1][-1] == {"reason": "Called back asking for help"}
    page = client.get(f"/cases/{ref}/").content.decode()
    assert f'href="/cases/{ref}/session/"' in page
    assert client.get(f"/cases/{ref}/session/").status_code == 200
    # Reopening an open case is refused on the form.
    again = client.post(f"/cases/{ref}/reopen/", {"reason": "again"})
    assert again.status_code == 200
    assert "the case is open" in again.content.decode()
