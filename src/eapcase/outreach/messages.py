"""Mail to the participant from the case: the acknowledgement of their email and the detailed
message after an unsuccessful attempt (ADR 0031).

`*_draft` renders what would be sent (the preview pages show exactly that). A service calls a
`*_queue` function inside its transaction: it claims a keyed `notifications.Delivery` (the
worker sends it and retries it; its key and Message-ID name the case and the event) and
writes the case's `OutboundMessage` record of it. A rolled-back write leaves neither and sends
nothing; a failure to send is recorded on the delivery and shown on the case, never raised
into the committed request.

The words come from the client organisation's template or the default
(outreach/mail_templates.py); no message carries clinical detail (no summary, note, reason or
risk): participants get their name, the case reference and their client organisation's access
line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction

from eapcase.cases import bridge
from eapcase.cases.models import Case
from eapcase.core.errors import ServiceError
from eapcase.core.mail import subject_tag
from eapcase.core.text import header_text
from eapcase.notifications.choices import ACKNOWLEDGEMENT_RULE, DETAILED_MESSAGE_RULE, Level
from eapcase.notifications.services import Message, delivery_claim
from eapcase.organisations.models import AccessLine
from eapcase.outreach import mail_templates
from eapcase.outreach.models import ContactAttempt, Email, MailTemplate, OutboundMessage
from eapcase.policy import messages_allowed

if TYPE_CHECKING:
    from datetime import datetime

Kind = OutboundMessage.Kind

# A header value is one line; a Message-ID is one `<...>` token.
_SPACES = re.compile(r"\s+")
_MESSAGE_ID = re.compile(r"^<[^<>\s]+>$")
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|fw|fwd)\s*:\s*)+", re.IGNORECASE)
# Room for the case tag within the delivery's 200 characters.
SUBJECT_MAX = 170
NO_ACCESS_LINE = "your Employee Assistance Programme access line"


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _their_subject(subject: str, reference: str) -> str:
    """The participant's subject without reply prefixes or our tag, on one line."""
    text = _one_line(subject).replace(subject_tag(reference), "")
    return _REPLY_PREFIX.sub("", text).strip() or "your email"


def _tagged(subject: str, reference: str) -> str:
    """One line, at most SUBJECT_MAX characters, ending with the case tag."""
    tag = subject_tag(reference)
    text = _one_line(header_text(subject)).replace(tag, "").strip()
    return f"{text[:SUBJECT_MAX].rstrip()} {tag}".strip()


def reply_subject(subject: str, reference: str) -> str:
    """`Re: <subject> [EAP-<ref>]`: one `Re:`, one tag, on one line."""
    return _tagged(f"Re: {_their_subject(subject, reference)}", reference)


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


def _client_name(case: Case) -> str:
    client = case.client or case.participant.client
    return client.name if client is not None else ""


def _access_line_text(case: Case, line: AccessLine | None) -> str:
    if line is None:
        return NO_ACCESS_LINE
    name = _client_name(case) or "your"
    hours = f" ({line.hours})" if line.hours else ""
    return f"the {name} Employee Assistance Programme line on {line.number}{hours}"


def preferred_name(case: Case) -> str:
    participant = case.participant
    return participant.preferred_name or (participant.full_name.split(" ") or [""])[0]


@dataclass(frozen=True)
class Draft:
    """One mail as it will be sent: the preview shows these fields, the delivery holds them."""

    kind: str
    to: str
    subject: str
    body: str
    from_email: str
    in_reply_to: str = ""


def _words(case: Case, kind: str) -> tuple[str, str]:
    client_id = case.client_id or case.participant.client_id
    template = MailTemplate.objects.filter(client_id=client_id, kind=kind).first()
    if template is not None:
        return template.subject, template.body
    return mail_templates.DEFAULTS[kind]


def _draft(
    case: Case, *, kind: str, to: str, their_subject: str = "", in_reply_to: str = ""
) -> Draft:
    line = access_line_for(case)
    values = {
        "preferred_name": _one_line(preferred_name(case)),
        "access_line": _access_line_text(case, line),
        "access_line_number": line.number if line is not None else NO_ACCESS_LINE,
        "client_name": _client_name(case),
        "partner_name": case.partner.name,
        "reference": case.reference,
        "their_subject": their_subject,
    }
    subject, body = _words(case, kind)
    return Draft(
        kind=kind,
        to=to,
        subject=_tagged(mail_templates.render(subject, values), case.reference),
        body=mail_templates.render(body, values),
        # From the Partner's case mailbox, so a reply comes back to intake.
        from_email=case.partner.email or settings.DEFAULT_FROM_EMAIL,
        in_reply_to=in_reply_to if _MESSAGE_ID.match(in_reply_to) else "",
    )


def email_messages_allowed(case: Case) -> bool:
    """Whether the participant accepts email messages, as the engine has their consent at the
    case's last write (CM-MESSAGE-CONSENT); unknown consent allows none."""
    data = Case.objects.filter(pk=case.pk).values_list("engine_state", flat=True).first()
    stored = bridge.stored_evaluation(data)
    if stored is None:
        return False
    allowed = messages_allowed(stored.state.participant, "participant", "email")
    return any(str(m) != "none" for m in allowed)


def acknowledgement_draft(email: Email) -> Draft | None:
    """The reply acknowledging a participant's email (CM-EMAIL-ACK), in its thread. None for
    an email from WPO or without a sender's address, or when the participant does not accept
    email messages: the acknowledgement is recorded and nothing is sent."""
    if email.case is None or email.sender_kind != "participant" or not email.from_address:
        return None
    if not email_messages_allowed(email.case):
        return None
    case = email.case
    return _draft(
        case,
        kind=Kind.ACKNOWLEDGEMENT,
        to=email.from_address,
        their_subject=_their_subject(email.subject, case.reference),
        in_reply_to=email.message_id.strip(),
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


def detailed_message_draft(case: Case) -> Draft:
    """The detailed message after an unsuccessful attempt: call the access line."""
    address, _line = detailed_message_check(case)
    return _draft(case, kind=Kind.DETAILED, to=address)


def _queue(*, case: Case, draft: Draft, rule: str, event_id: str, now: datetime) -> OutboundMessage:
    """Claim the keyed delivery and record the message, in the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbound messages are queued inside the service's transaction")
    headers = {}
    if draft.in_reply_to:
        headers = {"In-Reply-To": draft.in_reply_to, "References": draft.in_reply_to}
    delivery = delivery_claim(
        case=case,
        rule=rule,
        trigger=event_id,
        level=Level.PARTICIPANT_MAIL,
        due_at=now,
        urgent=False,
        message=Message(
            subject=draft.subject,
            body=draft.body,
            text=f"{Kind(draft.kind).label} to {draft.to}",
            emails=[draft.to],
        ),
        now=now,
        from_email=draft.from_email,
        headers=headers,
    )
    if delivery is None:
        # The event has its mail already (one key per event): sending twice is refused.
        raise ServiceError("this mail was already sent", field="email")
    return OutboundMessage.objects.create(
        case=case,
        kind=draft.kind,
        to=draft.to,
        subject=draft.subject,
        message_id=delivery.message_id,
        in_reply_to=draft.in_reply_to,
        event_id=event_id,
        created_at=now,
        delivery=delivery,
    )


def acknowledgement_queue(*, email: Email, now: datetime) -> OutboundMessage | None:
    """Acknowledge a participant's email to its sender; nothing for WPO's or an address-less
    email."""
    draft = acknowledgement_draft(email)
    if draft is None or email.case is None:
        return None
    return _queue(
        case=email.case, draft=draft, rule=ACKNOWLEDGEMENT_RULE, event_id=email.event_id, now=now
    )


def detailed_message_queue(
    *, case: Case, attempt: ContactAttempt, now: datetime
) -> OutboundMessage:
    """Send the detailed message of an unsuccessful attempt."""
    return _queue(
        case=case,
        draft=detailed_message_draft(case),
        rule=DETAILED_MESSAGE_RULE,
        event_id=attempt.event_id,
        now=now,
    )
