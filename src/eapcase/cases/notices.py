"""When the sweep next has something to send for an obligation (`Obligation.next_notice_at`,
issue #16 item 3): the inputs of `notifications.timing.next_notice_at` read for a set of
cases in a fixed number of queries, and the recomputation of the stored instants when
something outside the case history moves them (house settings, an email's urgency).

The refresh (`record.compliance_refresh`) and the sweep (`compliance.sweep`) both decide
through these reads and that one function, so the instant stored is the instant the sweep
would act at."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q

from eapcase.cases.models import Case, CaseEvent, Obligation
from eapcase.notifications import timing
from eapcase.notifications.choices import Level
from eapcase.notifications.models import Delivery
from eapcase.notifications.selectors import house_targets_by_case
from eapcase.organisations.calendar import partner_calendar
from eapcase.policy import calendar as policy_calendar

# The levels of a delivery that answer an obligation (with its rule and trigger, its key).
_OBLIGATION_LEVELS = (Level.ESCALATION, Level.REMINDER, Level.DEADLINE)
# Obligations recomputed per query batch when house settings change.
REPLAN_BATCH = 2000


def urgent_triggers(case_ids: Iterable[int]) -> set[tuple[int, str]]:
    """(case id, event id) of the urgent provider contacts and emails of the cases. An email's
    urgency is the one it has now: a clinician may have changed it (ADR 0033). Emails are read
    through the case's reverse relation: the outreach app sits above this one."""
    ids = list(set(case_ids))
    if not ids:
        return set()
    rows = set(
        CaseEvent.objects.filter(
            case_id__in=ids, type="provider_contact", fields__urgent=True
        ).values_list("case_id", "event_id")
    )
    email_model: Any = Case._meta.get_field("emails").related_model
    rows |= set(
        email_model.objects.filter(case_id__in=ids, urgent=True).values_list("case_id", "event_id")
    )
    return rows


def sent_levels(case_ids: Iterable[int]) -> dict[tuple[int, str, str], frozenset[str]]:
    """The obligation levels already claimed, by (case id, rule, trigger)."""
    ids = list(set(case_ids))
    found: dict[tuple[int, str, str], set[str]] = {}
    if ids:
        for case_id, rule, trigger, level in Delivery.objects.filter(
            case_id__in=ids, level__in=_OBLIGATION_LEVELS
        ).values_list("case_id", "rule", "trigger", "level"):
            found.setdefault((case_id, rule, trigger), set()).add(level)
    return {key: frozenset(levels) for key, levels in found.items()}


@dataclass
class NoticeInputs:
    """What `timing.next_notice_at` needs beyond the obligation row, for a set of cases."""

    targets: dict[int, timing.HouseTargets]
    urgent: set[tuple[int, str]]
    sent: dict[tuple[int, str, str], frozenset[str]]
    calendars: dict[int, policy_calendar.BusinessCalendar]

    @classmethod
    def read(cls, cases: list[Case]) -> NoticeInputs:
        ids = [c.pk for c in cases]
        calendars = {}
        for c in cases:
            if c.partner_id not in calendars:
                calendars[c.partner_id] = partner_calendar(c.partner)
        return cls(
            targets=house_targets_by_case(cases),
            urgent=urgent_triggers(ids),
            sent=sent_levels(ids),
            calendars=calendars,
        )

    def is_urgent(self, case: Case, trigger: str) -> bool:
        return (case.pk, trigger) in self.urgent or case.risk_level != "none"

    def next_notice_at(
        self, case: Case, o: Any, *, also_sent: frozenset[str] = frozenset()
    ) -> datetime | None:
        """The obligation's next notice instant (`o`: a row or the engine's obligation)."""
        return timing.next_notice_at(
            self.calendars[case.partner_id],
            self.targets[case.pk],
            rule=str(o.rule),
            status=str(o.status),
            case_open=case.status == "open",
            opened_at=o.opened_at,
            due_at=o.due_at,
            urgent=self.is_urgent(case, str(o.trigger)),
            attempts_required=o.attempts_required,
            sent=self.sent.get((case.pk, str(o.rule), str(o.trigger)), frozenset()) | also_sent,
        )


def obligation_notices_replan(cases: Any) -> int:
    """Recompute the next notice instant of the unsatisfied obligations of `cases` (a queryset
    of cases) and write the ones that changed, in batches; returns how many changed. Run in the
    transaction of whatever moved them: a house setting saved, an email's urgency changed."""
    changed = 0
    case_ids = list(cases.values_list("pk", flat=True))
    for start in range(0, len(case_ids), REPLAN_BATCH):
        batch = list(
            Case.objects.filter(pk__in=case_ids[start : start + REPLAN_BATCH]).select_related(
                "partner"
            )
        )
        by_pk = {c.pk: c for c in batch}
        rows = list(
            Obligation.objects.filter(case_id__in=by_pk).filter(
                Q(status__in=timing.UNSATISFIED) | Q(next_notice_at__isnull=False)
            )
        )
        if not rows:
            continue
        inputs = NoticeInputs.read(batch)
        moved = []
        for row in rows:
            when = inputs.next_notice_at(by_pk[row.case_id], row)
            if when != row.next_notice_at:
                row.next_notice_at = when
                moved.append(row)
        Obligation.objects.bulk_update(moved, ["next_notice_at"], batch_size=500)
        changed += len(moved)
    return changed
