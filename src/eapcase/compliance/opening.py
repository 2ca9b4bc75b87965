"""Opening a case from the first call: the participant found or registered, the client's
contract checked, the Partner proposed by WPO's routing table (or chosen with a reason), the
benefit left to the participant (or WPO's override with a reason), the risk screen, a call back
requested and a provider referral, in one transaction. Pages (/cases/new/) and the API
(POST /api/v1/cases/) call `case_intake`; it lives in this layer because it writes through
both the case services and the outreach services.

A case may be opened from something that arrived first (an email waiting in triage): an
`Origin`. The app that owns it (intake, a layer above) registers how to find one for a user
and how to file it on the new case (`origin_kind_register`), so /cases/new/ and this service
use it without importing that app (ADR 0030). The case then opens when the origin arrived."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from django.db import transaction

from eapcase.cases import services as case_services
from eapcase.cases.access import participants_visible_to, partners_opening_for
from eapcase.cases.choices import PreferenceSource, Referral, RiskLevel
from eapcase.cases.eligibility import benefit_quote, partner_propose
from eapcase.cases.models import Case, Participant
from eapcase.cases.record import Actor
from eapcase.core.errors import NotFound, PermissionDenied, ServiceError
from eapcase.organisations.models import ClientOrganisation, Partner, Provider
from eapcase.outreach.services import callback_request

# Routes recorded but outside the policy's rules (the engine reports in_scope false for them):
# WPO lists them at /cases/?route=<value>.
OUT_OF_SCOPE_ROUTES = (
    Referral.MANAGEMENT_REFERRAL,
    Referral.CRITICAL_INCIDENT,
    Referral.FREQUENT_USER,
)


@dataclass(frozen=True)
class Origin:
    """What a case is opened from: found for a user by its kind's `find`, filed on the new case
    by its `file` in the opening's transaction."""

    kind: str
    pk: int
    received_at: datetime  # the case opens then: the participant's first contact
    email: str  # who it came from, to find or register the participant by
    name: str
    partner: Partner | None  # whose mailbox received it: the case's Partner
    subject: str = ""


class OriginKind(Protocol):
    def find(self, *, user: Any, pk: int) -> Origin | None:
        """The origin if the user may open a case from it (else None: missing or not theirs)."""

    def file(self, *, actor: Actor, origin: Origin, case: Case, now: datetime) -> None:
        """File the origin on the case opened from it (inside the opening's transaction)."""


_ORIGIN_KINDS: dict[str, OriginKind] = {}


def origin_kind_register(kind: str, handler: OriginKind) -> None:
    """Called from the owning app's AppConfig.ready()."""
    _ORIGIN_KINDS[kind] = handler


def origin_find(*, user: Any, kind: str, pk: Any) -> Origin | None:
    """The origin of that kind and id the user may open a case from, or None."""
    handler = _ORIGIN_KINDS.get(kind)
    try:
        number = int(pk)
    except (TypeError, ValueError):
        return None
    return handler.find(user=user, pk=number) if handler is not None else None


@dataclass
class NewParticipant:
    """A participant to register with the case: participant_create's inputs."""

    full_name: str
    client: ClientOrganisation | None = None
    preferred_name: str = ""
    date_of_birth: Any = None
    phone: str = ""
    email: str = ""
    employee_number: str = ""
    language: str = ""
    interpreter_needed: bool = False
    country: str = ""
    region: str = ""
    preferences: dict[str, bool] = field(default_factory=dict)


def participant_register(
    *, actor: Actor, new: NewParticipant, now: datetime, source: str = PreferenceSource.WPO_INTAKE
) -> Participant:
    """Register a participant (no case yet): Partner staff register for their own Partner."""
    opening = partners_opening_for(actor)
    if opening is not None and not opening:
        raise PermissionDenied("You may not register participants.", field=None)
    if opening is not None:
        source = PreferenceSource.PARTNER
    return case_services.participant_create(
        actor=actor,
        full_name=new.full_name,
        now=now,
        client=new.client,
        phone=new.phone,
        email=new.email,
        country=new.country,
        region=new.region,
        preferences=new.preferences,
        source=source,
        date_of_birth=new.date_of_birth,
        preferred_name=new.preferred_name,
        employee_number=new.employee_number,
        language=new.language,
        interpreter_needed=new.interpreter_needed,
        registered_by_partner=(
            Partner.objects.get(pk=opening[0])
            if opening is not None and len(opening) == 1
            else None
        ),
    )


def case_intake(
    *,
    actor: Actor,
    now: datetime,
    referral: str,
    case_type: str,
    participant: Participant | None = None,
    new_participant: NewParticipant | None = None,
    partner: Partner | None = None,
    partner_reason: str = "",
    presenting_issue: str = "",
    risk_level: str = RiskLevel.NONE,
    risk_reason: str = "",
    callback: bool = False,
    callback_not_before: datetime | None = None,
    provider: Provider | None = None,
    benefit_sessions: int | None = None,
    benefit_reason: str = "",
    at: datetime | None = None,
    origin: Origin | None = None,
) -> Case:
    """Open a case for a participant found (visible to the actor) or registered now. Nothing is
    written unless all of it is. Opened from an `origin` (an email), the case opens when it
    arrived, at the Partner whose mailbox received it, and the origin is filed on the case in
    the same transaction, so its deadlines run from its arrival (overdue if it waited). The
    risk screen and a call back are recorded now."""
    opening = partners_opening_for(actor)
    if opening is not None and not opening:
        raise PermissionDenied("You may not open cases.", field=None)
    if origin is not None:
        if origin.kind not in _ORIGIN_KINDS:
            raise ServiceError(f"cannot open a case from a {origin.kind}", field="origin")
        if at is not None and at != origin.received_at:
            raise ServiceError("a case opened from an email opens when it arrived", field="at")
        at = origin.received_at
        if origin.partner is not None:
            if partner is not None and partner.pk != origin.partner.pk:
                raise ServiceError(
                    f"the email came to {origin.partner.name}'s mailbox: open the case there",
                    field="partner",
                )
            partner = origin.partner
            partner_reason = partner_reason or "the participant's email came to this mailbox"
    screened_at = now if origin is not None else (at or now)
    at = at or now
    if (participant is None) == (new_participant is None):
        raise ServiceError("find the participant or register them", field="participant")
    if (
        participant is not None
        and not participants_visible_to(actor).filter(pk=participant.pk).exists()
    ):
        raise NotFound("No such participant.", field="participant")
    if new_participant is not None:
        # What registering would refuse, asked first so its error comes before the routing's.
        if not new_participant.full_name.strip():
            raise ServiceError("is required", field="full_name")
        country = new_participant.country.strip()
        if country and (len(country) != 2 or not country.isalpha()):
            raise ServiceError("give the two-letter country code, e.g. GB", field="country")
    if risk_level not in RiskLevel.values:
        raise ServiceError(f"must be one of {', '.join(RiskLevel.values)}", field="risk_level")
    if risk_level != RiskLevel.NONE and not risk_reason.strip():
        raise ServiceError("say what was identified", field="risk_reason")
    client = participant.client if participant is not None else new_participant.client  # type: ignore[union-attr]
    country = participant.country if participant is not None else new_participant.country  # type: ignore[union-attr]
    region = participant.region if participant is not None else new_participant.region  # type: ignore[union-attr]
    # Refused before anything is written: no active contract, no case.
    quote = benefit_quote(participant=participant, client=client, at=at)
    partner, partner_reason = _partner_of(
        opening, partner, partner_reason, client=client, country=country, region=region
    )
    if benefit_sessions is None:
        benefit_sessions = quote.remaining
        benefit_reason = ""
    elif int(benefit_sessions) != quote.remaining:
        if opening is not None:
            raise PermissionDenied(
                "Only WPO may change the benefit of a case.", field="benefit_sessions"
            )
        if not benefit_reason.strip():
            raise ServiceError(
                f"say why the case gets {benefit_sessions} sessions, not {quote.remaining}",
                field="benefit_reason",
            )
    if provider is not None and not provider.partners.filter(pk=partner.pk).exists():
        raise ServiceError("is not in this Partner's network", field="provider")
    with transaction.atomic():
        if participant is None:
            participant = participant_register(actor=actor, new=new_participant, now=now)  # type: ignore[arg-type]
        case = case_services.case_open(
            actor=actor,
            participant=participant,
            partner=partner,
            referral=referral,
            case_type=case_type,
            benefit_sessions=int(benefit_sessions),
            now=now,
            at=at,
            client=client,
            presenting_issue=presenting_issue,
            partner_reason=partner_reason,
            benefit_reason=benefit_reason,
        )
        if origin is not None:
            # First, as it came first: its event is dated when it arrived.
            _ORIGIN_KINDS[origin.kind].file(actor=actor, origin=origin, case=case, now=now)
        if risk_level != RiskLevel.NONE:
            case = case_services.risk_set(
                actor=actor,
                case=case,
                level=risk_level,
                now=now,
                at=screened_at,
                reason=risk_reason,
            )
        if callback:
            callback_request(
                actor=actor, case=case, now=now, at=screened_at, not_before=callback_not_before
            )
        if provider is not None:
            case = case_services.case_refer(actor=actor, case=case, provider=provider, now=now)
    return Case.objects.get(pk=case.pk)


def _partner_of(
    opening: list[int] | None,
    partner: Partner | None,
    reason: str,
    *,
    client: ClientOrganisation | None,
    country: str,
    region: str,
) -> tuple[Partner, str]:
    """The case's Partner: Partner staff open for their own; WPO takes the routing table's
    proposal, or another Partner with a reason."""
    proposed = partner_propose(client=client, country=country, region=region)
    if opening is not None:
        if partner is None and len(opening) == 1:
            partner = Partner.objects.get(pk=opening[0])
        if partner is None or partner.pk not in opening:
            raise PermissionDenied("You may open cases for your own Partner only.", field="partner")
        return partner, ""
    if partner is None:
        if proposed is None:
            raise ServiceError(
                "no Partner is routed for this client and country: choose one and say why",
                field="partner",
            )
        return proposed, ""
    if proposed is not None and partner.pk == proposed.pk:
        return partner, ""
    if not reason.strip():
        raise ServiceError(
            f"say why not {proposed.name}, the Partner proposed"
            if proposed is not None
            else "no Partner is routed for this client and country: say why this one",
            field="partner_reason",
        )
    if not partner.active:
        raise ServiceError("is not an active Partner", field="partner")
    return partner, reason.strip()
