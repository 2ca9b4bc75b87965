"""Writing planned stories through the services, exactly as a clinician's actions would be
written, with `historical=True` and each step's own time. Nothing here writes a case row,
event or obligation directly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile

from eapcase.accounts.models import Membership
from eapcase.cases import services as cases
from eapcase.cases.choices import Attendance, Modality, PreferenceSource
from eapcase.cases.models import Case, Participant
from eapcase.compliance.event_services import event_record
from eapcase.core.errors import ServiceError
from eapcase.web.demo import texts
from eapcase.web.demo.people import ParticipantSpec
from eapcase.web.demo.reference import Reference
from eapcase.web.demo.stories import Plan, Step


class DemoRefused(Exception):
    """A service refused a planned event: a finding about the services, not demo noise."""

    def __init__(self, reference: str, step: Step, error: ServiceError) -> None:
        super().__init__(
            f"{reference}: {step.kind} at {step.at.isoformat()} by {step.by or 'mailbox'} "
            f"was refused: {error}"
        )
        self.reference = reference
        self.step = step
        self.error = error


class Executor:
    def __init__(self, ref: Reference, now: datetime) -> None:
        self.ref = ref
        self.now = now
        self.events = 0

    def participant(self, spec: ParticipantSpec, at: datetime, by: str) -> Participant:
        # participant_create takes no `at`: its `now` is when intake registered the person,
        # so that created_at precedes the person's first case.
        return cases.participant_create(
            actor=self.ref.users[by],
            full_name=spec.full_name,
            now=at,
            client=self.ref.clients[spec.client],
            phone=spec.phone,
            email=spec.email,
            country=spec.country,
            preferences=spec.prefs,
            date_of_birth=spec.date_of_birth,
        )

    def run(self, plan: Plan, participant: Participant) -> Case:
        s = plan.spec
        case = cases.case_open(
            actor=self.ref.users[s.intake],
            participant=participant,
            partner=self.ref.partners[s.partner],
            referral=s.referral,
            case_type=s.case_type,
            benefit_sessions=s.benefit,
            now=self.now,
            at=s.opened_at,
            client=self.ref.clients[s.client],
            provider=self.ref.providers[s.provider] if s.provider else None,
            assigned_clinician=self.ref.users[s.clinician],
            presenting_issue=s.issue,
        )
        escalations: dict[str, Any] = {}  # step key -> escalation, for WPO's acknowledgement
        for step in plan.steps:
            actor = self.ref.users[step.by] if step.by else None
            try:
                self._step(case, step, actor, escalations)
            except ServiceError as exc:
                raise DemoRefused(case.reference, step, exc) from exc
            self.events += 1
        return case

    def _step(self, case: Case, step: Step, actor: Any, escalations: dict[str, Any]) -> None:
        """Write one planned step: a history event through the one event table (as `eapcase
        import` and the API do), or WPO's acknowledgement of an escalation (not an event)."""
        a = step.args
        if step.kind == "escalation_ack":
            cases.escalation_acknowledge(
                actor=actor,
                escalation=escalations[a["key"]],
                note=a["note"],
                now=self.now,
                at=step.at,
            )
            return
        if step.kind == "session":
            # Through the session service itself: the demo's sessions carry their modality
            # and length, which the history format does not (ADR 0028).
            number = case.sessions.count() + 1
            modality = SESSION_MODALITIES[(case.pk + number) % len(SESSION_MODALITIES)]
            cases.session_record(
                actor=actor,
                case=case,
                now=self.now,
                at=step.at,
                historical=True,
                modality=modality,
                duration_minutes=30 if modality == Modality.PHONE else 50,
            )
            return
        line, details = STEP_EVENTS[step.kind](case, a)
        written = event_record(
            case,
            {"at": step.at.isoformat(), **{k: v for k, v in line.items() if v is not None}},
            actor=actor,
            now=self.now,
            historical=True,
            details=details,
        )
        if step.kind == "escalate":
            escalations[a["key"]] = written
        elif step.kind == "dissatisfaction":
            escalations[a["key"]] = written.escalation


#: The modalities the demo's sessions cycle through (video most, as Alder Bay asks).
SESSION_MODALITIES = (Modality.VIDEO, Modality.IN_PERSON, Modality.VIDEO, Modality.PHONE)


def missed_sessions_load(ref: Reference, now: datetime) -> list[Any]:
    """One session not attended and one cancelled late, on two open cases referred to a
    provider that have had a session: recorded by the provider a few days after the last
    session held, through the session service (not sessions held: no event, nothing used)."""
    recorded = []
    candidates = (
        Case.objects.filter(status="open", provider__isnull=False, sessions__isnull=False)
        .distinct()
        .order_by("reference")
    )
    kinds = [Attendance.DID_NOT_ATTEND, Attendance.LATE_CANCELLATION]
    for case in candidates:
        if not kinds:
            break
        last = case.sessions.order_by("-held_at").first()
        assert last is not None and case.provider is not None
        at = min(last.held_at + timedelta(days=7), now - timedelta(hours=1))
        if at <= last.held_at:
            continue
        kind = kinds.pop(0)
        membership = Membership.objects.filter(provider=case.provider, active=True).first()
        recorded.append(
            cases.session_record(
                actor=membership.user if membership else case.assigned_clinician,
                case=case,
                now=now,
                at=at,
                attendance=kind,
                modality=Modality.VIDEO,
                note="No answer on the video link; a new time offered."
                if kind == Attendance.DID_NOT_ATTEND
                else "Cancelled two hours before: a shift change at work.",
            )
        )
    return recorded


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _provider(case: Case) -> str:
    return case.provider.code if case.provider else ""


def _notes_file(case: Case, sessions: int) -> dict[str, Any]:
    provider = case.provider
    text = (
        "Completed case notes (invented demo data)\n"
        f"Case: {case.reference}\nProvider: {provider.name if provider else ''}\n"
        f"Sessions held: {sessions}\n\n"
        "Presenting issue and goals agreed at the first session.\n"
        "Progress reviewed each session; outcome measure repeated at the last.\n"
        "Plan: participant knows how to return through the access line.\n"
    )
    name = f"{case.reference}-case-notes.txt"
    return {
        "file": ContentFile(text.encode(), name=name),
        "original_name": name,
        "content_type": "text/plain",
    }


Line = tuple[dict[str, Any], dict[str, Any] | None]

#: A planned step -> the history line it is (fields that later steps name get the step's key
#: as event id; None fields are left out) and the texts a clinician would have typed.
STEP_EVENTS: dict[str, Callable[[Case, dict[str, Any]], Line]] = {
    "risk": lambda c, a: (
        {"type": "risk_set", "level": a["level"]},
        {"reason": a.get("reason") or texts.RISK_REASONS[a["level"]]},
    ),
    "prefs": lambda c, a: (
        {"type": "participant_updated", "participant": a["changes"]},
        {"source": PreferenceSource.PARTICIPANT},
    ),
    "callback": lambda c, a: (
        {"type": "callback_requested", "id": a["key"], "not_before": _iso(a["not_before"])},
        {"reason": a["reason"]},
    ),
    "outreach": lambda c, a: (
        {
            "type": "outreach_requested",
            "id": a["key"],
            "purpose": a["purpose"],
            "target": a["target"],
            "due": _iso(a["due"]),
        },
        {"reason": a["reason"]},
    ),
    "outreach_close": lambda c, a: (
        {"type": "outreach_closed", "outreach": a["key"], "reason": a["reason"]},
        None,
    ),
    "attempt": lambda c, a: ({"type": "contact_attempt", **a}, None),
    "email_in": lambda c, a: (
        {
            "type": "email_received",
            "id": a["key"],
            "from": a["sender"],
            "urgent": a["urgent"],
            "needs_contact": a["needs_contact"],
        },
        {
            "subject": a["subject"],
            "body": a["body"],
            "from_address": a["address"],
            "message_id": f"<{c.reference}.{a['key']}@mail.wpo.example>",
        },
    ),
    "email_ack": lambda c, a: ({"type": "email_acknowledged", "email": a["key"]}, None),
    "email_act": lambda c, a: (
        {"type": "email_actioned", "email": a["key"]},
        {"summary": a["summary"]},
    ),
    # Historical: recorded as it happened, and WPO is not notified again by email.
    "escalate": lambda c, a: (
        {"type": "escalated_to_wpo", "id": a["key"], "reason": a["reason"]},
        {"summary": a["summary"]},
    ),
    "dissatisfaction": lambda c, a: (
        {"type": "dissatisfaction_noted"},
        {"aspect": a["aspect"], "description": a["description"], "escalate": True},
    ),
    "query": lambda c, a: (
        {"type": "participant_query", "id": a["key"]},
        {"text": a["text"], "channel": a["channel"]},
    ),
    "query_resolve": lambda c, a: (
        {"type": "participant_query_resolved", "query": a["key"]},
        {"resolution": a["resolution"]},
    ),
    "provider_contact": lambda c, a: (
        {"type": "provider_contact", "id": a["key"], "topic": a["topic"]},
        {"text": a["text"]},
    ),
    "provider_respond": lambda c, a: (
        {"type": "provider_responded", "contact": a["key"]},
        {"response": a["response"]},
    ),
    "session": lambda c, a: ({"type": "session_held"}, None),
    "review": lambda c, a: (
        {
            "type": "review_completed",
            "decision": a["decision"],
            "sessions": a["sessions"],
            "resources": a["resources"],
        },
        {"transition_destination": a["destination"], "rationale": a["rationale"]},
    ),
    "intervention_end": lambda c, a: (
        {"type": "intervention_ended", "provider": _provider(c)},
        None,
    ),
    "notes_upload": lambda c, a: (
        {"type": "case_notes_uploaded", "id": a["key"], "provider": _provider(c)},
        _notes_file(c, a["sessions"]),
    ),
    "notes_review": lambda c, a: (
        {"type": "case_notes_reviewed", "notes": a["key"]},
        {"note": a["note"], "issues_found": a["issues"]},
    ),
    "note": lambda c, a: (
        {"type": "note", "summary": a["summary"], "next_step": a["next_step"]},
        None,
    ),
    "close": lambda c, a: ({"type": "case_closed", "reason": a["reason"]}, None),
}
