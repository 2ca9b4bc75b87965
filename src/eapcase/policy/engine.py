"""The policy engine: replays one case's events up to `now` through the rule families and
returns its obligations, findings and derived state. Pure: the clock is an argument."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, Final

from eapcase.policy.calendar import BusinessCalendar
from eapcase.policy.events import Event
from eapcase.policy.pack import PackSet, PolicyPack, as_pack_set
from eapcase.policy.rules import composed_handlers
from eapcase.policy.state import REMEMBERED, CaseRun, OpenObligation
from eapcase.policy.types import (
    CaseInfo,
    CaseState,
    Evaluation,
    Obligation,
    OutreachProgress,
    Status,
    Verdict,
)

__all__ = ["evaluate", "in_scope", "obligation_status", "verdict"]

_HANDLERS: Final = composed_handlers()
_AT: Final = attrgetter("at")
_LINE: Final = attrgetter("line")
_OPENED: Final = attrgetter("opened_at")
# Enum members bound once: attribute access on an Enum class is slow on Python 3.11.
_MET: Final = Status.MET
_LATE: Final = Status.LATE
_OVERDUE: Final = Status.OVERDUE
_OPEN: Final = Status.OPEN
_BREACHED: Final = Status.BREACHED


def in_scope(case: CaseInfo, packs: PackSet) -> bool:
    """Whether the policy covers `case`: its referral is one the revision in force when the
    case opened covers. `evaluate` gives an out-of-scope case no obligations and no findings
    whatever its events, so a caller that needs only those (`eapcase check`) may skip its
    replay."""
    return case.referral in packs.at(case.opened_at).referrals


def evaluate(
    case: CaseInfo,
    events: Iterable[Event[Any]],
    packs: PolicyPack | PackSet | Sequence[PolicyPack] | None,
    calendar: BusinessCalendar,
    now: datetime,
    *,
    in_order: bool = False,
) -> Evaluation:
    """Judge one case at `now`.

    `events` are the case's events in any order; they are applied by instant, then by
    `line`, and those later than `now` are ignored. They must have passed
    `history.check_references` (the reader and the application's services ensure it); a
    dangling reference is ignored rather than reported here. `packs` are the policy
    revisions (None: the built-in pack); each obligation is judged by the revision in force
    on the date it opened. `calendar` is the acting Partner's. `in_order` says the events
    are already in that order (a history reader's `CaseHistory.events` are), which spares
    sorting them.

    A case whose referral the case's revision does not cover is out of scope: no
    obligations, no findings (its derived state is still given).
    """
    now = _utc(now)
    run = _replay(case, events, _pack_set(packs), calendar, now, in_order)
    # in_scope(case, packs), with the revision the run already holds.
    covered = case.referral in run.pack.referrals
    next_change_at: datetime | None = None
    informs_pending: tuple[tuple[str, datetime], ...] = ()
    if covered:
        informs_pending = tuple(
            (watch.email.id, watch.window_end)
            for watch in run.inform
            if not watch.contacted and watch.escalation is None
        )
        obligations = _obligations(run, now)
        findings = tuple(run.findings)
        next_change_at = _next_change(run, obligations)
    else:
        obligations, findings = (), ()
    return Evaluation(
        case.case,
        covered,
        obligations,
        findings,
        _state(run),
        run.pack.revision,
        next_change_at,
        informs_pending,
    )


def verdict(
    case: CaseInfo,
    events: Iterable[Event[Any]],
    packs: PolicyPack | PackSet | Sequence[PolicyPack] | None,
    calendar: BusinessCalendar,
    now: datetime,
    *,
    in_order: bool = False,
) -> Verdict:
    """`evaluate(...)`'s case, in_scope, obligations and findings, the same values, for a
    caller that prints only those (`eapcase check`): the case state, the next change and the
    pending informs are not built, and a case out of scope is not replayed at all (it has no
    obligations and no findings whatever its events)."""
    pack_set = _pack_set(packs)
    if not in_scope(case, pack_set):
        return Verdict(case.case, False, (), ())
    now = _utc(now)
    run = _replay(case, events, pack_set, calendar, now, in_order)
    return Verdict(case.case, True, _obligations(run, now), tuple(run.findings))


def _pack_set(packs: PolicyPack | PackSet | Sequence[PolicyPack] | None) -> PackSet:
    return packs if type(packs) is PackSet else as_pack_set(packs)


def _utc(now: datetime) -> datetime:
    if now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, not {now!r}")
    return now if now.tzinfo is UTC else now.astimezone(UTC)


def _obligations(run: CaseRun, now: datetime) -> tuple[Obligation, ...]:
    """The run's obligations frozen with their status at `now`, in the order they opened."""
    run.obligations.sort(key=_OPENED)
    return tuple([_freeze(obligation, now) for obligation in run.obligations])


def _replay(
    case: CaseInfo,
    events: Iterable[Event[Any]],
    packs: PackSet,
    calendar: BusinessCalendar,
    now: datetime,
    in_order: bool,
) -> CaseRun:
    """Apply the case's events up to `now` (UTC) and the actions timed up to it."""
    run = CaseRun(case, calendar, packs, now)
    handlers = _HANDLERS
    seen = run.seen
    remembered = REMEMBERED
    timers = run.timers
    # Two stable sorts with plain keys: cheaper than one on (at, line) tuples. The reader's
    # events come in that order already (`in_order`, given by `eapcase check`).
    ordered = events if in_order else sorted(sorted(events, key=_LINE), key=_AT)
    for event in ordered:
        at = event.at
        if at > now:
            break
        if timers and timers[0][0] < at:
            run.run_timers(at)
        kind = event.type
        handlers[kind](run, event)
        if kind in remembered:
            applied = seen.get(kind)
            if applied is None:
                seen[kind] = [event]
            else:
                applied.append(event)
    run.finish()
    return run


def _next_change(run: CaseRun, obligations: tuple[Obligation, ...]) -> datetime | None:
    """The earliest future instant at which time alone changes the verdict: the next pending
    timer (all timers at or before `now` have run) or an open obligation's deadline."""
    changes = [ob.due_at for ob in obligations if ob.status is _OPEN and ob.due_at]
    if run.timers:
        changes.append(run.timers[0][0])
    return min(changes, default=None)


def obligation_status(
    due_at: datetime | None,
    satisfied_at: datetime | None,
    breached: bool,
    now: datetime,
) -> Status:
    """The status of an obligation at `now` (rules.md, "Status of an obligation")."""
    if breached:
        return _BREACHED
    if satisfied_at is not None:
        return _LATE if due_at is not None and satisfied_at > due_at else _MET
    if due_at is not None and now >= due_at:
        return _OVERDUE
    return _OPEN


def _freeze(ob: OpenObligation, now: datetime) -> Obligation:
    """The frozen Obligation of a working one, with its status at `now`."""
    # obligation_status inlined: this runs once per obligation, by the hundred thousand.
    due_at, satisfied_at = ob.due_at, ob.satisfied_at
    if ob.breached_by is not None:
        status = _BREACHED
    elif satisfied_at is not None:
        status = _LATE if due_at is not None and satisfied_at > due_at else _MET
    else:
        status = _OVERDUE if due_at is not None and now >= due_at else _OPEN
    return Obligation(
        ob.rule,
        ob.trigger,
        ob.opened_at,
        due_at,
        satisfied_at,
        status,
        ob.satisfied_by,
        ob.target,
        ob.attempts_made,
        ob.attempts_required,
        ob.revision,
        ob.breached_by,
        ob.breached_at,
        ob.breached_on,
        ob.basis,
    )


def _state(run: CaseRun) -> CaseState:
    return CaseState(
        sessions_held=run.sessions_held,
        sessions_authorised=run.sessions_authorised,
        risk=run.risk,
        participant=run.prefs,
        open_outreach=tuple(
            OutreachProgress(o.id, o.purpose, o.target, o.attempts, o.required)
            for o in run.outreach
        ),
        closed_at=run.closed_at,
        review_pending=run.review is not None and not run.review.settled,
        reopened_at=run.reopened_at,
    )
