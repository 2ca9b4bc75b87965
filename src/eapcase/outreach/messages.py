"""Outbound email: the acknowledgement of a participant's email, the detailed message after an
unsuccessful attempt, and the notification of an escalation to WPO.

A service calls a `*_queue` function inside its transaction: it writes an `OutboundMessage`
row (recipient, subject, a generated Message-ID) and registers the sending with
`transaction.on_commit`. A rolled-back write therefore leaves no row and sends nothing; a
failure to send is recorded on the row (`error`), never raised into the committed request.

No message carries clinical detail (no summary, note, reason or risk): participants get the
case reference and their client organisation's access line, WPO gets the case reference."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import make_msgid
from django.db import transaction
from django.template.loader import render_to_string

from eapcase.cases.models import Case
from eapcase.core import clock
from eapcase.core.errors import ServiceError
from eapcase.core.mail import subject_tag
from eapcase.core.text import header_text
from eapcase.organisations.models import AccessLine
from eapcase.outreach.models import ContactAttempt, Email, OutboundMessage

if TYPE_CHECKING:
    from datetime import datetime

logger = logging.getLogger(__name__)

Kind = OutboundMessage.Kind

# A header value is one line; a Message-ID is one `<...>` token.
_SPACES = re.compile(r"\s+")
_MESSAGE_ID = re.compile(r"^<[^<>\s]+>$")
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|fw|fwd)\s*:\s*)+", re.IGNORECASE)
SUBJECT_MAX = 200


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def reply_subject(subject: str, reference: str) -> str:
    """`Re: <subject> [EAP-<ref>]`: one `Re:`, one tag, on one line."""
    tag = subject_tag(reference)
    text = _one_line(subject).replace(tag, "")
    text = _REPLY_PREFIX.sub("", text).strip() or "your email"
    return f"Re: {text[:SUBJECT_MAX]} {tag}"


def _message_id() -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "localhost"
    return make_msgid(idstring="eapcase", domain=domain)


def _from_address(case: Case) -> str:
    return case.partner.email or settings.DEFAULT_FROM_EMAIL


@dataclass(frozen=True)
class _Outgoing:
    body: str
    from_email: str
    headers: dict[str, str]


def access_line_for(case: Case) -> AccessLine | None:
    """The access line of the participant's client organisation for the participant's
    country, else for the Partner's country; English first when there are several."""
    participant = case.participant
    client_id = case.client_id or participant.client_id
    if client_id is None:
        return None
    lines = list(AccessLine.objects.filter(client_id=client_id))
    for country in (participant.country, case.partner.country):
        found = sorted(
            (line for line in lines if country and line.country.upper() == country.upper()),
            key=lambda line: (line.language != "en", line.language, line.pk),
        )
        if found:
            return found[0]
    return None


def _access_line_text(case: Case, line: AccessLine | None) -> str:
    if line is None:
        return ""
    client = case.client or case.participant.client
    name = client.name if client is not None else "your Employee Assistance Programme"
    return f"the {name} Employee Assistance Programme line on {line.number} ({line.hours})"


def _queue(
    *,
    case: Case,
    kind: str,
    to: str,
    subject: str,
    now: datetime,
    template: str,
    context: dict[str, Any],
    event_id: str = "",
    in_reply_to: str = "",
    error: str = "",
) -> OutboundMessage:
    """Record the message and send it once the caller's transaction commits."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbound messages are queued inside the service's transaction")
    in_reply_to = in_reply_to.strip() if _MESSAGE_ID.match(in_reply_to.strip()) else ""
    row = OutboundMessage.objects.create(
        case=case,
        kind=kind,
        to=to,
        subject=subject,
        message_id=_message_id(),
        in_reply_to=in_reply_to,
        event_id=event_id,
        created_at=now,
        error=error,
    )
    if error:
        return row
    headers = {"Message-ID": row.message_id}
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
        headers["References"] = in_reply_to
    outgoing = _Outgoing(
        body=render_to_string(f"outreach/email/{template}.txt", context),
        from_email=_from_address(case),
        headers=headers,
    )
    transaction.on_commit(partial(_send, row.pk, outgoing), robust=True)
    return row


def _send(pk: int, outgoing: _Outgoing) -> None:
    """Send one recorded message (after commit); record when it went, or why it did not."""
    row = OutboundMessage.objects.get(pk=pk)
    message = EmailMessage(
        # The subject may carry a participant's own subject line (a reply): one line, no
        # bidirectional or control characters (core.text).
        subject=header_text(row.subject),
        body=outgoing.body,
        from_email=outgoing.from_email,
        to=[row.to],
        headers=outgoing.headers,
    )
    try:
        timeout = getattr(settings, "EMAIL_TIMEOUT", None) or 10
        with get_connection(fail_silently=False, timeout=timeout) as connection:
            connection.send_messages([message])
    except Exception as exc:  # any failure of the mail system is recorded, not raised
        logger.warning("outbound %s %s not sent: %s", row.kind, row.message_id, exc)
        OutboundMessage.objects.filter(pk=pk).update(error=str(exc)[:500] or type(exc).__name__)
    else:
        OutboundMessage.objects.filter(pk=pk).update(sent_at=clock.now(), error="")


def acknowledgement_queue(*, email: Email, now: datetime) -> OutboundMessage | None:
    """Acknowledge a participant's email to its sender (CM-EMAIL-ACK): a reply in its thread.
    Nothing for an email from WPO or without a sender's address."""
    if email.case is None or email.sender_kind != "participant" or not email.from_address:
        return None
    case = email.case
    line = access_line_for(case)
    return _queue(
        case=case,
        kind=Kind.ACKNOWLEDGEMENT,
        to=email.from_address,
        subject=reply_subject(email.subject, case.reference),
        now=now,
        template="acknowledgement",
        context={
            "reference": case.reference,
            "partner_name": case.partner.name,
            "access_line_text": _access_line_text(case, line),
        },
        event_id=email.event_id,
        in_reply_to=email.message_id,
    )


def detailed_message_check(case: Case) -> tuple[str, AccessLine]:
    """The participant's address and the access line a detailed email needs, or ServiceError.
    Whether the participant accepts email messages is the engine's question
    (CM-MESSAGE-CONSENT), asked when the attempt is recorded."""
    address = (case.participant.email or "").strip()
    if not address:
        raise ServiceError("the participant has no email address", field="email")
    line = access_line_for(case)
    if line is None:
        raise ServiceError(
            "no access line of the participant's client organisation for their country",
            field="access_line",
        )
    return address, line


def detailed_message_queue(
    *, case: Case, attempt: ContactAttempt, now: datetime
) -> OutboundMessage:
    """The detailed message after an unsuccessful attempt: call the access line."""
    address, line = detailed_message_check(case)
    return _queue(
        case=case,
        kind=Kind.DETAILED,
        to=address,
        subject=f"We tried to contact you {subject_tag(case.reference)}",
        now=now,
        template="detailed",
        context={
            "reference": case.reference,
            "partner_name": case.partner.name,
            "access_line_text": _access_line_text(case, line),
        },
        event_id=attempt.event_id,
    )
