"""Merging two participant records that are the same person (ADR 0029): the cases move to the
record kept, the other record stays as merged into it, nothing is deleted, and it is one
audited transaction. Only a WPO admin merges; they see identifying details, never case
content, so the service asks nothing about the cases but their ids."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from eapcase.accounts.choices import Role
from eapcase.accounts.standing import standing_of
from eapcase.audit.services import audit_record
from eapcase.cases.choices import PREFERENCE_FIELDS, CaseStatus
from eapcase.cases.models import Case, CaseEvent, Participant
from eapcase.cases.record import Actor, case_write, user_of
from eapcase.core.errors import Conflict, PermissionDenied, ServiceError

#: Details the record kept takes from the merged one when it has none of its own. Phone and
#: email are not among them: they make the `phone`/`email` preferences, which only the
#: participant's own statement changes; the merged record keeps them (shown on the page, and
#: intake still finds its open cases by that address).
FILLED_DETAILS = (
    "preferred_name",
    "date_of_birth",
    "employee_number",
    "language",
    "country",
    "region",
    "client",
)

MERGE_REASON_MAX = 500


def may_merge_participants(user: Any) -> bool:
    """Merging records is reference-data work: WPO admins only (ADR 0029)."""
    return Role.WPO_ADMIN in standing_of(user).wpo_roles


def case_preferences(case: Case) -> dict[str, bool]:
    """The participant's contact preferences as the case's own history has them: the case
    line's, then each participant_updated event in order."""
    prefs = {k: bool(v) for k, v in (case.opening_preferences or {}).items()}
    for fields in (
        CaseEvent.objects.filter(case=case, type="participant_updated")
        .order_by("at", "seq")
        .values_list("fields", flat=True)
    ):
        prefs.update({k: bool(v) for k, v in (fields or {}).get("participant", {}).items()})
    return prefs


def participant_merge(
    *, actor: Actor, keep: Participant, merge: Participant, reason: str, now: datetime
) -> Participant:
    """Merge `merge` into `keep`: its cases (and the records merged into it before) move to
    `keep`; `keep` takes the details it lacks; `merge` is kept, marked merged into `keep`.
    Each open case moved whose own history has other contact preferences than `keep` gets a
    participant_updated event, so the engine judges later contacts by the record kept."""
    if not may_merge_participants(actor):
        raise PermissionDenied("Only a WPO admin may merge participant records.", field=None)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("say why these records are the same person", field="reason")
    if len(reason) > MERGE_REASON_MAX:
        raise ServiceError(f"keep it under {MERGE_REASON_MAX} characters", field="reason")
    if keep.pk == merge.pk:
        raise ServiceError("choose two different records", field="merge")
    with transaction.atomic():
        rows = {
            p.pk: p
            for p in Participant.objects.select_for_update()
            .filter(pk__in=[keep.pk, merge.pk])
            .order_by("pk")
        }
        if len(rows) != 2:
            raise ServiceError("no such participant", field="merge")
        keep, merge = rows[keep.pk], rows[merge.pk]
        if merge.merged_into_id is not None:
            raise Conflict(
                f"record no. {merge.pk} is already merged into no. {merge.merged_into_id}",
                field="merge",
            )
        if keep.merged_into_id is not None:
            raise Conflict(
                f"record no. {keep.pk} is merged into no. {keep.merged_into_id}: keep that one",
                field="keep",
            )
        filled = []
        for name in FILLED_DETAILS:
            column = f"{name}_id" if name == "client" else name
            if not getattr(keep, column) and getattr(merge, column):
                setattr(keep, column, getattr(merge, column))
                filled.append(name)
        if filled:
            keep.save(update_fields=filled)
        moved = list(Case.objects.filter(participant=merge).order_by("pk"))
        earlier = list(Participant.objects.filter(merged_into=merge).values_list("pk", flat=True))
        Participant.objects.filter(merged_into=merge).update(merged_into=keep)
        Case.objects.filter(participant=merge).update(participant=keep)
        merge.merged_into = keep
        merge.merged_at = now
        merge.merged_by = user_of(actor)
        merge.merge_reason = reason
        merge.save(update_fields=["merged_into", "merged_at", "merged_by", "merge_reason"])
        audit_record(
            actor=actor,
            action="participant.merged",
            at=now,
            obj=keep,
            data={
                "merged": merge.pk,
                "cases": [c.pk for c in moved],
                "records": earlier,
                "filled": filled,
            },
        )
        kept_prefs = keep.preferences()
        for case in moved:
            if case.status != CaseStatus.OPEN:
                continue
            differs = {
                k: v
                for k, v in kept_prefs.items()
                if k in PREFERENCE_FIELDS and case_preferences(case).get(k) != v
            }
            if not differs:
                continue
            with case_write(case, actor=actor, action="case.participant_merged", now=now) as write:
                write.append("participant_updated", at=now, fields={"participant": differs})
                write.data.update({"merged": merge.pk, "kept": keep.pk, "fields": sorted(differs)})
    return keep
