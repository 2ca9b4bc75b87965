"""Bad input through the API is answered in the API's error shape, never with a 500 or an HTML
page: JSON nested deeper than the limit, a body over the documented 10 MB of case notes, and a
notes file over 10 MB or refused by the upload checker (issue #13 item 8 a and b)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import time_machine

from eapcase.accounts.choices import Role
from eapcase.api.parsers import MAX_BODY_BYTES
from eapcase.cases.models import CaseEvent
from eapcase.cases.services import case_refer
from eapcase.core.jsonlimits import MAX_JSON_DEPTH
from eapcase.providers.models import CaseNotesUpload
from eapcase.providers.uploads import MAX_NOTES_BYTES
from tests.api.conftest import client_for
from tests.factories import (
    PartnerFactory,
    ProviderFactory,
    clinician_of,
    open_case,
    user_with_role,
    utc,
)

pytestmark = pytest.mark.django_db

NOW = utc(2, 12)


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def media_root(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _referred() -> tuple[Any, Any, str]:
    partner = PartnerFactory()
    provider = ProviderFactory(partners=[partner])
    case = open_case(partner=partner, reference="EAP-40001")
    case_refer(actor=clinician_of(case), case=case, provider=provider, now=NOW)
    return case, user_with_role(Role.PROVIDER, provider=provider), provider.code


def _raw(client: Any, case: Any, body: bytes) -> Any:
    return client.generic(
        "POST", f"/api/v1/cases/{case.reference}/events/", body, content_type="application/json"
    )


def _nested(depth: int) -> bytes:
    return b'{"type": "note", "x": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"


TOO_DEEP = {
    "errors": [{"field": None, "message": "JSON nested deeper than 32 levels is not accepted."}]
}


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5_000, 200_000])
def test_json_nested_deeper_than_the_limit_is_a_400_in_the_error_shape(depth: int) -> None:
    case, _provider_user, _code = _referred()
    response = _raw(client_for(clinician_of(case)), case, _nested(depth))
    assert (response.status_code, response.json()) == (400, TOO_DEEP)
    assert not CaseEvent.objects.filter(case=case, type="note").exists()


def test_json_at_the_limit_is_parsed_and_judged_as_usual() -> None:
    case, _provider_user, _code = _referred()
    response = _raw(client_for(clinician_of(case)), case, _nested(MAX_JSON_DEPTH))
    # Parsed: the event is judged (and refused for its missing `at`), not the nesting.
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "at"


def test_brackets_inside_strings_do_not_count() -> None:
    case, _provider_user, _code = _referred()
    body = {
        "type": "note",
        "at": NOW.isoformat(),
        "summary": '[[[[{{{{"' * 40,
        "next_step": "Wait",
    }
    response = client_for(clinician_of(case)).post(
        f"/api/v1/cases/{case.reference}/events/", body, format="json"
    )
    assert response.status_code == 201


def test_broken_json_is_a_400_in_the_error_shape() -> None:
    case, _provider_user, _code = _referred()
    response = _raw(client_for(clinician_of(case)), case, b'{"type": "note", NaN')
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["field"] is None
    assert error["message"].startswith("JSON parse error - ")


def _notes_event(code: str, data: bytes, name: str = "notes.txt") -> dict[str, Any]:
    return {
        "type": "case_notes_uploaded",
        "at": NOW.isoformat(),
        "provider": code,
        "details": {"file": base64.b64encode(data).decode(), "original_name": name},
    }


def test_case_notes_of_exactly_10_mb_go_through_the_api(media_root: Any) -> None:
    case, provider_user, code = _referred()
    line = b"Session notes: goals reviewed.\n"
    data = (line * (MAX_NOTES_BYTES // len(line) + 1))[:MAX_NOTES_BYTES]
    response = client_for(provider_user).post(
        f"/api/v1/cases/{case.reference}/events/", _notes_event(code, data), format="json"
    )
    assert response.status_code == 201
    upload = CaseNotesUpload.objects.get(case=case)
    assert (upload.size, upload.content_type) == (MAX_NOTES_BYTES, "text/plain")


def test_case_notes_over_10_mb_are_refused_beside_the_file(media_root: Any) -> None:
    case, provider_user, code = _referred()
    data = b"x" * (MAX_NOTES_BYTES + 1)
    response = client_for(provider_user).post(
        f"/api/v1/cases/{case.reference}/events/", _notes_event(code, data), format="json"
    )
    assert (response.status_code, response.json()) == (
        400,
        {
            "errors": [
                {
                    "field": "details.file",
                    "message": "Completed case notes: the file is larger than 10 MB. "
                    "Upload a smaller file.",
                }
            ]
        },
    )
    assert not CaseNotesUpload.objects.exists()


def test_a_body_over_the_limit_is_a_413_in_the_error_shape() -> None:
    case, provider_user, _code = _referred()
    body = b'{"type": "note", "summary": "' + b"x" * MAX_BODY_BYTES + b'"}'
    response = _raw(client_for(provider_user), case, body)
    assert response.status_code == 413
    assert response.json() == {
        "errors": [
            {
                "field": None,
                "message": "The request is too large: at most 14 MB of JSON (case notes up "
                "to 10 MB, base64-encoded).",
            }
        ]
    }


def test_a_polyglot_through_the_api_is_refused_beside_the_file(media_root: Any) -> None:
    case, provider_user, code = _referred()
    data = b"<!DOCTYPE html><html><script>alert(1)</script></html>\n"
    response = client_for(provider_user).post(
        f"/api/v1/cases/{case.reference}/events/", _notes_event(code, data), format="json"
    )
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["field"] == "details.file"
    assert "HTML" in error["message"]
