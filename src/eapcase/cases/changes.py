"""What happened to a case since a version of it (optimistic concurrency, ADR 0038): the writes
after the one a refused writer read, each with who, when, and what it did in plain words, and
the case as it stands now. The pages' 409 page and the API's 409 body both say it.

Every write records the version it made (`CaseVersion`, cases.record.case_write), so the
writes since version N are the case's versions above N, in order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eapcase.accounts.models import User
from eapcase.cases.choices import CaseStatus, RiskLevel
from eapcase.cases.models import Case, CaseEvent, CaseVersion
from eapcase.cases.words import event_noun
from eapcase.policy.types import EventType

#: Writes that append no event, in words.
_ACTION_WORDS = {
    "case.assigned": "Gave the case to another clinician",
    "case.referred": "Referred the case to a provider",
}


@dataclass(frozen=True)
class Change:
    """One write since the version read: its new version, when, by whom, what it did."""

    version: int
    at: datetime
    by: str
    what: list[str]

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "at": self.at.isoformat(),
            "by": self.by,
            "what": self.what,
        }


def name_of(user: User | None, fallback: str = "") -> str:
    if user is None:
        return fallback or "the system"
    return user.get_full_name() or user.username


def _event_words(event: CaseEvent) -> str:
    fields = event.fields or {}
    if event.type == EventType.RISK_SET:
        level = str(fields.get("level", ""))
        if level == RiskLevel.NONE:
            return "Cleared the risk"
        return f"Set the risk to {RiskLevel(level).label if level in RiskLevel.values else level}"
    if event.type == EventType.CASE_CLOSED:
        return "Closed the case"
    if event.type == EventType.CASE_REOPENED:
        return "Reopened the case"
    return f"Recorded a {event_noun(event.type, fields)}"


def _assignment_words(data: dict[str, Any], users: dict[int, User]) -> str:
    clinician = data.get("clinician")
    if clinician is None:
        return "Put the case back on the unallocated list"
    return f"Gave the case to {name_of(users.get(clinician))}"


def changes_since(case: Case, seen: int) -> list[Change]:
    """The writes to `case` after version `seen`, oldest first."""
    rows = list(
        CaseVersion.objects.filter(case=case, version__gt=seen)
        .select_related("by")
        .order_by("version")
    )
    event_ids = {e for row in rows for e in row.events}
    events = {e.event_id: e for e in CaseEvent.objects.filter(case=case, event_id__in=event_ids)}
    clinicians = {row.data.get("clinician") for row in rows if row.action == "case.assigned"}
    users = {u.pk: u for u in User.objects.filter(pk__in=[c for c in clinicians if c])}
    changes = []
    for row in rows:
        what = [_event_words(events[e]) for e in row.events if e in events]
        if row.action == "case.assigned":
            what.append(_assignment_words(row.data, users))
        elif not what:
            what.append(_ACTION_WORDS.get(row.action, "Changed the case's record"))
        changes.append(
            Change(version=row.version, at=row.at, by=name_of(row.by, row.by_name), what=what)
        )
    return changes


@dataclass(frozen=True)
class CaseNow:
    """The case as it stands, in the words the 409 page and body give it."""

    version: int
    risk: str
    status: str
    clinician: str

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "risk": self.risk,
            "status": self.status,
            "clinician": self.clinician,
        }


def case_now(case: Case) -> CaseNow:
    case = Case.objects.select_related("assigned_clinician").get(pk=case.pk)
    clinician = case.assigned_clinician
    return CaseNow(
        version=case.version,
        risk=RiskLevel(case.risk_level).label,
        status=CaseStatus(case.status).label,
        clinician=name_of(clinician) if clinician else "nobody (unallocated)",
    )
