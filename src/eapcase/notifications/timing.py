"""When reminders are due: pure decisions (no Django, no clock), business time only through
`eapcase.policy.calendar`.

- The allowance of an obligation runs from `opened_at` to its deadline (`due_at`, or the house
  target for work the policy gives no deadline). The clinician is reminded when the house
  share of it has elapsed, counted in the recipient Partner's business time for ordinary work
  (so the reminder falls inside business hours) and in clock time for urgent work.
- At the deadline the Partner's clinical lead is told.
- Ordinary work is delivered in the recipient's business hours: an instant outside them waits
  for the next opening. Urgent work is delivered at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from eapcase.policy import calendar

# The house target (a field of HouseTargets) of each rule the policy gives no deadline.
TARGET_FIELDS: Final[Mapping[str, str]] = {
    "CM-REVIEW": "review_days",
    "CM-NOTES-UPLOAD": "notes_upload_days",
    "CM-NOTES-REVIEW": "notes_review_days",
    "CM-QUERY": "query_days",
    "CM-OUTREACH": "outreach_spacing_days",
}


@dataclass(frozen=True)
class HouseTargets:
    """The house settings that apply to one case (Partner's, with the client's overrides)."""

    reminder_share: float = 0.75
    review_days: int = 2
    notes_upload_days: int = 5
    notes_review_days: int = 2
    query_days: int = 2
    outreach_spacing_days: int = 1
    escalation_reminder_hours: int = 4


@dataclass(frozen=True)
class Plan:
    """When the reminder and the deadline notice of one obligation are delivered."""

    deadline: datetime  # the obligation's due_at, or the house target
    from_target: bool  # True when `deadline` is a house target, not a policy deadline
    reminder_at: datetime
    deadline_at: datetime


def target_due_at(
    targets: HouseTargets,
    cal: calendar.BusinessCalendar,
    *,
    rule: str,
    opened_at: datetime,
    attempts_required: int | None = None,
) -> datetime | None:
    """The house target of a rule without a policy deadline; None for rules that have none
    (CM-DISSATISFACTION is escalated as it is recorded)."""
    field = TARGET_FIELDS.get(rule)
    if field is None:
        return None
    days = int(getattr(targets, field))
    if rule == "CM-OUTREACH":
        days *= max(attempts_required or 1, 1)
    return calendar.add_business_days(cal, opened_at, days)


def deliver_at(cal: calendar.BusinessCalendar, at: datetime, *, urgent: bool) -> datetime:
    """`at` for urgent work or inside business hours; else the next opening."""
    if urgent or calendar.is_business_instant(cal, at):
        return at
    return calendar.next_opening(cal, at)


def reminder_due(
    cal: calendar.BusinessCalendar,
    *,
    opened_at: datetime,
    deadline: datetime,
    share: float,
    urgent: bool,
) -> datetime:
    """The instant the share of the allowance has elapsed (before delivery hours apply)."""
    if deadline <= opened_at:
        return opened_at
    if urgent:
        return opened_at + (deadline - opened_at) * share
    allowed = calendar.business_time_between(cal, opened_at, deadline)
    if allowed <= timedelta(0):
        # No business time at all before the deadline (a 24-hour email over a weekend).
        return opened_at
    return calendar.add_business_time(cal, opened_at, allowed * share)


def plan(
    cal: calendar.BusinessCalendar,
    targets: HouseTargets,
    *,
    rule: str,
    opened_at: datetime,
    due_at: datetime | None,
    urgent: bool,
    attempts_required: int | None = None,
) -> Plan | None:
    """The reminder plan of an obligation; None when it has neither deadline nor target."""
    deadline = due_at
    from_target = False
    if deadline is None:
        deadline = target_due_at(
            targets, cal, rule=rule, opened_at=opened_at, attempts_required=attempts_required
        )
        from_target = True
    if deadline is None:
        return None
    share = targets.reminder_share
    reminder = reminder_due(cal, opened_at=opened_at, deadline=deadline, share=share, urgent=urgent)
    return Plan(
        deadline=deadline,
        from_target=from_target,
        reminder_at=deliver_at(cal, reminder, urgent=urgent),
        deadline_at=deliver_at(cal, deadline, urgent=urgent),
    )


def level_due(p: Plan, now: datetime) -> str | None:
    """What is due now: "deadline" once the deadline's delivery time has come (the reminder
    is then moot and is never sent), else "reminder" once its time has come, else nothing."""
    if now >= p.deadline_at:
        return "deadline"
    if now >= p.reminder_at:
        return "reminder"
    return None


# The rule the sweep escalates to WPO itself (no reminder: the escalation meets it), and the
# rules it never reminds of (CM-DISSATISFACTION is escalated as it is recorded).
INFORM: Final = "CM-EMAIL-INFORM"
NOT_REMINDED: Final = (INFORM, "CM-DISSATISFACTION")
UNSATISFIED: Final = ("open", "overdue")


def next_notice_at(
    cal: calendar.BusinessCalendar,
    targets: HouseTargets,
    *,
    rule: str,
    status: str,
    case_open: bool,
    opened_at: datetime,
    due_at: datetime | None,
    urgent: bool,
    attempts_required: int | None,
    sent: frozenset[str],
) -> datetime | None:
    """The earliest instant at which the sweep has something to send for one obligation
    (`Obligation.next_notice_at`): its automatic escalation (CM-EMAIL-INFORM, at once), else
    its reminder, else its deadline notice; None when nothing more will ever be sent. `sent`:
    the levels already claimed for it ("escalation", "reminder", "deadline").

    The refresh stores it and the sweep selects the rows whose instant has come, then decides
    by `plan` and `level_due` with the same inputs, so the two cannot disagree."""
    if status not in UNSATISFIED:
        return None
    if rule == INFORM:
        return None if "escalation" in sent else opened_at
    if rule in NOT_REMINDED or not case_open or "deadline" in sent:
        return None
    p = plan(
        cal,
        targets,
        rule=rule,
        opened_at=opened_at,
        due_at=due_at,
        urgent=urgent,
        attempts_required=attempts_required,
    )
    if p is None:
        return None
    if "reminder" in sent:
        return p.deadline_at
    return min(p.reminder_at, p.deadline_at)
