"""POST /api/v1/participants/, PATCH /api/v1/participants/<id>/ and POST /api/v1/cases/:
the same services as the pages, the API's error shape, idempotency, and a Partner never
reaching another Partner's participant; risk_set dated later than now is refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine

from eapcase.accounts.choices import Role
from eapcase.cases.models import Case, CaseEvent, Participant
from eapcase.organisations.models import PartnerRoute
from tests.api.conftest import client_for
from tests.factories import (
    AccessLineFactory,
    BenefitFactory,
    ClientOrganisationFactory,
    ParticipantFactory,
    PartnerFactory,
    db_state,
    open_case,
    user_with_role,
    utc,
)

pytestmark = pytest.mark.django_db
NOW = utc(2, 12)


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world() -> dict[str, Any]:
    client_org = ClientOrganisationFactory(code="acme", name="Acme")
    BenefitFactory(client=client_org, sessions=6, valid_from=date(2025, 1, 1))
    AccessLineFactory(client=client_org, number="0800 555 0199")
    ours, theirs = PartnerFactory(code="p-ours"), PartnerFactory(code="p-theirs")
    PartnerRoute.objects.create(country="GB", partner=ours)
    return {
        "ours": ours,
        "theirs": theirs,
        "wpo": user_with_role(Role.WPO_CLINICIAN),
        "clinician": user_with_role(Role.PARTNER_CLINICIAN, partner=ours),
    }


NEW = {
    "full_name": "Robin Example",
    "client": "acme",
    "country": "GB",
    "phone": "+44 7700 900555",
    "email": "robin@example.test",
    "preferences": {"voicemail_ok": False},
}


def test_a_clinician_registers_a_participant_and_finds_them_again(world: Any) -> None:
    api = client_for(world["clinician"])
    response = api.post("/api/v1/participants/", NEW, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["full_name"], body["client"], body["preferences"]["voicemail_ok"]) == (
        "Robin Example",
        "acme",
        False,
    )
    assert api.get(f"/api/v1/participants/{body['id']}/").status_code == 200
    other = client_for(user_with_role(Role.PARTNER_CLINICIAN, partner=world["theirs"]))
    assert other.get(f"/api/v1/participants/{body['id']}/").status_code == 404


def test_registering_is_idempotent_with_a_key(world: Any) -> None:
    api = client_for(world["wpo"])
    first = api.post("/api/v1/participants/", NEW, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = api.post("/api/v1/participants/", NEW, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert (first.status_code, again.status_code, again["Idempotent-Replayed"]) == (
        201,
        201,
        "true",
    )
    assert Participant.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(NEW | {"full_name": ""}, "full_name", id="no-name"),
        pytest.param(NEW | {"client": "nobody"}, "client", id="no-client"),
        pytest.param(NEW | {"email": "nope"}, "email", id="bad-email"),
        pytest.param(NEW | {"country": "XYZ"}, "country", id="bad-country"),
    ],
)
def test_a_bad_participant_is_refused_with_the_field(
    world: Any, body: dict[str, Any], field: str
) -> None:
    api = client_for(world["wpo"])  # issuing its token is audited: before the snapshot
    before = db_state()
    response = api.post("/api/v1/participants/", body, format="json")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert db_state() == before


def test_patch_records_participant_updated_on_open_cases(world: Any) -> None:
    case = open_case(partner=world["ours"])
    api = client_for(world["clinician"])
    response = api.patch(
        f"/api/v1/participants/{case.participant_id}/",
        {"phone": "", "preferences": {"email_only": True}, "source": "participant"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["preferences"]["email_only"] is True
    event = CaseEvent.objects.get(case=case)
    assert (event.type, event.fields) == (
        "participant_updated",
        {"participant": {"email_only": True, "phone": False}},
    )


def test_patch_refusals(world: Any) -> None:
    theirs = open_case(partner=world["theirs"])
    mine = open_case(partner=world["ours"])
    api = client_for(world["clinician"])
    missing = api.patch(
        f"/api/v1/participants/{theirs.participant_id}/", {"language": "Welsh"}, format="json"
    )
    assert missing.status_code == 404
    nothing = api.patch(f"/api/v1/participants/{mine.participant_id}/", {}, format="json")
    assert (nothing.status_code, nothing.json()) == (
        400,
        {"errors": [{"field": "details", "message": "nothing changed"}]},
    )
    provider = client_for(user_with_role(Role.PROVIDER))
    assert (
        provider.patch(
            f"/api/v1/participants/{mine.participant_id}/", {"language": "x"}, format="json"
        ).status_code
        == 404
    )


def test_open_a_case_for_a_new_participant(world: Any) -> None:
    body = {
        "new_participant": NEW,
        "referral": "self",
        "case_type": "individual",
        "presenting_issue": "Stress",
        "risk_level": "high",
        "risk_reason": "Thoughts of self-harm",
    }
    response = client_for(world["wpo"]).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 201
    data = response.json()
    assert (data["partner"], data["risk_level"], data["benefit_sessions"]) == ("p-ours", "high", 6)
    case = Case.objects.get(reference=data["reference"])
    assert case.engine_state["risk"] == "high"


def test_open_a_case_refusals(world: Any) -> None:
    theirs = open_case(partner=world["theirs"]).participant
    api = client_for(world["clinician"])
    hidden = api.post(
        "/api/v1/cases/",
        {"participant": theirs.pk, "referral": "self", "case_type": "individual"},
        format="json",
    )
    assert hidden.status_code == 404
    lapsed = ClientOrganisationFactory(code="lapsed", name="Lapsed")
    refused = client_for(world["wpo"]).post(
        "/api/v1/cases/",
        {
            "new_participant": NEW | {"client": "lapsed"},
            "referral": "self",
            "case_type": "individual",
        },
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "client"
    assert lapsed.cases.count() == 0


def test_a_risk_set_dated_later_than_now_is_refused_by_the_api(world: Any) -> None:
    case = open_case(partner=world["ours"], participant=ParticipantFactory())
    response = client_for(world["clinician"]).post(
        f"/api/v1/cases/{case.reference}/events/",
        {
            "type": "risk_set",
            "at": "2026-03-02T12:02:00+00:00",
            "level": "high",
            "details": {"reason": "Later"},
        },
        format="json",
    )
    assert (response.status_code, response.json()) == (
        400,
        {"errors": [{"field": "at", "message": "is in the future"}]},
    )
    assert Case.objects.get(pk=case.pk).risk_level == "none"


def test_the_new_operations_are_in_the_schema(client: Any) -> None:
    paths = client.get("/api/v1/schema/").json()["paths"]
    assert {"post"} <= set(paths["/api/v1/participants/"])
    assert {"patch"} <= set(paths["/api/v1/participants/{id}/"])
    assert {"post"} <= set(paths["/api/v1/cases/"])
