"""The write path of the case record. Every write to a case goes through `case_write`: it locks
the case, lets the service write its rows and append history events (`CaseWrite.append`),
then refreshes the obligations and findings through the policy engine (the single place that
does, once per write), refuses or asks for confirmation by what the engine found on the new
events (ADR 0002), and audits, all in one transaction (ADR 0003)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, TypeAlias

from django.db import transaction
from django.db.models import F

from eapcase.accounts.models import User
from eapcase.audit.services import audit_gathered, audit_record, event_digest
from eapcase.cases import bridge
from eapcase.cases.models import Case, CaseEvent, CaseVersion, Finding, Obligation, Override
from eapcase.cases.notices import NoticeInputs
from eapcase.core.errors import Conflict, ServiceError
from eapcase.core.prepared import PreparedObjects, PreparedQuery
from eapcase.core.rowupdate import rows_insert, rows_update
from eapcase.notifications import timing
from eapcase.policy import events, history

# How far past the server's clock an event may be dated: none (ADR 0025). An event dated
# ahead of now would be in the history but not yet in the engine's verdict at now, so pages
# would disagree about the case (a risk the list shows and the case page does not).
CLOCK_SKEW = timedelta(0)


@dataclass(frozen=True)
class NamedActor:
    """Someone named in the history who is not a user of this system: the author of an
    imported event, or a part of the system itself (the intake mailbox)."""

    username: str
    pk: None = None


# Who a write is by: a user; a name (an imported history's author, the intake mailbox); or
# None, the system itself (the sweep's automatic escalations).
Actor: TypeAlias = User | NamedActor | None


def user_of(actor: Actor) -> User | None:
    """The user behind an actor, for the rows that point at one."""
    return actor if isinstance(actor, User) else None


@dataclass
class CaseWrite:
    """One write to a case in progress, inside `case_write`'s transaction: the locked case,
    the events appended so far, and what the audit row will name."""

    case: Case
    actor: Actor
    now: datetime
    events: list[CaseEvent] = field(default_factory=list)
    obj: Any = None
    data: dict[str, Any] = field(default_factory=dict)
    # Further audit rows of the same write (an escalation raised by a dissatisfaction).
    audits: list[tuple[str, Any, dict[str, Any]]] = field(default_factory=list)
    evaluation: Any = None

    def append(
        self,
        type: str,
        *,
        at: datetime,
        fields: dict[str, Any] | None = None,
        event_id: str | None = None,
    ) -> CaseEvent:
        """Validate an event as the history reader does and add it to the case's history."""
        event = event_append(
            case=self.case,
            type=type,
            at=at,
            actor=self.actor,
            fields=fields or {},
            now=self.now,
            event_id=event_id,
        )
        self.events.append(event)
        return event

    def answer(
        self,
        row: Any,
        *,
        type: str,
        names: str,
        done: str,
        already: str,
        at: datetime,
        event_id: str | None = None,
        fields: dict[str, Any] | None = None,
        current: bool = False,
    ) -> tuple[Any, CaseEvent]:
        """An event that answers or closes an earlier one, once: re-read its row under a lock
        (unless the caller knows it `current`), refuse when it is already done (`done`, the
        row's time column; `already`, the message), append the event naming it (`names`: the
        field that carries its event id), and set `done` to the event's time. The caller sets
        its own columns and saves the row."""
        if not current:
            row = row.__class__.objects.select_for_update().get(pk=row.pk)
        if getattr(row, done) is not None:
            raise Conflict(already, field=names)
        event = self.append(
            type, at=at, fields={names: row.event_id, **(fields or {})}, event_id=event_id
        )
        setattr(row, done, event.at)
        self.obj = row
        return row, event

    def also_audit(self, action: str, obj: Any, data: dict[str, Any] | None = None) -> None:
        self.audits.append((action, obj, dict(data or {})))


class StaleWrite(Conflict):
    """The case changed after the writer read it (optimistic concurrency, ADR 0038): nothing
    was written. `seen` is the version the writer read, `current` the case's version now;
    `cases.changes.changes_since` says in words what happened in between."""

    def __init__(self, case: Case, *, seen: int, current: int) -> None:
        super().__init__("the case changed after you opened it; nothing was saved", field="version")
        self.case = case
        self.seen = seen
        self.current = current


# The version each case was read at, by whoever acts in this context (a page's form, an API
# request's If-Match): {case pk: version}. Set by `expecting`, taken by the first `case_write`
# on that case, so a service that writes the case more than once is checked once.
_expected: ContextVar[dict[int, int] | None] = ContextVar("eapcase_expected", default=None)


@contextmanager
def expecting(case: Case, version: int | None) -> Iterator[None]:
    """Refuse (`StaleWrite`) the write to `case` inside the block unless the case is still at
    `version`, the one its writer read. None checks nothing (a client that sent no version).
    It reaches through any service, whatever its arguments, to the one `case_write`."""
    if version is None:
        yield
        return
    token = _expected.set({**(_expected.get() or {}), case.pk: version})
    try:
        yield
    finally:
        _expected.reset(token)


def _expectation_take(case_pk: int) -> int | None:
    expected = _expected.get()
    return None if expected is None else expected.pop(case_pk, None)


@contextmanager
def case_write(
    case: Case,
    *,
    actor: Actor,
    action: str,
    now: datetime,
    historical: bool = False,
    refuse: frozenset[str] = frozenset(),
    confirm: str = "",
    seen: int | None = None,
) -> Iterator[CaseWrite]:
    """The one way to write to a case. The body writes its rows and appends its events to the
    `CaseWrite` it is given; on leaving the block the case is refreshed through the engine (when
    the history changed, or the case was never judged), the new events are judged (`refuse`:
    rules whose findings roll the write back; any other finding or a newly breached obligation
    needs `confirm`, a reason; `historical` records what happened without judging), and the
    write is audited. An exception anywhere rolls all of it back.

    Every write raises the case's version by one and records what made it (`CaseVersion`).
    `seen` (or an `expecting` around the call) is the version the writer read: another is
    refused with `StaleWrite` before anything is written (ADR 0038).

    Inside `historical_writes` the write joins that batch instead: its rows are written as
    the service goes, its events, version, refresh and audit once for the case at the end."""
    batch = _batch.get()
    if batch is not None:
        yield batch.join(case, actor=actor, action=action, historical=historical)
        return
    with transaction.atomic():
        write = CaseWrite(case=lock_case(case), actor=actor, now=now)
        expected = _expectation_take(write.case.pk)
        expected = seen if seen is not None else expected
        if expected is not None and expected != write.case.version:
            raise StaleWrite(write.case, seen=expected, current=write.case.version)
        yield write
        # Under the row lock: versions of one case never collide.
        Case.objects.filter(pk=write.case.pk).update(version=F("version") + 1)
        # Read back, not counted here: a nested write to the same case raised it too.
        write.case.version = _VERSION.rows(case=write.case.pk)[0][0]
        if case is not write.case:
            case.version = write.case.version
        CaseVersion.objects.create(
            case=write.case,
            version=write.case.version,
            at=now,
            by=user_of(actor),
            by_name=getattr(actor, "username", "") or "",
            action=action,
            events=[e.event_id for e in write.events],
            data=write.data,
        )
        # Parts of the write audited on their own (an escalation raised by a dissatisfaction)
        # come first, as the part happened first.
        for extra_action, obj, data in write.audits:
            data.setdefault("events", [e.event_id for e in write.events])
            audit_record(
                actor=actor, action=extra_action, at=now, case=write.case, obj=obj, data=data
            )
        if write.events or bridge.stored_evaluation(write.case.engine_state) is None:
            write.evaluation = case_write_finish(
                case=write.case,
                actor=actor,
                action=action,
                now=now,
                events=write.events,
                obj=write.obj,
                data=write.data,
                historical=historical,
                refuse=refuse,
                confirm=confirm,
            )
        else:
            audit_record(
                actor=actor, action=action, at=now, case=write.case, obj=write.obj, data=write.data
            )


_REFERRING_TYPES = frozenset(kind.value for kind in events.REFERENCE_FIELDS)

#: The action of a historical write that gathers more than one service's write (an imported
#: case): /audit/ says "case: history imported".
HISTORY_IMPORTED = "case.history_imported"


@dataclass
class HistoricalWrite(CaseWrite):
    """All the writes to one case inside `historical_writes`, gathered: each service's write
    joins it (`actor`, `historical` are the current write's), its rows are written as the
    service goes, its events are kept here and written at `finish`."""

    known: set[str] = field(default_factory=set)  # the event ids of the case's history
    stored: bool = False  # whether the case had events before this batch
    fresh: bool = False  # opened in this batch: no events, obligations or findings stored
    historical: bool = True
    actions: list[str] = field(default_factory=list)
    actors: dict[str, Actor] = field(default_factory=dict)  # an event's id -> who wrote it
    audit_actors: list[Actor] = field(default_factory=list)
    # The rows the batch's services returned, by (model, event id): an answer later in the
    # case names its row by event id (`historical_row`) without reading it back.
    rows: dict[tuple[type, str], Any] = field(default_factory=dict)

    def append(
        self,
        type: str,
        *,
        at: datetime,
        fields: dict[str, Any] | None = None,
        event_id: str | None = None,
    ) -> CaseEvent:
        """`event_append`'s checks and row, in memory: the reference check and the insert are
        made once for the case at `finish`."""
        if not self.historical:
            # A write judged per event (refusals, confirmations) cannot be gathered.
            raise RuntimeError("only a history as it happened is written in a batch")
        fields = fields or {}
        event_check(case=self.case, type=type, at=at, fields=fields, now=self.now)
        if event_id is not None and event_id in self.known:
            raise Conflict(f"event id {event_id} is already used in this case", field="id")
        self.case.event_seq += 1
        if event_id is None:
            event_id = f"E{self.case.event_seq}"
            while event_id in self.known:
                event_id = f"{event_id}x"
        event = event_build(
            case=self.case,
            seq=self.case.event_seq,
            event_id=event_id,
            type=type,
            at=at,
            actor=self.actor,
            fields=fields,
            now=self.now,
        )
        self.known.add(event_id)
        self.events.append(event)
        self.actors[event_id] = self.actor
        return event

    def also_audit(self, action: str, obj: Any, data: dict[str, Any] | None = None) -> None:
        super().also_audit(action, obj, data)
        self.audit_actors.append(self.actor)

    def answer(self, row: Any, **kwargs: Any) -> tuple[Any, CaseEvent]:
        """`CaseWrite.answer` without re-reading the row: the batch has held the case's lock
        since before the row was read (in its transaction), and the answered columns are only
        written under that lock, so the row is current."""
        return super().answer(row, current=True, **kwargs)

    def finish(self, *, first: Actor) -> None:
        """What `case_write` does on leaving, once for the case: check the references of the
        new events, insert them, raise the version by one, refresh through the engine once,
        and audit: one row per author naming (and sealing) that author's events."""
        case, now = self.case, self.now
        self._check_references()
        # Inserted without reading their keys back: nothing uses them (`rows_insert`).
        rows_insert(CaseEvent, self.events)
        # The case row's new sequence and version go in with the refresh's own update of the
        # row below (one UPDATE a case instead of two), or alone when there is no refresh.
        counters = {"event_seq": case.event_seq, "version": F("version") + 1}
        case.version += 1
        action = self.actions[0] if len(self.actions) == 1 else HISTORY_IMPORTED
        ids = [e.event_id for e in self.events]
        CaseVersion.objects.create(
            case=case,
            version=case.version,
            at=now,
            by=user_of(first),
            by_name=getattr(first, "username", "") or "",
            action=action,
            events=ids,
            data={"writes": self.actions} if len(self.actions) > 1 else {},
        )
        for (extra_action, obj, data), actor in zip(self.audits, self.audit_actors, strict=True):
            data.setdefault("events", ids)
            audit_record(actor=actor, action=extra_action, at=now, case=case, obj=obj, data=data)
        if self.events or bridge.stored_evaluation(case.engine_state) is None:
            # A case new to this batch: its history is the events in hand, not read back.
            rows = None if self.stored else sorted(self.events, key=lambda e: (e.at, e.seq))
            self.evaluation = compliance_refresh(
                case=case, now=now, rows=rows, fresh=self.fresh, columns=counters
            )
        else:
            Case.objects.filter(pk=case.pk).update(**counters)
        # One audit row per author, in the order they first wrote, naming their events.
        by_author: dict[str, tuple[Actor, list[CaseEvent]]] = {}
        for event in self.events:
            by_author.setdefault(event.by, (self.actors[event.event_id], []))[1].append(event)
        if not by_author:
            by_author[""] = (first, [])
        for actor, written in by_author.values():
            audit_record(
                actor=actor,
                action=action,
                at=now,
                case=case,
                obj=case,
                data={"events": [e.event_id for e in written], "writes": len(self.actions)},
                sealed={e.event_id: e.hash for e in written},
            )

    def _check_references(self) -> None:
        """`_check_references` for all the new events at once: the reader's cross-event check
        over the case's whole history, refusing what it finds on a new event."""
        if not any(e.type in _REFERRING_TYPES for e in self.events):
            return
        ref = self.case.reference
        stored = (
            [bridge.engine_event(self.case, row) for row in self.case.events.all()]
            if self.stored
            else []
        )
        new = {
            e.seq: events.make_event(
                case=ref, id=e.event_id, type=e.type, at=e.at, by=None, fields=e.fields, seq=e.seq
            )
            for e in self.events
        }
        ordered = sorted([*stored, *new.values()], key=lambda e: (e.at, e.line))
        for error in history.check_references(ordered):
            if error.line in new:
                field_name, _, reason = error.reason.partition(": ")
                raise ServiceError(reason, field=field_name)


@dataclass
class HistoricalBatch:
    """The cases `historical_writes` is writing, each with its gathered write."""

    now: datetime
    writes: dict[int, HistoricalWrite] = field(default_factory=dict)
    first: dict[int, Actor] = field(default_factory=dict)
    # References of the cases the caller opens in the batch (`opening`).
    new: set[str] = field(default_factory=set)

    def opening(self, reference: str) -> None:
        """Say that the case `reference` is about to be opened in this batch (the import's
        case line): it has nothing stored yet, so nothing of it is read back."""
        self.new.add(reference)

    def join(self, case: Case, *, actor: Actor, action: str, historical: bool) -> HistoricalWrite:
        """A service's `case_write` on `case`: the case's gathered write, as this write's."""
        write = self._write_of(case)
        if case.pk not in self.first:
            self.first[case.pk] = actor  # who made the case's first write: its version's author
        write.actor = actor
        write.historical = historical
        write.actions.append(action)
        return write

    def _write_of(self, case: Case) -> HistoricalWrite:
        write = self.writes.get(case.pk)
        if write is None:
            # A case opened in this transaction (its reference was not taken, or opening it
            # failed) has no events yet. The instance its opening just inserted is the row as
            # stored (and locked: it is this transaction's own), so it is not read again.
            fresh = case.reference in self.new
            locked = case if fresh and case.pk is not None else lock_case(case)
            known = (
                set()
                if fresh
                else set(CaseEvent.objects.filter(case=locked).values_list("event_id", flat=True))
            )
            write = HistoricalWrite(
                case=locked,
                actor=None,
                now=self.now,
                known=known,
                stored=bool(known),
                fresh=fresh,
            )
            self.writes[case.pk] = write
        return write

    def case(self, case: Case) -> Case:
        """The batch's own copy of `case` (locked, current), to hand to the services."""
        return self._write_of(case).case

    def event_ids(self, case: Case) -> set[str]:
        """The ids of the case's events, those written before the batch and those in it."""
        return set(self._write_of(case).known)


_batch: ContextVar[HistoricalBatch | None] = ContextVar("eapcase_historical_batch", default=None)


@contextmanager
def historical_writes(*, now: datetime) -> Iterator[HistoricalBatch]:
    """Write histories as they happened (an import) in one transaction, each case's writes
    gathered: every `case_write` inside the block, through whichever service, joins its
    case's `HistoricalWrite`; its rows are written as the service goes, while its events are
    inserted in one statement, the case's version raised once, the engine asked once and the
    audit rows written once per case when the block ends (ADR 0043). Only historical writes
    may append events here: nothing is judged per event. Yields the batch: its `case` gives
    the batch's own copy of a case, current and locked, for the services to write through."""
    if _batch.get() is not None:
        raise RuntimeError("historical writes do not nest")
    batch = HistoricalBatch(now=now)
    # The audit rows of the whole block (the participant's, the cases') chained at its end.
    with transaction.atomic(), audit_gathered():
        token = _batch.set(batch)
        try:
            yield batch
        finally:
            _batch.reset(token)
        for pk, write in batch.writes.items():
            if write.actions:  # a case only looked at (`batch.case`) had no write
                write.finish(first=batch.first[pk])


def in_historical_batch(case: Case) -> bool:
    """Whether `case` is the instance a running `historical_writes` writes through."""
    batch = _batch.get()
    write = batch.writes.get(case.pk) if batch is not None else None
    return write is not None and write.case is case


def historical_row_keep(case: Case, row: Any) -> None:
    """Keep `row`, which a service wrote (or answered) through the batch's own copy of `case`,
    so that an event naming it later in the batch gets this instance (`historical_row`). It is
    the row as stored: the services change these rows only through the instance they hold and
    save (an answer's `CaseWrite.answer`), never by a query, and the batch holds the case's
    lock, so no one else changes them before the commit."""
    event_id = getattr(row, "event_id", "")
    if not in_historical_batch(case) or getattr(row, "pk", None) is None or not event_id:
        return
    batch = _batch.get()
    assert batch is not None  # in_historical_batch
    batch.writes[case.pk].rows[(type(row), event_id)] = row


def historical_row(case: Case, model: type, event_id: Any) -> Any:
    """The row of `model` a service wrote for the event `event_id` of `case` in the running
    batch (`historical_row_keep`), or None: then it is read as usual."""
    if not in_historical_batch(case):
        return None
    batch = _batch.get()
    assert batch is not None  # in_historical_batch
    return batch.writes[case.pk].rows.get((model, event_id))


def historical_rows(case: Case, model: type) -> list[Any] | None:
    """The rows of `model` the running batch's services wrote for `case` (`historical_row_keep`),
    when the batch opened `case` (`HistoricalBatch.opening`): then nothing of the case was
    stored before the batch, and these are all of its rows of `model` that carry an event id.
    None otherwise (a case not in a batch, or one with rows stored before it): read them."""
    if not in_historical_batch(case):
        return None
    batch = _batch.get()
    assert batch is not None  # in_historical_batch
    write = batch.writes[case.pk]
    if not write.fresh:
        return None
    return [row for (kind, _event_id), row in write.rows.items() if kind is model]


def lock_case(case: Case) -> Case:
    """Re-read the case under a row lock: writes to one case queue behind each other."""
    found: list[Case] = _LOCKED.objects(case=case.pk)
    if not found:
        raise Case.DoesNotExist("Case matching query does not exist.")
    return found[0]


# A write's own reads of its case, compiled once per process (core.prepared): compiling them
# was about a fifth of recording an attempt (issue #16). `of=("self",)`: lock the case row
# only, not the Partner row the join reads, or every write to one Partner's cases would queue
# behind the others on PostgreSQL.
_LOCKED = PreparedObjects(
    lambda case: (
        Case.objects.select_for_update(of=("self",)).select_related("partner").filter(pk=case)
    )
)
_EVENT_SEQ = PreparedQuery(lambda case: Case.objects.filter(pk=case).values_list("event_seq"))
_VERSION = PreparedQuery(lambda case: Case.objects.filter(pk=case).values_list("version"))
_EVENT_ID_USED = PreparedQuery(
    lambda case, event: (
        CaseEvent.objects.filter(case_id=case, event_id=event).order_by().values_list("pk")[:1]
    )
)
_HISTORY = PreparedObjects(
    lambda case: CaseEvent.objects.filter(case_id=case).order_by("at", "seq")
)


def _event_id_used(case: Case, event_id: str) -> bool:
    return bool(_EVENT_ID_USED.rows(case=case.pk, event=event_id))


def event_append(
    *,
    case: Case,
    type: str,
    at: datetime,
    actor: Actor,
    fields: dict[str, Any],
    now: datetime,
    event_id: str | None = None,
) -> CaseEvent:
    """Validate one event exactly as the history reader does and append it to the case's
    history. The caller holds the case lock and refreshes the case afterwards."""
    event_check(case=case, type=type, at=at, fields=fields, now=now)
    if event_id is not None and _event_id_used(case, event_id):
        raise Conflict(f"event id {event_id} is already used in this case", field="id")
    # Counted in the database, not on this instance: nested services may hold other copies.
    Case.objects.filter(pk=case.pk).update(event_seq=F("event_seq") + 1)
    case.event_seq = _EVENT_SEQ.rows(case=case.pk)[0][0]
    if event_id is None:
        event_id = f"E{case.event_seq}"
        # An imported history may already use the name; never reuse one.
        while _event_id_used(case, event_id):
            event_id = f"{event_id}x"
    _check_references(case, event_id=event_id, type=type, at=at, fields=fields)
    event = event_build(
        case=case,
        seq=case.event_seq,
        event_id=event_id,
        type=type,
        at=at,
        actor=actor,
        fields=fields,
        now=now,
    )
    event.save(force_insert=True)
    return event


def event_check(
    *, case: Case, type: str, at: datetime, fields: dict[str, Any], now: datetime
) -> None:
    """An event's own checks (its instant, its fields as the history reader takes them), the
    same for an append and a historical write (`historical_writes`)."""
    if at.tzinfo is None:
        raise ServiceError("must carry a time zone", field="at")
    if at > now + CLOCK_SKEW:
        raise ServiceError("is in the future", field="at")
    if at < case.opened_at:
        raise ServiceError("is before the case was opened", field="at")
    try:
        events.parse_event_fields(type, fields)
    except events.FieldError as exc:
        raise ServiceError(exc.reason, field=exc.field) from exc


def event_build(
    *,
    case: Case,
    seq: int,
    event_id: str,
    type: str,
    at: datetime,
    actor: Actor,
    fields: dict[str, Any],
    now: datetime,
) -> CaseEvent:
    """The row of one case event, sealed, not yet saved: one way to make it, so an event
    appended alone and one written in bulk are the same row with the same hash."""
    event = CaseEvent(
        case=case,
        seq=seq,
        event_id=event_id,
        type=type,
        at=at,
        by=getattr(actor, "username", "") or "",
        fields=json.loads(json.dumps(fields, default=str)),
        recorded_at=now,
    )
    # Sealed at append; the write's audit row names the hash, so the audit chain covers the
    # history and a rewritten event is found by `eapcase audit verify` (ADR 0035).
    event.hash = event_seal(event)
    return event


def event_seal(event: CaseEvent) -> str:
    """The hash of a case event as stored (every column)."""
    return event_digest(
        case_id=event.case_id,
        seq=event.seq,
        event_id=event.event_id,
        type=event.type,
        at=event.at,
        by=event.by,
        fields=event.fields,
        recorded_at=event.recorded_at,
    )


def _check_references(
    case: Case, *, event_id: str, type: str, at: datetime, fields: dict[str, Any]
) -> None:
    """The reader's own cross-event check (ids named exist, are earlier, of the right type),
    run over the case's history with the new event in its place."""
    new = events.make_event(
        case=case.reference,
        id=event_id,
        type=type,
        at=at,
        by=None,
        fields=fields,
        seq=case.event_seq,
    )
    if new.type.value not in _REFERRING_TYPES:
        return
    rows = [bridge.engine_event(case, row) for row in case.events.order_by("at", "seq")]
    ordered = sorted([*rows, new], key=lambda e: (e.at, e.line))
    for error in history.check_references(ordered):
        if error.line == new.line:
            field, _, reason = error.reason.partition(": ")
            raise ServiceError(reason, field=field)


def compliance_refresh(
    *,
    case: Case,
    now: datetime,
    rows: list[CaseEvent] | None = None,
    fresh: bool = False,
    breached_before: set[tuple[str, str]] | None = None,
    columns: dict[str, Any] | None = None,
) -> Any:
    """Ask the engine about the whole case history and bring the stored obligations and
    findings in line with its answer, writing only the rows that differ (issue #16 item 2).
    Every service that appends an event calls this before commit. `rows`: the case's whole
    history in order (at, seq) when the caller holds it already; read otherwise. `fresh`: the
    case was opened in the caller's transaction and never refreshed, so it has no obligations
    or findings to read. `breached_before`, when given, receives the (rule, trigger) of the
    obligations that were breached before the refresh, from the stored rows it reads anyway.
    `columns`: further columns of the case row to set, in the same UPDATE as the engine's
    derived state (a historical batch's sequence and version), which is then always made."""
    if rows is None:
        rows = _HISTORY.objects(case=case.pk)
    evaluation = bridge.evaluate_case(case, rows, now)
    obligations = [
        Obligation(
            case=case,
            partner_id=case.partner_id,
            assigned_clinician_id=case.assigned_clinician_id,
            rule=o.rule,
            trigger=o.trigger,
            opened_at=o.opened_at,
            due_at=o.due_at,
            satisfied_at=o.satisfied_at,
            satisfied_by=o.satisfied_by or "",
            status=str(o.status),
            target=str(o.target or ""),
            attempts_made=o.attempts_made,
            attempts_required=o.attempts_required,
            reason=bridge.reason(o)[:500],
            revision=o.revision,
            position=i,
            evaluated_at=now,
        )
        for i, o in enumerate(evaluation.obligations)
    ]
    engine_state = bridge.engine_state_json(evaluation)
    state_changed = engine_state != case.engine_state

    def notices(stored: dict[tuple[Any, Any], dict[str, Any]]) -> None:
        if breached_before is not None:
            breached_before.update(k for k, row in stored.items() if row["status"] == "breached")
        _notices_fill(case, obligations, stored, recompute=state_changed)

    if _sync_rows(
        Obligation,
        case,
        obligations,
        ("rule", "trigger"),
        _OBLIGATION_FIELDS,
        prepare=notices,
        fresh=fresh,
    ):
        # The report facts follow the obligations' stamps (reports/services.py): when a row
        # went, the case's remaining rows carry the stamp so that its facts are rebuilt.
        Obligation.objects.filter(case=case).update(evaluated_at=now)
    findings = [
        Finding(
            case=case,
            partner_id=case.partner_id,
            rule=f.rule,
            event_id=f.event,
            at=f.at,
            severity=str(f.severity),
            detail=f.detail[:500],
            position=i,
        )
        for i, f in enumerate(evaluation.findings)
    ]
    _sync_rows(Finding, case, findings, ("rule", "event_id"), _FINDING_FIELDS, fresh=fresh)
    # The engine's derived state (ledger, risk, consent, open outreach) is kept on the case
    # row, so that pages show it without replaying the history.
    if columns or state_changed or evaluation.next_change_at != case.reevaluate_at:
        Case.objects.filter(pk=case.pk).update(
            reevaluate_at=evaluation.next_change_at, engine_state=engine_state, **(columns or {})
        )
        case.reevaluate_at = evaluation.next_change_at
        case.engine_state = engine_state
    return evaluation


# What makes a stored row differ from the engine's answer (its key aside); `evaluated_at` is
# only stamped on rows that differ.
_OBLIGATION_FIELDS: Final = (
    "partner_id",
    "assigned_clinician_id",
    "opened_at",
    "due_at",
    "satisfied_at",
    "satisfied_by",
    "status",
    "target",
    "attempts_made",
    "attempts_required",
    "reason",
    "revision",
    "position",
    "next_notice_at",
)
_FINDING_FIELDS: Final = ("partner_id", "at", "severity", "detail", "position")


def _notices_fill(
    case: Case,
    wanted: list[Obligation],
    stored: dict[tuple[Any, Any], dict[str, Any]],
    *,
    recompute: bool,
) -> None:
    """Set the next notice instant of the engine's obligations (ADR 0042). When the answer is
    the one stored (same rows, same fields, same derived state: risk, closure), the stored
    instants stand, as the sweep advanced them, and nothing is read; otherwise all of them
    are computed, by the function the sweep decides with (an extra read of the house
    settings, the urgent triggers and the notices already sent)."""
    others = [name for name in _OBLIGATION_FIELDS if name != "next_notice_at"]
    same = (
        not recompute
        and len(stored) == len(wanted)
        and all(
            (old := stored.get((o.rule, o.trigger))) is not None
            and all(old[name] == getattr(o, name) for name in others)
            for o in wanted
        )
    )
    if same:
        for o in wanted:
            o.next_notice_at = stored[(o.rule, o.trigger)]["next_notice_at"]
        return
    if any(o.status in timing.UNSATISFIED for o in wanted):
        inputs = NoticeInputs.read([case])
        for o in wanted:
            o.next_notice_at = inputs.next_notice_at(case, o)


def _sync_rows(
    model: type[Obligation] | type[Finding],
    case: Case,
    wanted: list[Any],
    key: tuple[str, str],
    fields: tuple[str, ...],
    prepare: Callable[[dict[tuple[Any, Any], dict[str, Any]]], None] | None = None,
    fresh: bool = False,
) -> bool:
    """Make the case's stored rows of `model` equal `wanted`, matched by their unique `key`:
    one read (none when the case is `fresh`: it has none), then only the deletes, updates and
    inserts that differ. Returns whether a row was deleted."""
    names = ("pk", *key, *fields)
    stored = (
        {}
        if fresh
        else {
            (row[key[0]], row[key[1]]): row
            for row in (
                dict(zip(names, values, strict=True)) for values in _stored(model, names, case)
            )
        }
    )
    if prepare is not None:
        prepare(stored)
    changed = []
    new = []
    for row in wanted:
        old = stored.pop((getattr(row, key[0]), getattr(row, key[1])), None)
        if old is None:
            new.append(row)
        elif any(old[name] != getattr(row, name) for name in fields):
            row.pk = old["pk"]
            changed.append(row)
    if stored:
        model.objects.filter(pk__in=[old["pk"] for old in stored.values()]).delete()
    if changed:
        stamped = ("evaluated_at",) if model is Obligation else ()
        # Not `bulk_update`: its CASE WHEN per column and row costs more than the write.
        rows_update(model, changed, [*fields, *stamped])
    if new:
        # Their keys are not read back: the next refresh reads the stored rows (`rows_insert`).
        rows_insert(model, new)
    return bool(stored)


_STORED: dict[tuple[type, tuple[str, ...]], PreparedQuery] = {}


def _stored(model: type[Obligation] | type[Finding], names: tuple[str, ...], case: Case) -> Any:
    """The case's stored rows of `model`, the columns `names` as tuples: what
    `model.objects.filter(case=case).values(*names)` reads, compiled once a model."""
    prepared = _STORED.get((model, names))
    if prepared is None:
        prepared = _STORED.setdefault(
            (model, names),
            PreparedQuery(lambda case: model.objects.filter(case_id=case).values_list(*names)),
        )
    return prepared.rows(case=case.pk)


class NeedsConfirmation(ServiceError):
    """The engine finds that the write breaks or strains a rule; the clinician may go ahead
    only with a reason (`confirm`). What the engine found is recorded all the same."""

    def __init__(self, reasons: list[str], findings: list[Any]) -> None:
        super().__init__(
            f"confirm with a reason to go ahead: {'; '.join(reasons)}", field="confirm"
        )
        self.reasons = reasons
        self.findings = findings  # the engine's findings on the new events


def compliance_refresh_due(*, now: datetime, limit: int = 500) -> int:
    """Refresh the cases whose verdict time alone has changed by `now` (Case.reevaluate_at),
    each in its own transaction, so stored obligations fall overdue and CM-EMAIL-INFORM opens
    without waiting for a write to the case. Returns how many cases were refreshed. Safe to run
    from several workers: a case locked by another is skipped."""
    refreshed = 0
    due = Case.objects.filter(reevaluate_at__lte=now).order_by("reevaluate_at")
    for pk in list(due.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            case = (
                Case.objects.select_for_update(skip_locked=True)
                .select_related("partner")
                .filter(pk=pk, reevaluate_at__lte=now)
                .first()
            )
            if case is None:
                continue
            compliance_refresh(case=case, now=now)
            refreshed += 1
    return refreshed


def case_write_finish(
    *,
    case: Case,
    actor: Actor,
    action: str,
    now: datetime,
    events: list[CaseEvent],
    obj: Any = None,
    data: dict[str, Any] | None = None,
    historical: bool = False,
    refuse: frozenset[str] = frozenset(),
    confirm: str = "",
) -> Any:
    """The common end of every case write: refresh through the engine, judge the new events
    by what the engine found on them, then audit.

    A finding whose rule the service lists in `refuse` rolls the write back; any other finding
    on a new event needs `confirm` (a reason). `historical` records events as they happened
    (import, demo): findings are kept, nothing is refused."""
    breached_before: set[tuple[str, str]] = set()
    evaluation = compliance_refresh(case=case, now=now, breached_before=breached_before)
    reasons: list[str] = []
    confirmed: list[str] = []
    if not historical:
        new_ids = {e.event_id for e in events}
        found = [f for f in evaluation.findings if f.event in new_ids]
        refused = [f for f in found if f.rule in refuse]
        if refused:
            raise ServiceError("; ".join(f"{f.rule}: {f.detail}" for f in refused))
        breached = [
            o
            for o in evaluation.obligations
            if str(o.status) == "breached" and (o.rule, o.trigger) not in breached_before
        ]
        reasons = [f"{f.rule}: {f.detail}" for f in found]
        reasons += [f"{o.rule} ({o.trigger}) would be breached" for o in breached]
        if reasons and not confirm.strip():
            raise NeedsConfirmation(reasons, found)
        confirmed = sorted({str(f.rule) for f in found} | {str(o.rule) for o in breached})
    payload = dict(data or {})
    payload["events"] = [e.event_id for e in events]
    if confirmed:
        payload["confirmed_findings"] = confirmed
    audit_record(
        actor=actor,
        action=action,
        at=now,
        case=case,
        obj=obj,
        data=payload,
        sealed={e.event_id: e.hash for e in events},
    )
    if reasons:
        Override.objects.create(
            case=case,
            event_ids=payload["events"],
            findings=reasons,
            reason=confirm.strip(),
            by=user_of(actor),
            at=now,
        )
    return evaluation
