"""Reaching out (policy, Clinical Practice): CM-OUTREACH with CM-OUTREACH-PHONE and
CM-OUTREACH-EXCESS, and client-requested check-ins: CM-CHECKIN, CM-CHECKIN-SINGLE and
CM-CHECKIN-CHANNEL (rules.md, "Open outreach", "Required count", "Phone", "Excess",
"Check-in")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from eapcase.policy.events import ContactAttempt, Event, OutreachClosed, OutreachRequested
from eapcase.policy.pack import PolicyPack
from eapcase.policy.state import CaseRun, Handler, Outreach
from eapcase.policy.types import (
    Channel,
    DueBasis,
    EventType,
    Outcome,
    Purpose,
    RiskLevel,
    Rule,
    Severity,
    Target,
)

RULES: Final = (
    Rule.OUTREACH,
    Rule.OUTREACH_PHONE,
    Rule.OUTREACH_EXCESS,
    Rule.CHECKIN,
    Rule.CHECKIN_SINGLE,
    Rule.CHECKIN_CHANNEL,
)
CHECKIN: Final = "checkin"
# Enum members bound once: attribute access on an Enum class is slow on Python 3.11.
_CHANNEL_EMAIL: Final = Channel.EMAIL
_CHANNEL_PHONE: Final = Channel.PHONE
_OUTCOME_REACHED: Final = Outcome.REACHED
_PURPOSE_CHECKIN: Final = Purpose.CHECKIN
_PURPOSE_COMPLAINT: Final = Purpose.COMPLAINT
_RISK_LEVEL_NONE: Final = RiskLevel.NONE
_RULE_CHECKIN: Final = Rule.CHECKIN
_RULE_CHECKIN_CHANNEL: Final = Rule.CHECKIN_CHANNEL
_RULE_CHECKIN_SINGLE: Final = Rule.CHECKIN_SINGLE
_RULE_OUTREACH: Final = Rule.OUTREACH
_RULE_OUTREACH_EXCESS: Final = Rule.OUTREACH_EXCESS
_RULE_OUTREACH_PHONE: Final = Rule.OUTREACH_PHONE
_SEVERITY_BREACH: Final = Severity.BREACH
_SEVERITY_WARNING: Final = Severity.WARNING
_TARGET_PROVIDER: Final = Target.PROVIDER


def open_outreach(
    run: CaseRun,
    trigger: Event[Any],
    purpose: str,
    target: Target,
    required: int,
    pack: PolicyPack,
) -> Outreach:
    """Start counting attempts for an outreach (or a call back's outreach) under
    CM-OUTREACH, which has no deadline."""
    obligation = run.open(
        _RULE_OUTREACH, trigger, None, pack, target=target, attempts_required=required
    )
    return _track(run, Outreach(trigger.id, purpose, target, required, pack, obligation))


def _track(run: CaseRun, outreach: Outreach) -> Outreach:
    run.outreach.append(outreach)
    run.outreach_by_id[outreach.id] = outreach
    return outreach


def on_requested(run: CaseRun, event: Event[OutreachRequested]) -> None:
    pack = run.packs.at(event.at)
    request = event.fields
    if request.purpose is _PURPOSE_CHECKIN:
        if request.due is not None:
            due, basis = request.due, DueBasis("given", event.at, 0, run.calendar)
        else:
            due, basis = run.business_due(event.at, pack.checkin.default_business_days)
        obligation = run.open(
            _RULE_CHECKIN,
            event,
            due,
            pack,
            target=request.target,
            attempts_required=pack.checkin.attempts,
            basis=basis,
        )
        _track(
            run,
            Outreach(event.id, CHECKIN, request.target, pack.checkin.attempts, pack, obligation),
        )
        return
    required = (
        pack.outreach.complaint_attempts
        if request.purpose is _PURPOSE_COMPLAINT
        else pack.outreach.attempts
    )
    open_outreach(run, event, request.purpose.value, request.target, required, pack)


def on_attempt(run: CaseRun, event: Event[ContactAttempt]) -> None:
    attempt = event.fields
    reached = attempt.outcome is _OUTCOME_REACHED
    closing = False
    for outreach in run.outreach:
        if outreach.target is not attempt.target:
            continue
        outreach.attempts += 1
        count = outreach.attempts
        obligation = outreach.obligation
        obligation.attempts_made = count
        if attempt.channel is _CHANNEL_PHONE:
            outreach.phone_used = True
        # `is_checkin` spelled out: a property call per attempt and outreach costs more.
        if outreach.purpose == CHECKIN:
            _checkin_attempt(run, event, outreach, count)
        else:
            _outreach_attempt(run, event, outreach, count, reached)
        if reached:
            outreach.is_open = False
            closing = True
    if closing:
        run.outreach = [outreach for outreach in run.outreach if outreach.is_open]


def _outreach_attempt(
    run: CaseRun, event: Event[ContactAttempt], outreach: Outreach, count: int, reached: bool
) -> None:
    obligation = outreach.obligation
    if reached:
        obligation.satisfy(event)
    elif count == outreach.required:
        obligation.satisfy(event)
        if not outreach.phone_used and not _phone_excused(run, outreach.target):
            run.find(
                _RULE_OUTREACH_PHONE,
                event,
                _SEVERITY_BREACH,
                f"{count} attempts for {outreach.id} made, none by phone",
            )
    if count > outreach.required:
        if run.risk is _RISK_LEVEL_NONE:
            run.find(
                _RULE_OUTREACH_EXCESS,
                event,
                _SEVERITY_WARNING,
                f"attempt {count} for {outreach.id}, {outreach.required} required and no risk "
                "identified",
            )
        elif count > outreach.pack.outreach.max_attempts_with_risk:
            run.find(
                _RULE_OUTREACH_EXCESS,
                event,
                _SEVERITY_WARNING,
                f"attempt {count} for {outreach.id}, beyond "
                f"{outreach.pack.outreach.max_attempts_with_risk} even with risk identified",
            )


def _phone_excused(run: CaseRun, target: Target) -> bool:
    # Providers are taken to have a phone; a participant may have none or want email only.
    if target is _TARGET_PROVIDER:
        return False
    return run.prefs.email_only or not run.prefs.phone


def _checkin_attempt(
    run: CaseRun, event: Event[ContactAttempt], outreach: Outreach, count: int
) -> None:
    if count == 1:
        outreach.obligation.satisfy(event)
    if count > outreach.required:
        run.find(
            _RULE_CHECKIN_SINGLE,
            event,
            _SEVERITY_BREACH,
            f"attempt {count} for check-in {outreach.id}; only {outreach.required} allowed",
        )
    channel = event.fields.channel
    if channel not in outreach.pack.checkin.channels:
        run.find(
            _RULE_CHECKIN_CHANNEL,
            event,
            _SEVERITY_BREACH,
            f"check-in {outreach.id} attempted by {channel}, not an allowed channel",
        )
    elif channel is _CHANNEL_EMAIL and not run.prefs.email_consent:
        run.find(
            _RULE_CHECKIN_CHANNEL,
            event,
            _SEVERITY_BREACH,
            f"check-in {outreach.id} attempted by email without the participant's consent",
        )


def on_closed(run: CaseRun, event: Event[OutreachClosed]) -> None:
    outreach = run.outreach_by_id.get(event.fields.outreach)
    if outreach is None or not outreach.is_open:
        return
    outreach.is_open = False
    run.outreach = [item for item in run.outreach if item.is_open]
    # Closing a check-in does not change CM-CHECKIN, which has a deadline.
    if not outreach.is_checkin:
        outreach.obligation.breach(event)


def on_case_closed(run: CaseRun, event: Event[Any]) -> None:
    # CM-OUTREACH itself is breached with every other undated obligation (rules/closure.py).
    for outreach in run.outreach:
        outreach.is_open = False
    run.outreach = []


HANDLERS: Final[Mapping[EventType, Handler]] = {
    EventType.OUTREACH_REQUESTED: on_requested,
    EventType.CONTACT_ATTEMPT: on_attempt,
    EventType.OUTREACH_CLOSED: on_closed,
    EventType.CASE_CLOSED: on_case_closed,
}
