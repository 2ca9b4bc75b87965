"""The sweep `eapcase worker` runs every 30 seconds: no deadline passes unseen, and where the
policy says WPO must be informed the system informs WPO itself.

One sweep, at `now`:
1. Re-judges the cases whose verdict time alone has changed (`Case.reevaluate_at`, from the
   engine's `next_change_at`): deadlines fall overdue, and CM-EMAIL-INFORM opens when an
   email's 24 hours run out although no write touched the case.
2. Raises the escalation to WPO (reason `no_contact`) for every unsatisfied CM-EMAIL-INFORM
   obligation, through `cases.services.escalation_raise`, exactly once (its key is
   claimed in the same transaction); the engine then finds CM-EMAIL-INFORM met.
   `escalation_raise` itself claims the keyed delivery that mails the WPO inbox
   (`services.escalation_notify`), as it does for every escalation a clinician raises or a
   recorded dissatisfaction raises: one mechanism, one mail per escalation.
3. Reminds WPO (inbox and WPO clinicians in the app) of escalations left unacknowledged.
4. Reminds the clinician when the house share of an obligation's allowance has passed, and
   tells the Partner's clinical lead at the deadline (or the house target, for work the policy
   gives no deadline). Timing: `timing.py`.
5. Queues again the mails a killed worker claimed but did not record as sent.

Exactly once: each of these is a `Delivery` whose key (case, rule, trigger, level) is unique
in the database and is inserted in the same transaction as what it does, before anything is
sent. Each claim runs in its own transaction that first locks the case row, skipping it when
another worker or a write holds it (`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite
serialises writers), then re-reads the obligation by its identity under that lock (every
write refreshes a case's obligations under the same lock, replacing the rows). Work skipped
because another worker holds the case is that worker's, or the next sweep's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef

from eapcase.accounts.choices import Role
from eapcase.accounts.models import User
from eapcase.cases import bridge
from eapcase.cases.choices import UNSATISFIED
from eapcase.cases.models import Case, Escalation, Obligation
from eapcase.cases.notices import NoticeInputs
from eapcase.cases.record import compliance_refresh_due
from eapcase.cases.services import escalation_raise
from eapcase.cases.words import CaseWords, rule_title
from eapcase.core.errors import ServiceError
from eapcase.notifications import timing
from eapcase.notifications.choices import ESCALATION_RULE, Level
from eapcase.notifications.models import ClientHouseSettings, Delivery, HouseSettings
from eapcase.notifications.selectors import house_targets_get
from eapcase.notifications.sending import LEASE
from eapcase.notifications.services import (
    Message,
    deliveries_batched,
    deliveries_requeue,
    delivery_claim,
    notice_render,
    notice_time,
)
from eapcase.organisations.calendar import partner_calendar
from eapcase.organisations.models import Operator
from eapcase.policy import calendar as policy_calendar

logger = logging.getLogger(__name__)

# Rules the sweep does not remind of: CM-EMAIL-INFORM is met by the escalation the sweep
# raises itself; CM-DISSATISFACTION is escalated as the dissatisfaction is recorded.
INFORM = timing.INFORM
NOT_REMINDED = timing.NOT_REMINDED
# Cases re-judged per transaction batch when time alone changed their verdict.
REFRESH_BATCH = 500


@dataclass
class SweepReport:
    refreshed: int = 0
    escalated: int = 0
    escalation_reminders: int = 0
    reminders: int = 0
    deadlines: int = 0
    requeued: int = 0

    def anything(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def __str__(self) -> str:
        return ", ".join(f"{f.name} {getattr(self, f.name)}" for f in fields(self))


def sweep(*, now: datetime, lease: timedelta = LEASE) -> SweepReport:
    """One pass over everything that may be due at `now` (see the module's docstring)."""
    report = SweepReport()
    ctx = _Context()
    # The mails claimed below go out in jobs of a batch each, once the sweep is done.
    with deliveries_batched():
        pending = _escalate_pending(now)
        # Re-judged by the write of their escalation.
        report.refreshed = pending + _refresh_due(now)
        report.escalated = pending + _escalate_unanswered(now, ctx)
        report.escalation_reminders = _remind_escalations(now, ctx)
        report.reminders, report.deadlines = _remind_obligations(now, ctx)
        report.requeued = deliveries_requeue(now=now, lease=lease)
    return report


# --- what one sweep reads once ---------------------------------------------------------------


class _Context:
    """Calendars, house settings and staff, read once per sweep and Partner."""

    def __init__(self) -> None:
        self._calendars: dict[int, policy_calendar.BusinessCalendar] = {}
        self._partner_settings: dict[int, HouseSettings] | None = None
        self._client_settings: dict[int, ClientHouseSettings | None] = {}
        self._staff: dict[tuple[int, tuple[str, ...]], list[User]] = {}
        self._operator: Operator | bool | None = False

    def calendar(self, case: Case) -> policy_calendar.BusinessCalendar:
        if case.partner_id not in self._calendars:
            self._calendars[case.partner_id] = partner_calendar(case.partner)
        return self._calendars[case.partner_id]

    def partner_settings(self) -> dict[int, HouseSettings]:
        """Every Partner's house settings, read once (one row a Partner that has any)."""
        if self._partner_settings is None:
            self._partner_settings = {s.partner_id: s for s in HouseSettings.objects.all()}
        return self._partner_settings

    def earliest_reminder_hours(self) -> int:
        """The fewest hours after which any Partner's reminder to WPO of an escalation can
        fall due (a Partner without house settings has the default)."""
        hours = [s.escalation_reminder_hours for s in self.partner_settings().values()]
        return min([timing.HouseTargets().escalation_reminder_hours, *hours])

    def targets(self, case: Case) -> timing.HouseTargets:
        client = None
        if case.client_id is not None:
            if case.client_id not in self._client_settings:
                self._client_settings[case.client_id] = ClientHouseSettings.objects.filter(
                    client_id=case.client_id
                ).first()
            client = self._client_settings[case.client_id]
        return house_targets_get(
            partner_settings=self.partner_settings().get(case.partner_id), client_settings=client
        )

    def staff(self, partner_id: int, roles: tuple[str, ...]) -> list[User]:
        key = (partner_id, roles)
        if key not in self._staff:
            self._staff[key] = list(
                User.objects.filter(
                    is_active=True,
                    memberships__active=True,
                    memberships__partner_id=partner_id,
                    memberships__role__in=roles,
                )
                .distinct()
                .order_by("pk")
            )
        return self._staff[key]

    def wpo_clinicians(self) -> list[User]:
        key = (0, (Role.WPO_CLINICIAN,))
        if key not in self._staff:
            self._staff[key] = list(
                User.objects.filter(
                    is_active=True,
                    memberships__active=True,
                    memberships__role=Role.WPO_CLINICIAN,
                )
                .distinct()
                .order_by("pk")
            )
        return self._staff[key]

    def wpo_inbox(self) -> list[str]:
        if self._operator is False:
            self._operator = Operator.objects.order_by("pk").first()
        operator = self._operator
        if isinstance(operator, Operator) and operator.escalation_email:
            return [operator.escalation_email]
        return []


def _lock_case(case_id: int) -> Case | None:
    """The case under a row lock, or None when another worker or a write holds it."""
    return (
        Case.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("partner")
        .filter(pk=case_id)
        .first()
    )


# --- 1. CM-EMAIL-INFORM opens by the passing of time -----------------------------------------


def _refresh_due(now: datetime) -> int:
    """Re-judge every case whose verdict time alone has changed (the engine's next_change_at,
    kept as Case.reevaluate_at): deadlines fall overdue and CM-EMAIL-INFORM opens when an
    email's 24 hours run out, before the reminders and escalations below read them."""
    refreshed = 0
    while True:
        done = compliance_refresh_due(now=now, limit=REFRESH_BATCH)
        refreshed += done
        if done < REFRESH_BATCH:
            return refreshed


# --- 2. the automatic escalation -------------------------------------------------------------


def _escalate_pending(now: datetime) -> int:
    """Raise the escalation of every case whose stored verdict says an email's contact window
    has ended with the participant not reached and WPO not told (the engine's
    `informs_pending`, kept in Case.engine_state), before the case is re-judged: the
    escalation's own write judges the case, once, where re-judging it first and then writing
    the escalation would replay its history twice (ADR 0042). Returns the cases handled."""
    due = Case.objects.filter(reevaluate_at__lte=now).order_by("reevaluate_at", "pk")
    handled = 0
    for pk, state in list(due.values_list("pk", "engine_state")[:REFRESH_BATCH]):
        if not any(end <= now for _, end in bridge.informs_pending(state)):
            continue
        try:
            with transaction.atomic():
                case = _lock_case(pk)
                if case is None or case.reevaluate_at is None or case.reevaluate_at > now:
                    continue
                ended = sorted(
                    (end, email)
                    for email, end in bridge.informs_pending(case.engine_state)
                    if end <= now
                )
                if not ended:
                    continue
                # One escalation tells WPO of every email whose window ended (the engine
                # satisfies all of them with it), keyed by the first.
                end, email = ended[0]
                _raise_inform(now, case, trigger=email, opened_at=end, due_at=None)
                handled += 1
        except ServiceError:
            logger.exception("could not escalate %s on case %s", INFORM, pk)
    return handled


def _escalate_unanswered(now: datetime, ctx: _Context) -> int:
    # Only the rows whose next notice has come (Obligation.next_notice_at, ADR 0042): an
    # unsatisfied CM-EMAIL-INFORM not yet escalated carries its opening instant.
    rows = list(
        Obligation.objects.filter(rule=INFORM, next_notice_at__lte=now)
        .order_by("next_notice_at", "pk")
        .values_list("case_id", "trigger")
    )
    raised = 0
    for case_id, trigger in rows:
        try:
            with transaction.atomic():
                raised += _escalate_one(now, ctx, case_id=case_id, trigger=trigger)
        except ServiceError:
            logger.exception("could not escalate %s on case %s", INFORM, case_id)
    return raised


def _escalate_one(now: datetime, ctx: _Context, *, case_id: int, trigger: str) -> int:
    case = _lock_case(case_id)
    if case is None:
        return 0
    # Read again under the case lock by its identity (a refresh replaces the rows).
    obligation = (
        Obligation.objects.select_for_update(skip_locked=True)
        .filter(case=case, rule=INFORM, trigger=trigger, status__in=UNSATISFIED)
        .first()
    )
    if obligation is None:
        return 0  # satisfied meanwhile (the refresh cleared its instant), or held elsewhere
    raised = _raise_inform(
        now, case, trigger=trigger, opened_at=obligation.opened_at, due_at=obligation.due_at
    )
    if not raised:
        # Escalated already: nothing more will be sent for it.
        Obligation.objects.filter(pk=obligation.pk).update(next_notice_at=None)
    return raised


def _raise_inform(
    now: datetime, case: Case, *, trigger: str, opened_at: datetime, due_at: datetime | None
) -> int:
    """Claim the key of the automatic escalation for the email `trigger` and raise it (the
    case locked by the caller); 0 when it was raised already."""
    email = CaseWords.for_case(case, [trigger]).event(trigger)
    # In words for WPO (the rule and the event id are in the delivery's key, for support).
    summary = (
        f"No contact with the participant within 24 hours of {email}. The policy requires "
        "WPO to be told: raised automatically by eapcase."
    )
    # The key only: the mail to the WPO inbox is escalation_raise's own.
    message = Message(
        subject=f"Escalation of case {case.reference}: no contact after an email",
        body="",
        text=summary,
        due_at=due_at,
    )
    delivery = delivery_claim(
        case=case,
        rule=INFORM,
        trigger=trigger,
        level=Level.ESCALATION,
        due_at=opened_at,
        urgent=True,
        message=message,
        now=now,
    )
    if delivery is None:
        return 0
    escalation = escalation_raise(
        actor=None, case=case, reason="no_contact", summary=summary, now=now
    )
    Delivery.objects.filter(pk=delivery.pk).update(escalation=escalation)
    return 1


# --- 3. WPO informed of every escalation, and reminded ---------------------------------------


def _wpo_reminder(case: Case, escalation: Escalation, ctx: _Context) -> Message:
    """The reminder of an unacknowledged escalation: like the escalation mail itself, the case
    reference only, no clinical detail."""
    raised = notice_time(case, escalation.raised_at)
    return Message(
        subject=f"[eapcase] Unacknowledged escalation: case {case.reference}",
        body=notice_render(
            "escalation_reminder",
            {
                "reference": case.reference,
                "partner": case.partner.name,
                "raised": raised,
                "hours": ctx.targets(case).escalation_reminder_hours,
                "path": "/escalations/",
            },
        ),
        text=f"Escalation of case {case.reference} (raised {raised}) is not acknowledged yet.",
        users=ctx.wpo_clinicians(),
        emails=ctx.wpo_inbox(),
        path="/escalations/",
    )


def _unacknowledged(level: str) -> Any:
    keyed = Delivery.objects.filter(
        case_id=OuterRef("case_id"),
        rule=ESCALATION_RULE,
        trigger=OuterRef("event_id"),
        level=level,
    )
    return (
        Escalation.objects.filter(acknowledged_at__isnull=True)
        .exclude(Exists(keyed))
        .select_related("case", "case__partner")
        .order_by("raised_at", "pk")
    )


def _remind_escalations(now: datetime, ctx: _Context) -> int:
    reminded = 0
    # Escalations raised more recently than any Partner's reminder delay cannot be due: left
    # out in SQL (the (acknowledged_at, raised_at) index bounds the range), or every sweep
    # would read, and set aside, each one raised in the last hours (a second at 1,000,000
    # cases after a busy sweep).
    candidates = _unacknowledged(Level.ESCALATION_REMINDER).filter(
        raised_at__lte=now - timedelta(hours=ctx.earliest_reminder_hours())
    )
    for escalation in candidates:
        hours = ctx.targets(escalation.case).escalation_reminder_hours
        due = escalation.raised_at + timedelta(hours=hours)
        if now < due:
            continue
        with transaction.atomic():
            delivery = delivery_claim(
                case=escalation.case,
                rule=ESCALATION_RULE,
                trigger=escalation.event_id,
                level=Level.ESCALATION_REMINDER,
                due_at=due,
                urgent=True,
                message=_wpo_reminder(escalation.case, escalation, ctx),
                now=now,
                escalation=escalation,
            )
            reminded += delivery is not None
    return reminded


# --- 4. reminders and deadlines --------------------------------------------------------------


def _remind_obligations(now: datetime, ctx: _Context) -> tuple[int, int]:
    # Only the rows whose next notice has come (ADR 0042): an idle sweep reads none.
    candidates = list(
        Obligation.objects.filter(next_notice_at__lte=now)
        .exclude(rule=INFORM)
        .select_related("case", "case__partner")
        .order_by("next_notice_at", "pk")
    )
    if not candidates:
        return 0, 0
    inputs = NoticeInputs.read(list({o.case_id: o.case for o in candidates}.values()))
    counts = {Level.REMINDER: 0, Level.DEADLINE: 0}
    for o in candidates:
        case = o.case
        urgent = inputs.is_urgent(case, o.trigger)
        sent = inputs.sent.get((o.case_id, o.rule, o.trigger), frozenset())
        plan = timing.plan(
            inputs.calendars[case.partner_id],
            inputs.targets[case.pk],
            rule=o.rule,
            opened_at=o.opened_at,
            due_at=o.due_at,
            urgent=urgent,
            attempts_required=o.attempts_required,
        )
        level = None
        if (
            plan is not None
            and o.status in UNSATISFIED
            and case.status == "open"
            and o.rule not in NOT_REMINDED
        ):
            level = timing.level_due(plan, now)
        if level is None or level in sent:
            # Nothing to send yet (a house setting or an urgency moved it, a notice was
            # sent by another worker): move the instant on, unless a write moved it since.
            Obligation.objects.filter(pk=o.pk, next_notice_at=o.next_notice_at).update(
                next_notice_at=inputs.next_notice_at(case, o)
            )
            continue
        assert plan is not None
        with transaction.atomic():
            if _remind_one(now, ctx, o, plan, Level(level), urgent, inputs):
                counts[Level(level)] += 1
    return counts[Level.REMINDER], counts[Level.DEADLINE]


def _remind_one(
    now: datetime,
    ctx: _Context,
    o: Obligation,
    plan: timing.Plan,
    level: Level,
    urgent: bool,
    inputs: NoticeInputs,
) -> bool:
    case = _lock_case(o.case_id)
    if case is None:
        return False
    # Read again under the case lock by its identity (a refresh replaces the rows); a row
    # whose times changed meanwhile is planned again by the next sweep.
    current = (
        Obligation.objects.select_for_update(skip_locked=True)
        .filter(
            case=case,
            rule=o.rule,
            trigger=o.trigger,
            opened_at=o.opened_at,
            due_at=o.due_at,
            status__in=UNSATISFIED,
        )
        .first()
    )
    if current is None:
        return False
    clinicians = ctx.staff(case.partner_id, (Role.PARTNER_CLINICIAN, Role.PARTNER_LEAD))
    assigned = case.assigned_clinician
    if assigned is not None and assigned.is_active:
        clinicians = [assigned]
    if level == Level.DEADLINE:
        users = ctx.staff(case.partner_id, (Role.PARTNER_LEAD,)) or clinicians
    else:
        users = clinicians
    when = notice_time(case, plan.deadline)
    kind = "house target" if plan.from_target else "deadline"
    # In words: "Call back on case EAP-10001"; the ids travel only in the X-Eapcase-Key header.
    title = rule_title(current.rule)
    label = f"{title} on case {case.reference}"
    opened_by = CaseWords.for_case(case, [current.trigger]).event(current.trigger)
    # A notice says what stands when it is written: the lead's notice comes at or after the
    # deadline, and a reminder claimed after it (a sweep that ran late, a deadline that fell
    # outside business hours) says overdue too, never "due by" a time that has passed.
    overdue = level == Level.DEADLINE or now >= plan.deadline
    if overdue and plan.from_target:
        # Missing a house target is not a breach of the policy: it is said as it is.
        text = f"Past its house target: {label}, {opened_by}; the target was {when}."
        headline = f"{label} is past its house target: the target was {when}."
        subject = f"[eapcase] Past its house target: {label}"
    elif overdue:
        text = f"Overdue: {label}, {opened_by}; the deadline was {when}."
        headline = f"{label} is overdue: its deadline was {when}."
        subject = f"[eapcase] Overdue: {label}"
    else:
        text = f"Reminder: {label}, {opened_by}, is due by {when} ({kind})."
        headline = f"Reminder: {label} is due by {when}."
        subject = f"[eapcase] Reminder: {label}, due {when}"
    if urgent:
        subject = f"{subject} [urgent]"
    body = notice_render(
        "reminder",
        {
            "headline": headline,
            "what": title,
            "reference": case.reference,
            "opened_by": opened_by,
            "when": when,
            "overdue": overdue,
            "from_target": plan.from_target,
            "path": f"/cases/{case.reference}/",
        },
    )
    message = Message(
        subject=subject,
        body=body,
        text=text,
        users=users,
        emails=[u.email for u in users if u.email],
        due_at=plan.deadline,
    )
    delivery = delivery_claim(
        case=case,
        rule=current.rule,
        trigger=current.trigger,
        level=level,
        due_at=plan.deadline_at if level == Level.DEADLINE else plan.reminder_at,
        urgent=urgent,
        message=message,
        now=now,
    )
    # Sent now (or by another worker before): the instant moves to the next notice, in the
    # transaction of the claim, computed as the refresh computes it.
    Obligation.objects.filter(pk=current.pk).update(
        next_notice_at=inputs.next_notice_at(case, current, also_sent=frozenset({str(level)}))
    )
    return delivery is not None
