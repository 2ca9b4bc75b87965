"""Plain-language reasons for obligations: how the deadline was reached, how far the work got
and what settled it, in the acting Partner's local time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from eapcase.policy.calendar import explain_due
from eapcase.policy.types import CaseState, DueBasis, EventType, Obligation, Rule, Status

__all__ = [
    "RULE_FAMILIES",
    "RULE_TITLES",
    "case_standing",
    "format_instant",
    "obligation_reason",
]

_DAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)

#: Each rule in a few words, for lists and headings (the rule id stays beside it).
RULE_TITLES: Final[dict[str, str]] = {
    Rule.CALLBACK: "Call back",
    Rule.EMAIL_ACK: "Acknowledge the email",
    Rule.EMAIL_ACTION: "Action the email",
    Rule.EMAIL_INFORM: "Inform WPO: participant not reached",
    Rule.DISSATISFACTION: "Escalate the dissatisfaction to WPO",
    Rule.REVIEW: "First-session review",
    Rule.PROVIDER_RESPONSE: "Answer the provider",
    Rule.NOTES_UPLOAD: "Case notes from the provider",
    Rule.NOTES_REVIEW: "Review the case notes",
    Rule.QUERY: "Resolve the participant's query",
    Rule.CHECKIN: "Clinical check-in",
    Rule.OUTREACH: "Outreach",
    Rule.DOCUMENTATION: "Say what was done or agreed",
    Rule.MESSAGE_CONSENT: "Message left against the participant's wishes",
    Rule.MESSAGE_DETAIL: "No detailed message left",
    Rule.OUTREACH_PHONE: "No attempt by phone",
    Rule.OUTREACH_EXCESS: "Attempts beyond the required count",
    Rule.CHECKIN_SINGLE: "A second check-in attempt",
    Rule.CHECKIN_CHANNEL: "Check-in channel",
    Rule.REVIEW_DECISION: "Review decision outside the benefit",
    Rule.SESSION_UNAUTHORISED: "Session not authorised",
}

#: The family of each obligation rule (the module of `rules/` that holds it), to group and
#: filter work: call backs, emails, outreach, reviews, case notes, provider contacts, queries
#: and escalations.
RULE_FAMILIES: Final[dict[str, str]] = {
    Rule.CALLBACK: "callback",
    Rule.EMAIL_ACK: "email",
    Rule.EMAIL_ACTION: "email",
    Rule.EMAIL_INFORM: "email",
    Rule.DISSATISFACTION: "escalation",
    Rule.REVIEW: "review",
    Rule.PROVIDER_RESPONSE: "provider",
    Rule.NOTES_UPLOAD: "notes",
    Rule.NOTES_REVIEW: "notes",
    Rule.QUERY: "query",
    Rule.CHECKIN: "outreach",
    Rule.OUTREACH: "outreach",
}

#: What each rule waits for, to say what a breach came before.
_AWAITED: Final = {
    Rule.DISSATISFACTION: "an escalation to WPO",
    Rule.REVIEW: "the first-session review",
    Rule.NOTES_UPLOAD: "the provider's completed case notes",
    Rule.NOTES_REVIEW: "the Partner's review of the case notes",
    Rule.QUERY: "the query's resolution",
    Rule.OUTREACH: "reaching the target or making the required attempts",
}
_BREACHING_EVENT: Final = {
    EventType.CASE_CLOSED: "the case was closed",
    EventType.SESSION_HELD: "a second session was held",
    EventType.OUTREACH_CLOSED: "the outreach was closed",
}


def format_instant(at: datetime, zone: str | None) -> str:
    """`Tue 29 Dec 2026 15:00 Europe/London` (UTC when no zone is known)."""
    local = at.astimezone(ZoneInfo(zone)) if zone else at.astimezone(UTC)
    # The clock from the fields, not `f"{local:%H:%M}"`: strftime was most of this function,
    # called for every obligation's reason (several million of them for the benchmark data).
    clock = (
        f"{local.hour:02d}:{local.minute:02d}"
        if local.second == 0
        else f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}"
    )
    return (
        f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year} {clock} "
        f"{zone or 'UTC'}"
    )


def _zone(basis: DueBasis | None) -> str | None:
    return basis.calendar.timezone if basis is not None and basis.calendar is not None else None


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d"] if days else []
    if hours:
        parts.append(f"{hours} h")
    if minutes or not parts:
        parts.append(f"{minutes} min")
    return " ".join(parts)


def _hours(amount: float) -> str:
    whole = int(amount) if amount == int(amount) else amount
    return f"{whole} clock hour{'' if whole == 1 else 's'}"


def _due(ob: Obligation) -> str:
    basis, due = ob.basis, ob.due_at
    if due is None or basis is None:
        return "no deadline"
    zone = _zone(basis)
    if basis.kind == "business_days" and basis.calendar is not None:
        text = explain_due(basis.calendar, basis.start, int(basis.amount), due)
        if ob.rule is Rule.CALLBACK and basis.start != ob.opened_at:
            text += " (the time the participant asked to be called from)"
        return text
    if basis.kind == "clock_hours":
        text = f"due {format_instant(due, zone)}: {_hours(basis.amount)} after "
        if ob.rule is Rule.EMAIL_INFORM:
            return text + "the participant was still not reached, 24 hours after the email"
        return text + f"the email arrived ({format_instant(basis.start, zone)})"
    return f"due {format_instant(due, zone)}: the time the request set"


def _progress(ob: Obligation) -> str | None:
    if ob.attempts_required is None:
        return None
    made = ob.attempts_made or 0
    return (
        f"{made} of {ob.attempts_required} attempt{'' if ob.attempts_required == 1 else 's'} made"
    )


def _outcome(ob: Obligation) -> str:
    zone = _zone(ob.basis)
    if ob.status is Status.BREACHED and ob.breached_at is not None:
        what = _BREACHING_EVENT.get(ob.breached_on or EventType.CASE_CLOSED, "an event")
        awaited = _AWAITED.get(Rule(ob.rule), "it was satisfied")
        return (
            f"breached: {what} ({ob.breached_by}, {format_instant(ob.breached_at, zone)}) "
            f"before {awaited}"
        )
    if ob.satisfied_at is not None:
        when = format_instant(ob.satisfied_at, zone)
        if ob.status is Status.LATE and ob.due_at is not None:
            late_by = _duration(ob.satisfied_at - ob.due_at)
            return f"late: {ob.satisfied_by} on {when}, {late_by} after the deadline"
        return f"met by {ob.satisfied_by} on {when}"
    if ob.status is Status.OVERDUE:
        return "overdue: not satisfied by the deadline"
    return "open"


def obligation_reason(ob: Obligation) -> str:
    """Why the obligation has its status, e.g. "due Tue 29 Dec 15:00 Europe/London: 1 business
    day after Thu 24 Dec 15:00; 25 and 28 Dec are holidays; met by a1 on ..."."""
    parts = [_due(ob)]
    progress = _progress(ob)
    if progress is not None:
        parts.append(progress)
    parts.append(_outcome(ob))
    return "; ".join(parts)


def case_standing(state: CaseState, zone: str | None = None) -> str | None:
    """Whether a case that was reopened is open or closed now, in plain words ("reopened Tue 3
    Mar 2026 09:00 UTC: open again; what its closure breached stays breached"). None for a case
    never reopened: its obligations already say what a closure did."""
    if state.reopened_at is None:
        return None
    reopened = format_instant(state.reopened_at, zone)
    if state.closed_at is None:
        return f"reopened {reopened}: open again; what its closure breached stays breached"
    return f"closed again {format_instant(state.closed_at, zone)}, after it was reopened {reopened}"
