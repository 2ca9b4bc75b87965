"""Idempotency keys expire after EAPCASE_IDEMPOTENCY_HOURS (24 by default): a replay after that
is a new request, and the worker's purge deletes the expired rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from eapcase.api.idempotency import idempotency_keys_purge
from eapcase.api.models import IdempotencyKey
from eapcase.cases.models import CaseEvent
from tests.api.conftest import client_for
from tests.factories import clinician_of, open_case, utc

pytestmark = pytest.mark.django_db

NOTE = {"type": "note", "at": "2026-03-02T10:00:00Z", "summary": "Called", "next_step": "Wait"}
SENT = utc(2, 12)


def _post_at(at: Any, client: Any, case: Any, key: str = "k-1") -> Any:
    with time_machine.travel(at, tick=False):
        return client.post(
            f"/api/v1/cases/{case.reference}/events/",
            NOTE,
            format="json",
            HTTP_IDEMPOTENCY_KEY=key,
        )


def test_a_replay_within_24_hours_is_the_stored_answer() -> None:
    case = open_case()
    client = client_for(clinician_of(case))
    _post_at(SENT, client, case)
    again = _post_at(SENT + timedelta(hours=23, minutes=59), client, case)
    assert (again.status_code, again.headers.get("Idempotent-Replayed")) == (201, "true")
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_a_replay_after_24_hours_is_a_new_request() -> None:
    case = open_case()
    client = client_for(clinician_of(case))
    _post_at(SENT, client, case)
    again = _post_at(SENT + timedelta(hours=24), client, case)
    assert (again.status_code, again.headers.get("Idempotent-Replayed")) == (201, None)
    assert CaseEvent.objects.filter(case=case).count() == 2
    stored = IdempotencyKey.objects.get()
    assert stored.created_at == SENT + timedelta(hours=24)


def test_the_lifetime_is_configurable(settings: Any) -> None:
    settings.EAPCASE_IDEMPOTENCY_HOURS = 1
    case = open_case()
    client = client_for(clinician_of(case))
    _post_at(SENT, client, case)
    again = _post_at(SENT + timedelta(hours=1, seconds=1), client, case)
    assert again.headers.get("Idempotent-Replayed") is None


def test_the_purge_deletes_only_expired_keys() -> None:
    case = open_case()
    client = client_for(clinician_of(case))
    _post_at(SENT, client, case, key="old")
    _post_at(SENT + timedelta(hours=2), client, case, key="young")
    assert idempotency_keys_purge(now=SENT + timedelta(hours=25)) == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["young"]
