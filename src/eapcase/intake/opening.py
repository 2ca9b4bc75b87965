"""Opening a case from an email waiting in triage (ADR 0030): how /cases/new/ finds the email
for a user and files it on the case it opens, registered with `compliance.opening` (a layer
below, which cannot import this app) when the app is ready."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eapcase.cases.access import partners_opening_for
from eapcase.cases.models import Case
from eapcase.cases.record import Actor
from eapcase.compliance.opening import Origin
from eapcase.core.errors import Conflict
from eapcase.intake import selectors
from eapcase.intake.choices import Automatic, SenderKind, Status
from eapcase.intake.models import InboundMessage
from eapcase.intake.services import triage_link

KIND = "email"

#: Mail a case is opened from: written by a person who may be the participant. Provider and WPO
#: mail is about a case, not a new participant's first contact.
OPENING_SENDERS = (SenderKind.PARTICIPANT, SenderKind.UNKNOWN)


def may_open_from(user: Any, message: InboundMessage) -> bool:
    """Whether the triage pages offer "Open a case from this email" for the message."""
    opening = partners_opening_for(user)
    return (
        opening != []
        and message.status == Status.TRIAGE
        and message.automatic == Automatic.NONE
        and message.sender_kind in OPENING_SENDERS
        and (opening is None or message.partner_id in opening)
    )


class EmailOrigin:
    """The origin kind `email`: an inbound message in triage the user sees."""

    def find(self, *, user: Any, pk: int) -> Origin | None:
        message = (
            selectors.inbound_visible_to(user)
            .filter(pk=pk)
            .select_related("partner")
            .defer("raw")
            .first()
        )
        if message is None or not may_open_from(user, message):
            return None
        return Origin(
            kind=KIND,
            pk=message.pk,
            received_at=message.received_at,
            email=message.from_address,
            name=message.from_name,
            partner=message.partner,
            subject=message.subject,
        )

    def file(self, *, actor: Actor, origin: Origin, case: Case, now: datetime) -> None:
        message = InboundMessage.objects.filter(pk=origin.pk).first()
        if message is None or message.status != Status.TRIAGE:
            raise Conflict("this email is already on a case", field="origin")
        triage_link(actor=actor, message=message, case=case, now=now)
