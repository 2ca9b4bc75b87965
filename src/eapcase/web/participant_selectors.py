"""Reads of the participant pages: the participant page (details, contact preferences and their
history, the cases the viewer may read) and the WPO admin's merge page (identifying details
only, never case content). Access starts from the case gate: a participant is read through the
cases of theirs the viewer may read (ADR 0010, ADR 0029)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q

from eapcase.audit.models import AuditEvent
from eapcase.cases.access import cases_referred_to, cases_visible_to
from eapcase.cases.choices import PreferenceSource, risk_rank
from eapcase.cases.models import Case, ContactPreference, Participant
from eapcase.core.errors import NotFound, PermissionDenied
from eapcase.web.caselife_forms import PREFERENCE_LABELS
from eapcase.web.caselife_selectors import looks_alike, phone_digits

#: Plain words for the details a change names (the audit keeps field names, never values).
DETAIL_WORDS = {
    "full_name": "name",
    "preferred_name": "preferred name",
    "phone": "phone number",
    "email": "email address",
    "employee_number": "employee number",
    "language": "language",
    "interpreter_needed": "interpreter needed",
    "country": "country",
    "region": "region",
    "date_of_birth": "date of birth",
    "client": "client organisation",
}

MERGE_SEARCH_LIMIT = 25


@dataclass(frozen=True)
class Change:
    """One line of a participant's history: when, what, who, why."""

    at: datetime
    what: str
    who: str
    why: str


@dataclass
class ParticipantPage:
    participant: Participant
    cases: list[Case]
    preferences: list[tuple[str, bool]]
    history: list[Change]
    merged_records: list[Participant] = field(default_factory=list)


def _name(user: Any, fallback: str = "") -> str:
    if user is None:
        return fallback or "the system"
    return str(user.get_full_name() or user.username)


def _source(value: str) -> str:
    return str(PreferenceSource(value).label) if value in PreferenceSource.values else value


def participant_page(*, user: Any, participant_id: Any) -> ParticipantPage:
    """The participant page for `user`. NotFound for a missing participant and for one with no
    case the user may read (the same answer); PermissionDenied for a provider whose referral is
    one of the participant's cases (they know the person, not the record), as for the case
    page. A record merged into another answers as the record kept (the view redirects)."""
    try:
        pk = int(participant_id)
    except (TypeError, ValueError) as exc:
        raise NotFound("No such participant.", field="participant") from exc
    participant = Participant.objects.select_related("client").filter(pk=pk).first()
    if participant is None:
        raise NotFound("No such participant.", field="participant")
    if participant.merged_into_id is not None:
        kept = participant
        while kept.merged_into_id is not None:
            kept = Participant.objects.select_related("client").get(pk=kept.merged_into_id)
        participant = kept
    cases = list(
        cases_visible_to(user)
        .filter(participant=participant)
        .select_related("partner", "assigned_clinician", "client")
        .order_by(risk_rank(), "-status", "-opened_at", "pk")  # open before closed
    )
    if not cases:
        if cases_referred_to(user).filter(participant=participant).exists():
            raise PermissionDenied("You may not read this participant's record.", field=None)
        raise NotFound("No such participant.", field="participant")
    merged = list(participant.merged_records.select_related("merged_by").order_by("merged_at"))
    return ParticipantPage(
        participant=participant,
        cases=cases,
        preferences=[(PREFERENCE_LABELS[k], v) for k, v in participant.preferences().items()],
        history=_history(participant, merged, cases),
        merged_records=merged,
    )


def _history(
    participant: Participant, merged: list[Participant], cases: list[Case]
) -> list[Change]:
    """Every change to the record, newest first: contact preferences as stated (who, when, the
    source), details changed (which, who, when, the source), records merged in (with the
    reason), and the preferences of a case moved by a merge brought in line."""
    ids = [participant.pk, *(m.pk for m in merged)]
    numbers = {m.pk: f" (record no. {m.pk}, merged in)" for m in merged}
    changes: list[Change] = []
    for row in ContactPreference.objects.filter(participant_id__in=ids).select_related(
        "recorded_by"
    ):
        label = PREFERENCE_LABELS.get(row.field, row.field)
        value = "yes" if row.value else "no"
        changes.append(
            Change(
                at=row.stated_at,
                what=f"{label}: {value}{numbers.get(row.participant_id, '')}",
                who=_name(row.recorded_by),
                why=_source(row.source),
            )
        )
    audits = AuditEvent.objects.filter(
        Q(object_type="Participant", object_id__in=[str(i) for i in ids])
        & Q(action__in=["participant.created", "participant.details_updated", "participant.merged"])
        | Q(action="case.participant_merged", case__in=[c.pk for c in cases])
    ).select_related("actor", "case")
    reasons = {m.pk: m.merge_reason for m in merged}
    for audit in audits:
        who = _name(audit.actor, audit.actor_name)
        suffix = numbers.get(int(audit.object_id), "") if audit.object_id.isdigit() else ""
        if audit.action == "participant.created":
            changes.append(Change(audit.at, f"Registered{suffix}", who, ""))
        elif audit.action == "participant.details_updated":
            fields = ", ".join(DETAIL_WORDS.get(f, f) for f in audit.data.get("fields", []))
            why = _source(audit.data.get("source", ""))
            changes.append(Change(audit.at, f"Changed {fields}{suffix}", who, why))
        elif audit.action == "participant.merged":
            other = audit.data.get("merged")
            cases_moved = len(audit.data.get("cases", []))
            changes.append(
                Change(
                    audit.at,
                    f"Record no. {other} merged into this one "
                    f"({cases_moved} case{'s' if cases_moved != 1 else ''} moved)",
                    who,
                    reasons.get(other, ""),
                )
            )
        else:
            fields = ", ".join(
                PREFERENCE_LABELS.get(f, f).lower() for f in audit.data.get("fields", [])
            )
            reference = audit.case.reference if audit.case is not None else ""
            changes.append(
                Change(
                    audit.at,
                    f"Case {reference} takes this record's preferences ({fields})",
                    who,
                    f"record no. {audit.data.get('merged')} merged into this one",
                )
            )
    changes.sort(key=lambda c: c.at, reverse=True)
    return changes


# --- the merge page (WPO admins: identifying details, no case content) -------------------------


@dataclass(frozen=True)
class Candidate:
    participant: Participant
    cases: int
    alike: list[Participant]


def merge_search(
    *, name: str = "", date_of_birth: Any = None, phone: str = "", email: str = ""
) -> list[Candidate]:
    """Records not merged yet matching what was given, each with the other records that look
    like the same person (the duplicate test of /cases/new/)."""
    criteria = Q()
    if name.strip():
        by_name = Q()
        for word in name.split():
            by_name &= Q(full_name__icontains=word) | Q(preferred_name__icontains=word)
        criteria |= by_name
    if email.strip():
        criteria |= Q(email__iexact=email.strip())
    wanted = phone_digits(phone)
    if len(wanted) >= 6:
        criteria |= Q(pk__in=_phone_matches(wanted))
    if date_of_birth is not None:
        criteria = (
            (criteria & Q(date_of_birth=date_of_birth))
            if criteria
            else Q(date_of_birth=date_of_birth)
        )
    if not criteria:
        return []
    rows = list(
        Participant.objects.filter(criteria, merged_into__isnull=True)
        .annotate(case_count=Count("cases"))
        .select_related("client")
        .order_by("full_name", "pk")[:MERGE_SEARCH_LIMIT]
    )
    # The records that look like each one found are looked for beyond the results, so a
    # likely duplicate is offered even when only one of the two matched the search.
    return [Candidate(p, p.case_count, likely_duplicates(p)) for p in rows]


def _phone_matches(wanted: str) -> list[int]:
    """Records whose number ends in the same digits, however each is written: narrowed in SQL
    by the last four digits (written together in every format), compared in Python."""
    tail = wanted[-9:]
    near = Participant.objects.filter(phone__contains=wanted[-4:], merged_into__isnull=True)
    return [
        pk for pk, number in near.values_list("pk", "phone") if phone_digits(number).endswith(tail)
    ]


def likely_duplicates(participant: Participant) -> list[Participant]:
    """Other records not merged that look like the same person: same name and date of birth,
    or same email, or a phone number ending in the same digits."""
    criteria = Q()
    if participant.date_of_birth is not None:
        criteria |= Q(
            full_name__iexact=participant.full_name.strip(),
            date_of_birth=participant.date_of_birth,
        )
    if participant.email:
        criteria |= Q(email__iexact=participant.email)
    digits = phone_digits(participant.phone)
    if len(digits) >= 6:
        criteria |= Q(pk__in=_phone_matches(digits))
    if not criteria:
        return []
    near = Participant.objects.filter(criteria, merged_into__isnull=True).exclude(pk=participant.pk)
    return [p for p in near.order_by("pk")[:MERGE_SEARCH_LIMIT] if looks_alike(participant, p)]


def merge_record(participant_id: Any) -> Participant | None:
    """A record that may take part in a merge (not merged yet), or None."""
    try:
        pk = int(participant_id)
    except (TypeError, ValueError):
        return None
    return (
        Participant.objects.filter(pk=pk, merged_into__isnull=True)
        .annotate(case_count=Count("cases"))
        .select_related("client")
        .first()
    )
