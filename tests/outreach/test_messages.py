"""Outbound email over real SMTP: an aiosmtpd server on 127.0.0.1 receives what Django's SMTP
backend sends after the write commits (not the locmem backend)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction

from eapcase.accounts.choices import Role
from eapcase.cases.services import escalation_raise
from eapcase.core.errors import ServiceError
from eapcase.core.mail import subject_tag
from eapcase.outreach.messages import access_line_for, reply_subject
from eapcase.outreach.models import ContactAttempt, OutboundMessage
from eapcase.outreach.services import detailed_email_send, email_acknowledge, email_receive
from tests.factories import (
    MONDAY,
    AccessLineFactory,
    ClientOrganisationFactory,
    OperatorFactory,
    ParticipantFactory,
    clinician_of,
    db_state,
    open_case,
    user_with_role,
    utc,
)

pytestmark = pytest.mark.django_db

ORIGINAL_ID = "<question-1@mail.example.test>"
CLINICAL = "I have been feeling low and my medication"


class Inbox:
    """aiosmtpd handler: keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "eapcase@eap.example.test"
    try:
        yield inbox
    finally:
        controller.stop()


def _case(**participant: Any) -> Any:
    client = ClientOrganisationFactory(name="Acme")
    AccessLineFactory(client=client, country="GB", number="0800 111 2222")
    return open_case(participant=ParticipantFactory(client=client, **participant))


def _email(case: Any, **kwargs: Any) -> Any:
    fields = {
        "sender_kind": "participant",
        "from_address": case.participant.email,
        "subject": "Need to talk",
        "body": CLINICAL,
        "message_id": ORIGINAL_ID,
        **kwargs,
    }
    return email_receive(actor=clinician_of(case), case=case, now=MONDAY, **fields)


def _body(message: EmailMessage) -> str:
    return message.get_content()  # type: ignore[no-any-return]


# --- acknowledgement ---------------------------------------------------------------------------


def test_acknowledging_a_participants_email_replies_in_its_thread(
    smtp: Inbox, django_capture_on_commit_callbacks: Any
) -> None:
    case = _case()
    email = _email(case)
    with django_capture_on_commit_callbacks(execute=True):
        email_acknowledge(actor=clinician_of(case), email=email, now=MONDAY)

    [(recipients, message)] = smtp.received
    row = OutboundMessage.objects.get()
    assert recipients == [case.participant.email]
    assert message["Subject"] == f"Re: Need to talk [{case.reference}]"
    assert message["In-Reply-To"] == ORIGINAL_ID
    assert message["References"] == ORIGINAL_ID
    assert message["Message-ID"] == row.message_id
    assert message["From"] == case.partner.email
    body = _body(message)
    assert case.reference in body
    assert "0800 111 2222" in body
    assert CLINICAL not in body
    assert (row.kind, row.to, row.in_reply_to, row.error, row.event_id) == (
        "acknowledgement",
        case.participant.email,
        ORIGINAL_ID,
        "",
        email.event_id,
    )
    assert row.sent_at is not None


def test_no_acknowledgement_to_an_email_from_wpo(
    smtp: Inbox, django_capture_on_commit_callbacks: Any
) -> None:
    case = _case()
    email = _email(case, sender_kind="wpo", from_address="cases@wpo.example.test")
    with django_capture_on_commit_callbacks(execute=True):
        email_acknowledge(actor=clinician_of(case), email=email, now=MONDAY)
    assert smtp.received == []
    assert OutboundMessage.objects.count() == 0


def test_nothing_is_sent_when_the_transaction_rolls_back(
    smtp: Inbox, django_capture_on_commit_callbacks: Any
) -> None:
    case = _case()
    email = _email(case)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        email_acknowledge(actor=clinician_of(case), email=email, now=MONDAY)
        raise RuntimeError("the request failed after the service")
    assert callbacks == []
    assert smtp.received == []
    assert OutboundMessage.objects.count() == 0


def test_a_failure_to_send_is_recorded_not_raised(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _free_port()  # nobody listens
    settings.EMAIL_TIMEOUT = 2
    case = _case()
    email = _email(case)
    with django_capture_on_commit_callbacks(execute=True):
        email_acknowledge(actor=clinician_of(case), email=email, now=MONDAY)
    row = OutboundMessage.objects.get()
    assert row.sent_at is None
    assert row.error != ""
    assert email.__class__.objects.get(pk=email.pk).acknowledged_at == MONDAY


# --- detailed message after an unsuccessful attempt --------------------------------------------


def test_detailed_email_records_the_attempt_and_sends_the_access_line(
    smtp: Inbox, django_capture_on_commit_callbacks: Any
) -> None:
    case = _case()
    with django_capture_on_commit_callbacks(execute=True):
        attempt = detailed_email_send(
            actor=clinician_of(case), case=case, now=MONDAY, summary=CLINICAL
        )

    [(recipients, message)] = smtp.received
    assert (attempt.channel, attempt.outcome, attempt.message, attempt.summary) == (
        "email",
        "not_reached",
        "detailed",
        CLINICAL,
    )
    assert recipients == [case.participant.email]
    assert message["Subject"] == f"We tried to contact you [{case.reference}]"
    assert message["In-Reply-To"] is None
    body = _body(message)
    assert "the Acme Employee Assistance Programme line on 0800 111 2222" in body
    assert case.reference in body
    assert CLINICAL not in body
    assert OutboundMessage.objects.get().event_id == attempt.event_id


def test_no_detailed_email_to_a_participant_who_refused_email_messages(
    smtp: Inbox, django_capture_on_commit_callbacks: Any
) -> None:
    case = _case(email_messages_ok=False)
    actor = clinician_of(case)
    before = db_state()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ServiceError) as exc:
        detailed_email_send(actor=actor, case=case, now=MONDAY)
    assert str(exc.value).startswith("CM-MESSAGE-CONSENT: ")
    assert smtp.received == []
    assert db_state() == before
    assert OutboundMessage.objects.count() == 0


def test_no_detailed_email_without_an_address(smtp: Inbox) -> None:
    case = _case(email="")
    with pytest.raises(ServiceError) as exc:
        detailed_email_send(actor=clinician_of(case), case=case, now=MONDAY)
    assert (exc.value.field, exc.value.message) == ("email", "the participant has no email address")
    assert ContactAttempt.objects.count() == 0


def test_no_detailed_email_without_an_access_line(smtp: Inbox) -> None:
    case = open_case(participant=ParticipantFactory(country="FR"))
    case.partner.country = "FR"
    case.partner.save()
    with pytest.raises(ServiceError) as exc:
        detailed_email_send(actor=clinician_of(case), case=case, now=MONDAY)
    assert exc.value.field == "access_line"


def test_access_line_of_the_participants_country_else_the_partners() -> None:
    client = ClientOrganisationFactory()
    gb = AccessLineFactory(client=client, country="GB", number="0800 1")
    ie = AccessLineFactory(client=client, country="IE", number="1800 2")
    irish = open_case(participant=ParticipantFactory(client=client, country="IE"))
    french = open_case(participant=ParticipantFactory(client=client, country="FR"))
    assert access_line_for(irish) == ie
    assert access_line_for(french) == gb  # the Partner is in GB


# --- escalation to WPO -------------------------------------------------------------------------


def test_escalation_notifies_wpo_with_the_case_reference_only(smtp: Inbox) -> None:
    from eapcase.notifications.sending import delivery_send_now as delivery_send

    OperatorFactory(escalation_email="escalations@wpo.example.test")
    case = _case()
    escalation = escalation_raise(
        actor=clinician_of(case), case=case, reason="risk", summary=CLINICAL, now=MONDAY
    )
    delivery = escalation.deliveries.get()  # claimed in the escalating transaction
    assert delivery_send(delivery_id=delivery.pk, now=MONDAY) is True
    [(recipients, message)] = smtp.received
    body = _body(message)
    assert recipients == ["escalations@wpo.example.test"]
    assert message["Subject"] == f"Case escalated to WPO [{case.reference}]"
    assert message["X-Eapcase-Key"] == f"{case.reference}/WPO-ESCALATION/E1/escalation"
    assert case.reference in body
    assert CLINICAL not in body
    assert case.participant.full_name not in body
    assert case.participant.email not in body
    assert "risk" not in body.lower()


def test_escalation_without_an_operator_sends_no_mail(smtp: Inbox) -> None:
    case = _case()
    escalation = escalation_raise(
        actor=user_with_role(Role.WPO_CLINICIAN),
        case=case,
        reason="other",
        summary="FYI",
        now=utc(2, 10),
    )
    delivery = escalation.deliveries.get()
    assert (delivery.recipients, delivery.sent_at) == ([], utc(2, 10))
    assert smtp.received == []


# --- subjects ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "reference", "expected"),
    [
        ("Need to talk", "EAP-10001", "Re: Need to talk [EAP-10001]"),
        ("RE: Re: Need to talk [EAP-10001]", "EAP-10001", "Re: Need to talk [EAP-10001]"),
        ("", "C3", "Re: your email [EAP-C3]"),
        ("two\r\nlines", "C3", "Re: two lines [EAP-C3]"),
    ],
)
def test_reply_subject(subject: str, reference: str, expected: str) -> None:
    assert reply_subject(subject, reference) == expected


def test_subject_tag_does_not_double_the_prefix() -> None:
    assert (subject_tag("EAP-10001"), subject_tag("C3")) == ("[EAP-10001]", "[EAP-C3]")
