"""Mail to the participant from the case pages (ADR 0031): the previews show exactly what is
sent, sending records the event with a keyed delivery the worker sends over real SMTP
(aiosmtpd on 127.0.0.1), and the case's timeline shows each email with its status, and each
received one with its attachments (downloaded through the checked view)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from eapcase.accounts.choices import Role
from eapcase.compliance.worker import Worker
from eapcase.intake.services import message_ingest
from eapcase.notifications.models import Delivery
from eapcase.outreach.models import ContactAttempt, Email, MailTemplate, OutboundMessage
from eapcase.outreach.services import email_receive
from tests.factories import (
    AccessLineFactory,
    ClientOrganisationFactory,
    ParticipantFactory,
    PartnerFactory,
    db_state,
    open_case,
    user_with_role,
    utc,
)
from tests.mailserver import Inbox, free_port, smtp_server

pytestmark = pytest.mark.django_db

NOW = utc(2, 12)
CLINICAL = "Low mood since the bereavement"


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    with smtp_server(settings) as inbox:
        yield inbox


class World:
    def __init__(self, **participant: Any) -> None:
        self.partner = PartnerFactory(email="cases@partner.example.test")
        self.client_org = ClientOrganisationFactory(name="Acme Ltd")
        AccessLineFactory(client=self.client_org, country="GB", number="0800 123 4567")
        self.clinician = user_with_role(Role.PARTNER_CLINICIAN, partner=self.partner)
        fields = {"preferred_name": "Sam", "email": "sam.p@example.test", **participant}
        self.case = open_case(
            actor=self.clinician,
            partner=self.partner,
            participant=ParticipantFactory(client=self.client_org, **fields),
            now=utc(2, 9),
        )

    def url(self, name: str, pk: int | None = None) -> str:
        kwargs: dict[str, Any] = {"ref": self.case.reference}
        if pk is not None:
            kwargs["pk"] = pk
        return reverse(f"cases:{name}", kwargs=kwargs)

    def email(self, **kwargs: Any) -> Email:
        fields = {
            "sender_kind": "participant",
            "from_address": "sam.p@example.test",
            "subject": "Need to talk",
            "body": CLINICAL,
            "message_id": "<q-1@example.test>",
            **kwargs,
        }
        return email_receive(actor=self.clinician, case=self.case, now=utc(2, 10), **fields)


def _run_jobs() -> int:
    return Worker(say=lambda _: None).run_jobs()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _timeline(client: Any, world: World) -> str:
    page = client.get(world.url("detail")).content.decode()
    return page[page.index('id="timeline-title"') :]


def test_the_acknowledgement_preview_is_what_is_sent(client: Any, smtp: Inbox) -> None:
    world = World()
    MailTemplate.objects.create(
        client=world.client_org,
        kind="acknowledgement",
        subject="Thanks, {{ preferred_name }}",
        body="Hello {{ preferred_name }}, call {{ access_line }}. {{ partner_name }}",
    )
    email = world.email()
    client.force_login(world.clinician)
    page = client.get(world.url("email-acknowledge", email.pk)).content.decode()
    assert "The reply that will be sent" in page
    assert "Acknowledge and send the reply" in page
    body = "Hello Sam, call the Acme Ltd Employee Assistance Programme line on 0800 123 4567"
    assert body in page
    subject = f"Thanks, Sam [{world.case.reference}]"
    assert subject in page

    response = client.post(world.url("email-acknowledge", email.pk), {})
    assert response.status_code == 302
    row = OutboundMessage.objects.get()
    assert (row.subject, row.status, row.event_id) == (subject, "queued", email.event_id)
    assert Email.objects.get(pk=email.pk).acknowledged_at == NOW
    assert "Email queued" in _text(_timeline(client, world))

    assert _run_jobs() == 1
    [(_to, message)] = smtp.received
    assert message["Subject"] == subject
    assert message.get_content().startswith(body)
    assert CLINICAL not in message.get_content()
    timeline = _text(_timeline(client, world))
    assert "Email sent" in timeline and "Sent" in timeline
    assert f"Reply acknowledging the participant's email to sam.p@example.test: {subject}" in (
        timeline
    )


def test_no_reply_is_previewed_for_an_email_from_wpo(client: Any) -> None:
    world = World()
    email = world.email(sender_kind="wpo", from_address="desk@wpo.example.test")
    client.force_login(world.clinician)
    page = client.get(world.url("email-acknowledge", email.pk)).content.decode()
    assert "No reply is sent to an email from WPO." in page
    client.post(world.url("email-acknowledge", email.pk), {})
    assert (OutboundMessage.objects.count(), Delivery.objects.count()) == (0, 0)


def test_the_detailed_message_page_previews_records_and_sends(client: Any, smtp: Inbox) -> None:
    world = World()
    client.force_login(world.clinician)
    page = _text(client.get(world.url("detailed-email")).content.decode())
    assert "Please call the Acme Ltd Employee Assistance Programme line on 0800 123 4567" in page
    assert f"We tried to contact you [{world.case.reference}]" in page
    assert "Hello Sam," in page

    response = client.post(world.url("detailed-email"), {"summary": CLINICAL, "at": ""})
    assert response.status_code == 302
    attempt = ContactAttempt.objects.get()
    assert (attempt.channel, attempt.outcome, attempt.message, attempt.summary) == (
        "email",
        "not_reached",
        "detailed",
        CLINICAL,
    )
    assert OutboundMessage.objects.get().event_id == attempt.event_id
    _run_jobs()
    [(recipients, message)] = smtp.received
    assert recipients == ["sam.p@example.test"]
    assert CLINICAL not in message.get_content()
    assert "Detailed message to the participant" in _text(_timeline(client, world))


def test_the_detailed_message_is_refused_where_the_participant_refused_email_messages(
    client: Any, smtp: Inbox
) -> None:
    world = World(email_messages_ok=False)
    client.force_login(world.clinician)
    page = _text(client.get(world.url("detailed-email")).content.decode())
    assert "Nothing can be sent: the participant does not accept email messages." in page
    before = db_state()
    response = client.post(world.url("detailed-email"), {"summary": "", "at": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["summary"]
    assert db_state() == before
    _run_jobs()
    assert smtp.received == []


def test_a_failed_delivery_shows_on_the_case_with_its_attempts(client: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nobody listens
    settings.EMAIL_TIMEOUT = 2
    world = World()
    email = world.email()
    client.force_login(world.clinician)
    client.post(world.url("email-acknowledge", email.pk), {})
    _run_jobs()
    timeline = _text(_timeline(client, world))
    assert "Email not sent yet" in timeline
    assert "Failed attempt 1 failed; the worker tries again" in timeline


@pytest.mark.parametrize("name", ["detailed-email", "email-acknowledge"])
def test_another_partners_clinician_gets_404_and_nothing_is_sent(client: Any, name: str) -> None:
    world = World()
    email = world.email()
    client.force_login(user_with_role(Role.PARTNER_CLINICIAN, partner=PartnerFactory()))
    url = world.url(name, email.pk if name == "email-acknowledge" else None)
    before = db_state()
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404
    assert db_state() == before


def test_a_provider_may_not_send_from_the_case(client: Any) -> None:
    world = World()
    client.force_login(user_with_role(Role.PROVIDER))
    assert client.get(world.url("detailed-email")).status_code == 404


RAW_WITH_ATTACHMENT = b"""From: Sam P <sam.p@example.test>
To: cases@partner.example.test
Subject: Re: my form [REF]
Message-ID: <with-file@example.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

Form attached.
--b
Content-Type: application/pdf
Content-Disposition: attachment; filename="consent-form.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--b--
"""


def test_a_received_emails_attachments_are_listed_and_downloaded_after_the_check(
    client: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    world = World()
    raw = RAW_WITH_ATTACHMENT.replace(b"REF", world.case.reference.encode())
    message = message_ingest(raw=raw, now=NOW, source="eml")
    attachment = message.attachments.get()
    client.force_login(world.clinician)
    timeline = _timeline(client, world)
    link = f'href="/email/attachments/{attachment.pk}/"'
    assert link in timeline and "consent-form.pdf" in timeline
    assert client.get(f"/email/attachments/{attachment.pk}/").status_code == 200

    client.force_login(user_with_role(Role.PARTNER_CLINICIAN, partner=PartnerFactory()))
    assert client.get(f"/email/attachments/{attachment.pk}/").status_code == 404
    assert client.get(world.url("detail")).status_code == 404
