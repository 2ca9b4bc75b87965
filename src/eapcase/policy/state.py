"""The working state of one case while the engine replays its events: what the rule families
read and change (obligations being built, open outreach, sessions, preferences, risk)."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

import msgspec

from eapcase.policy.calendar import BusinessCalendar, add_business_days
from eapcase.policy.events import Event
from eapcase.policy.pack import PackSet, PolicyPack
from eapcase.policy.types import (
    CaseInfo,
    DueBasis,
    EventType,
    Finding,
    RiskLevel,
    Rule,
    Severity,
    Target,
)

__all__ = ["REMEMBERED", "CaseRun", "Handler", "InformWatch", "OpenObligation", "Outreach"]

Handler = Callable[["CaseRun", Event[Any]], None]

#: The event types the replay remembers in `CaseRun.seen`: those a rule asks `at_instant`
#: about. Keeping every event of every type cost a lookup and an append per event.
REMEMBERED: Final = frozenset(
    {EventType.CONTACT_ATTEMPT, EventType.ESCALATED_TO_WPO, EventType.CASE_NOTES_UPLOADED}
)


class OpenObligation(msgspec.Struct, gc=False):
    """An obligation while the case is replayed; frozen into an Obligation at the end.

    A mutable msgspec struct: built in C (one for each obligation, by the hundred thousand in
    a check). `attempts_made` starts at 0 when attempts are counted (see CaseRun.open)."""

    rule: Rule
    trigger: str
    opened_at: datetime
    due_at: datetime | None
    revision: int
    target: Target | None = None
    attempts_required: int | None = None
    attempts_made: int | None = None
    basis: DueBasis | None = None
    satisfied_at: datetime | None = None
    satisfied_by: str | None = None
    breached_at: datetime | None = None
    breached_by: str | None = None
    breached_on: EventType | None = None

    @property
    def settled(self) -> bool:
        """Satisfied or breached: later events no longer change it."""
        return self.satisfied_by is not None or self.breached_by is not None

    def satisfy(self, event: Event[Any]) -> None:
        if self.satisfied_by is None and self.breached_by is None:
            self.satisfied_at = event.at
            self.satisfied_by = event.id

    def breach(self, event: Event[Any]) -> None:
        if self.satisfied_by is None and self.breached_by is None:
            self.breached_at = event.at
            self.breached_by = event.id
            self.breached_on = event.type


class Outreach(msgspec.Struct, gc=False):
    """An outreach request, the outreach a call back starts, or a check-in, open for counting
    attempts until its target is reached or it is closed (rules.md, "Open outreach")."""

    id: str
    purpose: str
    target: Target
    required: int
    pack: PolicyPack
    obligation: OpenObligation
    attempts: int = 0
    phone_used: bool = False
    is_open: bool = True

    @property
    def is_checkin(self) -> bool:
        return self.purpose == "checkin"


class InformWatch(msgspec.Struct, gc=False):
    """An email that needs contact with the participant, watched until its window ends
    (rules.md, "24 hours"): whether the participant was reached in it, and the first
    escalation to WPO at or after its receipt."""

    email: Event[Any]
    window_end: datetime
    pack: PolicyPack
    contacted: bool = False
    escalation: Event[Any] | None = None


class CaseRun:
    """Everything the rule families share while one case is replayed up to `now`."""

    def __init__(
        self, case: CaseInfo, calendar: BusinessCalendar, packs: PackSet, now: datetime
    ) -> None:
        self.case = case
        self.calendar = calendar
        self.packs = packs
        self.now = now
        #: The revision in force when the case opened: it decides scope and review cases.
        self.pack = packs.at(case.opened_at)
        self._undated = DueBasis("none", case.opened_at, 0, calendar)
        self.prefs = case.participant
        self.risk = RiskLevel.NONE
        self.review_case = case.case_type in self.pack.review.case_types
        self.sessions_held = 0
        self.sessions_authorised = (
            min(self.pack.review.sessions_before_review, case.benefit_sessions)
            if self.review_case
            else case.benefit_sessions
        )
        self.first_session: Event[Any] | None = None
        self.review: OpenObligation | None = None
        #: The closure in force (None while the case is open) and the latest reopening.
        self.closed_at: datetime | None = None
        self.reopened_at: datetime | None = None
        self.obligations: list[OpenObligation] = []
        self.findings: list[Finding] = []
        #: Outreach still open for counting attempts, in the order requested.
        self.outreach: list[Outreach] = []
        self.outreach_by_id: dict[str, Outreach] = {}
        self.inform: list[InformWatch] = []
        #: Obligations by (rule, trigger id), for events that name their trigger.
        self.by_trigger: dict[tuple[Rule, str], OpenObligation] = {}
        #: Obligations per (rule, key) waiting for an event that satisfies all of them at
        #: once (any attempt to the participant, any escalation, an upload for a provider).
        self.waiting: dict[tuple[Rule, str], list[OpenObligation]] = {}
        #: Events applied so far of the types in REMEMBERED, by type, for rules satisfied
        #: "at or after" their trigger (at_instant).
        self.seen: dict[EventType, list[Event[Any]]] = {}
        #: Actions to run once time passes an instant (a heap of (instant, seq, action)).
        self.timers: list[tuple[datetime, int, Callable[[CaseRun], None]]] = []
        self._timer_count = 0
        self._finding_event: Event[Any] | None = None
        self._finding_rules: set[Rule] = set()

    # --- obligations ---------------------------------------------------------------------

    def open(
        self,
        rule: Rule,
        trigger: Event[Any],
        due_at: datetime | None,
        pack: PolicyPack,
        *,
        opened_at: datetime | None = None,
        target: Target | None = None,
        attempts_required: int | None = None,
        basis: DueBasis | None = None,
        wait: bool = False,
        key: str = "",
    ) -> OpenObligation:
        """Open an obligation of `rule` triggered by `trigger`. `wait` puts it on the list
        of (`rule`, `key`) that the next satisfying event empties (see satisfy_waiting)."""
        obligation = OpenObligation(
            rule,
            trigger.id,
            trigger.at if opened_at is None else opened_at,
            due_at,
            pack.revision,
            target,
            attempts_required,
            None if attempts_required is None else 0,
            self._undated if basis is None else basis,
        )
        self.obligations.append(obligation)
        self.by_trigger[rule, trigger.id] = obligation
        if wait:
            self.waiting.setdefault((rule, key), []).append(obligation)
        return obligation

    def satisfy_waiting(self, rule: Rule, event: Event[Any], key: str = "") -> None:
        """Satisfy every obligation of (`rule`, `key`) still waiting, by `event`."""
        waiting = self.waiting.pop((rule, key), None)
        if waiting:
            for obligation in waiting:
                obligation.satisfy(event)

    def satisfy_named(self, rule: Rule, trigger_id: str, event: Event[Any]) -> None:
        """Satisfy the obligation of `rule` opened by the event `trigger_id`, if any."""
        obligation = self.by_trigger.get((rule, trigger_id))
        if obligation is not None:
            obligation.satisfy(event)

    def business_due(self, start: datetime, days: int) -> tuple[datetime, DueBasis]:
        """A deadline `days` business days after `start` on the Partner's calendar."""
        due = add_business_days(self.calendar, start, days)
        return due, DueBasis("business_days", start, days, self.calendar)

    def clock_due(self, start: datetime, period: timedelta) -> tuple[datetime, DueBasis]:
        """A deadline `period` of elapsed time after `start`."""
        hours = period.total_seconds() / 3600
        return start + period, DueBasis("clock_hours", start, hours, self.calendar)

    # --- findings ------------------------------------------------------------------------

    def find(self, rule: Rule, event: Event[Any], severity: Severity, detail: str) -> None:
        """Record a finding on `event`; a rule gives at most one finding per event."""
        if self._finding_event is not event:
            self._finding_event = event
            self._finding_rules = set()
        elif rule in self._finding_rules:
            return
        self._finding_rules.add(rule)
        self.findings.append(Finding(rule, event.id, event.at, severity, detail))

    # --- time ----------------------------------------------------------------------------

    def at_instant(self, event_type: EventType, at: datetime) -> Sequence[Event[Any]]:
        """Events of `event_type` already applied at exactly `at` (same instant, earlier
        line), the latest first: "at or after" a trigger includes them."""
        if event_type not in REMEMBERED:
            raise ValueError(f"{event_type} events are not remembered (state.REMEMBERED)")
        applied = self.seen.get(event_type)
        # Usually none: answered without building a generator or a list (every email asks
        # twice, every intervention's end once).
        if not applied or applied[-1].at != at:
            return ()
        found = []
        for event in reversed(applied):
            if event.at != at:
                break
            found.append(event)
        return found

    def schedule(self, at: datetime, action: Callable[[CaseRun], None]) -> None:
        """Run `action` once every event at or before `at` has been applied."""
        self._timer_count += 1
        heapq.heappush(self.timers, (at, self._timer_count, action))

    def run_timers(self, before: datetime) -> None:
        """Run the scheduled actions due strictly before `before`, earliest first."""
        timers = self.timers
        while timers and timers[0][0] < before:
            action = heapq.heappop(timers)[2]
            action(self)

    def finish(self) -> None:
        """Run the scheduled actions due at or before `now`: the replay is over."""
        timers = self.timers
        while timers and timers[0][0] <= self.now:
            action = heapq.heappop(timers)[2]
            action(self)
