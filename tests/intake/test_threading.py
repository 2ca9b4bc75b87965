"""Threading (ADR 0032): a reply is linked to its case by the Message-ID of the mail we sent
(In-Reply-To, then References) before the subject token, the plus-address and the sender's
open case. The mail answered was sent over real SMTP (aiosmtpd on 127.0.0.1) by the worker."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest

from eapcase.compliance.worker import Worker
from eapcase.intake.services import message_ingest
from eapcase.notifications.models import Delivery
from eapcase.outreach.models import Email, OutboundMessage
from eapcase.outreach.services import email_acknowledge, email_receive
from tests.factories import PartnerFactory, open_case, utc
from tests.intake.conftest import MAILBOX, World
from tests.mailserver import Inbox, smtp_server

pytestmark = pytest.mark.django_db

SENT = utc(2, 10)
REPLIED = utc(2, 12)


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    with smtp_server(settings) as inbox:
        yield inbox


def _reply(*, subject: str, in_reply_to: str = "", references: str = "", message_id: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Alex Jones <alex.jones@example.test>"
    message["To"] = MAILBOX
    message["Subject"] = subject
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    message.set_content("Thanks, Tuesday afternoon suits me.")
    return message.as_bytes()


def _acknowledged(world: World, case: Any, smtp: Inbox) -> Any:
    """A participant's email on `case`, acknowledged; the reply sent by the worker."""
    email = email_receive(
        actor=world.clinician,
        case=case,
        sender_kind="participant",
        from_address=world.participant.email,
        subject="A question",
        message_id=f"<question-{case.pk}@example.test>",
        now=SENT,
    )
    email_acknowledge(actor=world.clinician, email=email, now=SENT)
    Worker(say=lambda _: None).run_jobs()
    return smtp.received[-1][1]


def test_a_reply_with_in_reply_to_lands_on_its_case_before_the_subject_token(
    world: World, smtp: Inbox
) -> None:
    # Alex has a second open case: by sender alone the reply would wait in triage.
    second = open_case(partner=world.partner, participant=world.participant)
    sent = _acknowledged(world, second, smtp)
    assert sent["Message-ID"] == OutboundMessage.objects.get(case=second).message_id

    # The subject names the first case (a pasted reference): the thread wins.
    raw = _reply(
        subject=f"Re: a question [{world.case.reference}]",
        in_reply_to=sent["Message-ID"],
        message_id="<reply-1@example.test>",
    )
    message = message_ingest(raw=raw, now=REPLIED, source="smtp", rcpt_tos=[MAILBOX])
    assert (message.status, message.linked_by, message.case_id) == ("linked", "thread", second.pk)
    assert Email.objects.get(message_id="<reply-1@example.test>").case_id == second.pk


def test_references_thread_a_reply_whose_in_reply_to_is_not_ours(world: World, smtp: Inbox) -> None:
    second = open_case(partner=world.partner, participant=world.participant)
    sent = _acknowledged(world, second, smtp)
    raw = _reply(
        subject="Re: edited subject, no tag",
        in_reply_to="<someone-elses@example.test>",
        references=f"<question-{second.pk}@example.test> {sent['Message-ID']}",
        message_id="<reply-2@example.test>",
    )
    message = message_ingest(raw=raw, now=REPLIED, source="smtp", rcpt_tos=[MAILBOX])
    assert (message.linked_by, message.case_id) == ("thread", second.pk)


def test_a_thread_to_another_partners_case_is_passed_over(world: World, smtp: Inbox) -> None:
    other = open_case(partner=PartnerFactory(code="p-ie"), participant=world.participant)
    sent = _acknowledged(world, other, smtp)
    raw = _reply(
        subject="Re: a question",
        in_reply_to=sent["Message-ID"],
        message_id="<reply-3@example.test>",
    )
    # Delivered to P-UK's mailbox: P-UK's own case of the sender is found instead.
    message = message_ingest(raw=raw, now=REPLIED, source="smtp", rcpt_tos=[MAILBOX])
    assert (message.linked_by, message.case_id) == ("sender_case", world.case.pk)


def test_replies_to_any_delivery_are_threaded(world: World) -> None:
    """WPO answering an escalation mail (a delivery of the notifications app) is threaded."""
    from eapcase.cases.services import escalation_raise

    escalation = escalation_raise(
        actor=world.clinician, case=world.case, reason="risk", summary="x", now=SENT
    )
    delivery = Delivery.objects.get(escalation=escalation)
    raw = _reply(
        subject="Re: Case escalated",
        in_reply_to=delivery.message_id,
        message_id="<reply-4@example.test>",
    ).replace(b"alex.jones@example.test", b"sam@wpo.example.test")
    message = message_ingest(raw=raw, now=REPLIED, source="smtp", rcpt_tos=[MAILBOX])
    assert (message.sender_kind, message.linked_by, message.case_id) == (
        "wpo",
        "thread",
        world.case.pk,
    )
