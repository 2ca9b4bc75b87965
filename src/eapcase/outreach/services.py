"""Writes on outreach: call backs, outreach requests and their closing, contact attempts,
and emails received, acknowledged and actioned."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from eapcase.audit.services import audit_record
from eapcase.cases.models import Case, CaseEvent, Override
from eapcase.cases.notices import obligation_notices_replan
from eapcase.cases.record import (
    CLOCK_SKEW,
    Actor,
    CaseWrite,
    NeedsConfirmation,
    case_write,
    user_of,
)
from eapcase.cases.services import case_close, case_require_open
from eapcase.core.errors import Conflict, ServiceError
from eapcase.organisations.calendar import partner_calendar
from eapcase.organisations.choices import CheckinTrigger
from eapcase.organisations.procedures import procedure_in_force
from eapcase.outreach import messages
from eapcase.outreach.choices import (
    Channel,
    EmailFrom,
    MessageLeft,
    Outcome,
    Purpose,
    RequestKind,
    Target,
)
from eapcase.outreach.models import ContactAttempt, Email, EmailUrgencyChange, OutreachRequest
from eapcase.policy.procedures import checkin_after_closure

# A detailed message against the participant's stated wishes is never recorded as a choice.
ATTEMPT_REFUSED = frozenset({"CM-MESSAGE-CONSENT", "CM-CHECKIN-CHANNEL"})


def _choice(value: str, choices: Any, field: str) -> str:
    if value not in choices.values:
        raise ServiceError(f"must be one of {', '.join(choices.values)}", field=field)
    return value


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def callback_request(
    *,
    actor: Actor,
    case: Any,
    now: datetime,
    at: datetime | None = None,
    not_before: datetime | None = None,
    reason: str = "",
    historical: bool = False,
    event_id: str | None = None,
) -> OutreachRequest:
    """The participant asked for a Clinical Call Back (CM-CALLBACK, CM-OUTREACH)."""
    at = at or now
    if not_before is not None and not_before < at:
        raise ServiceError("must not be before the request", field="not_before")
    fields: dict[str, Any] = {}
    if not_before is not None:
        fields["not_before"] = _iso(not_before)
    with case_write(
        case, actor=actor, action="outreach.callback_requested", now=now, historical=historical
    ) as write:
        case = write.case
        if not historical:
            case_require_open(case)
        event = write.append("callback_requested", at=at, fields=fields, event_id=event_id)
        request = OutreachRequest.objects.create(
            case=case,
            kind=RequestKind.CALLBACK,
            requested_at=at,
            not_before=not_before,
            reason=reason.strip(),
            requested_by=user_of(actor),
            event_id=event.event_id,
        )
        write.obj = request
    return request


def outreach_request(
    *,
    actor: Actor,
    case: Any,
    purpose: str,
    now: datetime,
    target: str = Target.PARTICIPANT,
    at: datetime | None = None,
    due: datetime | None = None,
    reason: str = "",
    historical: bool = False,
    event_id: str | None = None,
) -> OutreachRequest:
    """The Partner must reach out to the participant or provider (CM-OUTREACH, CM-CHECKIN)."""
    _choice(purpose, Purpose, "purpose")
    _choice(target, Target, "target")
    at = at or now
    if due is not None and due < at:
        raise ServiceError("must not be before the request", field="due")
    fields: dict[str, Any] = {"purpose": purpose, "target": target}
    if due is not None:
        fields["due"] = _iso(due)
    with case_write(
        case, actor=actor, action="outreach.requested", now=now, historical=historical
    ) as write:
        case = write.case
        # A closed case still takes its clinical check-in (ADR 0026), nothing else.
        if not historical and purpose != Purpose.CHECKIN:
            case_require_open(case)
        event = write.append("outreach_requested", at=at, fields=fields, event_id=event_id)
        request = OutreachRequest.objects.create(
            case=case,
            kind=RequestKind.OUTREACH,
            purpose=purpose,
            target=target,
            requested_at=at,
            due=due,
            reason=reason.strip(),
            requested_by=user_of(actor),
            event_id=event.event_id,
        )
        write.obj = request
        write.data.update({"purpose": purpose, "target": target})
    return request


def case_close_with_checkin(*, actor: Actor, case: Case, now: datetime, **kwargs: Any) -> Case:
    """Close the case (cases.services.case_close, same arguments) and, when the client's
    procedures in force on the closing day ask for a check-in after the case closes, request it
    in the same write: an `outreach_requested` with purpose `checkin` to the participant, at
    the closing instant, `due` as the procedure counts it on the Partner's calendar (ADR 0027).
    A history recorded as it happened (`historical`) carries its own check-in lines."""
    if kwargs.get("historical"):
        return case_close(actor=actor, case=case, now=now, **kwargs)

    def checkin(write: CaseWrite, closed: CaseEvent) -> None:
        closed_case = write.case
        day = closed.at.astimezone(ZoneInfo(closed_case.partner.timezone)).date()
        procedure = procedure_in_force(closed_case.client_id, day)
        if (
            procedure is None
            or not procedure.checkin_required
            or procedure.checkin_trigger != CheckinTrigger.CASE_CLOSED
        ):
            return
        times = checkin_after_closure(
            partner_calendar(closed_case.partner),
            closed.at,
            procedure.checkin_after_business_days,
            procedure.checkin_due_business_days,
        )
        event = write.append(
            "outreach_requested",
            at=closed.at,
            fields={
                "purpose": Purpose.CHECKIN,
                "target": Target.PARTICIPANT,
                "due": _iso(times.due),
            },
        )
        request = OutreachRequest.objects.create(
            case=closed_case,
            kind=RequestKind.OUTREACH,
            purpose=Purpose.CHECKIN,
            target=Target.PARTICIPANT,
            requested_at=closed.at,
            not_before=times.not_before,
            due=times.due,
            reason=f"Asked by {closed_case.client}'s procedures (version {procedure.version}) "
            "when the case closes.",
            requested_by=user_of(write.actor),
            event_id=event.event_id,
        )
        write.also_audit(
            "outreach.requested",
            request,
            {"purpose": Purpose.CHECKIN, "target": Target.PARTICIPANT, "on_closure": True},
        )

    return case_close(actor=actor, case=case, now=now, then=checkin, **kwargs)


def outreach_close(
    *,
    actor: Actor,
    request: OutreachRequest,
    reason: str,
    now: datetime,
    at: datetime | None = None,
    historical: bool = False,
    confirm: str = "",
    event_id: str | None = None,
) -> OutreachRequest:
    """Stop trying. Before the required attempts are made the engine records a breach, so the
    clinician must confirm with a reason."""
    reason = reason.strip()
    if not reason:
        raise ServiceError("say why the outreach stops", field="reason")
    with case_write(
        request.case,
        actor=actor,
        action="outreach.closed",
        now=now,
        historical=historical,
        confirm=confirm,
    ) as write:
        request, event = write.answer(
            request,
            type="outreach_closed",
            names="outreach",
            done="closed_at",
            already="the outreach is already closed",
            at=at or now,
            event_id=event_id,
            fields={"reason": reason},
        )
        request.close_reason = reason
        request.close_event_id = event.event_id
        request.save()
    return request


def attempt_record(
    *,
    actor: Actor,
    case: Any,
    target: str,
    channel: str,
    outcome: str,
    message: str,
    summary: str,
    now: datetime,
    at: datetime | None = None,
    confirm: str = "",
    historical: bool = False,
    event_id: str | None = None,
    outside_window: str = "",
) -> ContactAttempt:
    """One attempt to contact the participant or the provider. Findings the engine makes on it
    (excess attempts, a second check-in, no detailed message) need `confirm`; a message the
    participant refused is refused outright. `outside_window`, the words of a client's
    contact-time window the attempt falls outside (the page asks policy.procedures), also
    needs `confirm`, kept with the attempt as an Override (ADR 0027)."""
    _choice(target, Target, "target")
    _choice(channel, Channel, "channel")
    _choice(outcome, Outcome, "outcome")
    _choice(message, MessageLeft, "message")
    if not historical:
        summary = summary.strip()
        if not summary:
            raise ServiceError("say what was done or agreed", field="summary")
    if outcome == Outcome.REACHED and message != MessageLeft.NONE and not historical:
        raise ServiceError(
            "a message is only left when the attempt did not reach them", field="message"
        )
    with case_write(
        case,
        actor=actor,
        action="outreach.attempt_recorded",
        now=now,
        historical=historical,
        refuse=ATTEMPT_REFUSED,
        confirm=confirm,
    ) as write:
        case = write.case
        event = write.append(
            "contact_attempt",
            at=at or now,
            fields={
                "target": target,
                "channel": channel,
                "outcome": outcome,
                "message": message,
                "summary": summary,
            },
            event_id=event_id,
        )
        attempt = ContactAttempt.objects.create(
            case=case,
            target=target,
            channel=channel,
            outcome=outcome,
            message=message,
            summary=summary.strip(),
            attempted_at=event.at,
            by=user_of(actor),
            event_id=event.event_id,
        )
        if outside_window and not historical:
            if not confirm.strip():
                raise NeedsConfirmation([outside_window], [])
            Override.objects.create(
                case=case,
                event_ids=[event.event_id],
                findings=[outside_window],
                reason=confirm.strip(),
                by=user_of(actor),
                at=now,
            )
            write.data["outside_contact_window"] = True
        write.obj = attempt
        write.data.update({"target": target, "channel": channel, "outcome": outcome})
    return attempt


DETAILED_EMAIL_SUMMARY = "Detailed email sent asking the participant to call the access line."


def detailed_email_send(
    *,
    actor: Actor,
    case: Any,
    now: datetime,
    summary: str = "",
    at: datetime | None = None,
    confirm: str = "",
    event_id: str | None = None,
    target: str = Target.PARTICIPANT,
    channel: str = Channel.EMAIL,
    outcome: str = Outcome.NOT_REACHED,
    message: str = MessageLeft.DETAILED,
) -> ContactAttempt:
    """Record an unsuccessful attempt by email with a detailed message, and claim the keyed
    delivery of that message (the client's access line for the participant's country) in the
    same transaction; the worker sends it (ADR 0031).

    Refused like attempt_record (the engine's CM-MESSAGE-CONSENT: the participant refused email
    messages), and when the participant has no email address or no access line is known. The
    other parameters exist for callers that pass a whole attempt; they must be the defaults."""
    if (target, channel, outcome, message) != (
        Target.PARTICIPANT,
        Channel.EMAIL,
        Outcome.NOT_REACHED,
        MessageLeft.DETAILED,
    ):
        raise ServiceError(
            "a detailed email is an unsuccessful email attempt to the participant with a "
            "detailed message",
            field="send_email",
        )
    messages.detailed_message_check(case)
    with transaction.atomic():
        attempt = attempt_record(
            actor=actor,
            case=case,
            target=target,
            channel=channel,
            outcome=outcome,
            message=message,
            summary=summary.strip() or DETAILED_EMAIL_SUMMARY,
            now=now,
            at=at,
            confirm=confirm,
            event_id=event_id,
        )
        messages.detailed_message_queue(case=attempt.case, attempt=attempt, now=now)
    return attempt


def email_receive(
    *,
    actor: Actor,
    case: Any,
    sender_kind: str,
    now: datetime,
    at: datetime | None = None,
    urgent: bool = False,
    needs_contact: bool = True,
    subject: str = "",
    body: str = "",
    from_address: str = "",
    message_id: str = "",
    historical: bool = False,
    event_id: str | None = None,
) -> Email:
    """An email from WPO or the participant reached the Partner (CM-EMAIL-*)."""
    _choice(sender_kind, EmailFrom, "from")
    fields: dict[str, Any] = {"from": sender_kind}
    if urgent:
        fields["urgent"] = True
    if not needs_contact:
        fields["needs_contact"] = False
    if message_id and Email.objects.filter(message_id=message_id).exists():
        raise Conflict("this message was already received", field="message_id")
    with case_write(
        case, actor=actor, action="email.received", now=now, historical=historical
    ) as write:
        event = write.append("email_received", at=at or now, fields=fields, event_id=event_id)
        try:
            with transaction.atomic():
                write.obj = email = Email.objects.create(
                    case=write.case,
                    sender_kind=sender_kind,
                    from_address=from_address,
                    subject=subject,
                    body=body,
                    message_id=message_id,
                    urgent=urgent,
                    needs_contact=needs_contact,
                    received_at=event.at,
                    event_id=event.event_id,
                )
        except IntegrityError as exc:
            # Another delivery of the same message won the race.
            raise Conflict("this message was already received", field="message_id") from exc
    return email


def email_urgency_change(
    *,
    actor: Actor,
    email: Email,
    urgent: bool,
    reason: str,
    now: datetime,
    at: datetime | None = None,
) -> Email:
    """A clinician re-rates an email's urgency, with a reason (ADR 0033). The email queue, My
    work and the reminders read the email's urgency now; the `email_received` event keeps the
    urgency it arrived with (the policy judges no deadline by urgency, so nothing is
    re-judged)."""
    if email.case is None:
        raise ServiceError("link the email to a case first", field="email")
    if not reason.strip():
        raise ServiceError("say why the urgency changes", field="reason")
    at = at or now
    if at > now + CLOCK_SKEW:
        raise ServiceError("is in the future", field="at")
    with transaction.atomic():
        email = (
            Email.objects.select_for_update(of=("self",)).select_related("case").get(pk=email.pk)
        )
        if at < email.received_at:
            raise ServiceError("is before the email was received", field="at")
        if email.urgent == bool(urgent):
            raise Conflict(
                f"the email is already {'urgent' if urgent else 'not urgent'}", field="urgent"
            )
        email.urgent = bool(urgent)
        email.save(update_fields=["urgent"])
        change = EmailUrgencyChange.objects.create(
            email=email, urgent=email.urgent, reason=reason.strip(), by=user_of(actor), at=at
        )
        # Urgent work is reminded on the clock, ordinary work in business hours: the
        # obligations this email opened move their next notice (ADR 0042).
        obligation_notices_replan(Case.objects.filter(emails=email))
        audit_record(
            actor=actor,
            action="email.urgency_changed",
            at=now,
            case=email.case,
            obj=change,
            data={"urgent": email.urgent, "email": email.event_id},
        )
    return email


def email_acknowledge(
    *,
    actor: Actor,
    email: Email,
    now: datetime,
    at: datetime | None = None,
    historical: bool = False,
    event_id: str | None = None,
) -> Email:
    """Receipt of the email acknowledged (CM-EMAIL-ACK). A participant's email with a sender's
    address is answered with a reply (unless they accept no email messages), claimed as a
    keyed delivery in the same transaction and sent by the worker (ADR 0031)."""
    with transaction.atomic():
        email = _email_step(
            actor=actor,
            email=email,
            now=now,
            at=at,
            historical=historical,
            event_id=event_id,
            summary="",
            type="email_acknowledged",
            column="acknowledged_at",
            action="email.acknowledged",
        )
        if not historical:
            messages.acknowledgement_queue(email=email, now=now)
    return email


def email_action(
    *,
    actor: Actor,
    email: Email,
    summary: str,
    now: datetime,
    at: datetime | None = None,
    historical: bool = False,
    event_id: str | None = None,
) -> Email:
    """The email was acted on (CM-EMAIL-ACTION)."""
    if not historical and not summary.strip():
        raise ServiceError("say what was done", field="summary")
    return _email_step(
        actor=actor,
        email=email,
        summary=summary.strip(),
        now=now,
        at=at,
        historical=historical,
        event_id=event_id,
        type="email_actioned",
        column="actioned_at",
        action="email.actioned",
    )


def _email_step(
    *,
    actor: Actor,
    email: Email,
    now: datetime,
    at: datetime | None,
    historical: bool,
    event_id: str | None,
    type: str,
    column: str,
    action: str,
    summary: str,
) -> Email:
    if email.case is None:
        raise ServiceError("link the email to a case first", field="email")
    with case_write(
        email.case, actor=actor, action=action, now=now, historical=historical
    ) as write:
        email, _event = write.answer(
            email,
            type=type,
            names="email",
            done=column,
            already=f"the email is already {type.split('_')[1]}",
            at=at or now,
            event_id=event_id,
        )
        if column == "actioned_at":
            email.action_summary = summary
        email.save()
    return email
