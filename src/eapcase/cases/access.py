"""The one access gate for cases. Pages, API, exports, reports and services all start here.

Minimum necessary (ADR 0010): WPO clinicians read every case; Partner staff the cases of their
Partner; nobody else any case record. A provider reaches only the provider's side of the cases
referred to them (Action.REFERRAL: the referral, sessions, their own contacts, queries and
uploads), never the Partner's case page, timeline, attempts or escalations. A WPO admin manages
reference data and reads no case unless they also hold a clinical role. Missing and invisible
give the same answer."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol

from django.db.models import Q, QuerySet

from eapcase.accounts.choices import Role
from eapcase.accounts.standing import standing_of
from eapcase.cases.models import Case, Participant
from eapcase.core.errors import NotFound, PermissionDenied
from eapcase.core.prepared import PreparedObjects


class Action(StrEnum):
    VIEW = "view"  # read the case record: page, timeline, notes, emails, downloads, API reads
    REFERRAL = "referral"  # read the provider's side of a case (the provider portal's page)
    MANAGE = "manage"  # the Partner's clinical actions: attempts, reviews, notes, closure
    ASSIGN = "assign"  # reassign the case to another clinician
    PROVIDE = "provide"  # the provider's actions: sessions, case notes, contacts to the Partner
    ACKNOWLEDGE = "acknowledge"  # WPO acknowledges an escalation


def visible_partner_ids(user: Any) -> list[int] | None:
    """The access predicate as the Partners whose case records the user reads: None for
    every Partner (WPO clinicians), their Partners for Partner staff, [] for anybody else.
    `visible_cases_q` is this as a filter; a prepared query (core.prepared) takes the ids."""
    standing = standing_of(user)
    if standing.is_wpo:
        return None
    return list(standing.partner_roles)


def visible_cases_q(user: Any, via: str = "") -> Q:
    """The access predicate (whose case records the user reads) as a filter on cases, or on
    rows that point at a case (`via`, e.g. "case__"), so a query about obligations or
    escalations applies it without a subquery over every case. WPO clinicians: no
    restriction; Partner staff: their Partners' cases; anybody else: nothing."""
    return _partners_q(visible_partner_ids(user), via)


def _partners_q(partner_ids: list[int] | None, via: str = "") -> Q:
    """`visible_cases_q` from the Partners' ids (`visible_partner_ids`)."""
    if partner_ids is None:
        return Q()
    if not partner_ids:
        return Q(pk__in=[])
    return Q(**{f"{via}partner_id__in": partner_ids})


def referred_cases_q(user: Any, via: str = "") -> Q:
    """The cases referred to the user's providers, as a filter like `visible_cases_q`."""
    return _providers_q(sorted(standing_of(user).provider_ids), via)


def _providers_q(provider_ids: list[int], via: str = "") -> Q:
    """`referred_cases_q` from the providers' ids."""
    if not provider_ids:
        return Q(pk__in=[])
    return Q(**{f"{via}provider_id__in": provider_ids})


def cases_visible_to(user: Any) -> QuerySet[Case]:
    """Every query about case records starts from this queryset."""

    return Case.objects.filter(visible_cases_q(user))


def cases_referred_to(user: Any) -> QuerySet[Case]:
    """The cases referred to the user's providers: the provider portal's list starts here.
    Only the provider's side of them may be shown (Action.REFERRAL)."""

    return Case.objects.filter(referred_cases_q(user))


def participants_visible_to(user: Any, among: list[int] | None = None) -> QuerySet[Participant]:
    """The participants a user may find: WPO staff every one; Partner clinicians and leads those
    with a case at their Partner or registered by it (never another Partner's, whatever the
    search); nobody else any. A record merged into another (ADR 0029) is found as the record
    kept, never itself: no new case is opened on it. `among` (ids) narrows the answer to those
    participants, and the question to their cases, rather than every case of the Partner
    (search, ADR 0039)."""
    standing = standing_of(user)
    everyone = Participant.objects.filter(merged_into__isnull=True)
    if among is not None:
        everyone = everyone.filter(pk__in=among)
    if standing.is_wpo:
        return everyone
    partner_ids = [
        pk
        for pk, roles in standing.partner_roles.items()
        if roles & {Role.PARTNER_CLINICIAN, Role.PARTNER_LEAD}
    ]
    if not partner_ids:
        return Participant.objects.none()
    cases = Case.objects.filter(partner_id__in=partner_ids)
    if among is not None:
        cases = cases.filter(participant_id__in=among)
    with_case = cases.values("participant_id")
    return everyone.filter(Q(pk__in=with_case) | Q(registered_by_partner_id__in=partner_ids))


def partners_opening_for(user: Any) -> list[int] | None:
    """The Partners a user may open cases for: None for every Partner (WPO clinicians), else
    the ids of the Partners where they are a clinician or lead (empty: none)."""
    standing = standing_of(user)
    if Role.WPO_CLINICIAN in standing.wpo_roles:
        return None
    return sorted(
        pk
        for pk, roles in standing.partner_roles.items()
        if roles & {Role.PARTNER_CLINICIAN, Role.PARTNER_LEAD}
    )


class GatedCase(Protocol):
    """What the gate reads of a case: a `Case`, or a row read as values (the work queue's)."""

    @property
    def partner_id(self) -> int: ...

    @property
    def provider_id(self) -> int | None: ...


def may(user: Any, case: GatedCase, action: Action) -> bool:
    """Whether the user may do `action` to a case. Reading the record is `cases_visible_to`'s
    rule; the provider's side adds the provider it is referred to; the other actions narrow
    reading by role."""
    standing = standing_of(user)
    partner_roles = standing.partner_roles.get(case.partner_id, frozenset())
    is_provider = case.provider_id is not None and case.provider_id in standing.provider_ids
    if action == Action.VIEW:
        return standing.is_wpo or bool(partner_roles)
    if action == Action.REFERRAL:
        return standing.is_wpo or bool(partner_roles) or is_provider
    if action == Action.MANAGE:
        return Role.WPO_CLINICIAN in standing.wpo_roles or bool(
            partner_roles & {Role.PARTNER_CLINICIAN, Role.PARTNER_LEAD}
        )
    if action == Action.ASSIGN:
        return Role.WPO_CLINICIAN in standing.wpo_roles or Role.PARTNER_LEAD in partner_roles
    if action == Action.PROVIDE:
        return is_provider
    if action == Action.ACKNOWLEDGE:
        return standing.is_wpo
    return False


def access_case(*, user: Any, case_ref: str, action: Action = Action.VIEW) -> Case:
    """The case the user may act on. NotFound for a missing case and for one the user can
    neither read nor holds as a referral (the same answer); PermissionDenied for a case they
    reach but may not act on so (a provider asking for the Partner's record of a referral)."""

    standing = standing_of(user)
    found: list[Case] = []
    if standing.is_wpo:
        found = _CASE_FOR_WPO.objects(ref=case_ref)
    else:
        partner_ids = visible_partner_ids(user) or []
        provider_ids = sorted(standing.provider_ids)
        # Nobody's reader and nobody's provider reaches no case: the query would find none.
        if partner_ids or provider_ids:
            found = _CASE_REACHED.objects(
                ref=case_ref, partners=partner_ids, providers=provider_ids
            )
    case = found[0] if found else None
    if case is None:
        raise NotFound("No such case.", field="case")
    if not may(user, case, action):
        raise PermissionDenied(f"You may not {action.value} this case.", field="case")
    return case


def _case_reached(ref: str, partners: list[int] | None, providers: list[int]) -> QuerySet[Case]:
    """The case `ref` among those the reader's Partners hold (`partners`; None: WPO, every
    case) or referred to their providers: `visible_cases_q | referred_cases_q`, with the rows
    every case page reads joined."""
    # Q() | Q(x) is Q(x) in Django, not "everything": WPO's empty filter is not combined.
    reach = Q() if partners is None else _partners_q(partners) | _providers_q(providers)
    return (
        Case.objects.filter(reach)
        .filter(reference=ref)
        .select_related("partner", "participant", "client", "provider", "assigned_clinician")
        .order_by("pk")[:1]
    )


# The gate's query is compiled once per process and shape (how many Partners and providers the
# reader has; core.prepared): compiling it was about 2 ms of every case page and action
# (issue #16). The ids and the reference are the query's parameters, never part of its text.
_CASE_FOR_WPO = PreparedObjects(lambda ref: _case_reached(ref, None, []))
_CASE_REACHED = PreparedObjects(_case_reached)
