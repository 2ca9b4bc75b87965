"""The history reader: JSON Lines case histories (history-format.md) checked line by line into
partners, cases and time-ordered events, with every invalid line reported as `LINE: reason`."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from operator import attrgetter
from typing import Any, Final, TypeVar

from eapcase.policy.calendar import BusinessCalendar, CalendarError, parse_hours, parse_workdays
from eapcase.policy.events import (
    EVENT_TYPES,
    REFERENCE_FIELDS,
    Event,
    FieldError,
    Payload,
    make_event,
    parse_event_fields,
    parse_event_type,
    parse_instant,
    parse_participant,
    parse_participant_update,
    parse_payload,
)
from eapcase.policy.fastread import decode_case, decode_event
from eapcase.policy.types import CaseInfo, CaseType, EventType, Referral

__all__ = [
    "CaseHistory",
    "FieldError",
    "History",
    "HistoryError",
    "LineError",
    "PartnerLine",
    "check_references",
    "make_event",
    "parse_case_line",
    "parse_event_fields",
    "parse_instant",
    "parse_participant",
    "parse_participant_update",
    "parse_partner_line",
    "read_history",
]

_PARTNER_KEYS: Final = frozenset(
    {"type", "id", "timezone", "country", "subdivision", "hours", "workdays", "closed_dates"}
)
_CASE_KEYS: Final = frozenset(
    {"type", "case", "at", "partner", "referral", "case_type", "benefit_sessions", "participant"}
)
T = TypeVar("T")
fromisoformat: Final = datetime.fromisoformat
_REFERRALS: Final = {member.value: member for member in Referral}
_CASE_TYPES: Final = {member.value: member for member in CaseType}


@dataclass(frozen=True, slots=True)
class LineError:
    """One invalid line: `line` is its number in the file (or an event's `line`/sequence)."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.line}: {self.reason}"


class HistoryError(ValueError):
    """A history with invalid lines; `errors` lists every one, in line order."""

    def __init__(self, errors: Sequence[LineError]) -> None:
        self.errors = sorted(errors, key=lambda error: error.line)
        super().__init__("\n".join(str(error) for error in self.errors))


@dataclass(frozen=True, slots=True)
class PartnerLine:
    """A `partner` line: the Partner's id and business calendar."""

    id: str
    calendar: BusinessCalendar
    line: int = 0


@dataclass(frozen=True, slots=True)
class CaseHistory:
    """A case and its events in the order they apply: by instant, then by line."""

    case: CaseInfo
    events: list[Event[Payload]]


@dataclass(frozen=True, slots=True)
class History:
    """A whole history file: partners by id and cases in the order of their case lines."""

    partners: dict[str, PartnerLine]
    cases: list[CaseHistory]

    def calendar(self, case: CaseInfo) -> BusinessCalendar:
        """The business calendar of the Partner acting on `case`."""
        return self.partners[case.partner].calendar


# --- reference lines ---------------------------------------------------------------------------


def _unknown_key(obj: Mapping[str, object], allowed: frozenset[str], what: str) -> None:
    if not obj.keys() <= allowed:
        raise FieldError(sorted(set(obj) - allowed)[0], f"unknown field for {what}")


def _string(obj: Mapping[str, object], name: str, *, required: bool) -> str | None:
    value = obj.get(name)
    if value is None:
        if required:
            raise FieldError(name, "missing")
        return None
    if not isinstance(value, str) or not value.strip():
        raise FieldError(name, f"must be a non-empty string, not {value!r}")
    return value


def parse_partner_line(obj: Mapping[str, object], line: int = 0) -> PartnerLine:
    """Check a `partner` line and build its calendar. Raises FieldError."""
    _unknown_key(obj, _PARTNER_KEYS, "a partner line")
    partner = _string(obj, "id", required=True)
    timezone = _string(obj, "timezone", required=True)
    country = _string(obj, "country", required=True)
    subdivision = _string(obj, "subdivision", required=False)
    assert partner is not None and timezone is not None
    try:
        opening, closing = parse_hours(_string(obj, "hours", required=False) or "09:00-17:00")
    except CalendarError as exc:
        raise FieldError("hours", str(exc)) from None
    try:
        workdays = parse_workdays(_string(obj, "workdays", required=False) or "Mon-Fri")
    except CalendarError as exc:
        raise FieldError("workdays", str(exc)) from None
    closed = obj.get("closed_dates") or []
    if not isinstance(closed, list):
        raise FieldError("closed_dates", f"must be a list of dates, not {closed!r}")
    closed_dates: set[date] = set()
    for item in closed:
        try:
            closed_dates.add(date.fromisoformat(item))
        except (TypeError, ValueError):
            raise FieldError("closed_dates", f"{item!r} is not a date (YYYY-MM-DD)") from None
    try:
        calendar = BusinessCalendar(
            timezone=timezone,
            country=country,
            subdivision=subdivision,
            opening=opening,
            closing=closing,
            workdays=workdays,
            closed_dates=frozenset(closed_dates),
        )
    except CalendarError as exc:
        raise FieldError("timezone" if "zone" in str(exc) else "country", str(exc)) from None
    return PartnerLine(partner, calendar, line)


def parse_case_line(obj: Mapping[str, object], line: int = 0) -> CaseInfo:
    """Check a `case` line (its partner is not looked up here). Raises FieldError."""
    _unknown_key(obj, _CASE_KEYS, "a case line")
    case = _string(obj, "case", required=True)
    assert case is not None
    if "at" not in obj:
        raise FieldError("at", "missing")
    try:
        opened_at = parse_instant(obj["at"])
    except ValueError as exc:
        raise FieldError("at", str(exc)) from None
    partner = _string(obj, "partner", required=True)
    assert partner is not None
    referral = _lookup(_REFERRALS, obj.get("referral"))
    if referral is None:
        raise FieldError("referral", _choice(obj.get("referral"), _REFERRALS))
    case_type = _lookup(_CASE_TYPES, obj.get("case_type"))
    if case_type is None:
        raise FieldError("case_type", _choice(obj.get("case_type"), _CASE_TYPES))
    benefit = obj.get("benefit_sessions")
    if benefit is None:
        raise FieldError("benefit_sessions", "missing")
    if isinstance(benefit, bool) or not isinstance(benefit, int) or benefit < 0:
        raise FieldError("benefit_sessions", f"must be a whole number, 0 or more, not {benefit!r}")
    participant = parse_participant(obj.get("participant"))
    return CaseInfo(case, opened_at, partner, referral, case_type, benefit, participant, line)


def _lookup(table: Mapping[str, T], value: object) -> T | None:
    return table.get(value) if isinstance(value, str) else None


def _choice(value: object, choices: Mapping[str, object]) -> str:
    if value is None:
        return "missing"
    return f"must be one of {', '.join(choices)}, not {value!r}"


# --- references --------------------------------------------------------------------------------


def check_references(
    events: Sequence[Event[Any]], *, unknown_ok: Collection[str] = ()
) -> list[LineError]:
    """Cross-event checks of one case's events, given in the order they apply: ids are
    unique, and a field naming another event (`email`, `outreach`, `query`, `contact`,
    `notes`) names an earlier event of the right type. Errors carry the event's `line`.

    The application runs this over a case's events with the one it is about to append, as
    the reader does for a file; `evaluate` assumes it passed. `unknown_ok` names ids whose
    lines were already reported invalid, so that they cause no second error."""
    errors: list[LineError] = []
    seen: dict[str, Event[Any]] = {}
    for event in events:
        reference = REFERENCE_FIELDS.get(event.type)
        if reference is not None:
            name, kinds = reference
            target_id: str = getattr(event.fields, name)
            target = seen.get(target_id)
            problem: str | None = None
            if target is None:
                if target_id in unknown_ok:
                    pass
                elif any(other.id == target_id for other in events):
                    problem = f"names {target_id!r}, which is not earlier in case {event.case}"
                else:
                    problem = f"names {target_id!r}, no event of case {event.case}"
            elif target.type not in kinds:
                wanted = " or ".join(sorted(kind.value for kind in kinds))
                problem = f"names {target_id!r}, a {target.type.value}, not a {wanted}"
            if problem is not None:
                errors.append(LineError(event.line, f"{name}: {problem}"))
        first = seen.get(event.id)
        if first is None:
            seen[event.id] = event
        else:
            again, before = (event, first) if event.line > first.line else (first, event)
            errors.append(
                LineError(again.line, f"id {event.id!r} already used on line {before.line}")
            )
    return errors


# --- the reader --------------------------------------------------------------------------------


@dataclass(slots=True)
class _CaseBuild:
    info: CaseInfo | None
    line: int
    events: list[Event[Payload]] = field(default_factory=list)
    bad_ids: set[str] = field(default_factory=set)


def _json_error(text: str) -> str:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"not JSON: {exc.msg} (column {exc.colno})"
    return "not JSON"  # pragma: no cover - only called on text that failed to decode


def read_history(lines: Iterable[str]) -> History:
    """Read and check a whole history. Lines may keep their line ends; blank lines are
    skipped but counted. Raises HistoryError listing every invalid line."""
    reader = LineReader()
    for number, text in enumerate(lines, 1):
        reader.line(text, number)
    reader.settle_orphans()
    result: list[CaseHistory] = []
    for build in reader.cases.values():
        history = reader.finish(build)
        if history is not None:
            result.append(history)
    if reader.errors:
        raise HistoryError(reader.errors)
    return History(reader.partners, result)


class LineReader:
    """The reader's state and its step for one line, shared by `read_history` (one pass,
    every case kept to the end) and `eapcase check`'s streaming reader (policy/stream.py),
    which reads the partner and case lines first (`references_only`) and then the event
    lines, finishing each case at its last line."""

    def __init__(self) -> None:
        self.partners: dict[str, PartnerLine] = {}
        self.bad_partners: set[str] = set()
        self.cases: dict[str, _CaseBuild] = {}
        self.orphans: list[tuple[int, str]] = []
        self.errors: list[LineError] = []

    def line(self, text: str, number: int, *, references: bool = True) -> str | None:
        """Check line `number` and keep what it says. With `references` false, partner and
        case lines are passed over (they were read before). Returns the id of the case an
        event line was for, when it names one that is open at that line."""
        # Most lines are valid events: msgspec decodes and checks them in one step. Anything
        # it declines is read below, which words every error exactly as before.
        fast_event = decode_event(text, number)
        if fast_event is not None:
            return self._add(fast_event, number)
        try:
            obj, end = _DECODE(text)
        except json.JSONDecodeError:
            if not text or text.isspace():
                return None
            # Leading white space, or not JSON: json.loads accepts the one, explains the other.
            try:
                obj, end = json.loads(text), len(text)
            except json.JSONDecodeError as exc:
                self.errors.append(LineError(number, f"not JSON: {exc.msg} (column {exc.colno})"))
                return None
        if end != len(text) and not text[end:].isspace():
            self.errors.append(LineError(number, _json_error(text)))
            return None
        if type(obj) is not dict:
            self.errors.append(LineError(number, "not a JSON object"))
            return None
        kind = obj.get("type")
        event_type = EVENT_TYPES.get(kind) if type(kind) is str else None
        try:
            if event_type is not None:
                return self._add(_event(obj, number, event_type), number)
            if kind == "partner" or kind == "case":
                if references:
                    self.reference(obj, number)
            else:
                parse_event_type(kind)  # raises the error naming the type
        except FieldError as exc:
            self.errors.append(LineError(number, str(exc)))
            if event_type is not None:
                build = self.open_build(obj.get("case"), number)
                if build is not None:
                    event_id = obj.get("id")
                    build.bad_ids.add(event_id if isinstance(event_id, str) else f"L{number}")
        return None

    def ascii_line(self, raw: bytes, number: int) -> None:
        """`line(raw.decode("ascii"), number, references=False)` for a line whose bytes are
        ASCII (the streaming reader's second pass): msgspec decodes the bytes as they are,
        and only a line it declines is decoded for the ordinary path."""
        fast_event = decode_event(raw, number)
        if fast_event is not None:
            self._add(fast_event, number)
        else:
            self.line(raw.decode("ascii"), number, references=False)

    def ascii_case_line(self, raw: bytes, number: int) -> str | None:
        """`line(raw.decode("ascii"), number)` for a line whose bytes are ASCII that is most
        likely a case line (the streaming reader's): msgspec reads a valid case line in one
        step; any other line (an invalid one, a case opened twice, an unknown partner, not a
        case line at all) is read the ordinary way, which words its error."""
        info = decode_case(raw, number)
        if info is None or info.case in self.cases or info.partner not in self.partners:
            return self.line(raw.decode("ascii"), number)
        self.cases[info.case] = _CaseBuild(info, number)
        return None

    def reference(self, obj: Mapping[str, object], number: int) -> None:
        """A partner or case line (already decoded to an object). Raises FieldError."""
        if obj.get("type") == "partner":
            partner = _partner(obj, number, self.partners, self.bad_partners)
            self.partners[partner.id] = partner
        else:
            _case(obj, number, self.partners, self.bad_partners, self.cases)

    def open_build(self, case_id: object, number: int) -> _CaseBuild | None:
        """The case `case_id` if its case line came before line `number`."""
        build = self.cases.get(case_id) if isinstance(case_id, str) else None
        return build if build is not None and build.line < number else None

    def _add(self, event: Event[Payload], number: int) -> str | None:
        # open_build inlined (once per event line): an event's case is always a str.
        build = self.cases.get(event.case)
        if build is None or build.line >= number:
            self.orphans.append((number, event.case))
            return None
        build.events.append(event)
        return event.case

    def settle_orphans(self) -> None:
        """Word the errors of event lines whose case was not open at their line."""
        for number, case_id in self.orphans:
            build = self.cases.get(case_id)
            if build is None:
                self.errors.append(LineError(number, f"case: no case {case_id!r} in this history"))
            else:
                self.errors.append(
                    LineError(number, f"case: {case_id!r} is opened later, on line {build.line}")
                )
        self.orphans.clear()

    def finish(self, build: _CaseBuild) -> CaseHistory | None:
        """A case whose lines have all been read: its events in the order they apply and
        their cross-references checked (errors kept); None for a case whose case line was
        invalid."""
        build.events.sort(key=_instant_of)  # stable: the same instant keeps line order
        self.errors.extend(check_references(build.events, unknown_ok=build.bad_ids))
        return None if build.info is None else CaseHistory(build.info, build.events)


_DECODE: Final = json.JSONDecoder().raw_decode


def _event(obj: dict[str, Any], number: int, event_type: EventType) -> Event[Payload]:
    """An event line's common fields and payload. Raises FieldError."""
    case_id = obj.get("case")
    if type(case_id) is not str or not case_id:
        raise FieldError("case", "missing" if case_id is None else "must be a non-empty string")
    raw_at = obj.get("at")
    try:
        at = fromisoformat(raw_at)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        at = None
    if at is None or at.tzinfo is not UTC:
        # Not the common "+00:00": let parse_instant convert it or explain what is wrong.
        try:
            at = parse_instant(raw_at)
        except ValueError as exc:
            raise FieldError("at", "missing" if raw_at is None else str(exc)) from None
    event_id = obj.get("id")
    if event_id is None:
        event_id = f"L{number}"
    elif type(event_id) is not str or not event_id:
        raise FieldError("id", f"must be a non-empty string, not {event_id!r}")
    by = obj.get("by")
    if by is not None and type(by) is not str:
        raise FieldError("by", f"must be a string, not {by!r}")
    return Event(case_id, event_id, event_type, at, by, number, parse_payload(event_type, obj))


# A C key function: the sort calls it once per event.
_instant_of: Final[Callable[[Event[Any]], datetime]] = attrgetter("at")


def _partner(
    obj: Mapping[str, object],
    number: int,
    partners: dict[str, PartnerLine],
    bad_partners: set[str],
) -> PartnerLine:
    partner_id = obj.get("id")
    if isinstance(partner_id, str) and partner_id in partners:
        raise FieldError(
            "id", f"partner {partner_id!r} already defined on line {partners[partner_id].line}"
        )
    try:
        return parse_partner_line(obj, number)
    except FieldError:
        if isinstance(partner_id, str):
            bad_partners.add(partner_id)
        raise


def _case(
    obj: Mapping[str, object],
    number: int,
    partners: Mapping[str, PartnerLine],
    bad_partners: Collection[str],
    cases: dict[str, _CaseBuild],
) -> None:
    case_id = obj.get("case")
    if isinstance(case_id, str) and case_id in cases:
        raise FieldError("case", f"{case_id!r} already opened on line {cases[case_id].line}")
    try:
        info = parse_case_line(obj, number)
    except FieldError:
        if isinstance(case_id, str) and case_id:
            # Keep the id so that the case's events are checked without a cascade of
            # "unknown case" errors.
            cases[case_id] = _CaseBuild(None, number)
        raise
    if info.partner not in partners:
        cases[info.case] = _CaseBuild(None, number)
        if info.partner in bad_partners:
            return
        raise FieldError("partner", f"no partner {info.partner!r} on an earlier line")
    cases[info.case] = _CaseBuild(info, number)
