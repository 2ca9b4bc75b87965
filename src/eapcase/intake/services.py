"""Writes of intake: storing an inbound message and filing it (on its case, with the CM-EMAIL-*
obligations opened through `outreach.services.email_receive`, or in triage), and linking a
triaged message to a case later.

Receipt time. The email rules run from receipt (rules CM-EMAIL-ACK, CM-EMAIL-ACTION,
CM-EMAIL-INFORM; domain background A33: the earlier of the mail server's receipt and ingestion,
never the time it is opened). The Date header is not used: the sender's client writes it, from
a clock that may be wrong, when the message is composed (hours before it is sent, for mail
written offline) and anyone can forge it, so it could start the clock earlier or later than
the mail arrived. It is kept (`sent_at`) and shown. Receipt is SMTP's end of DATA, IMAP's
INTERNALDATE (the server's receipt) when earlier than ingestion, and ingestion for .eml files."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from eapcase.audit.services import audit_record
from eapcase.cases.access import Action, may
from eapcase.cases.record import NamedActor
from eapcase.core.errors import Conflict, NotFound, PermissionDenied, ServiceError
from eapcase.core.files import WrittenFiles, removed_on_error
from eapcase.intake import linking, parsing
from eapcase.intake.choices import Automatic, LinkedBy, SenderKind, Source, Status
from eapcase.intake.models import MAX_MESSAGE_BYTES, Attachment, InboundMessage
from eapcase.outreach.choices import EmailFrom
from eapcase.outreach.services import email_receive

log = logging.getLogger(__name__)


# What intake files by itself is by the mailbox: named in the history and audit, no user.
INTAKE = NamedActor("intake")


class MessageTooBig(ServiceError):
    """The message is over MAX_MESSAGE_BYTES."""


def message_ingest(
    *,
    raw: bytes,
    now: datetime,
    source: str = Source.EML,
    mail_from: str | None = None,
    rcpt_tos: Sequence[str] = (),
    server_received_at: datetime | None = None,
) -> InboundMessage:
    """Store one delivered message and file it, in one transaction.

    A second delivery of the same Message-ID (or, without one, the same bytes) returns the
    first message with `duplicate` set and writes nothing. The raw message is stored before
    parsing and linking, which run in a savepoint: whatever goes wrong there, the message is
    kept and waits in triage with the reason."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise MessageTooBig(
            f"{len(raw)} bytes is over the limit of {MAX_MESSAGE_BYTES}", field="raw"
        )
    if source not in Source.values:
        raise ServiceError(f"must be one of {', '.join(Source.values)}", field="source")
    received_at = min(server_received_at, now) if server_received_at is not None else now
    digest = hashlib.sha256(raw).hexdigest()
    parsed = parsing.parse_message(raw, envelope_sender=mail_from)
    key = (parsed.message_id or f"sha256:{digest}")[:520]
    recipients = [*(r.lower() for r in rcpt_tos), *parsed.recipients]
    with removed_on_error() as written, transaction.atomic():
        existing = InboundMessage.objects.filter(dedupe_key=key).first()
        if existing is not None:
            existing.duplicate = True
            return existing
        try:
            with transaction.atomic():
                message = InboundMessage.objects.create(
                    source=source,
                    raw=raw,
                    size=len(raw),
                    sha256=digest,
                    dedupe_key=key,
                    message_id=parsed.message_id[:500],
                    mail_from=_text(mail_from or "")[:320],
                    rcpt_tos=[r.lower() for r in rcpt_tos],
                    partner=linking.mailbox_partner(recipients),
                    received_at=received_at,
                    ingested_at=now,
                    sent_at=parsed.date,
                    from_address=_text(parsed.from_address)[:320],
                    from_name=_text(parsed.from_name)[:200],
                    subject=_text(parsed.subject),
                    body=_text(parsed.body),
                    urgent=parsed.urgent,
                    automatic=parsed.automatic,
                    parse_error=_text(parsed.error),
                    status=Status.TRIAGE,
                    triage_reason="not filed yet",
                )
        except IntegrityError:
            # Another delivery of the same message committed first.
            existing = InboundMessage.objects.get(dedupe_key=key)
            existing.duplicate = True
            return existing
        _attachments_store(message, parsed, written)
        try:
            with transaction.atomic():
                _file(message, parsed, recipients=recipients, now=now)
        except Exception as exc:
            # Kept for a person to look at: a refused or failed filing never loses mail.
            if not isinstance(exc, ServiceError):
                log.exception("inbound message %s could not be filed", message.pk)
            reason = f"could not be filed: {exc}"[:300]
            InboundMessage.objects.filter(pk=message.pk).update(triage_reason=reason)
            message = InboundMessage.objects.get(pk=message.pk)
    return message


def _text(value: str) -> str:
    """Text a database column takes: PostgreSQL refuses NUL characters."""
    return value.replace("\x00", "")


def _file(
    message: InboundMessage,
    parsed: parsing.ParsedMessage,
    *,
    recipients: Sequence[str],
    now: datetime,
) -> None:
    if parsed.error:
        message.status = Status.TRIAGE
        message.triage_reason = "malformed message"
        message.save()
        return
    link = linking.link_message(
        from_address=parsed.from_address,
        subject=parsed.subject,
        recipients=recipients,
        partner=message.partner,
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
    )
    message.sender_kind = link.sender_kind
    message.case = link.case
    message.linked_by = link.linked_by
    message.linked_at = now if link.case is not None else None
    message.triage_reason = ""
    if parsed.automatic:
        # Auto-replies and bounces are kept and shown, and are nobody's email to answer.
        message.status = Status.AUTOMATIC
    elif link.case is None:
        message.status = Status.TRIAGE
        message.triage_reason = link.reason
    elif link.sender_kind == SenderKind.PROVIDER:
        # Provider mail is not under the email rules (domain background A7).
        message.status = Status.NO_OBLIGATION
    else:
        message.email = email_receive(
            actor=INTAKE,
            case=link.case,
            sender_kind=_email_from(link.sender_kind),
            now=now,
            at=message.received_at,
            urgent=message.urgent,
            needs_contact=not _marked_info_only(link.sender_kind, message.subject),
            subject=message.subject,
            body=message.body,
            from_address=_email_field(message.from_address),
            message_id=message.message_id,
        )
        message.status = Status.LINKED
    message.save()
    if link.case is not None:
        message.attachments.update(case=link.case)


def _email_from(sender_kind: str) -> str:
    """WPO staff write as WPO; everyone else who writes about a case is taken for the
    participant (an unknown address with the case's reference: their other mailbox)."""
    return EmailFrom.WPO if sender_kind == SenderKind.WPO else EmailFrom.PARTICIPANT


def _marked_info_only(sender_kind: str, subject: str) -> bool:
    """WPO's own mail marked `[info only]` needs no contact with the participant; nobody else
    can declare that (a participant's email always needs contact)."""
    return sender_kind == SenderKind.WPO and linking.info_only_in_subject(subject)


def _email_field(address: str) -> str:
    return address if len(address) <= 254 else ""


def _attachments_store(
    message: InboundMessage, parsed: parsing.ParsedMessage, written: WrittenFiles
) -> None:
    for item in parsed.attachments:
        attachment = Attachment(
            message=message,
            filename=item.filename,
            content_type=item.content_type[:100],
            size=len(item.content),
            sha256=hashlib.sha256(item.content).hexdigest(),
        )
        written.save(attachment.file, item.filename, ContentFile(item.content))
        attachment.save()


def triage_link(
    *,
    actor: Any,
    message: InboundMessage,
    case: Any,
    now: datetime,
    information_only: bool = False,
) -> InboundMessage:
    """Put a triaged message on a case. A participant's or WPO's message becomes an outreach
    Email received at the message's receipt time, so its 24-hour clocks run from receipt
    (or from the case's opening, for a case opened after the message arrived: a case's history
    starts when it opens). `information_only` (WPO's mail only) files it as needing no contact
    with the participant, as the subject marker does (ADR 0033)."""
    if not may(actor, case, Action.MANAGE):
        raise PermissionDenied("You may not file mail on this case.", field="case")
    with transaction.atomic():
        message = InboundMessage.objects.select_for_update().get(pk=message.pk)
        if message.status != Status.TRIAGE:
            raise Conflict("this message is already filed", field="message")
        if message.partner_id is not None and message.partner_id != case.partner_id:
            # Another Partner's case answers as a missing one does (ADR 0010): triage must not
            # tell which references exist at other Partners.
            raise NotFound("No such case.", field="case")
        if information_only and message.sender_kind != SenderKind.WPO:
            raise ServiceError(
                "only an email from WPO staff can be information only", field="information_only"
            )
        if message.sender_kind == SenderKind.PROVIDER or message.automatic != Automatic.NONE:
            message.status = Status.NO_OBLIGATION
        else:
            message.email = email_receive(
                actor=actor,
                case=case,
                sender_kind=_email_from(message.sender_kind),
                now=now,
                at=max(message.received_at, case.opened_at),
                urgent=message.urgent,
                needs_contact=not (
                    information_only or _marked_info_only(message.sender_kind, message.subject)
                ),
                subject=message.subject,
                body=message.body,
                from_address=_email_field(message.from_address),
                message_id=message.message_id,
            )
            message.status = Status.LINKED
        message.case = case
        message.linked_by = LinkedBy.TRIAGE
        message.linked_at = now
        message.triaged_by = actor
        message.triage_reason = ""
        message.save()
        message.attachments.update(case=case)
        audit_record(
            actor=actor,
            action="intake.triage_linked",
            at=now,
            case=case,
            obj=message,
            data={
                "status": message.status,
                **({"information_only": True} if information_only else {}),
            },
        )
    return message
