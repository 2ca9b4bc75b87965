"""Who sent an inbound message, which Partner's mailbox received it, and which case it is on.

Mailbox: the first recipient (envelope recipients first, then Delivered-To, X-Original-To,
To and Cc) whose address, without a `+tag`, is a Partner's case mailbox (`Partner.email`,
case-insensitive). `cases+EAP-10001@partner.example` is the mailbox `cases@partner.example`.

Sender, in this order: WPO staff (the domain is one of an Operator's `staff_email_domains`),
a participant (a known `Participant.email`), a provider (`Provider.email`), else unknown.

Case, in this order:
1. a reply to mail we sent: a Message-ID in `In-Reply-To`, then in `References` (newest
   first), that is one of our deliveries' (ADR 0032); a subject a participant edited, or a
   tag a mail client dropped, does not lose the thread;
2. a case reference in the subject, `[EAP-10001]`;
3. a case reference in a recipient's plus-address, `cases+EAP-10001@...`;
4. for a participant, their one open case (at the mailbox's Partner when it is known).
A referenced case must exist and, when the mailbox is known, belong to its Partner; a thread
to another Partner's case is passed over (as if the message named none). Anything else (no
reference, several open cases, a case of another Partner) goes to triage."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.db.models.functions import Lower

from eapcase.cases.models import Case, Participant
from eapcase.intake.choices import LinkedBy, SenderKind
from eapcase.notifications.models import Delivery
from eapcase.organisations.models import Operator, Partner, Provider
from eapcase.outreach.models import OutboundMessage

_SUBJECT_TOKEN = re.compile(r"\[\s*(EAP-\d+)\s*\]", re.IGNORECASE)
_PLUS_TOKEN = re.compile(r"^[^@+]+\+(EAP-\d+)@", re.IGNORECASE)
# WPO's marker for mail that needs no contact with the participant (information only): the
# email is still acknowledged and actioned, but its not reaching the participant within 24
# hours is not escalated back to WPO (`needs_contact: false`, ADR 0033).
_INFO_ONLY = re.compile(r"\[\s*info(?:rmation)?[\s-]+only\s*\]", re.IGNORECASE)
INFO_ONLY_MARKER = "[info only]"


@dataclass(frozen=True)
class Link:
    """What linking decided: the sender's kind, the case (None: triage) and why."""

    sender_kind: str
    case: Any
    linked_by: str
    reason: str = ""  # why the message was not linked


def reference_in_subject(subject: str) -> str:
    found = _SUBJECT_TOKEN.search(subject)
    return found.group(1).upper() if found else ""


def info_only_in_subject(subject: str) -> bool:
    """Whether the subject carries WPO's information-only marker, `[info only]` (also
    `[information only]`, `[info-only]`, any case)."""
    return bool(_INFO_ONLY.search(subject))


def reference_in_addresses(addresses: Iterable[str]) -> str:
    for address in addresses:
        found = _PLUS_TOKEN.match(address.strip())
        if found:
            return found.group(1).upper()
    return ""


def without_tag(address: str) -> str:
    """`local+tag@domain` -> `local@domain`, lower-cased."""
    local, at, domain = address.strip().lower().rpartition("@")
    if not at:
        return address.strip().lower()
    return f"{local.split('+')[0]}@{domain}"


def mailbox_partner(recipients: Sequence[str]) -> Any:
    """The Partner whose case mailbox is the first matching recipient, or None."""
    candidates = [without_tag(r) for r in recipients if "@" in r]
    if not candidates:
        return None
    partners = {
        p.mailbox: p
        for p in Partner.objects.annotate(mailbox=Lower("email")).filter(mailbox__in=candidates)
    }
    for address in candidates:
        if address in partners:
            return partners[address]
    return None


def sender_kind_of(address: str) -> str:
    """WPO staff, participant, provider or unknown (see the module's docstring)."""
    address = address.strip().lower()
    if "@" not in address:
        return SenderKind.UNKNOWN
    domain = address.rsplit("@", 1)[1]
    for domains in Operator.objects.values_list("staff_email_domains", flat=True):
        if domain in {d.strip().lower() for d in domains.split(",") if d.strip()}:
            return SenderKind.WPO
    if Participant.objects.filter(email__iexact=address).exists():
        return SenderKind.PARTICIPANT
    if Provider.objects.filter(email__iexact=address).exists():
        return SenderKind.PROVIDER
    return SenderKind.UNKNOWN


def case_of_thread(*, in_reply_to: str, references: Sequence[str], partner: Any) -> Any:
    """The case of the mail we sent that this message answers, or None (module docstring)."""
    ids = [m for m in (in_reply_to, *reversed(references)) if m][:20]
    if not ids:
        return None
    found = dict(Delivery.objects.filter(message_id__in=ids).values_list("message_id", "case_id"))
    # Mail sent before deliveries carried it (ADR 0031) is known by its own Message-ID.
    for message_id, case_id in OutboundMessage.objects.filter(message_id__in=ids).values_list(
        "message_id", "case_id"
    ):
        found.setdefault(message_id, case_id)
    for message_id in ids:
        if message_id not in found:
            continue
        case = Case.objects.select_related("partner").filter(pk=found[message_id]).first()
        if case is not None and (partner is None or case.partner_id == partner.pk):
            return case
    return None


def link_message(
    *,
    from_address: str,
    subject: str,
    recipients: Sequence[str],
    partner: Any,
    in_reply_to: str = "",
    references: Sequence[str] = (),
) -> Link:
    """Classify the sender and find the message's case (module docstring)."""
    kind = sender_kind_of(from_address)
    threaded = case_of_thread(in_reply_to=in_reply_to, references=references, partner=partner)
    if threaded is not None:
        return Link(kind, threaded, LinkedBy.THREAD)
    for reference, how in (
        (reference_in_subject(subject), LinkedBy.SUBJECT_TOKEN),
        (reference_in_addresses(recipients), LinkedBy.PLUS_ADDRESS),
    ):
        if not reference:
            continue
        case = Case.objects.select_related("partner").filter(reference=reference).first()
        # Another Partner's case reads as a missing one (ADR 0010): the triage reason is shown
        # to this mailbox's Partner, who must not learn which references exist elsewhere.
        if case is None or (partner is not None and case.partner_id != partner.pk):
            return Link(kind, None, LinkedBy.NONE, f"no case {reference}")
        return Link(kind, case, how)
    if kind != SenderKind.PARTICIPANT:
        return Link(kind, None, LinkedBy.NONE, "no case reference")
    address = from_address.strip()
    # A record merged into another (ADR 0029) keeps its address: mail from it finds the cases
    # that moved to the record kept.
    open_cases = (
        Case.objects.select_related("partner")
        .filter(
            Q(participant__email__iexact=address)
            | Q(participant__merged_records__email__iexact=address),
            status="open",
        )
        .distinct()
    )
    if partner is not None:
        open_cases = open_cases.filter(partner=partner)
    found = list(open_cases.order_by("pk")[:2])
    if len(found) == 1:
        return Link(kind, found[0], LinkedBy.SENDER_CASE)
    if found:
        return Link(kind, None, LinkedBy.NONE, "the sender has several open cases")
    return Link(kind, None, LinkedBy.NONE, "the sender has no open case")
