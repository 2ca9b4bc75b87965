"""intake/services.py: storing, deduplicating, filing on a case with its CM-EMAIL-*
obligations, auto-replies and bounces, triage, and linking a triaged message later."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from eapcase.accounts.choices import Role
from eapcase.core.errors import Conflict, NotFound, PermissionDenied
from eapcase.intake.models import MAX_MESSAGE_BYTES, Attachment, InboundMessage
from eapcase.intake.services import MessageTooBig, message_ingest, triage_link
from eapcase.outreach.models import Email
from eapcase.outreach.services import email_receive
from tests.factories import (
    PartnerFactory,
    audit_of,
    db_state,
    events_of,
    obligation,
    obligations_of,
    open_case,
    user_with_role,
    utc,
)
from tests.intake.conftest import MAILBOX, World, eml

pytestmark = pytest.mark.django_db

RECEIVED = utc(2, 10)  # Mon 2 March 2026 10:00 UTC


def ingest(name: str, now: Any = RECEIVED, **kwargs: Any) -> InboundMessage:
    return message_ingest(raw=eml(name), now=now, source="smtp", rcpt_tos=[MAILBOX], **kwargs)


def test_a_participant_email_lands_on_its_case_with_its_deadlines(world: World) -> None:
    message = ingest("plain_participant.eml")
    email = Email.objects.get()
    assert (
        message.status,
        message.case_id,
        message.email_id,
        message.linked_by,
        message.sender_kind,
        message.partner_id,
        message.duplicate,
    ) == (
        "linked",
        world.case.pk,
        email.pk,
        "subject_token",
        "participant",
        world.partner.pk,
        False,
    )
    assert (email.sender_kind, email.from_address, email.subject, email.message_id) == (
        "participant",
        "alex.jones@example.test",
        "Re: [EAP-10001] My appointment next week",
        "<plain-1@mail.example.test>",
    )
    # The receipt, not the sender's Date header (09:58:41), starts the clocks.
    assert (email.received_at, message.received_at, message.sent_at) == (
        RECEIVED,
        RECEIVED,
        utc(2, 9, 58) + timedelta(seconds=41),
    )
    assert events_of(world.case) == [
        (1, "E1", "email_received", RECEIVED, "intake", {"from": "participant"})
    ]
    ack = obligation(world.case, "CM-EMAIL-ACK", "E1")
    action = obligation(world.case, "CM-EMAIL-ACTION", "E1")
    assert (ack.opened_at, ack.due_at, ack.status) == (RECEIVED, utc(3, 10), "open")
    assert (action.opened_at, action.due_at, action.status) == (RECEIVED, utc(3, 10), "open")
    assert audit_of(world.case)[-1] == ("email.received", "intake", "Email", {"events": ["E1"]})


def test_the_raw_message_is_kept_byte_for_byte(world: World) -> None:
    message = ingest("iso_8859_1.eml")
    stored = InboundMessage.objects.get(pk=message.pk)
    assert (bytes(stored.raw), stored.size, stored.source, stored.rcpt_tos) == (
        eml("iso_8859_1.eml"),
        len(eml("iso_8859_1.eml")),
        "smtp",
        [MAILBOX],
    )


def test_three_deliveries_of_one_message_give_one_email(world: World) -> None:
    first = ingest("duplicate_a.eml")
    before = db_state()
    second = ingest("duplicate_b.eml", now=utc(2, 10, 2))
    third = ingest("duplicate_a.eml", now=utc(2, 10, 5))
    assert db_state() == before
    assert (second.pk, third.pk, second.duplicate, third.duplicate) == (
        first.pk,
        first.pk,
        True,
        True,
    )
    assert (InboundMessage.objects.count(), Email.objects.count()) == (1, 1)


def test_a_message_without_message_id_is_deduplicated_by_its_bytes(world: World) -> None:
    first = ingest("malformed.eml")
    again = ingest("malformed.eml", now=utc(2, 11))
    assert (first.dedupe_key.startswith("sha256:"), again.pk, again.duplicate) == (
        True,
        first.pk,
        True,
    )


def test_a_plus_address_links_and_the_attachment_becomes_a_case_document(
    world: World,
) -> None:
    message = message_ingest(
        raw=eml("attachment_pdf.eml"),
        now=RECEIVED,
        source="smtp",
        rcpt_tos=["cases+EAP-10001@p-uk.example.test"],
    )
    assert (message.status, message.linked_by, message.case_id) == (
        "linked",
        "plus_address",
        world.case.pk,
    )
    (attachment,) = Attachment.objects.all()
    assert (
        attachment.message_id,
        attachment.case_id,
        attachment.filename,
        attachment.content_type,
        attachment.size,
    ) == (message.pk, world.case.pk, "referral letter.pdf", "application/pdf", 193)
    with attachment.file.open("rb") as f:
        assert f.read(8) == b"%PDF-1.4"
    assert attachment.file.name.startswith("intake/attachments/2026/")


def test_wpo_mail_is_received_as_from_wpo(world: World) -> None:
    ingest("forwarded_thread.eml")
    email = Email.objects.get()
    assert (email.sender_kind, email.from_address) == ("wpo", "sam.clinician@wpo.example.test")
    assert events_of(world.case)[0][5] == {"from": "wpo"}


def test_a_participant_is_linked_to_their_one_open_case(world: World) -> None:
    jamie = open_case(
        partner=world.partner,
        participant=type(world.participant).objects.create(
            full_name="Jamie Smith", email="Jamie.Smith@example.test", created_at=utc(1, 9)
        ),
    )
    message = ingest("html_only.eml")
    email = Email.objects.get()
    assert (message.linked_by, email.case_id, email.urgent) == ("sender_case", jamie.pk, True)
    assert events_of(jamie)[0][5] == {"from": "participant", "urgent": True}


def test_a_participant_with_two_open_cases_goes_to_triage(world: World) -> None:
    participant = type(world.participant).objects.create(
        full_name="Jamie Smith", email="jamie.smith@example.test", created_at=utc(1, 9)
    )
    open_case(partner=world.partner, participant=participant)
    open_case(partner=world.partner, participant=participant)
    message = ingest("html_only.eml")
    assert (message.status, message.triage_reason, message.case_id) == (
        "triage",
        "the sender has several open cases",
        None,
    )
    assert Email.objects.count() == 0


def test_an_auto_reply_is_stored_on_its_case_and_opens_nothing(world: World) -> None:
    before = obligations_of(world.case)
    message = ingest("auto_reply.eml")
    assert (message.status, message.automatic, message.case_id, message.email_id) == (
        "automatic",
        "auto_reply",
        world.case.pk,
        None,
    )
    assert (Email.objects.count(), obligations_of(world.case), events_of(world.case)) == (
        0,
        before,
        [],
    )


def test_a_bounce_is_stored_and_opens_nothing(world: World) -> None:
    message = message_ingest(
        raw=eml("bounce.eml"), now=RECEIVED, source="smtp", mail_from="", rcpt_tos=[MAILBOX]
    )
    assert (message.status, message.automatic, message.case_id, message.sender_kind) == (
        "automatic",
        "bounce",
        None,
        "unknown",
    )
    assert (Email.objects.count(), Attachment.objects.filter(message=message).count()) == (0, 2)


def test_a_malformed_message_is_kept_with_its_error_in_triage(world: World) -> None:
    message = ingest("malformed.eml")
    assert (message.status, message.triage_reason, message.parse_error, message.partner_id) == (
        "triage",
        "malformed message",
        "broken structure: MissingHeaderBodySeparatorDefect",
        world.partner.pk,
    )
    assert bytes(InboundMessage.objects.get().raw) == eml("malformed.eml")


def test_an_unknown_sender_without_reference_waits_in_triage_from_receipt(world: World) -> None:
    message = ingest("unknown_sender.eml")
    assert (
        message.status,
        message.sender_kind,
        message.triage_reason,
        message.urgent,
        message.received_at,
    ) == ("triage", "unknown", "no case reference", True, RECEIVED)


def test_an_unknown_sender_quoting_the_case_reference_writes_as_the_participant(
    world: World,
) -> None:
    raw = eml("plain_participant.eml").replace(
        b"alex.jones@example.test", b"alex.home@example.test"
    )
    message = message_ingest(raw=raw, now=RECEIVED, source="eml")
    assert (message.status, message.sender_kind, message.email.sender_kind) == (
        "linked",
        "unknown",
        "participant",
    )


def test_a_reference_to_another_partners_case_goes_to_triage_as_no_case(world: World) -> None:
    other = open_case(partner=PartnerFactory(code="p-ie"), reference="EAP-20002")
    raw = eml("plain_participant.eml").replace(b"EAP-10001", other.reference.encode())
    message = message_ingest(raw=raw, now=RECEIVED, source="eml")
    # The same reason as for a reference that exists nowhere (minimum necessary, ADR 0003).
    assert (message.status, message.triage_reason) == ("triage", "no case EAP-20002")


def test_a_reference_to_no_case_goes_to_triage(world: World) -> None:
    raw = eml("plain_participant.eml").replace(b"EAP-10001", b"EAP-99999")
    assert message_ingest(raw=raw, now=RECEIVED, source="eml").triage_reason == "no case EAP-99999"


def test_a_provider_is_filed_without_the_email_rules(world: World) -> None:
    from tests.factories import ProviderFactory

    ProviderFactory(email="counsellor@practice.example.test")
    raw = eml("plain_participant.eml").replace(
        b"alex.jones@example.test", b"counsellor@practice.example.test"
    )
    message = message_ingest(raw=raw, now=RECEIVED, source="eml")
    assert (message.status, message.sender_kind, message.case_id, Email.objects.count()) == (
        "no_obligation",
        "provider",
        world.case.pk,
        0,
    )


def test_the_imap_servers_receipt_time_counts_when_earlier(world: World) -> None:
    message = ingest("plain_participant.eml", now=utc(2, 10, 30), server_received_at=RECEIVED)
    assert (message.received_at, message.ingested_at, message.email.received_at) == (
        RECEIVED,
        utc(2, 10, 30),
        RECEIVED,
    )
    later = ingest("duplicate_a.eml", now=RECEIVED, server_received_at=utc(2, 11))
    assert later.received_at == RECEIVED


def test_an_oversized_message_is_refused_and_nothing_is_stored(world: World) -> None:
    raw = eml("plain_participant.eml") + b"x" * MAX_MESSAGE_BYTES
    before = db_state()
    with pytest.raises(MessageTooBig):
        message_ingest(raw=raw, now=RECEIVED, source="smtp")
    assert (db_state(), InboundMessage.objects.count()) == (before, 0)


def test_a_message_the_case_refuses_is_kept_in_triage_with_the_reason(world: World) -> None:
    """An email of the same Message-ID already recorded (here by hand): the raw message is
    kept, and the refusal is the reason it waits in triage."""
    email_receive(
        actor=world.clinician,
        case=world.case,
        sender_kind="participant",
        now=utc(2, 9, 30),
        message_id="<plain-1@mail.example.test>",
    )
    message = ingest("plain_participant.eml")
    assert (message.status, message.case_id, message.email_id, message.triage_reason) == (
        "triage",
        None,
        None,
        "could not be filed: message_id: this message was already received",
    )


# --- triage ------------------------------------------------------------------------------------


def test_linking_from_triage_keeps_the_receipt_time(world: World) -> None:
    message = ingest("unknown_sender.eml")
    linked = triage_link(
        actor=world.clinician, message=message, case=world.case, now=utc(2, 13, 15)
    )
    email = Email.objects.get()
    assert (
        linked.status,
        linked.email_id,
        linked.linked_by,
        linked.linked_at,
        linked.triaged_by,
    ) == ("linked", email.pk, "triage", utc(2, 13, 15), world.clinician)
    assert (email.received_at, email.urgent, email.sender_kind) == (RECEIVED, True, "participant")
    ack = obligation(world.case, "CM-EMAIL-ACK", email.event_id)
    assert (ack.opened_at, ack.due_at) == (RECEIVED, RECEIVED + timedelta(hours=24))
    assert events_of(world.case) == [
        (
            1,
            "E1",
            "email_received",
            RECEIVED,
            world.clinician.username,
            {"from": "participant", "urgent": True},
        )
    ]
    assert audit_of(world.case)[-2:] == [
        ("email.received", world.clinician.username, "Email", {"events": ["E1"]}),
        (
            "intake.triage_linked",
            world.clinician.username,
            "InboundMessage",
            {"status": "linked"},
        ),
    ]


def test_a_malformed_message_can_be_linked_and_its_clocks_run_from_receipt(world: World) -> None:
    message = ingest("malformed.eml")
    triage_link(actor=world.clinician, message=message, case=world.case, now=utc(2, 12))
    assert Email.objects.get().received_at == RECEIVED


def test_a_message_is_linked_once(world: World) -> None:
    message = ingest("unknown_sender.eml")
    triage_link(actor=world.clinician, message=message, case=world.case, now=utc(2, 11))
    before = db_state()
    with pytest.raises(Conflict):
        triage_link(actor=world.clinician, message=message, case=world.case, now=utc(2, 12))
    assert db_state() == before


def test_a_message_is_not_linked_to_another_partners_case(world: World) -> None:
    message = ingest("unknown_sender.eml")
    other = open_case(partner=PartnerFactory(code="p-ie"))
    wpo = user_with_role(Role.WPO_CLINICIAN)
    with pytest.raises(NotFound) as raised:
        triage_link(actor=wpo, message=message, case=other, now=utc(2, 11))
    assert (raised.value.field, raised.value.message) == ("case", "No such case.")
    assert InboundMessage.objects.get().status == "triage"


def test_only_who_may_manage_the_case_links(world: World) -> None:
    message = ingest("unknown_sender.eml")
    admin = user_with_role(Role.PARTNER_ADMIN, partner=world.partner)
    with pytest.raises(PermissionDenied):
        triage_link(actor=admin, message=message, case=world.case, now=utc(2, 11))


def test_a_case_opened_after_the_message_arrived_runs_from_its_opening(world: World) -> None:
    """A case's history starts when it opens: the clocks cannot start before that."""
    message = ingest("unknown_sender.eml")
    new = open_case(partner=world.partner, now=utc(2, 12))
    triage_link(actor=world.clinician, message=message, case=new, now=utc(2, 12, 5))
    assert Email.objects.get().received_at == utc(2, 12)


def test_nul_characters_are_dropped_from_the_text_columns(world: World) -> None:
    raw = eml("unknown_sender.eml").replace(b"Please call me", b"Please\x00 call me")
    message = message_ingest(raw=raw, now=RECEIVED, source="eml")
    assert "Please call me" in InboundMessage.objects.get(pk=message.pk).body
    assert bytes(InboundMessage.objects.get(pk=message.pk).raw) == raw
