"""Outbound email over real SMTP: an aiosmtpd server on 127.0.0.1 receives what Django's SMTP
backend sends (not the locmem backend) when the worker runs the keyed delivery the write
claimed (ADR 0031)."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from django.db import transaction

from eapcase.accounts.choices import Role
from eapcase.cases.services import escalation_raise
from eapcase.compliance.worker import Worker
from eapcase.core.errors import ServiceError
from eapcase.core.mail import subject_tag
from eapcase.notifications.models import Delivery
from eapcase.notifications.sending import LEASE, delivery_status
from eapcase.notifications.services import deliveries_requeue
from eapcase.outreach.messages import access_line_for, reply_subject
from eapcase.outreach.models import ContactAttempt, MailTemplate, OutboundMessage
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
from tests.mailserver import Inbox, free_port, smtp_server

pytestmark = pytest.mark.django_db

ORIGINAL_ID = "<question-1@mail.example.test>"
CLINICAL = "I have been feeling low and my medication"


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    with smtp_server(settings) as inbox:
        yield inbox


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


def _run_jobs() -> int:
    """The worker's queued jobs, as `eapcase worker` runs them (without the sweep)."""
    return Worker(say=lambda _: None).run_jobs()


# --- acknowledgement ---------------------------------------------------------------------------


def test_acknowledging_a_participants_email_replies_in_its_thread(smtp: Inbox) -> None:
    case = _case()
    email = _email(case)
    email_acknowledge(actor=clinician_of(case), email=email, now=MONDAY)
    row = OutboundMessage.objects.get()
    assert delivery_status(row.delivery) == "queued"
    assert smtp.received == []  # the worker sends it, not the request

    assert _run_jobs() == 1
    [(recipients, message)] = smtp.received
    assert recipients == [case.participant.email]
    assert message["Subject"] == f"Re: Need to talk [{case.reference}]"
    assert message["In-Reply-To"] == ORIGINAL_ID
    assert message["References"] == ORIGINAL_ID
    assert message["Message-ID"] == row.message_id == row.delivery.message_id
    assert message["From"] == case.partner.email
    assert (
        message["X-Eapcase-Key"]
        == f"{case.reference}/MAIL-ACKNOWLEDGEMENT/{email.event_id}/participant-mail"
    )
    body = _body(message)
    assert case.reference in body
    assert "0800 111 2222" in body
    assert CLINICAL not in body
    assert (row.kind, row.to, row.in_reply_to, row.event_id) == (
        "acknowledgement",
        case.participant.email,
        ORIGINAL_ID,
        email.event_id,
    )
    row.delivery.refresh_from_db()
    assert (delivery_status(row.delivery), row.delivery.attempts) == ("sent", 1)
    assert _run_jobs() == 0  # sent once
    assert len(smtp.received) == 1


def test_no_acknowledgement_to_an_email_from_wpo(smtp: Inbox) -> None:
    case = _case()
    email = _email(case, sender_kind="wpo", from_address="cases@wpo.example.test")
    email_acknowledge(actor=clinician_of(case), email=email, now=MONDAY)
    _run_jobs()
    assert smtp.received == []
    assert OutboundMessage.objects.count() == 0


def test_no_acknowledgement_mail_to_a_participant_who_refused_email_messages(
    smtp: Inbox,
) -> None:
    case = _case(email_messages_ok=False)
    email = _email(case)
    acknowledged = email_acknowledge(actor=clinician_of(case), email=email, now=MONDAY)
    _run_jobs()
    assert acknowledged.acknowledged_at == MONDAY  # the acknowledgement is recorded
    assert smtp.received == []
    assert (OutboundMessage.objects.count(), Delivery.objects.count()) == (0, 0)


def test_the_client_organisations_template_is_used(smtp: Inbox) -> None:
    case = _case(preferred_name="Sam")
    MailTemplate.objects.create(
        client=case.participant.client,
        kind="acknowledgement",
        subject="We have your message",
        body="Dear {{ preferred_name }}, call {{ access_line_number }}. {{ partner_name }}",
    )
    email_acknowledge(actor=clinician_of(case), email=_email(case), now=MONDAY)
    _run_jobs()
    [(_recipients, message)] = smtp.received
    assert message["Subject"] == f"We have your message [{case.reference}]"
    assert _body(message).strip() == f"Dear Sam, call 0800 111 2222. {case.partner.name}"


def test_nothing_is_sent_when_the_transaction_rolls_back(smtp: Inbox) -> None:
    case = _case()
    email = _email(case)
    with pytest.raises(RuntimeError), transaction.atomic():
        email_acknowledge(actor=clinician_of(case), email=email, now=MONDAY)
        raise RuntimeError("the request failed after the service")
    assert _run_jobs() == 0
    assert smtp.received == []
    assert (OutboundMessage.objects.count(), Delivery.objects.count()) == (0, 0)


def test_a_failure_to_send_is_recorded_and_the_worker_retries(smtp: Inbox, settings: Any) -> None:
    listening = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nobody listens
    settings.EMAIL_TIMEOUT = 2
    case = _case()
    email = _email(case)
    email_acknowledge(actor=clinician_of(case), email=email, now=MONDAY)
    assert email.__class__.objects.get(pk=email.pk).acknowledged_at == MONDAY
    _run_jobs()
    delivery = OutboundMessage.objects.get().delivery
    delivery.refresh_from_db()
    assert (delivery_status(delivery), delivery.attempts) == ("failed", 1)
    assert delivery.last_error.startswith("ConnectionRefusedError")

    settings.EMAIL_PORT = listening  # the mail server is back
    later = delivery.enqueued_at + LEASE * 2
    assert deliveries_requeue(now=later) == 1
    _run_jobs()
    delivery.refresh_from_db()
    assert (delivery_status(delivery), delivery.attempts, delivery.last_error) == ("sent", 2, "")
    assert len(smtp.received) == 1


# --- detailed message after an unsuccessful attempt --------------------------------------------


def test_detailed_email_records_the_attempt_and_sends_the_access_line(smtp: Inbox) -> None:
    case = _case()
    attempt = detailed_email_send(actor=clinician_of(case), case=case, now=MONDAY, summary=CLINICAL)
    assert smtp.received == []
    assert _run_jobs() == 1

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
    row = OutboundMessage.objects.get()
    assert row.event_id == attempt.event_id
    assert message["Message-ID"] == row.message_id
    assert (
        message["X-Eapcase-Key"]
        == f"{case.reference}/MAIL-DETAILED/{attempt.event_id}/participant-mail"
    )


def test_no_detailed_email_to_a_participant_who_refused_email_messages(smtp: Inbox) -> None:
    case = _case(email_messages_ok=False)
    actor = clinician_of(case)
    before = db_state()
    with pytest.raises(ServiceError) as exc:
        detailed_email_send(actor=actor, case=case, now=MONDAY)
    assert str(exc.value).startswith("CM-MESSAGE-CONSENT: ")
    assert _run_jobs() == 0
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
