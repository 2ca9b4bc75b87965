"""Optimistic concurrency in the API (ADR 0038): GET of a case answers its version as `ETag`;
POST of an event with `If-Match` is refused with 409 when the case changed since, nothing
written, with what changed and the case as it is now; without `If-Match` nothing is checked;
an idempotent retry replays its first answer whatever the version is by then."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from eapcase.cases.models import Case, CaseEvent
from tests.api.conftest import client_for
from tests.factories import clinician_of, db_state, open_case, utc

pytestmark = pytest.mark.django_db

NOW = utc(3, 12)


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _post(client: Any, case: Any, body: dict[str, Any], **headers: Any) -> Any:
    return client.post(f"/api/v1/cases/{case.reference}/events/", body, format="json", **headers)


RISK_UP = {"type": "risk_set", "at": utc(3, 10).isoformat(), "level": "high",
           "details": {"reason": "Disclosed"}}  # fmt: skip
RISK_DOWN = {"type": "risk_set", "at": utc(3, 11).isoformat(), "level": "none",
             "details": {"reason": "Seems fine"}}  # fmt: skip


def _two_clients() -> tuple[Any, Any, Any]:
    case = open_case(reference="EAP-40001")
    one = clinician_of(case)
    one.first_name, one.last_name = "Ana", "Api"
    one.save()
    return case, client_for(one), client_for(clinician_of(case))


def test_etag_if_match_round_trip() -> None:
    case, ana, _ben = _two_clients()
    read = ana.get(f"/api/v1/cases/{case.reference}/")
    assert read.status_code == 200
    version = Case.objects.get().version
    assert read.headers["ETag"] == f'"{version}"'
    assert read.json()["version"] == version
    written = _post(ana, case, RISK_UP, HTTP_IF_MATCH=read.headers["ETag"])
    assert written.status_code == 201
    assert written.json()["version"] == version + 1
    assert written.headers["ETag"] == f'"{version + 1}"'
    again = ana.get(f"/api/v1/cases/{case.reference}/")
    assert again.headers["ETag"] == written.headers["ETag"]


def test_a_stale_if_match_is_409_with_what_changed_and_nothing_written() -> None:
    case, ana, ben = _two_clients()
    seen = ana.get(f"/api/v1/cases/{case.reference}/").headers["ETag"]
    assert ben.get(f"/api/v1/cases/{case.reference}/").headers["ETag"] == seen
    assert _post(ana, case, RISK_UP, HTTP_IF_MATCH=seen).status_code == 201
    before = db_state()
    refused = _post(ben, case, RISK_DOWN, HTTP_IF_MATCH=seen)
    assert refused.status_code == 409
    assert db_state() == before
    body = refused.json()
    now = Case.objects.get().version
    assert body["errors"] == [
        {"field": "version", "message": "the case changed after you opened it; nothing was saved"}
    ]
    assert body["changes"] == [
        {
            "version": now,
            "at": NOW.isoformat(),
            "by": "Ana Api",
            "what": ["Set the risk to high"],
        }
    ]
    assert body["case"]["risk"] == "high" and body["case"]["version"] == now
    assert refused.headers["ETag"] == f'"{now}"'
    # Read again, decide, send with the new version: written.
    fresh = ben.get(f"/api/v1/cases/{case.reference}/").headers["ETag"]
    assert _post(ben, case, RISK_DOWN, HTTP_IF_MATCH=fresh).status_code == 201
    assert Case.objects.get().risk_level == "none"


def test_without_if_match_or_with_a_star_the_write_is_not_checked() -> None:
    case, ana, ben = _two_clients()
    assert _post(ana, case, RISK_UP).status_code == 201
    assert _post(ben, case, RISK_DOWN, HTTP_IF_MATCH="*").status_code == 201
    assert CaseEvent.objects.filter(type="risk_set").count() == 2


@pytest.mark.parametrize("header", ['W/"3"', "3", '"3", "4"', '"x"', ""])
def test_a_malformed_if_match_is_400(header: str) -> None:
    case, ana, _ben = _two_clients()
    before = db_state()
    refused = _post(ana, case, RISK_UP, HTTP_IF_MATCH=header)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "If-Match"
    assert db_state() == before


def test_an_idempotent_retry_replays_after_the_version_moved_on() -> None:
    """The retry of a write that succeeded carries the If-Match of before that write: it gets
    the first answer back (the version that write made), not a 409."""
    case, ana, _ben = _two_clients()
    seen = ana.get(f"/api/v1/cases/{case.reference}/").headers["ETag"]
    first = _post(ana, case, RISK_UP, HTTP_IF_MATCH=seen, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    retry = _post(ana, case, RISK_UP, HTTP_IF_MATCH=seen, HTTP_IDEMPOTENCY_KEY="k-1")
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert CaseEvent.objects.filter(type="risk_set").count() == 1


def test_a_stale_write_is_not_kept_under_its_key() -> None:
    """A 409 is not stored: the same key may carry the corrected request."""
    case, ana, ben = _two_clients()
    seen = ana.get(f"/api/v1/cases/{case.reference}/").headers["ETag"]
    assert _post(ana, case, RISK_UP, HTTP_IF_MATCH=seen).status_code == 201
    stale = _post(ben, case, RISK_DOWN, HTTP_IF_MATCH=seen, HTTP_IDEMPOTENCY_KEY="k-2")
    assert stale.status_code == 409
    fresh = ben.get(f"/api/v1/cases/{case.reference}/").headers["ETag"]
    assert (
        _post(ben, case, RISK_DOWN, HTTP_IF_MATCH=fresh, HTTP_IDEMPOTENCY_KEY="k-2").status_code
        == 201
    )
