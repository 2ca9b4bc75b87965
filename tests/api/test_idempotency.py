"""`Idempotency-Key`: a retried POST returns the stored answer and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from eapcase.accounts.choices import Role
from eapcase.api.models import IdempotencyKey
from eapcase.cases.models import CaseEvent
from tests.api.conftest import client_for
from tests.factories import clinician_of, db_state, open_case, user_with_role, utc

pytestmark = pytest.mark.django_db

NOTE = {"type": "note", "at": "2026-03-02T10:00:00Z", "summary": "Called", "next_step": "Wait"}


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(utc(2, 12), tick=False):
        yield


def _post(client: Any, case: Any, body: Any, key: str) -> Any:
    return client.post(
        f"/api/v1/cases/{case.reference}/events/", body, format="json", HTTP_IDEMPOTENCY_KEY=key
    )


def test_a_retry_with_the_same_key_creates_one_event() -> None:
    case = open_case()
    client = client_for(clinician_of(case))
    first = _post(client, case, NOTE, "retry-1")
    state = db_state()
    second = _post(client, case, NOTE, "retry-1")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert CaseEvent.objects.filter(case=case).count() == 1
    assert db_state() == state


def test_the_same_key_with_another_body_is_422_and_writes_nothing() -> None:
    case = open_case()
    client = client_for(clinician_of(case))
    _post(client, case, NOTE, "retry-2")
    state = db_state()
    response = _post(client, case, {**NOTE, "summary": "Other"}, "retry-2")
    assert (response.status_code, response.json()) == (
        422,
        {
            "errors": [
                {"field": "Idempotency-Key", "message": "was used before for a different request"}
            ]
        },
    )
    assert db_state() == state


def test_keys_are_per_user() -> None:
    case = open_case()
    one = client_for(clinician_of(case))
    two = client_for(user_with_role(Role.PARTNER_CLINICIAN, partner=case.partner))
    assert _post(one, case, NOTE, "shared").status_code == 201
    assert _post(two, case, NOTE, "shared").status_code == 201
    assert CaseEvent.objects.filter(case=case).count() == 2


def test_a_refused_request_is_not_stored_and_may_be_corrected() -> None:
    case = open_case()
    client = client_for(clinician_of(case))
    refused = _post(client, case, {**NOTE, "summary": ""}, "fix-me")
    corrected = _post(client, case, NOTE, "fix-me")
    assert (refused.status_code, corrected.status_code) == (400, 201)
    assert IdempotencyKey.objects.get().response_status == 201


def test_a_bad_key_is_refused() -> None:
    case = open_case()
    response = _post(client_for(clinician_of(case)), case, NOTE, "x" * 256)
    assert (response.status_code, response.json()) == (
        400,
        {
            "errors": [
                {
                    "field": "Idempotency-Key",
                    "message": "must be 1 to 255 printable ASCII characters",
                }
            ]
        },
    )


def test_escalation_acknowledgement_retry_is_replayed() -> None:
    from eapcase.cases.services import escalation_raise

    case = open_case()
    escalation = escalation_raise(
        actor=clinician_of(case), case=case, reason="other", summary="FYI", now=utc(2, 11)
    )
    client = client_for(user_with_role(Role.WPO_CLINICIAN))
    url = f"/api/v1/escalations/{escalation.pk}/acknowledge/"
    first = client.post(url, {"note": "ok"}, format="json", HTTP_IDEMPOTENCY_KEY="ack")
    second = client.post(url, {"note": "ok"}, format="json", HTTP_IDEMPOTENCY_KEY="ack")
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == first.json()
