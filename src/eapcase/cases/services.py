"""Writes on participants and cases, and escalations to WPO. Each service is one transaction:
it validates, writes the domain rows, appends the case event, refreshes the obligations through
the engine and audits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from eapcase.audit.services import audit_record
from eapcase.cases.access import Action, may
from eapcase.cases.choices import (
    PREFERENCE_COLUMNS,
    PREFERENCE_FIELDS,
    Attendance,
    AuthorisationOrigin,
    CaseOutcome,
    CaseStatus,
    CaseType,
    EscalationReason,
    Modality,
    PreferenceSource,
    Referral,
    ReviewDecision,
    RiskLevel,
)
from eapcase.cases.models import (
    Authorisation,
    Case,
    CaseAssignment,
    CaseEvent,
    ContactPreference,
    Dissatisfaction,
    Escalation,
    Note,
    Obligation,
    Participant,
    ParticipantQuery,
    Review,
    RiskRecord,
    Session,
)
from eapcase.cases.record import (
    CLOCK_SKEW,
    Actor,
    CaseWrite,
    case_write,
    historical_rows,
    user_of,
)
from eapcase.core.errors import Conflict, ServiceError
from eapcase.core.rowupdate import rows_insert
from eapcase.notifications.services import escalation_answer_notify, escalation_notify

# Rules whose findings make these writes impossible rather than merely questionable.
REVIEW_REFUSED = frozenset({"CM-REVIEW-DECISION"})


def _require(value: str, field: str, message: str = "is required") -> str:
    if not value or not value.strip():
        raise ServiceError(message, field=field)
    return value.strip()


def _choice(value: str, choices: Any, field: str) -> str:
    if value not in choices.values:
        raise ServiceError(f"must be one of {', '.join(choices.values)}", field=field)
    return value


def case_require_open(case: Case) -> None:
    """Refuse a write a closed case does not take. A closed case takes only check-in attempts,
    notes, case-note uploads and reviews, answers to providers, participant queries and
    reopening (ADR 0026); every other service on a case calls this first, unless it records
    history as it happened (import), where events after closure are judged as usual."""
    if case.status != CaseStatus.OPEN:
        raise Conflict("the case is closed", field="case")


#: Longest history `reason` of a closing (the API's limit on the field, Case.closure_reason).
CLOSE_REASON_MAX = 200


def close_reason_of(note: str, outcome: str) -> str:
    """The closing event's `reason`: the note's first line, cut to fit, or else the outcome."""
    first = note.strip().splitlines()[0].strip() if note.strip() else ""
    if len(first) > CLOSE_REASON_MAX:
        first = first[: CLOSE_REASON_MAX - 1].rstrip() + "…"
    if first:
        return first
    return str(CaseOutcome(outcome).label) if outcome else ""


def participant_create(
    *,
    actor: Actor,
    full_name: str,
    now: datetime,
    client: Any = None,
    phone: str = "",
    email: str = "",
    country: str = "",
    preferences: dict[str, bool] | None = None,
    source: str = PreferenceSource.WPO_INTAKE,
    date_of_birth: Any = None,
    preferred_name: str = "",
    at: datetime | None = None,
    region: str = "",
    employee_number: str = "",
    language: str = "",
    interpreter_needed: bool = False,
    registered_by_partner: Any = None,
) -> Participant:
    """Register a participant with their contact preferences and consents as stated at intake
    (`at`, default now: when they were stated)."""
    full_name = _require(full_name, "full_name")
    if country and (len(country.strip()) != 2 or not country.strip().isalpha()):
        raise ServiceError("give the two-letter country code, e.g. GB", field="country")
    at = at or now
    if at > now + CLOCK_SKEW:
        raise ServiceError("is in the future", field="at")
    prefs = {
        "phone": bool(phone),
        "email": bool(email),
        "voicemail_ok": True,
        "email_messages_ok": True,
        "email_only": False,
        "email_consent": True,
    }
    for key, value in (preferences or {}).items():
        if key not in PREFERENCE_FIELDS:
            raise ServiceError(f"unknown preference {key}", field="preferences")
        prefs[key] = bool(value)
    _choice(source, PreferenceSource, "source")
    with transaction.atomic():
        participant = Participant.objects.create(
            client=client,
            full_name=full_name,
            preferred_name=preferred_name.strip(),
            date_of_birth=date_of_birth,
            country=country.strip().upper(),
            region=region.strip(),
            employee_number=employee_number.strip(),
            language=language.strip(),
            interpreter_needed=bool(interpreter_needed),
            registered_by_partner=registered_by_partner,
            phone=phone.strip(),
            email=email.strip(),
            created_at=at,
            **{column: prefs[field] for field, column in PREFERENCE_COLUMNS.items()},
        )
        # The rows' keys are not needed here: inserted without reading them back (an import
        # registers a participant a case).
        rows_insert(
            ContactPreference,
            [
                ContactPreference(
                    participant=participant,
                    field=k,
                    value=v,
                    source=source,
                    stated_at=now,
                    recorded_by=user_of(actor),
                )
                for k, v in prefs.items()
            ],
        )
        audit_record(actor=actor, action="participant.created", at=now, obj=participant)
    return participant


def participant_preferences_update(
    *,
    actor: Actor,
    participant: Participant,
    changes: dict[str, bool],
    source: str,
    now: datetime,
    at: datetime | None = None,
    historical: bool = False,
    event_id: str | None = None,
    case: Case | None = None,
) -> Participant:
    """Record changed contact preferences; every open case of the participant (or only `case`,
    for an imported history) gets a participant_updated event so the engine judges later
    attempts by them."""
    at = at or now
    if at > now + CLOCK_SKEW:
        raise ServiceError("is in the future", field="at")
    _choice(source, PreferenceSource, "source")
    if not changes:
        raise ServiceError("nothing changed", field="changes")
    for key in changes:
        if key not in PREFERENCE_FIELDS:
            raise ServiceError(f"unknown preference {key}", field="changes")
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        for key, value in changes.items():
            setattr(participant, PREFERENCE_COLUMNS[key], bool(value))
            ContactPreference.objects.create(
                participant=participant,
                field=key,
                value=bool(value),
                source=source,
                stated_at=at,
                recorded_by=user_of(actor),
            )
        participant.save()
        audit_record(
            actor=actor,
            action="participant.preferences_updated",
            at=now,
            obj=participant,
            data={"fields": sorted(changes), "source": source},
        )
        cases = [case] if case is not None else participant.cases.filter(status=CaseStatus.OPEN)
        for each in sorted(cases, key=lambda c: c.pk):
            with case_write(
                each, actor=actor, action="case.participant_updated", now=now, historical=historical
            ) as write:
                write.append(
                    "participant_updated",
                    at=at,
                    fields={"participant": {k: bool(v) for k, v in changes.items()}},
                    event_id=event_id,
                )
                write.data["fields"] = sorted(changes)
    return participant


# Contact details a page or the API may change, beside the preferences.
DETAIL_FIELDS = (
    "full_name",
    "preferred_name",
    "phone",
    "email",
    "employee_number",
    "language",
    "interpreter_needed",
    "country",
    "region",
)


def participant_details_update(
    *,
    actor: Actor,
    participant: Participant,
    details: dict[str, Any],
    preferences: dict[str, bool],
    source: str,
    now: datetime,
    at: datetime | None = None,
) -> Participant:
    """Change a participant's contact details and preferences. Changed preferences (and a
    phone number or email address given or removed, which makes the `phone`/`email`
    preference) go through `participant_preferences_update`, so every open case gets its
    participant_updated event; only what differs from the record counts as a change."""
    for key in details:
        if key not in DETAIL_FIELDS:
            raise ServiceError(f"unknown detail {key}", field="details")
    for key in preferences:
        if key not in PREFERENCE_FIELDS:
            raise ServiceError(f"unknown preference {key}", field="preferences")
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        current = participant.preferences()
        changed_details: dict[str, Any] = {}
        for key, value in details.items():
            clean = bool(value) if key == "interpreter_needed" else str(value or "").strip()
            if key == "full_name":
                clean = _require(str(clean), "full_name")
            if key == "country":
                clean = str(clean).upper()
                if clean and (len(clean) != 2 or not clean.isalpha()):
                    raise ServiceError("give the two-letter country code, e.g. GB", field="country")
            if getattr(participant, key) != clean:
                changed_details[key] = clean
        if changed_details.get("email"):
            _email_check(str(changed_details["email"]))
        prefs = dict(preferences)
        # Whether they have a phone or email at all follows the details, unless stated.
        if "phone" in changed_details and "phone" not in prefs:
            prefs["phone"] = bool(changed_details["phone"])
        if "email" in changed_details and "email" not in prefs:
            prefs["email"] = bool(changed_details["email"])
        changes = {k: bool(v) for k, v in prefs.items() if current[k] != bool(v)}
        if not changed_details and not changes:
            raise ServiceError("nothing changed", field="details")
        for key, value in changed_details.items():
            setattr(participant, key, value)
        if changed_details:
            participant.save(update_fields=sorted(changed_details))
            audit_record(
                actor=actor,
                action="participant.details_updated",
                at=now,
                obj=participant,
                # The source is the change's "why" on the participant page.
                data={"fields": sorted(changed_details), "source": source},
            )
        if changes:
            participant = participant_preferences_update(
                actor=actor,
                participant=participant,
                changes=changes,
                source=source,
                now=now,
                at=at,
            )
    return participant


def _email_check(value: str) -> None:
    try:
        validate_email(value)
    except ValidationError as exc:
        raise ServiceError("enter a valid email address", field="email") from exc


def case_open(
    *,
    actor: Actor,
    participant: Participant,
    partner: Any,
    referral: str,
    case_type: str,
    benefit_sessions: int,
    now: datetime,
    at: datetime | None = None,
    reference: str | None = None,
    client: Any = None,
    provider: Any = None,
    assigned_clinician: Any = None,
    presenting_issue: str = "",
    preferences: dict[str, bool] | None = None,
    partner_reason: str = "",
    benefit_reason: str = "",
) -> Case:
    """Open a case for a participant at a Partner (the history's case line). A case given a
    clinician at once gets its first CaseAssignment row; otherwise it waits unallocated."""
    _choice(referral, Referral, "referral")
    _choice(case_type, CaseType, "case_type")
    if benefit_sessions is None or int(benefit_sessions) < 0:
        raise ServiceError("must be zero or more", field="benefit_sessions")
    at = at or now
    if at > now + CLOCK_SKEW:
        raise ServiceError("is in the future", field="at")
    prefs = participant.preferences()
    prefs.update(preferences or {})
    with transaction.atomic():
        if reference is None:
            reference = _next_reference()
        elif Case.objects.filter(reference=reference).exists():
            raise Conflict(f"case {reference} already exists", field="reference")
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    reference=reference,
                    participant=participant,
                    partner=partner,
                    client=client or participant.client,
                    provider=provider,
                    assigned_clinician=assigned_clinician,
                    referral=referral,
                    case_type=case_type,
                    benefit_sessions=int(benefit_sessions),
                    presenting_issue=presenting_issue.strip()[:200],
                    partner_reason=partner_reason.strip()[:500],
                    benefit_reason=benefit_reason.strip()[:500],
                    opened_at=at,
                    opening_preferences=prefs,
                )
        except IntegrityError as exc:
            raise Conflict(f"case {reference} already exists", field="reference") from exc
        Authorisation.objects.create(
            case=case,
            origin=AuthorisationOrigin.INITIAL,
            authorised_at=at,
            sessions=1 if case_type != CaseType.INDIVIDUAL else int(benefit_sessions),
        )
        if assigned_clinician is not None:
            CaseAssignment.objects.create(
                case=case,
                clinician=assigned_clinician,
                assigned_by=user_of(actor),
                at=at,
                reason="assigned when the case was opened",
            )
        # No event yet: the case line itself is judged (its first evaluation).
        with case_write(case, actor=actor, action="case.opened", now=now) as write:
            write.obj = write.case
            write.data.update({"partner": partner.code, "referral": referral})
    return case


def _next_reference() -> str:
    last = (
        Case.objects.filter(reference__startswith="EAP-")
        .order_by("-pk")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.split("-")[1]) + 1 if last and last.split("-")[1].isdigit() else 10001
    while Case.objects.filter(reference=f"EAP-{number}").exists():
        number += 1
    return f"EAP-{number}"


def case_assign(
    *, actor: Actor, case: Case, clinician: Any, now: datetime, reason: str = ""
) -> Case:
    """Give the case to a clinician of its Partner (or WPO), or back to the unallocated list
    (None). A reassignment (the case had a clinician) needs a reason; every one is kept as a
    CaseAssignment row for the timeline."""
    with case_write(case, actor=actor, action="case.assigned", now=now) as write:
        case = write.case
        if clinician is not None and not may(clinician, case, Action.MANAGE):
            raise ServiceError("is not a clinician who may manage this case", field="clinician")
        if getattr(clinician, "pk", None) == case.assigned_clinician_id:
            raise Conflict("the case is already with this clinician", field="clinician")
        if case.assigned_clinician_id is not None and not reason.strip():
            raise ServiceError("say why the case moves to another clinician", field="reason")
        CaseAssignment.objects.create(
            case=case,
            clinician=clinician,
            assigned_by=user_of(actor),
            at=now,
            reason=reason.strip()[:500],
        )
        case.assigned_clinician = clinician
        case.save(update_fields=["assigned_clinician"])
        # The work queues read the clinician from the obligations themselves.
        Obligation.objects.filter(case=case).update(assigned_clinician=clinician)
        write.data["clinician"] = getattr(clinician, "pk", None)
    return case


def case_refer(*, actor: Actor, case: Case, provider: Any, now: datetime) -> Case:
    """Refer the case to a provider of its Partner's network. Not a history event: the policy
    judges what the provider and the Partner do afterwards, not the referral itself."""
    if provider is None or not provider.active:
        raise ServiceError("choose an active provider", field="provider")
    with case_write(case, actor=actor, action="case.referred", now=now) as write:
        case = write.case
        case_require_open(case)
        if not provider.partners.filter(pk=case.partner_id).exists():
            raise ServiceError("is not in this Partner's network", field="provider")
        case.provider = provider
        case.save(update_fields=["provider"])
        write.data["provider"] = provider.code
    return case


def risk_set(
    *,
    actor: Actor,
    case: Case,
    level: str,
    now: datetime,
    at: datetime | None = None,
    summary: str = "",
    historical: bool = False,
    event_id: str | None = None,
    reason: str = "",
) -> Case:
    """Record the risk or urgency identified on the case (or that it is cleared), with the
    reason (required but for imported histories). `Case.risk_level` is the one risk every page
    shows (ADR 0025): the level of the latest risk_set event, so a backdated event recorded
    after a later one does not overwrite it."""
    _choice(level, RiskLevel, "level")
    reason = reason.strip()
    with case_write(
        case, actor=actor, action="case.risk_set", now=now, historical=historical
    ) as write:
        case = write.case
        if not historical:
            case_require_open(case)
        event = write.append("risk_set", at=at or now, fields={"level": level}, event_id=event_id)
        if not historical:
            # Asked after the event's own checks (its time, its id), which come first.
            _require(reason, "reason", "say why (what was identified, or why it is cleared)")
        RiskRecord.objects.create(
            case=case,
            level=level,
            reason=reason[:500],
            at=event.at,
            recorded_by=user_of(actor),
            event_id=event.event_id,
        )
        latest = RiskRecord.objects.filter(case=case).order_by("-at", "-pk").first()
        case.risk_level = latest.level if latest is not None else level
        case.risk_reason = latest.reason if latest is not None else reason
        case.save(update_fields=["risk_level", "risk_reason"])
        write.data.update({"level": level})
    return case


#: Longest session a form or the API takes, in minutes (Session's constraint).
SESSION_MINUTES_MAX = 600


def session_record(
    *,
    actor: Actor,
    case: Case,
    now: datetime,
    at: datetime | None = None,
    provider: Any = None,
    confirm: str = "",
    historical: bool = False,
    event_id: str | None = None,
    attendance: str = Attendance.ATTENDED,
    modality: str = "",
    duration_minutes: int | None = None,
    note: str = "",
) -> Session:
    """A booked session with the provider: held (the history's `session_held`, numbered, judged
    by the engine against what is authorised), or not attended or cancelled late. A session
    not held is the app's own row and no event: it counts against neither the benefit nor the
    authorisation (ADR 0028). Modality and duration are kept on the row either way."""
    _choice(attendance, Attendance, "attendance")
    if modality:
        _choice(modality, Modality, "modality")
    if duration_minutes is not None:
        if attendance != Attendance.ATTENDED:
            raise ServiceError("only a session held has a duration", field="duration_minutes")
        if not 1 <= int(duration_minutes) <= SESSION_MINUTES_MAX:
            raise ServiceError(
                f"must be between 1 and {SESSION_MINUTES_MAX} minutes", field="duration_minutes"
            )
    held = attendance == Attendance.ATTENDED
    with case_write(
        case,
        actor=actor,
        action="case.session_recorded" if held else "case.session_not_held",
        now=now,
        historical=historical,
        confirm=confirm,
    ) as write:
        case = write.case
        if not historical:
            case_require_open(case)
        if held:
            event = write.append("session_held", at=at or now, event_id=event_id)
            when, number, event_ref = event.at, _sessions_held(case) + 1, event.event_id
        else:
            when = at or now
            if when > now + CLOCK_SKEW:
                raise ServiceError("is in the future", field="at")
            if when < case.opened_at:
                raise ServiceError("is before the case was opened", field="at")
            number, event_ref = None, ""
        session = Session.objects.create(
            case=case,
            provider=provider or case.provider,
            held_at=when,
            number=number,
            event_id=event_ref,
            attendance=attendance,
            modality=modality,
            duration_minutes=int(duration_minutes) if duration_minutes is not None else None,
            note=note.strip()[:500],
            recorded_by=user_of(actor),
        )
        write.obj = session
        if not held:
            write.data["attendance"] = attendance
        if modality:
            write.data["modality"] = modality
    return session


def _sessions_held(case: Case) -> int:
    """The sessions held so far in the case, which numbers the next one."""
    # A case an import opened in its running batch: every session held in it is a row this
    # service wrote in the batch, each with its event id, so they are counted there instead of
    # by a COUNT a session (8% of an import's CPU; ADR 0043, addendum of branch import3).
    written = historical_rows(case, Session)
    if written is not None:
        return sum(1 for row in written if row.attendance == Attendance.ATTENDED)
    return case.sessions.filter(attendance=Attendance.ATTENDED).count()


def review_complete(
    *,
    actor: Actor,
    case: Case,
    decision: str,
    sessions: int,
    resources: list[str],
    now: datetime,
    at: datetime | None = None,
    transition_destination: str = "",
    rationale: str = "",
    historical: bool = False,
    event_id: str | None = None,
) -> Review:
    """The first-session review: authorise sessions of the benefit, one transition session,
    or deny further sessions and offer resources. The engine's CM-REVIEW-DECISION refuses a
    decision that does not fit."""
    _choice(decision, ReviewDecision, "decision")
    if sessions is None or int(sessions) < 0:
        raise ServiceError("must be zero or more", field="sessions")
    resources = [r.strip() for r in resources if r and r.strip()]
    if decision == ReviewDecision.TRANSITION_SESSION and not historical:
        _require(
            transition_destination,
            "transition_destination",
            "say where the participant goes next (insurance, private pay, resources)",
        )
    with case_write(
        case,
        actor=actor,
        action="case.review_completed",
        now=now,
        historical=historical,
        refuse=REVIEW_REFUSED,
    ) as write:
        case = write.case
        if not historical:
            case_require_open(case)
        event = write.append(
            "review_completed",
            at=at or now,
            fields={"decision": decision, "sessions": int(sessions), "resources": resources},
            event_id=event_id,
        )
        review = Review.objects.create(
            case=case,
            decision=decision,
            sessions=int(sessions),
            resources=resources,
            transition_destination=transition_destination.strip(),
            rationale=rationale.strip(),
            completed_at=event.at,
            reviewer=user_of(actor),
            event_id=event.event_id,
        )
        Authorisation.objects.create(
            case=case,
            origin=AuthorisationOrigin.REVIEW,
            review=review,
            sessions=int(sessions),
            authorised_at=event.at,
        )
        write.obj = review
        write.data.update({"decision": decision})
    return review


def note_add(
    *,
    actor: Actor,
    case: Case,
    summary: str,
    next_step: str,
    now: datetime,
    at: datetime | None = None,
    historical: bool = False,
    event_id: str | None = None,
) -> Note:
    """A Partner's note: what was done or agreed, and the next step."""
    if not historical:
        summary = _require(summary, "summary", "say what was done or agreed")
        next_step = _require(next_step, "next_step", "say what happens next")
    with case_write(
        case, actor=actor, action="case.note_added", now=now, historical=historical
    ) as write:
        case = write.case
        event = write.append(
            "note",
            at=at or now,
            fields={"summary": summary, "next_step": next_step},
            event_id=event_id,
        )
        note = Note.objects.create(
            case=case,
            author=user_of(actor),
            written_at=event.at,
            summary=summary,
            next_step=next_step,
            event_id=event.event_id,
        )
        case.next_step = next_step[:500]
        case.last_summary = summary[:1000]
        case.save(update_fields=["next_step", "last_summary"])
        write.obj = note
    return note


def query_record(
    *,
    actor: Actor,
    case: Case,
    text: str,
    now: datetime,
    at: datetime | None = None,
    channel: str = "phone",
    historical: bool = False,
    event_id: str | None = None,
) -> ParticipantQuery:
    """A participant raised a query on the case."""
    if not historical:
        text = _require(text, "text", "say what the participant asked")
    with case_write(
        case, actor=actor, action="case.query_recorded", now=now, historical=historical
    ) as write:
        case = write.case
        event = write.append("participant_query", at=at or now, event_id=event_id)
        query = ParticipantQuery.objects.create(
            case=case, received_at=event.at, text=text, channel=channel, event_id=event.event_id
        )
        write.obj = query
    return query


def query_resolve(
    *,
    actor: Actor,
    query: ParticipantQuery,
    resolution: str,
    now: datetime,
    at: datetime | None = None,
    historical: bool = False,
    event_id: str | None = None,
) -> ParticipantQuery:
    """The participant's query is resolved."""
    resolution = resolution.strip() or ("(imported)" if historical else "")
    _require(resolution, "resolution", "say how the query was resolved")
    with case_write(
        query.case, actor=actor, action="case.query_resolved", now=now, historical=historical
    ) as write:
        query, event = write.answer(
            query,
            type="participant_query_resolved",
            names="query",
            done="resolved_at",
            already="the query is already resolved",
            at=at or now,
            event_id=event_id,
        )
        query.resolution = resolution
        query.resolution_event_id = event.event_id
        query.save()
    return query


def dissatisfaction_record(
    *,
    actor: Actor,
    case: Case,
    aspect: str,
    now: datetime,
    description: str = "",
    at: datetime | None = None,
    escalate: bool = True,
    historical: bool = False,
    event_id: str | None = None,
) -> Dissatisfaction:
    """The Partner learnt the participant is dissatisfied; the case is escalated to WPO in the
    same transaction (CM-DISSATISFACTION). `escalate=False` only for imported histories."""
    if not historical:
        aspect = _require(aspect, "aspect", "say what the participant is dissatisfied with")
        escalate = True
    at = at or now
    with case_write(
        case, actor=actor, action="case.dissatisfaction_recorded", now=now, historical=historical
    ) as write:
        case = write.case
        if not historical:
            case_require_open(case)
        event = write.append("dissatisfaction_noted", at=at, event_id=event_id)
        escalation = None
        if escalate:
            escalation = _escalation_add(
                write,
                reason="dissatisfaction",
                summary=f"Participant dissatisfied: {aspect}",
                at=at,
                historical=historical,
            )
            write.also_audit(
                "escalation.raised",
                escalation,
                {"reason": "dissatisfaction", "events": [escalation.event_id]},
            )
        dissatisfaction = Dissatisfaction.objects.create(
            case=case,
            noted_at=at,
            aspect=aspect,
            description=description.strip(),
            escalation=escalation,
            event_id=event.event_id,
        )
        write.obj = dissatisfaction
    return dissatisfaction


def case_close(
    *,
    actor: Actor,
    case: Case,
    now: datetime,
    outcome: str = "",
    note: str = "",
    reason: str = "",
    at: datetime | None = None,
    historical: bool = False,
    confirm: str = "",
    event_id: str | None = None,
    then: Callable[[CaseWrite, CaseEvent], None] | None = None,
) -> Case:
    """Close the case with its outcome and closing note (both required but for imported
    histories, which have neither). The history event's `reason` is `reason` when given (an
    imported or API line), otherwise the note's short form or the outcome. Whatever closing
    breaches (the engine says) needs `confirm`. `then` writes what closing brings with it in
    the same write, given the write and the closing event: the client's check-in, from a layer
    above (outreach.services.case_close_with_checkin, ADR 0027)."""
    note = note.strip()
    if outcome or not historical:
        _choice(outcome, CaseOutcome, "outcome")
    if not historical:
        _require(note, "note", "write the closing note")
    reason = _require(
        reason.strip() or close_reason_of(note, outcome), "reason", "say why the case closes"
    )
    with case_write(
        case, actor=actor, action="case.closed", now=now, historical=historical, confirm=confirm
    ) as write:
        case = write.case
        if not historical:
            case_require_open(case)
        event = write.append(
            "case_closed", at=at or now, fields={"reason": reason}, event_id=event_id
        )
        case.status = CaseStatus.CLOSED
        case.closed_at = event.at
        case.closure_reason = reason[:CLOSE_REASON_MAX]
        case.closure_outcome = outcome
        case.closure_note = note
        case.save(
            update_fields=[
                "status",
                "closed_at",
                "closure_reason",
                "closure_outcome",
                "closure_note",
            ]
        )
        if then is not None:
            then(write, event)
        write.obj = case
        write.data["outcome"] = outcome
    return case


def case_reopen(
    *,
    actor: Actor,
    case: Case,
    reason: str,
    now: datetime,
    at: datetime | None = None,
    historical: bool = False,
    event_id: str | None = None,
) -> Case:
    """Open a closed case again (history event `case_reopened`). What its closure breached
    stays breached; the case takes every action of an open case again."""
    reason = _require(reason, "reason", "say why the case opens again")
    with case_write(
        case, actor=actor, action="case.reopened", now=now, historical=historical
    ) as write:
        case = write.case
        if case.status != CaseStatus.CLOSED:
            raise Conflict("the case is open", field="case")
        event = write.append(
            "case_reopened", at=at or now, fields={"reason": reason}, event_id=event_id
        )
        if case.closed_at is not None and event.at < case.closed_at:
            raise ServiceError("is before the case was closed", field="at")
        case.status = CaseStatus.OPEN
        case.closed_at = None
        case.save(update_fields=["status", "closed_at"])
        write.obj = case
    return case


def escalation_raise(
    *,
    actor: Actor,
    case: Case,
    reason: str,
    summary: str,
    now: datetime,
    at: datetime | None = None,
    event_id: str | None = None,
    historical: bool = False,
) -> Escalation:
    """Inform or escalate to WPO (rules CM-EMAIL-INFORM, CM-DISSATISFACTION)."""
    with case_write(
        case, actor=actor, action="escalation.raised", now=now, historical=historical
    ) as write:
        # The sweep's own escalation (no user) of a rule with a deadline still runs on a closed
        # case: closure does not change those obligations (rules.md, Closure).
        if not historical and user_of(actor) is not None:
            case_require_open(write.case)
        write.obj = _escalation_add(
            write,
            reason=reason,
            summary=summary,
            at=at or now,
            event_id=event_id,
            historical=historical,
        )
        write.data["reason"] = reason
    return write.obj  # type: ignore[no-any-return]


def _escalation_add(
    write: CaseWrite,
    *,
    reason: str,
    summary: str,
    at: datetime,
    historical: bool,
    event_id: str | None = None,
) -> Escalation:
    """The escalation part of a write: its event, its row, and WPO's notice (a keyed delivery,
    sent by the worker once the write commits, exactly once)."""
    if reason not in EscalationReason.values:
        raise ServiceError(f"must be one of {', '.join(EscalationReason.values)}", field="reason")
    if not summary.strip():
        raise ServiceError("say what WPO needs to know", field="summary")
    event = write.append("escalated_to_wpo", at=at, fields={"reason": reason}, event_id=event_id)
    escalation = Escalation.objects.create(
        case=write.case,
        reason=reason,
        summary=summary.strip(),
        raised_at=at,
        raised_by=user_of(write.actor),
        event_id=event.event_id,
    )
    if not historical:
        escalation_notify(escalation=escalation, now=write.now)
    return escalation


def escalation_acknowledge(
    *, actor: Actor, escalation: Escalation, note: str, now: datetime, at: datetime | None = None
) -> Escalation:
    """WPO acknowledges an escalation (not a case event: the policy does not judge it). The
    acknowledgement and its note show on the case's timeline, and the case's clinician is
    told (a keyed delivery, in the same transaction)."""
    if not getattr(actor, "pk", None):
        raise ServiceError("an escalation is acknowledged by a WPO user", field="actor")
    at = at or now
    if at > now + CLOCK_SKEW:
        raise ServiceError("is in the future", field="at")
    with transaction.atomic():
        escalation = Escalation.objects.select_for_update().get(pk=escalation.pk)
        if escalation.acknowledged_at is not None:
            raise Conflict("this escalation is already acknowledged", field="escalation")
        if at < escalation.raised_at:
            raise ServiceError("is before the escalation was raised", field="at")
        escalation.acknowledged_at = at
        escalation.acknowledged_by = user_of(actor)
        escalation.acknowledgement_note = note.strip()
        escalation.save(
            update_fields=["acknowledged_at", "acknowledged_by", "acknowledgement_note"]
        )
        escalation_answer_notify(escalation=escalation, now=now)
        audit_record(
            actor=actor,
            action="escalation.acknowledged",
            at=now,
            case=escalation.case,
            obj=escalation,
        )
    return escalation
