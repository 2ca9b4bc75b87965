"""The case-life pages: /cases/new/ (find, register, open), /work/unallocated/ (allocate,
take), set risk and contact details from the case page, and /cases/?route=. Access: a Partner
never finds another Partner's participant, by name, phone or email."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.cases.models import Case, CaseAssignment, CaseEvent, Participant
from eapcase.cases.services import case_assign
from eapcase.organisations.models import PartnerRoute
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


@pytest.fixture(autouse=True)
def cheap_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world() -> dict[str, Any]:
    client_org = ClientOrganisationFactory(name="Acme Logistics")
    BenefitFactory(client=client_org, sessions=6, unit="per_person", valid_from=date(2025, 1, 1))
    AccessLineFactory(client=client_org, number="0800 555 0199")
    ours, theirs = PartnerFactory(name="Partner Ours"), PartnerFactory(name="Partner Theirs")
    PartnerRoute.objects.create(country="GB", partner=ours)
    return {
        "client": client_org,
        "ours": ours,
        "theirs": theirs,
        "wpo": user_with_role(Role.WPO_CLINICIAN),
        "lead": user_with_role(Role.PARTNER_LEAD, partner=ours),
        "clinician": user_with_role(Role.PARTNER_CLINICIAN, partner=ours),
    }


def as_user(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


REGISTER = {
    "register": "1",
    "p-full_name": "Robin Example",
    "p-date_of_birth": "1985-07-14",
    "p-access_line": "+44 800 555 0199",
    "p-phone": "+44 7700 900555",
    "p-email": "robin@example.test",
    "p-country": "GB",
    "p-region": "England",
    "p-language": "English",
    "p-email_consent": "on",
    "c-case_type": "individual",
    "c-referral": "self",
    "c-presenting_issue": "Stress at work",
    "c-risk_level": "none",
}


def test_wpo_registers_a_participant_and_opens_a_case(world: Any) -> None:
    response = as_user(world["wpo"]).post("/cases/new/", REGISTER)
    case = Case.objects.get(participant__full_name="Robin Example")
    assert (response.status_code, response["Location"]) == (302, f"/cases/{case.reference}/")
    assert (case.client, case.partner, case.benefit_sessions, case.assigned_clinician) == (
        world["client"],
        world["ours"],
        6,
        None,
    )
    participant = case.participant
    assert (participant.voicemail_ok, participant.email_consent, participant.region) == (
        False,
        True,
        "England",
    )


def test_refusals_come_back_beside_their_fields_and_write_nothing(world: Any) -> None:
    before = db_state()
    data = REGISTER | {"c-risk_level": "high", "p-access_line": "0800 000 0000"}
    response = as_user(world["wpo"]).post("/cases/new/", data)
    assert response.status_code == 400
    assert response.context["register_form"].errors == {
        "client": [
            "Choose the client organisation, or give the access line the participant called."
        ]
    }
    response = as_user(world["wpo"]).post("/cases/new/", REGISTER | {"c-risk_level": "high"})
    assert response.context["case_form"].errors == {"risk_reason": ["say what was identified"]}
    assert db_state() == before


def test_a_lapsed_contract_is_refused_with_its_message(world: Any) -> None:
    lapsed = ClientOrganisationFactory(name="Lapsed Ltd")
    data = REGISTER | {"p-client": str(lapsed.pk), "p-access_line": ""}
    response = as_user(world["wpo"]).post("/cases/new/", data)
    assert (
        response.context["register_form"]
        .errors["client"][0]
        .startswith("Lapsed Ltd has no active EAP contract")
    )


def test_search_lists_likely_duplicates(world: Any) -> None:
    a = ParticipantFactory(full_name="Kim Lee", date_of_birth=date(1990, 1, 2))
    b = ParticipantFactory(full_name="Kim Lee", date_of_birth=date(1990, 1, 2))
    response = as_user(world["wpo"]).get("/cases/new/", {"name": "kim lee"})
    found = {f.participant: f.duplicate_of for f in response.context["found"]}
    assert found == {a: [b], b: [a]}
    assert "likely duplicate" in response.content.decode()


def test_a_partner_never_finds_another_partners_participant(world: Any) -> None:
    theirs = open_case(
        partner=world["theirs"],
        participant=ParticipantFactory(
            full_name="Jo Hidden", phone="+44 7700 900777", email="jo@example.test"
        ),
    ).participant
    page = as_user(world["clinician"])
    for query in ({"name": "Jo Hidden"}, {"phone": "07700 900777"}, {"email": "jo@example.test"}):
        assert page.get("/cases/new/", query).context["found"] == []
    assert page.get("/cases/new/", {"participant": theirs.pk}).status_code == 404
    # WPO finds the same person by phone.
    found = as_user(world["wpo"]).get("/cases/new/", {"phone": "07700 900777"}).context["found"]
    assert [f.participant for f in found] == [theirs]


def test_a_partner_clinician_opens_for_a_found_participant_with_the_benefit_shown(
    world: Any,
) -> None:
    mine = open_case(partner=world["ours"], participant=ParticipantFactory(client=world["client"]))
    page = as_user(world["clinician"])
    shown = page.get("/cases/new/", {"participant": mine.participant_id})
    assert shown.context["quote"].remaining == 6
    assert "partner" not in shown.context["case_form"].fields
    response = page.post(
        "/cases/new/",
        {
            "participant": mine.participant_id,
            "c-case_type": "individual",
            "c-referral": "management_referral",
            "c-presenting_issue": "Referred by manager",
            "c-risk_level": "none",
        },
    )
    assert response.status_code == 302
    opened = Case.objects.exclude(pk=mine.pk).get()
    assert (opened.partner, opened.referral, opened.engine_state["in_scope"]) == (
        world["ours"],
        "management_referral",
        False,
    )
    listed = as_user(world["wpo"]).get("/cases/", {"route": "management_referral"})
    assert [c.reference for c in listed.context["page"].object_list] == [opened.reference]


@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.WPO_ADMIN, Role.PROVIDER])
def test_who_may_not_open_cases_or_see_the_unallocated_list(world: Any, role: str) -> None:
    page = as_user(user_with_role(role))
    assert page.get("/cases/new/").status_code == 403
    assert page.get("/work/unallocated/").status_code == 403


def test_the_lead_allocates_with_a_reason_and_the_timeline_shows_it(world: Any) -> None:
    case = open_case(partner=world["ours"])
    lead = as_user(world["lead"])
    listed = lead.get("/work/unallocated/")
    assert [r["case"] for r in listed.context["rows"]] == [case]
    response = lead.post(
        f"/work/unallocated/{case.reference}/allocate/",
        {"clinician": world["clinician"].pk, "reason": "Speaks Polish"},
    )
    assert response.status_code == 302
    assert lead.get("/work/unallocated/").context["rows"] == []
    timeline = lead.get(f"/cases/{case.reference}/").context["page"].timeline
    assert [(t.what, t.summary) for t in timeline] == [
        ("Allocated", f"to {world['clinician'].get_full_name()}: Speaks Polish")
    ]


def test_a_clinician_takes_a_case_but_may_not_allocate(world: Any) -> None:
    case = open_case(partner=world["ours"])
    page = as_user(world["clinician"])
    refused = page.post(
        f"/work/unallocated/{case.reference}/allocate/", {"clinician": world["lead"].pk}
    )
    assert refused.status_code == 403
    assert (
        page.post(f"/work/unallocated/{case.reference}/allocate/", {"take": "1"}).status_code == 302
    )
    assert CaseAssignment.objects.get(case=case).clinician == world["clinician"]


def test_another_partners_unallocated_case_is_not_found(world: Any) -> None:
    case = open_case(partner=world["theirs"])
    page = as_user(world["lead"])
    assert page.get("/work/unallocated/").context["rows"] == []
    assert (
        page.post(f"/work/unallocated/{case.reference}/allocate/", {"take": "1"}).status_code == 404
    )


def test_risk_set_from_the_case_page_shows_everywhere(world: Any) -> None:
    case = open_case(partner=world["ours"], assigned_clinician=world["clinician"])
    page = as_user(world["clinician"])
    refused = page.post(f"/cases/{case.reference}/risk/", {"level": "high", "reason": ""})
    assert refused.context["form"].errors == {"reason": ["This field is required."]}
    later = page.post(
        f"/cases/{case.reference}/risk/",
        {"level": "high", "reason": "Self-harm disclosed", "at": "2026-03-02T12:01"},
    )
    assert later.context["form"].errors == {"at": ["is in the future"]}
    done = page.post(
        f"/cases/{case.reference}/risk/", {"level": "high", "reason": "Self-harm disclosed"}
    )
    assert done.status_code == 302
    detail = page.get(f"/cases/{case.reference}/")
    assert detail.context["page"].risk == "high"
    assert "Self-harm disclosed" in detail.content.decode()
    handover = page.get(f"/cases/{case.reference}/handover/").content.decode()
    assert '<strong class="text-danger">high</strong>' in handover


def test_contact_details_are_recorded_as_participant_updated(world: Any) -> None:
    case = open_case(partner=world["ours"])
    page = as_user(world["clinician"])
    form = page.get(f"/cases/{case.reference}/participant/").context["form"]
    assert form.initial["phone"] == case.participant.phone
    data = {
        "full_name": case.participant.full_name,
        "phone": "",
        "email": case.participant.email,
        "email_messages_ok": "on",
        "email_consent": "on",
        "email_only": "on",
        "source": "participant",
    }
    assert page.post(f"/cases/{case.reference}/participant/", data).status_code == 302
    participant = Participant.objects.get(pk=case.participant_id)
    assert (participant.has_phone, participant.email_only, participant.voicemail_ok) == (
        False,
        True,
        False,
    )
    event = CaseEvent.objects.get(case=case)
    assert (event.type, event.fields) == (
        "participant_updated",
        {"participant": {"voicemail_ok": False, "email_only": True, "phone": False}},
    )


def test_reassignment_from_the_case_timeline_keeps_the_reason(world: Any) -> None:
    case = open_case(partner=world["ours"], assigned_clinician=world["clinician"])
    other = user_with_role(Role.PARTNER_CLINICIAN, partner=world["ours"])
    case_assign(actor=world["lead"], case=case, clinician=other, now=NOW, reason="Leave")
    timeline = as_user(world["lead"]).get(f"/cases/{case.reference}/").context["page"].timeline
    assert [t.summary for t in timeline] == [
        f"to {other.get_full_name()}: Leave",
        f"to {world['clinician'].get_full_name()}: assigned when the case was opened",
    ]
