"""Opening a case from an email waiting in triage (ADR 0030): the triage pages offer it, the
new-case page is prefilled from the email, and the case opens when the email arrived, at the
Partner whose mailbox received it, with the email filed on it in the same transaction, so the
email's deadlines run from its arrival. Another Partner's email is a 404; an email that
waited is overdue from its arrival."""

from __future__ import annotations

from datetime import date, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
import time_machine
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.cases.models import Case, CaseEvent
from eapcase.intake.choices import Status
from eapcase.intake.models import InboundMessage
from eapcase.intake.services import message_ingest
from eapcase.organisations.models import PartnerRoute
from eapcase.outreach.models import Email
from tests.factories import (
    AccessLineFactory,
    BenefitFactory,
    ClientOrganisationFactory,
    OperatorFactory,
    ParticipantFactory,
    PartnerFactory,
    db_state,
    user_with_role,
    utc,
)

pytestmark = pytest.mark.django_db

NOW = utc(3, 14)  # Tuesday 3 March 2026, 14:00 in London
MAILBOX = "cases@p-uk.example.test"


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def cheap_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def as_user(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(settings: Any, tmp_path: Any) -> dict[str, Any]:
    settings.MEDIA_ROOT = tmp_path / "media"
    OperatorFactory(staff_email_domains="wpo.example.test")
    client_org = ClientOrganisationFactory(name="Acme Logistics")
    BenefitFactory(client=client_org, sessions=6, unit="per_person", valid_from=date(2025, 1, 1))
    AccessLineFactory(client=client_org, number="0800 555 0199")
    ours = PartnerFactory(code="p-uk", name="Partner UK", email=MAILBOX)
    routed = PartnerFactory(code="p-routed", name="Partner Routed")
    theirs = PartnerFactory(code="p-theirs", name="Partner Theirs")
    PartnerRoute.objects.create(country="GB", partner=routed)
    return {
        "client": client_org,
        "ours": ours,
        "theirs": theirs,
        "clinician": user_with_role(Role.PARTNER_CLINICIAN, partner=ours),
        "other": user_with_role(Role.PARTNER_CLINICIAN, partner=theirs),
        "wpo": user_with_role(Role.WPO_CLINICIAN),
    }


def ingest(received: Any, sender: str = "Robin Example <robin@example.test>") -> InboundMessage:
    raw = EmailMessage()
    raw["From"] = sender
    raw["To"] = MAILBOX
    raw["Subject"] = "Could someone call me?"
    raw["Message-ID"] = f"<first-contact-{received:%d%H%M}@example.test>"
    raw.set_content("Hello, I would like to talk to someone about stress at work.\n")
    message = message_ingest(raw=raw.as_bytes(), now=received, source="smtp", rcpt_tos=[MAILBOX])
    assert message.status == Status.TRIAGE
    return message


CASE = {
    "c-case_type": "individual",
    "c-referral": "self",
    "c-presenting_issue": "Stress at work",
    "c-risk_level": "low",
    "c-risk_reason": "Poor sleep; no thoughts of harm",
}
REGISTER = {
    "register": "1",
    "p-full_name": "Robin Example",
    "p-access_line": "+44 800 555 0199",
    "p-email": "robin@example.test",
    "p-country": "GB",
    "p-email_consent": "on",
    "p-email_messages_ok": "on",
    **CASE,
}


def test_triage_offers_it_and_the_case_opens_when_the_email_arrived(
    world: dict[str, Any],
) -> None:
    received = NOW - timedelta(hours=3)
    message = ingest(received)
    client = as_user(world["clinician"])
    triage = client.get("/email/triage/").content.decode()
    start = (
        f"/cases/new/?from_email={message.pk}&amp;email=robin%40example.test"
        "&amp;name=Robin%20Example"
    )
    assert start in triage
    assert start.encode() in client.get(f"/email/triage/{message.pk}/").content

    page = client.get(start.replace("&amp;", "&"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="origin"' in html and "Robin Example" in html
    # Searched by the sender's address; registering keeps the email and the name.
    assert "0 participants found" in html
    assert f"register=1&amp;from_email={message.pk}" in html
    form = client.get(f"/cases/new/?register=1&from_email={message.pk}&email=robin%40example.test")
    assert b'value="robin@example.test"' in form.content
    assert f'name="from_email" value="{message.pk}"'.encode() in form.content

    response = client.post("/cases/new/", {**REGISTER, "from_email": message.pk})
    case = Case.objects.get(participant__full_name="Robin Example")
    assert (response.status_code, response["Location"]) == (302, f"/cases/{case.reference}/")
    message.refresh_from_db()
    assert (message.status, message.case, message.triaged_by) == (
        Status.LINKED,
        case,
        world["clinician"],
    )
    assert (case.opened_at, case.partner) == (received, world["ours"])
    assert Email.objects.get(case=case).received_at == received
    events = {e.type: e.at for e in CaseEvent.objects.filter(case=case)}
    assert events["email_received"] == received
    # The risk was screened now, not when the email arrived.
    assert events["risk_set"] == NOW
    assert case.participant.email == "robin@example.test"


def test_an_existing_participant_found_by_the_address_gets_the_case(
    world: dict[str, Any],
) -> None:
    person = ParticipantFactory(
        full_name="Robin Example",
        email="robin@example.test",
        client=world["client"],
        registered_by_partner=world["ours"],
    )
    message = ingest(NOW - timedelta(hours=1))
    client = as_user(world["clinician"])
    html = client.get(
        f"/cases/new/?from_email={message.pk}&email=robin%40example.test"
    ).content.decode()
    assert f"?participant={person.pk}&amp;from_email={message.pk}" in html
    response = client.post(
        "/cases/new/", {**CASE, "participant": person.pk, "from_email": message.pk}
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.case is not None and message.case.participant == person


def test_wpo_opens_it_at_the_partner_whose_mailbox_received_it(world: dict[str, Any]) -> None:
    message = ingest(NOW - timedelta(hours=2))
    response = as_user(world["wpo"]).post("/cases/new/", {**REGISTER, "from_email": message.pk})
    assert response.status_code == 302
    case = Case.objects.get(participant__full_name="Robin Example")
    # Not the routing table's Partner: the one the participant wrote to, and why.
    assert case.partner == world["ours"]
    assert "mailbox" in case.partner_reason


def test_the_deadlines_of_an_email_that_waited_ran_from_its_arrival(
    world: dict[str, Any],
) -> None:
    received = NOW - timedelta(days=7)
    message = ingest(received)
    response = as_user(world["clinician"]).post(
        "/cases/new/", {**REGISTER, "from_email": message.pk}
    )
    assert response.status_code == 302
    case = Case.objects.get(participant__full_name="Robin Example")
    assert case.opened_at == received
    email_rules = case.obligations.filter(rule__startswith="CM-EMAIL-")
    assert {o.status for o in email_rules} == {"overdue"}
    # Due a day after it arrived, not a day after the case was opened in the app.
    assert all(o.due_at is not None and o.due_at < NOW - timedelta(days=5) for o in email_rules)


def test_another_partners_email_or_one_filed_already_is_a_404(world: dict[str, Any]) -> None:
    message = ingest(NOW - timedelta(hours=1))
    other = as_user(world["other"])
    assert f"from_email={message.pk}".encode() not in other.get("/email/triage/").content
    assert other.get(f"/cases/new/?from_email={message.pk}").status_code == 404
    before = db_state()
    response = other.post("/cases/new/", {**REGISTER, "from_email": message.pk})
    assert response.status_code == 404
    assert db_state() == before
    client = as_user(world["clinician"])
    assert client.post("/cases/new/", {**REGISTER, "from_email": message.pk}).status_code == 302
    assert client.get(f"/cases/new/?from_email={message.pk}").status_code == 404
