"""The email queue (/email/) and triage (/email/triage/) through HTTP: who sees what, the
order (rules.md "Email order"), times in the Partner's zone with the 24-hour countdown,
acknowledging and actioning from the queue, linking from triage, attachment downloads, and a
fixed number of SQL queries."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from eapcase.accounts.choices import Role
from eapcase.intake.models import Attachment, InboundMessage
from eapcase.intake.services import message_ingest
from eapcase.outreach.models import Email
from eapcase.outreach.services import email_receive
from tests.factories import (
    PartnerFactory,
    clinician_of,
    obligation,
    open_case,
    user_with_role,
    utc,
)
from tests.intake.conftest import MAILBOX, World, eml

pytestmark = pytest.mark.django_db

NOW = utc(2, 14)


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _message(response: Any) -> str:
    """The message the last request added (earlier ones wait in the session unread)."""
    return [str(m) for m in get_messages(response.wsgi_request)][-1]


def _receive(case: Any, at: Any, urgent: bool = False, subject: str = "") -> Email:
    return email_receive(
        actor=clinician_of(case),
        case=case,
        sender_kind="participant",
        now=at,
        urgent=urgent,
        subject=subject or f"at {at:%H:%M}",
    )


def _queue(response: Any) -> list[str]:
    return [row.email.subject for row in response.context["rows"]]


# --- the queue ---------------------------------------------------------------------------------


def test_urgent_first_then_oldest_first(world: World) -> None:
    _receive(world.case, utc(2, 10), subject="old")
    _receive(world.case, utc(2, 12), subject="new urgent", urgent=True)
    _receive(world.case, utc(2, 11), subject="middle")
    _receive(world.case, utc(2, 9, 30), subject="oldest urgent", urgent=True)
    response = client_for(world.clinician).get("/email/")
    assert response.status_code == 200
    assert _queue(response) == ["oldest urgent", "new urgent", "old", "middle"]


def test_a_row_shows_receipt_in_the_partners_zone_and_the_countdown(db: Any) -> None:
    berlin = PartnerFactory(code="p-de", timezone="Europe/Berlin", country="DE", subdivision="")
    case = open_case(partner=berlin)
    _receive(case, utc(2, 10), subject="Termin")
    response = client_for(clinician_of(case)).get("/email/")
    (row,) = response.context["rows"]
    assert (row.ack.due_at, row.ack.countdown, row.action.countdown, row.ack.overdue) == (
        utc(3, 10),
        "20 h 0 min left",
        "20 h 0 min left",
        False,
    )
    content = response.content.decode()
    assert "Mon 2 Mar 2026 11:00 CET" in content  # received 10:00 UTC
    assert "Tue 3 Mar 2026 11:00 CET" in content  # due 10:00 UTC
    assert "20 h 0 min left" in content


def test_an_overdue_email_says_by_how_much(world: World) -> None:
    _receive(world.case, utc(2, 9, 30))
    with time_machine.travel(utc(3, 11, 45), tick=False):
        response = client_for(world.clinician).get("/email/")
    (row,) = response.context["rows"]
    assert (row.ack.overdue, row.ack.countdown) == (True, "overdue by 2 h 15 min")


def test_acknowledging_then_actioning_from_the_queue(world: World) -> None:
    email = _receive(world.case, utc(2, 10), subject="Help")
    client = client_for(world.clinician)
    response = client.post(f"/email/{email.pk}/acknowledge/")
    assert (response.status_code, response["Location"]) == (302, "/email/")
    assert _message(response) == "Acknowledged the email on EAP-10001."
    email.refresh_from_db()
    assert email.acknowledged_at == NOW
    ack = obligation(world.case, "CM-EMAIL-ACK", email.event_id)
    assert (ack.status, ack.satisfied_at) == ("met", NOW)
    page = client.get("/email/")
    assert _queue(page) == ["Help"]  # still to be actioned
    assert b"Acknowledged" in page.content

    response = client.post(f"/email/{email.pk}/action/", {"summary": "Called back, booked"})
    assert _message(response) == "Actioned the email on EAP-10001."
    email.refresh_from_db()
    assert (email.actioned_at, email.action_summary) == (NOW, "Called back, booked")
    assert obligation(world.case, "CM-EMAIL-ACTION", email.event_id).status == "met"
    assert _queue(client.get("/email/")) == []


def test_acknowledging_twice_says_so(world: World) -> None:
    email = _receive(world.case, utc(2, 10))
    client = client_for(world.clinician)
    client.post(f"/email/{email.pk}/acknowledge/")
    response = client.post(f"/email/{email.pk}/acknowledge/")
    assert _message(response) == "Not acknowledged: the email is already acknowledged"


def test_actioning_needs_a_summary(world: World) -> None:
    email = _receive(world.case, utc(2, 10))
    response = client_for(world.clinician).post(f"/email/{email.pk}/action/", {"summary": " "})
    assert _message(response) == "Not actioned: say what was done."
    email.refresh_from_db()
    assert email.actioned_at is None


def test_other_partners_do_not_see_or_touch_the_email(world: World) -> None:
    email = _receive(world.case, utc(2, 10))
    stranger = clinician_of(open_case(partner=PartnerFactory(code="p-ie")))
    client = client_for(stranger)
    assert _queue(client.get("/email/")) == []
    assert client.post(f"/email/{email.pk}/acknowledge/").status_code == 404
    assert client.post(f"/email/{email.pk}/action/", {"summary": "x"}).status_code == 404


def test_wpo_sees_every_partners_email(world: World) -> None:
    _receive(world.case, utc(2, 10), subject="UK")
    _receive(open_case(partner=PartnerFactory(code="p-ie")), utc(2, 11), subject="IE")
    response = client_for(user_with_role(Role.WPO_CLINICIAN)).get("/email/")
    assert _queue(response) == ["UK", "IE"]


def test_a_partner_admin_sees_the_queue_but_may_not_acknowledge(world: World) -> None:
    email = _receive(world.case, utc(2, 10))
    client = client_for(user_with_role(Role.PARTNER_ADMIN, partner=world.partner))
    response = client.get("/email/")
    (row,) = response.context["rows"]
    assert (row.may_manage, b"Acknowledge</button>" in response.content) == (False, False)
    assert client.post(f"/email/{email.pk}/acknowledge/").status_code == 403


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.WPO_ADMIN])
def test_providers_and_wpo_admins_have_no_email_queue(world: World, role: str) -> None:
    user = user_with_role(role)
    email = _receive(world.case, utc(2, 10))
    message = _triaged()
    assert client_for(user).get("/email/").status_code == 403
    assert client_for(user).get("/email/triage/").status_code == 403
    assert client_for(user).get(f"/email/triage/{message.pk}/").status_code == 403
    assert client_for(user).post(f"/email/{email.pk}/acknowledge/").status_code == 404


def test_the_queue_needs_a_login(world: World) -> None:
    response = Client().get("/email/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/email/")


def test_the_queue_reads_a_constant_number_of_queries(
    world: World, django_assert_num_queries: Any
) -> None:
    _receive(world.case, utc(2, 10))
    client = client_for(world.clinician)
    client.get("/email/")  # the session is read and saved once
    with CaptureQueriesContext(connection) as one:
        client.get("/email/")
    for n in range(3):
        other = open_case(partner=world.partner)
        _receive(other, utc(2, 11, n), urgent=n == 1)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get("/email/")
    assert len(response.context["rows"]) == 4


# --- an email sent to the intake, acknowledged from the queue ----------------------------------


def test_a_received_message_is_acknowledged_from_the_queue(world: World) -> None:
    message = message_ingest(
        raw=eml("plain_participant.eml"), now=utc(2, 10), source="smtp", rcpt_tos=[MAILBOX]
    )
    client = client_for(world.clinician)
    page = client.get("/email/")
    assert _queue(page) == ["Re: [EAP-10001] My appointment next week"]
    # A participant's email is answered: the queue's button leads to the reply's preview.
    response = client.post(f"/email/{message.email_id}/acknowledge/")
    preview = f"/cases/EAP-10001/email/{message.email_id}/acknowledge/"
    assert (response.status_code, response["Location"]) == (302, preview)
    page = client.get(preview).content.decode()
    assert "The reply that will be sent" in page
    assert "Re: My appointment next week [EAP-10001]" in page
    client.post(preview)
    ack = obligation(world.case, "CM-EMAIL-ACK", message.email.event_id)
    assert (ack.opened_at, ack.due_at, ack.satisfied_at, ack.status) == (
        utc(2, 10),
        utc(3, 10),
        NOW,
        "met",
    )


# --- triage ------------------------------------------------------------------------------------


def _triaged(name: str = "unknown_sender.eml", at: Any = None) -> InboundMessage:
    return message_ingest(raw=eml(name), now=at or utc(2, 10), source="smtp", rcpt_tos=[MAILBOX])


def test_triage_lists_the_mailboxs_unlinked_mail_to_its_partner_and_wpo(world: World) -> None:
    PartnerFactory(code="p-ie", email="team@p-ie.example.test")
    waiting = _triaged()
    message_ingest(raw=eml("bounce.eml"), now=utc(2, 10), source="smtp", rcpt_tos=[MAILBOX])
    elsewhere = message_ingest(
        raw=eml("unknown_sender.eml").replace(b"unknown-13", b"unknown-14"),
        now=utc(2, 10),
        source="smtp",
        rcpt_tos=["team@p-ie.example.test"],
    )
    mine = client_for(world.clinician).get("/email/triage/")
    assert [m.pk for m in mine.context["messages_waiting"]] == [waiting.pk]
    assert [m.automatic for m in mine.context["automatic"]] == ["bounce"]
    assert b"Can someone call me?" in mine.content
    wpo = client_for(user_with_role(Role.WPO_CLINICIAN)).get("/email/triage/")
    assert [m.pk for m in wpo.context["messages_waiting"]] == [waiting.pk, elsewhere.pk]
    stranger = clinician_of(open_case(partner=PartnerFactory(code="p-fr")))
    assert client_for(stranger).get("/email/triage/").context["messages_waiting"] == []
    assert client_for(stranger).get(f"/email/triage/{waiting.pk}/").status_code == 404


def test_linking_from_triage_by_reference(world: World) -> None:
    message = _triaged()
    client = client_for(world.clinician)
    response = client.post(f"/email/triage/{message.pk}/link/", {"case_reference": " eap-10001 "})
    assert (response.status_code, response["Location"]) == (302, "/email/triage/")
    assert _message(response) == "Filed the message on EAP-10001."
    email = Email.objects.get()
    assert (email.case_id, email.received_at) == (world.case.pk, utc(2, 10))
    assert obligation(world.case, "CM-EMAIL-ACK", email.event_id).due_at == utc(3, 10)
    assert [r.email.pk for r in client.get("/email/").context["rows"]] == [email.pk]


def test_linking_to_an_unknown_or_invisible_case_is_refused(world: World) -> None:
    message = _triaged()
    other = open_case(partner=PartnerFactory(code="p-ie"))
    client = client_for(world.clinician)
    for reference in ("EAP-99999", other.reference):
        response = client.post(f"/email/triage/{message.pk}/link/", {"case_reference": reference})
        assert _message(response) == f"Not linked: no case {reference}."
    response = client.post(f"/email/triage/{message.pk}/link/", {"case_reference": ""})
    assert _message(response) == "Not linked: give a case reference."
    assert InboundMessage.objects.get().status == "triage"


def test_another_partners_case_answers_as_a_missing_one_even_to_who_sees_both(
    world: World,
) -> None:
    """A WPO clinician sees every case, yet filing P-UK's mail on P-IE's case gets the very
    answer a reference that exists nowhere gets: same status, same place, same words."""
    message = _triaged()
    other = open_case(partner=PartnerFactory(code="p-ie"), reference="EAP-20002")
    client = client_for(user_with_role(Role.WPO_CLINICIAN))
    answers = []
    for reference in ("EAP-20002", "EAP-20003"):
        response = client.post(f"/email/triage/{message.pk}/link/", {"case_reference": reference})
        answers.append(
            (response.status_code, response["Location"], _message(response).replace(reference, "#"))
        )
    assert answers == [(302, "/email/triage/", "Not linked: no case #.")] * 2
    assert other.reference == "EAP-20002"
    assert InboundMessage.objects.get().status == "triage"


def test_the_message_page_shows_the_body_and_attachments(world: World) -> None:
    raw = (
        eml("attachment_pdf.eml")
        .replace(b"cases+EAP-10001", b"cases")
        .replace(b"alex.jones@", b"someone@")
    )
    message = message_ingest(raw=raw, now=utc(2, 10), source="eml")
    assert message.status == "triage"
    response = client_for(world.clinician).get(f"/email/triage/{message.pk}/")
    assert response.status_code == 200
    assert b"referral letter.pdf" in response.content
    assert b"Please find my GP" in response.content
    assert b"Link to the case</button>" in response.content


def test_attachments_download_for_who_may_see_them(world: World) -> None:
    message_ingest(raw=eml("attachment_pdf.eml"), now=utc(2, 10), source="eml")
    attachment = Attachment.objects.get()
    response = client_for(world.clinician).get(f"/email/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == ('attachment; filename="referral letter.pdf"')
    assert b"".join(response.streaming_content).startswith(b"%PDF-1.4")
    stranger = clinician_of(open_case(partner=PartnerFactory(code="p-ie")))
    assert client_for(stranger).get(f"/email/attachments/{attachment.pk}/").status_code == 404


def test_triage_reads_a_constant_number_of_queries(
    world: World, django_assert_num_queries: Any
) -> None:
    _triaged()
    client = client_for(world.clinician)
    client.get("/email/triage/")
    with CaptureQueriesContext(connection) as one:
        client.get("/email/triage/")
    for n in range(3):
        raw = eml("unknown_sender.eml").replace(b"unknown-13", f"more-{n}".encode())
        message_ingest(raw=raw, now=utc(2, 11), source="smtp", rcpt_tos=[MAILBOX])
    message_ingest(raw=eml("auto_reply.eml"), now=utc(2, 11), source="smtp")
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get("/email/triage/")
    assert (len(response.context["messages_waiting"]), len(response.context["automatic"])) == (
        4,
        1,
    )
