"""Reads for the provider pages, always starting from the access predicate. Sessions
authorised come from the policy engine (through cases.bridge), notes due and the
Partner's response deadlines from the obligations it stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import F, Prefetch, Q

from eapcase.accounts.standing import standing_of
from eapcase.cases import bridge
from eapcase.cases.access import Action, cases_referred_to, may
from eapcase.cases.models import Case, CaseEvent, Obligation
from eapcase.policy.types import Rule
from eapcase.providers.models import CaseNotesUpload, InterventionEnd, ProviderContact

if TYPE_CHECKING:
    from eapcase.cases.models import Case, Session


@dataclass(frozen=True)
class Referral:
    """A case referred to the provider, as the provider's list shows it."""

    case: Case
    sessions_held: int
    sessions_authorised: int
    review_pending: bool
    notes: str  # "due", "missing" (the case closed without them), or ""
    contacts_awaiting: int
    contacts_answered: int


@dataclass(frozen=True)
class ContactRow:
    contact: ProviderContact
    due_at: datetime | None  # the Partner's response deadline (CM-PROVIDER-RESPONSE)
    overdue: bool


@dataclass(frozen=True)
class ReferralDetail:
    referral: Referral
    sessions: list[Session]
    interventions: list[InterventionEnd]
    uploads: list[CaseNotesUpload]
    contacts: list[ContactRow] = field(default_factory=list)

    @property
    def intervention_ended(self) -> bool:
        """The provider ended the intervention and held no session since."""
        if not self.interventions:
            return False
        last_end = self.interventions[-1].ended_at
        return all(s.held_at <= last_end for s in self.sessions if s.attendance == "attended")


def _events() -> Prefetch[Any]:
    return Prefetch("events", queryset=CaseEvent.objects.order_by("at", "seq"), to_attr="history")


def _provider_obligations() -> Prefetch[Any]:
    rules = [Rule.NOTES_UPLOAD.value, Rule.PROVIDER_RESPONSE.value]
    return Prefetch(
        "obligations",
        queryset=Obligation.objects.filter(rule__in=rules).order_by("position"),
        to_attr="provider_obligations",
    )


def _contacts() -> Prefetch[Any]:
    """The contacts of the provider the case is referred to (not those of an earlier one)."""
    return Prefetch(
        "provider_contacts",
        queryset=ProviderContact.objects.filter(provider_id=F("case__provider_id")).order_by(
            "received_at", "id"
        ),
        to_attr="contacts_of_provider",
    )


def _notes_status(case: Case) -> str:
    """Whether the provider's completed case notes are due (an open CM-NOTES-UPLOAD opened by
    this provider's end of intervention), or went missing (breached at closure)."""
    provider_code = case.provider.code if case.provider else None
    ended_by = {
        e.event_id: e.fields.get("provider")
        for e in case.history  # type: ignore[attr-defined]
        if e.type == "intervention_ended"
    }
    statuses = {
        o.status
        for o in case.provider_obligations  # type: ignore[attr-defined]
        if o.rule == Rule.NOTES_UPLOAD and ended_by.get(o.trigger) == provider_code
    }
    if "open" in statuses:
        return "due"
    if "breached" in statuses:
        return "missing"
    return ""


def _referral(case: Case, now: datetime) -> Referral:
    state = bridge.evaluate_case(case, case.history, now).state  # type: ignore[attr-defined]
    contacts = case.contacts_of_provider  # type: ignore[attr-defined]
    awaiting = sum(1 for c in contacts if c.responded_at is None)
    return Referral(
        case=case,
        sessions_held=state.sessions_held,
        sessions_authorised=state.sessions_authorised,
        review_pending=state.review_pending,
        notes=_notes_status(case),
        contacts_awaiting=awaiting,
        contacts_answered=len(contacts) - awaiting,
    )


def referral_list(*, user: Any, now: datetime) -> list[Referral]:
    """The cases referred to the user's providers, open ones first, the most recently opened
    first (a user who is also Partner staff sees only the referrals here)."""
    cases = (
        cases_referred_to(user)
        .select_related("partner", "provider")
        .prefetch_related("partner__closed_dates", _events(), _provider_obligations(), _contacts())
        .order_by("-status", "-opened_at", "reference")
    )
    return [_referral(case, now) for case in cases]


def referral_get(*, case: Case, now: datetime) -> ReferralDetail:
    """The provider side of one case the user may see (the caller has passed the access gate):
    sessions, ends of intervention, case notes and contacts of the provider it is referred to."""
    case = (
        Case.objects.filter(pk=case.pk)
        .select_related("partner", "provider", "participant")
        .prefetch_related("partner__closed_dates", _events(), _provider_obligations(), _contacts())
        .get()
    )
    referral = _referral(case, now)
    provider_id = case.provider_id
    response_due = {
        o.trigger: o.due_at
        for o in case.provider_obligations  # type: ignore[attr-defined]
        if o.rule == Rule.PROVIDER_RESPONSE
    }
    contacts = [
        ContactRow(
            contact=c,
            due_at=response_due.get(c.event_id),
            overdue=c.responded_at is None
            and response_due.get(c.event_id) is not None
            and response_due[c.event_id] <= now,
        )
        for c in case.contacts_of_provider  # type: ignore[attr-defined]
    ]
    mine = Q(provider_id=provider_id)
    return ReferralDetail(
        referral=referral,
        sessions=list(case.sessions.filter(mine).order_by("held_at", "number")),
        interventions=list(case.intervention_ends.filter(mine).order_by("ended_at", "id")),
        uploads=list(case.notes_uploads.filter(mine).order_by("-uploaded_at", "-id")),
        contacts=contacts,
    )


def notes_downloadable(*, user: Any, case: Case) -> bool:
    """Whether the user may download the notes the page lists (those of the provider the case
    is referred to): the clinicians who may manage the case (the Partner's, or WPO's when
    they pick it up), and that provider. Admin roles see that notes exist, not their content."""
    standing = standing_of(user)
    return may(user, case, Action.MANAGE) or case.provider_id in standing.provider_ids


def notes_upload_get(*, user: Any, case: Case, upload_id: int) -> CaseNotesUpload | None:
    """A stored case-notes file the user may download: the clinicians who may manage the case,
    and the provider who uploaded it. None for anyone else (the page answers 404)."""
    standing = standing_of(user)
    upload = case.notes_uploads.filter(pk=upload_id).exclude(file="").first()
    if upload is None:
        return None
    if may(user, case, Action.MANAGE):
        return upload
    if upload.provider_id is not None and upload.provider_id in standing.provider_ids:
        return upload
    return None
