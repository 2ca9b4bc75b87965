"""Reading through the API: cases, participants, the work queue, escalations; each scoped by
`cases_visible_to` like the pages."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from eapcase.accounts.choices import Role
from eapcase.cases.services import case_refer, escalation_raise
from eapcase.outreach.services import callback_request
from tests.api.conftest import MISSING_CASE, client_for
from tests.factories import (
    MONDAY,
    OPENED,
    MembershipFactory,
    PartnerFactory,
    ProviderFactory,
    clinician_of,
    open_case,
    user_with_role,
    utc,
)

pytestmark = pytest.mark.django_db

NOW = utc(2, 12)  # Monday 2 March 2026, 12:00 UTC (GMT)


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _two_partners() -> tuple[Any, Any]:
    mine = open_case(partner=PartnerFactory(code="p-mine"), reference="EAP-20001")
    theirs = open_case(partner=PartnerFactory(code="p-theirs"), reference="EAP-20002")
    return mine, theirs


# --- cases -------------------------------------------------------------------------------------


def test_case_list_shows_only_the_partners_cases() -> None:
    mine, _theirs = _two_partners()
    response = client_for(clinician_of(mine)).get("/api/v1/cases/")
    assert response.status_code == 200
    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "reference": "EAP-20001",
                "status": "open",
                "partner": "p-mine",
                "client": mine.client.code,
                "provider": None,
                "assigned_clinician": None,
                "participant": mine.participant_id,
                "referral": "self",
                "case_type": "individual",
                "risk_level": "none",
                "benefit_sessions": 6,
                "opened_at": "2026-03-02T09:00:00Z",
                "closed_at": None,
            }
        ],
    }


def test_case_list_for_wpo_has_every_case_and_filters_by_partner() -> None:
    _two_partners()
    client = client_for(user_with_role(Role.WPO_CLINICIAN))
    every = client.get("/api/v1/cases/").json()
    theirs = client.get("/api/v1/cases/", {"partner": "p-theirs"}).json()
    assert [c["reference"] for c in every["results"]] == ["EAP-20002", "EAP-20001"]
    assert [c["reference"] for c in theirs["results"]] == ["EAP-20002"]


def test_case_list_refuses_a_bad_filter() -> None:
    response = client_for(user_with_role(Role.WPO_ADMIN)).get("/api/v1/cases/", {"status": "x"})
    assert (response.status_code, response.json()) == (
        400,
        {"errors": [{"field": "status", "message": "must be open or closed"}]},
    )


def test_case_list_queries_are_constant(django_assert_num_queries: Any) -> None:
    _two_partners()
    open_case(partner=PartnerFactory(code="p-third"))
    client = client_for(user_with_role(Role.WPO_CLINICIAN))
    # the token with its user, its last-used time (written at most once a minute), the
    # memberships, the count, the page of cases with its joins; then the read's audit row
    # (savepoint, the chain head locked, the row, the head moved, release: ADR 0035)
    with django_assert_num_queries(10):
        response = client.get("/api/v1/cases/")
    assert response.json()["count"] == 3


def test_case_detail_carries_the_engines_obligations() -> None:
    case = open_case(reference="EAP-20003")
    actor = clinician_of(case)
    callback_request(actor=actor, case=case, now=MONDAY, event_id="cb1")
    response = client_for(actor).get("/api/v1/cases/EAP-20003/")
    body = response.json()
    assert response.status_code == 200
    assert [(o["rule"], o["trigger"], o["status"]) for o in body["obligations"]] == [
        ("CM-CALLBACK", "cb1", "open"),
        ("CM-OUTREACH", "cb1", "open"),
    ]
    assert body["findings"] == []
    assert body["reference"] == "EAP-20003"


def test_case_detail_of_another_partners_case_is_the_same_404_as_a_missing_one() -> None:
    mine, theirs = _two_partners()
    client = client_for(clinician_of(mine))
    invisible = client.get(f"/api/v1/cases/{theirs.reference}/")
    missing = client.get("/api/v1/cases/EAP-99999/")
    assert (invisible.status_code, invisible.json()) == (404, MISSING_CASE)
    assert (missing.status_code, missing.json()) == (404, MISSING_CASE)


def test_anonymous_gets_401_with_the_token_challenge() -> None:
    case = open_case()
    response = client_for(None).get(f"/api/v1/cases/{case.reference}/")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"
    assert response.json() == {
        "errors": [{"field": None, "message": "Authentication credentials were not provided."}]
    }


def test_a_bad_token_gets_401() -> None:
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION="Token nonsense")
    response = client.get("/api/v1/cases/")
    assert (response.status_code, response.json()) == (
        401,
        {"errors": [{"field": None, "message": "Invalid token."}]},
    )


def test_session_authentication_works_for_the_pages() -> None:
    case = open_case()
    client = client_for(None)
    client.force_login(clinician_of(case))
    assert client.get("/api/v1/cases/").json()["count"] == 1


def test_the_browsable_api_renders_for_the_pages_session() -> None:
    case = open_case()
    client = client_for(None)
    client.force_login(clinician_of(case))
    response = client.get("/api/v1/cases/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert case.reference.encode() in response.content


def test_unknown_api_address_is_a_json_404() -> None:
    response = client_for(None).get("/api/v1/nothing/here/")
    assert (response.status_code, response.json()) == (
        404,
        {"errors": [{"field": None, "message": "Not found."}]},
    )


def _referred_and_escalated() -> tuple[Any, Any]:
    partner = PartnerFactory()
    provider = ProviderFactory(partners=[partner])
    referred = open_case(partner=partner, reference="EAP-20010")
    open_case(partner=partner, reference="EAP-20011")
    case_refer(actor=clinician_of(referred), case=referred, provider=provider, now=MONDAY)
    callback_request(actor=clinician_of(referred), case=referred, now=MONDAY, event_id="cb1")
    _escalated(referred)
    return referred, provider


# The reads of case content; each must give a provider and a WPO admin nothing (ADR 0010).
CONTENT_LISTS = ("cases", "participants", "obligations", "escalations")


def test_provider_reads_no_case_record_through_the_api() -> None:
    """The provider's side of a referral is the provider portal; the API's case record (case,
    history, participants, work queue, escalations) is the Partner's and WPO's."""
    referred, provider = _referred_and_escalated()
    client = client_for(user_with_role(Role.PROVIDER, provider=provider))
    counts = {name: client.get(f"/api/v1/{name}/").json()["count"] for name in CONTENT_LISTS}
    assert counts == dict.fromkeys(CONTENT_LISTS, 0)
    refused = {"errors": [{"field": "case", "message": "You may not view this case."}]}
    detail = client.get("/api/v1/cases/EAP-20010/")
    history = client.get("/api/v1/cases/EAP-20010/events/")
    assert (detail.status_code, detail.json()) == (403, refused)
    assert (history.status_code, history.json()) == (403, refused)
    assert client.get("/api/v1/cases/EAP-20011/").json() == MISSING_CASE
    escalation = referred.escalations.get()
    assert client.get(f"/api/v1/escalations/{escalation.pk}/").status_code == 404
    assert client.get(f"/api/v1/participants/{referred.participant_id}/").status_code == 404


def test_wpo_admin_reads_no_case_through_the_api_unless_also_a_clinician() -> None:
    referred, _provider = _referred_and_escalated()
    admin = user_with_role(Role.WPO_ADMIN)
    client = client_for(admin)
    counts = {name: client.get(f"/api/v1/{name}/").json()["count"] for name in CONTENT_LISTS}
    assert counts == dict.fromkeys(CONTENT_LISTS, 0)
    for url in ("/api/v1/cases/EAP-20010/", "/api/v1/cases/EAP-20010/events/"):
        response = client.get(url)
        assert (response.status_code, response.json()) == (404, MISSING_CASE)
    escalation = referred.escalations.get()
    acknowledge = client.post(
        f"/api/v1/escalations/{escalation.pk}/acknowledge/", {"note": "x"}, format="json"
    )
    assert acknowledge.status_code == 404
    MembershipFactory(user=admin, role=Role.WPO_CLINICIAN)
    clinician = client_for(admin)
    assert clinician.get("/api/v1/cases/").json()["count"] == 2
    assert clinician.get("/api/v1/cases/EAP-20010/").status_code == 200


# --- participants ------------------------------------------------------------------------------


def test_participants_of_visible_cases_only() -> None:
    mine, theirs = _two_partners()
    client = client_for(clinician_of(mine))
    body = client.get("/api/v1/participants/").json()
    assert [(p["id"], p["cases"]) for p in body["results"]] == [
        (mine.participant_id, ["EAP-20001"])
    ]
    assert body["results"][0]["preferences"] == mine.participant.preferences()
    detail = client.get(f"/api/v1/participants/{mine.participant_id}/")
    hidden = client.get(f"/api/v1/participants/{theirs.participant_id}/")
    assert detail.json()["email"] == mine.participant.email
    assert (hidden.status_code, hidden.json()) == (
        404,
        {"errors": [{"field": "participant", "message": "No such participant."}]},
    )


# --- obligations -------------------------------------------------------------------------------


def test_obligations_are_the_work_queue_of_visible_cases() -> None:
    mine, theirs = _two_partners()
    actor = clinician_of(mine)
    callback_request(actor=actor, case=mine, now=OPENED, at=OPENED, event_id="cb1")
    callback_request(actor=clinician_of(theirs), case=theirs, now=OPENED, event_id="cb9")
    body = client_for(actor).get("/api/v1/obligations/").json()
    assert [(o["case"], o["rule"], o["trigger"], o["status"]) for o in body["results"]] == [
        ("EAP-20001", "CM-CALLBACK", "cb1", "open"),
        ("EAP-20001", "CM-OUTREACH", "cb1", "open"),
    ]
    first = body["results"][0]
    assert first["due_at"] is not None
    assert first["reason"] != ""


def test_obligations_overdue_filter_uses_the_current_time() -> None:
    case = open_case(reference="EAP-20004")
    actor = clinician_of(case)
    callback_request(actor=actor, case=case, now=OPENED, at=OPENED, event_id="cb1")
    client = client_for(actor)
    due = client.get("/api/v1/obligations/", {"rule": "CM-CALLBACK"}).json()["results"][0]
    with time_machine.travel(due["due_at"], tick=False):
        late = client.get("/api/v1/obligations/", {"overdue": "true"}).json()["results"]
        not_yet = client.get("/api/v1/obligations/", {"overdue": "false"}).json()["results"]
    assert [(o["rule"], o["status"]) for o in late] == [("CM-CALLBACK", "overdue")]
    assert [o["rule"] for o in not_yet] == ["CM-OUTREACH"]


def test_a_nul_in_a_filter_is_refused() -> None:
    response = client_for(user_with_role(Role.WPO_ADMIN)).get(
        "/api/v1/escalations/", {"case": "EAP\x00"}
    )
    assert (response.status_code, response.json()) == (
        400,
        {"errors": [{"field": "case", "message": "must not contain NUL characters"}]},
    )


def test_obligations_refuse_a_bad_flag() -> None:
    response = client_for(user_with_role(Role.WPO_ADMIN)).get(
        "/api/v1/obligations/", {"overdue": "maybe"}
    )
    assert (response.status_code, response.json()) == (
        400,
        {"errors": [{"field": "overdue", "message": "must be true or false"}]},
    )


# --- escalations -------------------------------------------------------------------------------


def _escalated(case: Any) -> Any:
    return escalation_raise(
        actor=clinician_of(case), case=case, reason="other", summary="WPO to know", now=MONDAY
    )


def test_escalations_list_and_filter() -> None:
    mine, theirs = _two_partners()
    escalation = _escalated(mine)
    _escalated(theirs)
    client = client_for(clinician_of(mine))
    body = client.get("/api/v1/escalations/", {"acknowledged": "false"}).json()
    assert [(e["id"], e["case"], e["reason"]) for e in body["results"]] == [
        (escalation.pk, "EAP-20001", "other")
    ]
    assert client.get("/api/v1/escalations/", {"acknowledged": "true"}).json()["count"] == 0


def test_wpo_acknowledges_an_escalation() -> None:
    case = open_case(reference="EAP-20005")
    escalation = _escalated(case)
    wpo = user_with_role(Role.WPO_CLINICIAN)
    client = client_for(wpo)
    url = f"/api/v1/escalations/{escalation.pk}/acknowledge/"
    response = client.post(url, {"note": "seen"}, format="json")
    again = client.post(url, {"note": "seen"}, format="json")
    assert response.status_code == 200
    assert (response.json()["acknowledged_by"], response.json()["acknowledgement_note"]) == (
        wpo.username,
        "seen",
    )
    assert (again.status_code, again.json()) == (
        409,
        {"errors": [{"field": "escalation", "message": "this escalation is already acknowledged"}]},
    )


def test_partner_may_not_acknowledge_and_others_do_not_see_it() -> None:
    mine, theirs = _two_partners()
    escalation = _escalated(mine)
    url = f"/api/v1/escalations/{escalation.pk}/acknowledge/"
    own = client_for(clinician_of(mine)).post(url, {}, format="json")
    other = client_for(clinician_of(theirs)).post(url, {}, format="json")
    assert (own.status_code, own.json()) == (
        403,
        {"errors": [{"field": "escalation", "message": "Only WPO acknowledges an escalation."}]},
    )
    assert (other.status_code, other.json()) == (
        404,
        {"errors": [{"field": "escalation", "message": "No such escalation."}]},
    )
