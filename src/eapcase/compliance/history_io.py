"""Import and export of case histories (docs/history-format.md) through the services.

Import validates the whole file first (the engine's reader, then what the database already
holds, then each event's instant) and reports every bad line at once, writing nothing. Only
then does it write, case by case, each case (its line and its events) in one short
transaction through the same services a clinician's actions use, so other users' writes go on
between cases. The services' writes to one case are gathered (`cases.record.historical_writes`,
ADR 0043): the events go in at once, the engine judges the case once, one version and one audit
row per author name the events. Run again after a stop, it skips what it already wrote (cases
by their line, events by their ids)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from django.db import connection, transaction

from eapcase.cases import services as case_services
from eapcase.cases.choices import PREFERENCE_FIELDS, PreferenceSource
from eapcase.cases.models import Case, CaseEvent
from eapcase.cases.record import CLOCK_SKEW, NamedActor, historical_writes
from eapcase.compliance.event_services import event_record
from eapcase.core.errors import ServiceError
from eapcase.organisations.models import Partner, PartnerClosedDate
from eapcase.policy import calendar as policy_calendar
from eapcase.policy import events, history

ENVELOPE = ("type", "case", "at", "id", "by")


class ImportFailed(Exception):
    """Nothing was written; `errors` are `LINE: reason` strings, one per bad line."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class ImportResult:
    partners: int
    cases: int
    events: int  # events written by this run
    skipped: int = 0  # case lines and events an earlier run had written


def import_history(
    lines: Iterable[str], *, now: datetime, progress: Callable[[int], None] | None = None
) -> ImportResult:
    """Validate a whole history, then write what is not yet written, case by case; on any
    bad line raise ImportFailed with every bad line and write nothing. `progress` is called
    with the number of lines dealt with (written or skipped) as the import goes."""
    text = list(lines)
    try:
        history.read_history(text)
    except history.HistoryError as exc:
        raise ImportFailed([f"{e.line}: {e.reason}" for e in exc.errors]) from exc
    partners, cases = _parse_raw(text)
    errors, stored = _check_against_database(partners, cases)
    errors += _check_instants(cases, now=now)
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: int(e.split(":")[0])))
    with transaction.atomic():
        for _line, obj in partners:
            _partner_write(obj)
    # Read once: every case line names one of these (the reader checked).
    by_code = {p.code: p for p in Partner.objects.filter(code__in={c[1]["partner"] for c in cases})}
    written = skipped = 0
    held = 0.0  # how long the cases since the last pause held the database
    with _synced_once_at_the_end():
        for line, case_obj, case_events in cases:
            # One short transaction a case: the audit chain head and the database are held only
            # for as long as one case takes.
            held = _yield_the_write_lock(held)
            started = time.monotonic()
            try:
                # The case's writes gathered: its events inserted at once, one engine refresh, one
                # version and one audit row per author when the block ends (ADR 0043).
                with historical_writes(now=now) as batch:
                    if case_obj["case"] in stored:
                        case = Case.objects.get(reference=case_obj["case"])
                        skipped += 1  # the case line, written by an earlier run
                    else:
                        batch.opening(case_obj["case"])
                        case = _case_write(case_obj, partner=by_code[case_obj["partner"]], now=now)
                    case = batch.case(case)
                    done = batch.event_ids(case)
                    for event_line, event in case_events:
                        if event["id"] in done:
                            skipped += 1
                        else:
                            try:
                                _event_write(case, event, now=now)
                            except ServiceError as exc:
                                # Validated above: a refusal now is a fault to report, not to skip.
                                raise ImportFailed([f"{event_line}: {exc}"]) from exc
                            written += 1
            except ServiceError as exc:
                # Raised once the case's events are gathered (their references, checked together).
                raise ImportFailed([f"{line}: {exc}"]) from exc
            if progress:
                progress(1 + len(case_events))
            held += time.monotonic() - started
    return ImportResult(partners=len(partners), cases=len(cases), events=written, skipped=skipped)


@contextmanager
def _synced_once_at_the_end() -> Iterator[None]:
    """On SQLite, commit the cases without syncing the write-ahead log at each commit
    (`synchronous=NORMAL`) and sync it once when the import ends, however it ends; the
    setting the application runs with (FULL, ADR 0016) is back before this returns.

    What a power cut could then lose is the cases committed since the last sync, never a
    part of one: the log is written in commit order and each case is one transaction, so
    the database holds a prefix of the import, and a run again writes the rest (it skips
    what it wrote). Another user's write, committed with FULL between two cases, syncs the
    log up to itself, the import's cases before it too. A sync a case cost one `fsync` of
    the log each (2-4 ms here: 7-14 s of 50,000 lines). The setting cannot change inside a
    transaction: an import inside the caller's (a test's) is left as it is."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        (configured,) = cursor.fetchone()
        cursor.execute("PRAGMA synchronous=NORMAL")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous={int(configured)}")
        # What a FULL commit of the last case would have synced: the log, written in order,
        # holds every case committed since the last checkpoint (a checkpoint syncs the log
        # and then the database file under NORMAL too).
        for suffix in ("-wal", ""):
            path = Path(f"{connection.settings_dict['NAME']}{suffix}")
            if path.is_file():
                descriptor = os.open(path, os.O_RDONLY)
                try:
                    os.fsync(descriptor)
                finally:
                    os.close(descriptor)


#: On SQLite, the import pauses for `_PAUSE` seconds each time its cases have held the write
#: lock for `_HOLD_BEFORE_PAUSE` seconds in all since its last pause.
_HOLD_BEFORE_PAUSE = 0.1
_PAUSE = 0.015


def _yield_the_write_lock(held: float) -> float:
    """On SQLite, pause between two cases once the cases since the last pause have held the
    write lock for `_HOLD_BEFORE_PAUSE` in all; returns the hold time still to count. SQLite
    queues no writers: another user's write retries on its busy handler's schedule (ever
    further apart, then every 100 ms, until its 20 s timeout), and an import that takes the
    lock again at once can starve it ("database is locked"). A pause of 15 ms in every 115 or
    so leaves such a retry a window: as the import's cases vary in length, a writer retrying
    every 100 ms falls into one within a few retries, while the import loses about 13% of its
    time instead of the quarter a pause after every case cost (ADR 0043). PostgreSQL locks
    rows and needs none."""
    if connection.vendor != "sqlite" or held < _HOLD_BEFORE_PAUSE:
        return held
    time.sleep(_PAUSE)
    return 0.0


def _check_instants(
    cases: list[tuple[int, dict[str, Any], list[tuple[int, dict[str, Any]]]]], *, now: datetime
) -> list[str]:
    """The services' own refusal of an instant, asked before anything is written, so that a
    file is refused whole rather than half imported."""
    errors = []
    for line, case_obj, case_events in cases:
        opened = events.parse_instant(case_obj["at"])
        if opened > now + CLOCK_SKEW:
            errors.append(f"{line}: at: is in the future")
        for event_line, event in case_events:
            at = events.parse_instant(event["at"])
            if at > now + CLOCK_SKEW:
                errors.append(f"{event_line}: at: is in the future")
            elif at < opened:
                errors.append(f"{event_line}: at: is before the case was opened")
    return errors


def _parse_raw(
    text: list[str],
) -> tuple[
    list[tuple[int, dict[str, Any]]],
    list[tuple[int, dict[str, Any], list[tuple[int, dict[str, Any]]]]],
]:
    """The validated file as raw objects: what is stored is exactly what the file said."""
    partners: list[tuple[int, dict[str, Any]]] = []
    cases: dict[str, tuple[int, dict[str, Any], list[tuple[int, dict[str, Any]]]]] = {}
    for number, raw in enumerate(text, start=1):
        if not raw.strip():
            continue
        obj = json.loads(raw)
        if obj["type"] == "partner":
            partners.append((number, obj))
        elif obj["type"] == "case":
            cases[obj["case"]] = (number, obj, [])
        else:
            obj.setdefault("id", f"L{number}")
            cases[obj["case"]][2].append((number, obj))
    for _line, _obj, case_events in cases.values():
        case_events.sort(key=lambda item: events.parse_instant(item[1]["at"]))
    return partners, list(cases.values())


def _calendar_of(obj: dict[str, Any]) -> dict[str, Any]:
    opening, closing = policy_calendar.parse_hours(obj.get("hours", "09:00-17:00"))
    return {
        "timezone": obj["timezone"],
        "country": obj.get("country", ""),
        "subdivision": obj.get("subdivision", "") or "",
        "opening": opening,
        "closing": closing,
        "workdays": policy_calendar.parse_workdays(obj.get("workdays", "Mon-Fri")),
        "closed": sorted(obj.get("closed_dates", [])),
    }


def _partner_calendar_now(partner: Partner) -> dict[str, Any]:
    return {
        "timezone": partner.timezone,
        "country": partner.country,
        "subdivision": partner.subdivision,
        "opening": partner.opening,
        "closing": partner.closing,
        "workdays": policy_calendar.parse_workdays(partner.workdays),
        "closed": sorted(
            d.isoformat() for d in partner.closed_dates.values_list("date", flat=True)
        ),
    }


def _check_against_database(
    partners: list[tuple[int, dict[str, Any]]], cases: list[tuple[int, dict[str, Any], Any]]
) -> tuple[list[str], set[str]]:
    """The bad lines (a partner or case stored with other details), and the references of the
    cases already stored (an earlier run's)."""
    errors = []
    for line, obj in partners:
        existing = Partner.objects.filter(code=obj["id"]).first()
        if existing is not None and _partner_calendar_now(existing) != _calendar_of(obj):
            errors.append(f"{line}: partner {obj['id']} exists here with another calendar")
    known = {
        c.reference: c
        for c in Case.objects.filter(reference__in=[c[1]["case"] for c in cases]).select_related(
            "partner"
        )
    }
    for line, obj, _events in cases:
        stored = known.get(obj["case"])
        if stored is not None and _comparable(_case_line(stored)) != _comparable(obj):
            # The same case line is an earlier run of this import: its events are resumed.
            errors.append(f"{line}: case {obj['case']} already exists with other details")
    return errors, set(known)


def _comparable(line: dict[str, Any]) -> dict[str, Any]:
    """A case line with its defaults filled and its instant as an instant, to compare a
    file's line with a stored case."""
    prefs = events.parse_participant(line.get("participant", {}))
    return {
        "case": line["case"],
        "at": events.parse_instant(line["at"]),
        "partner": line["partner"],
        "referral": line["referral"],
        "case_type": line["case_type"],
        "benefit_sessions": line["benefit_sessions"],
        "participant": {k: bool(getattr(prefs, k)) for k in PREFERENCE_FIELDS},
    }


def _partner_write(obj: dict[str, Any]) -> Partner:
    partner = Partner.objects.filter(code=obj["id"]).first()
    if partner is not None:
        return partner
    cal = _calendar_of(obj)
    partner = Partner.objects.create(
        code=obj["id"],
        name=obj["id"],
        timezone=cal["timezone"],
        country=cal["country"],
        subdivision=cal["subdivision"],
        opening=cal["opening"],
        closing=cal["closing"],
        workdays=obj.get("workdays", "Mon-Fri"),
    )
    PartnerClosedDate.objects.bulk_create(
        PartnerClosedDate(partner=partner, date=datetime.fromisoformat(d).date(), reason="imported")
        for d in cal["closed"]
    )
    return partner


def _case_write(obj: dict[str, Any], *, partner: Partner, now: datetime) -> Case:
    prefs = events.parse_participant(obj.get("participant", {}))
    prefs_dict = {k: bool(getattr(prefs, k)) for k in PREFERENCE_FIELDS}
    actor = NamedActor(obj.get("by", "") or "")
    participant = case_services.participant_create(
        actor=actor,
        full_name=f"Participant of {obj['case']}",
        now=now,
        preferences=prefs_dict,
        source=PreferenceSource.IMPORT,
    )
    return case_services.case_open(
        actor=actor,
        participant=participant,
        partner=partner,
        referral=obj["referral"],
        case_type=obj["case_type"],
        benefit_sessions=obj["benefit_sessions"],
        now=now,
        at=events.parse_instant(obj["at"]),
        reference=obj["case"],
        preferences=prefs_dict,
    )


def _instant(value: Any) -> datetime | None:
    return events.parse_instant(value) if value is not None else None


def _event_write(case: Case, obj: dict[str, Any], *, now: datetime) -> None:
    """Write one imported event as it happened (see `event_record`)."""
    event_record(case, obj, actor=NamedActor(obj.get("by", "") or ""), now=now, historical=True)


def export_history(out: TextIO, *, cases: Iterable[Case]) -> int:
    """Write partners, then each case line followed by its events in time order. Returns the
    number of lines written."""
    case_list = list(cases)
    count = 0
    partner_ids = sorted({c.partner_id for c in case_list})
    for partner in Partner.objects.filter(pk__in=partner_ids).order_by("code"):
        out.write(_dumps(_partner_line(partner)))
        count += 1
    for case in case_list:
        out.write(_dumps(_case_line(case)))
        count += 1
        for row in CaseEvent.objects.filter(case=case).order_by("at", "seq"):
            out.write(_dumps(event_line(case, row)))
            count += 1
    return count


def _dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False) + "\n"


def _partner_line(partner: Partner) -> dict[str, Any]:
    line: dict[str, Any] = {
        "type": "partner",
        "id": partner.code,
        "timezone": partner.timezone,
        "country": partner.country,
    }
    if partner.subdivision:
        line["subdivision"] = partner.subdivision
    line["hours"] = f"{partner.opening:%H:%M}-{partner.closing:%H:%M}"
    line["workdays"] = partner.workdays
    closed = [d.isoformat() for d in partner.closed_dates.values_list("date", flat=True)]
    if closed:
        line["closed_dates"] = closed
    return line


def _case_line(case: Case) -> dict[str, Any]:
    return {
        "type": "case",
        "case": case.reference,
        "at": case.opened_at.isoformat(),
        "partner": case.partner.code,
        "referral": case.referral,
        "case_type": case.case_type,
        "benefit_sessions": case.benefit_sessions,
        "participant": case.opening_preferences,
    }


def event_line(case: Case, row: CaseEvent) -> dict[str, Any]:
    """A stored event as a history line."""
    line: dict[str, Any] = {
        "type": row.type,
        "case": case.reference,
        "at": row.at.isoformat(),
        "id": row.event_id,
    }
    line.update(row.fields)
    if row.by:
        line["by"] = row.by
    return line
