"""Writing planned stories through the services, exactly as a clinician's actions would be
written, with `historical=True` and each step's own time. Nothing here writes a case row,
event or obligation directly."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile

from eapcase.cases import services as cases
from eapcase.cases.choices import PreferenceSource
from eapcase.cases.models import Case, Participant
from eapcase.core.errors import ServiceError
from eapcase.outreach import services as outreach
from eapcase.providers import services as providers
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
        ctx: dict[str, Any] = {}
        for step in plan.steps:
            actor = self.ref.users[step.by] if step.by else None
            try:
                getattr(self, f"_{step.kind}")(case, ctx, step, actor, **step.args)
            except ServiceError as exc:
                raise DemoRefused(case.reference, step, exc) from exc
            self.events += 1
        return case

    # One method per step kind; each calls the service a clinician's action would.

    def _risk(self, case: Case, ctx: dict[str, Any], step: Step, actor: Any, *, level: str) -> None:
        cases.risk_set(
            actor=actor, case=case, level=level, now=self.now, at=step.at, historical=True
        )

    def _prefs(
        self, case: Case, ctx: dict[str, Any], step: Step, actor: Any, *, changes: dict[str, bool]
    ) -> None:
        cases.participant_preferences_update(
            actor=actor,
            participant=case.participant,
            changes=changes,
            source=PreferenceSource.PARTICIPANT,
            now=self.now,
            at=step.at,
            historical=True,
        )

    def _callback(
        self,
        case: Case,
        ctx: dict[str, Any],
        step: Step,
        actor: Any,
        *,
        key: str,
        not_before: datetime | None,
        reason: str,
    ) -> None:
        ctx[key] = outreach.callback_request(
            actor=actor,
            case=case,
            now=self.now,
            at=step.at,
            not_before=not_before,
            reason=reason,
            historical=True,
        )

    def _outreach(
        self,
        case: Case,
        ctx: dict[str, Any],
        step: Step,
        actor: Any,
        *,
        key: str,
        purpose: str,
        target: str,
        due: datetime | None,
        reason: str,
    ) -> None:
        ctx[key] = outreach.outreach_request(
            actor=actor,
            case=case,
            purpose=purpose,
            target=target,
            now=self.now,
            at=step.at,
            due=due,
            reason=reason,
            historical=True,
        )

    def _outreach_close(
        self, case: Case, ctx: dict[str, Any], step: Step, actor: Any, *, key: str, reason: str
    ) -> None:
        outreach.outreach_close(
            actor=actor, request=ctx[key], reason=reason, now=self.now, at=step.at, historical=True
        )

    def _attempt(
        self,
        case: Case,
        ctx: dict[str, Any],
        step: Step,
        actor: Any,
        *,
        target: str,
        channel: str,
        outcome: str,
        message: str,
        summary: str,
    ) -> None:
        outreach.attempt_record(
            actor=actor,
            case=case,
            target=target,
            channel=channel,
            outcome=outcome,
            message=message,
            summary=summary,
            now=self.now,
            at=step.at,
            historical=True,
        )

    def _email_in(
        self,
        case: Case,
        ctx: dict[str, Any],
        step: Step,
        actor: Any,
        *,
        key: str,
        sender: str,
        urgent: bool,
        needs_contact: bool,
        subject: str,
        body: str,
        address: str,
    ) -> None:
        ctx[key] = outreach.email_receive(
            actor=actor,
            case=case,
            sender_kind=sender,
            now=self.now,
            at=step.at,
            urgent=urgent,
            needs_contact=needs_contact,
            subject=subject,
            body=body,
            from_address=address,
            message_id=f"<{case.reference}.{key}@mail.wpo.example>",
            historical=True,
        )

    def _email_ack(
        self, case: Case, ctx: dict[str, Any], step: Step, actor: Any, *, key: str
    ) -> None:
        ctx[key] = outreach.email_acknowledge(
            actor=actor, email=ctx[key], now=self.now, at=step.at, historical=True
        )

    def _email_act(
        self, case: Case, ctx: dict[str, Any], step: Step, actor: Any, *, key: str, summary: str
    ) -> None:
        ctx[key] = outreach.email_action(
            actor=actor, email=ctx[key], summary=summary, now=self.now, at=step.at, historical=True
        )

    def _escalate(
        self,
        case: Case,
        ctx: dict[str, Any],
        step: Step,
        actor: Any,
        *,
        key: str,
        reason: str,
        summary: str,
    ) -> None:
        # Historical: recorded as it happened, and WPO is not notified again by email.
        ctx[key] = cases.escalation_raise(
            actor=actor,
            case=case,
            reason=reason,
            summary=summary,
            now=self.now,
            at=step.at,
            historical=True,
        )

    def _escalation_ack(
        self, case: Case, ctx: dict[str, Any], step: Step, actor: Any, *, key: str, note: str
    ) -> None:
        cases.escalation_acknowledge(
            actor=actor, escalation=ctx[key], note=note, now=self.now, at=step.at
        )

    def _dissatisfaction(
        self,
        case: Case,
        ctx: dict[str, Any],
        step: Step,
        actor: Any,
        *,
        key: str,
        aspect: str,
        description: str,
    ) -> None:
        recorded = cases.dissatisfaction_record(
            actor=actor,
            case=case,
            aspect=aspect,
            description=description,
            now=self.now,
            at=step.at,
            historical=True,
        )
        ctx[key] = recorded.escalation

    def _query(
        self,
        case: Case,
        ctx: dict[str, Any],
        step: Step,
        actor: Any,
        *,
        key: str,
        text: str,
        channel: str,
    ) -> None:
        ctx[key] = cases.query_record(
            actor=actor,
            case=case,
            text=text,
            channel=channel,
            now=self.now,
            at=step.at,
            historical=True,
        )

    def _query_resolve(
        self, case: Case, ctx: dict[str, Any], step: Step, actor: Any, *, key: str, resolution: str
    ) -> None:
        cases.query_resolve(
            actor=actor,
            query=ctx[key],
            resolution=resolution,
            now=self.now,
            at=step.at,
            historical=True,
        )

    def _provider_contact(
        self,
        case: Case,
        ctx: dict[str, Any],
        step: Step,
        actor: Any,
        *,
        key: str,
        topic: str,
        text: str,
    ) -> None:
        ctx[key] = providers.provider_contact_record(
            actor=actor,
            case=case,
            topic=topic,
            text=text,
            now=self.now,
            at=step.at,
            historical=True,
        )

    def _provider_respond(
        self, case: Case, ctx: dict[str, Any], step: Step, actor: Any, *, key: str, response: str
    ) -> None:
        providers.provider_contact_respond(
            actor=actor,
            contact=ctx[key],
            response=response,
            now=self.now,
            at=step.at,
            historical=True,
        )

    def _session(self, case: Case, ctx: dict[str, Any], step: Step, actor: Any) -> None:
        cases.session_record(actor=actor, case=case, now=self.now, at=step.at, historical=True)

    def _review(
        self,
        case: Case,
        ctx: dict[str, Any],
        step: Step,
        actor: Any,
        *,
        decision: str,
        sessions: int,
        resources: list[str],
        destination: str,
        rationale: str,
    ) -> None:
        cases.review_complete(
            actor=actor,
            case=case,
            decision=decision,
            sessions=sessions,
            resources=resources,
            transition_destination=destination,
            rationale=rationale,
            now=self.now,
            at=step.at,
            historical=True,
        )

    def _intervention_end(self, case: Case, ctx: dict[str, Any], step: Step, actor: Any) -> None:
        providers.intervention_end(
            actor=actor, case=case, now=self.now, at=step.at, historical=True
        )

    def _notes_upload(
        self, case: Case, ctx: dict[str, Any], step: Step, actor: Any, *, key: str, sessions: int
    ) -> None:
        provider = case.provider
        text = (
            "Completed case notes (invented demo data)\n"
            f"Case: {case.reference}\nProvider: {provider.name if provider else ''}\n"
            f"Sessions held: {sessions}\n\n"
            "Presenting issue and goals agreed at the first session.\n"
            "Progress reviewed each session; outcome measure repeated at the last.\n"
            "Plan: participant knows how to return through the access line.\n"
        )
        ctx[key] = providers.case_notes_upload(
            actor=actor,
            case=case,
            now=self.now,
            at=step.at,
            file=ContentFile(text.encode(), name=f"{case.reference}-case-notes.txt"),
            original_name=f"{case.reference}-case-notes.txt",
            content_type="text/plain",
            historical=True,
        )

    def _notes_review(
        self,
        case: Case,
        ctx: dict[str, Any],
        step: Step,
        actor: Any,
        *,
        key: str,
        note: str,
        issues: bool,
    ) -> None:
        providers.case_notes_review(
            actor=actor,
            upload=ctx[key],
            note=note,
            issues_found=issues,
            now=self.now,
            at=step.at,
            historical=True,
        )

    def _note(
        self,
        case: Case,
        ctx: dict[str, Any],
        step: Step,
        actor: Any,
        *,
        summary: str,
        next_step: str,
    ) -> None:
        cases.note_add(
            actor=actor,
            case=case,
            summary=summary,
            next_step=next_step,
            now=self.now,
            at=step.at,
            historical=True,
        )

    def _close(
        self, case: Case, ctx: dict[str, Any], step: Step, actor: Any, *, reason: str
    ) -> None:
        cases.case_close(
            actor=actor, case=case, reason=reason, now=self.now, at=step.at, historical=True
        )
