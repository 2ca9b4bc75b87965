"""The engine's own parts: statuses, the derived case state, event order, the rule registry,
plain-language reasons, the JSON writer, and the fast frozen constructors."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eapcase.policy._build import fast_init
from eapcase.policy.calendar import BusinessCalendar
from eapcase.policy.check import check_history, evaluate_history
from eapcase.policy.engine import evaluate, in_scope, obligation_status, verdict
from eapcase.policy.events import Event, Payload, make_event
from eapcase.policy.history import read_history
from eapcase.policy.pack import PackSet, as_pack_set, builtin_pack
from eapcase.policy.report import _encode_string, document, instant_literal, write_json
from eapcase.policy.rules import (
    FAMILIES,
    _chain,
    composed_handlers,
    dispatch_table,
    rules_implemented,
)
from eapcase.policy.types import (
    CaseInfo,
    CaseType,
    EventType,
    Finding,
    Obligation,
    OutreachProgress,
    ParticipantPrefs,
    Referral,
    RiskLevel,
    Rule,
    Severity,
    Status,
    Target,
)

LONDON = BusinessCalendar("Europe/London", "GB", "ENG")
MON = datetime(2026, 3, 2, 9, tzinfo=UTC)


def at(hours: float) -> datetime:
    return MON + timedelta(hours=hours)


def case(kind: CaseType = CaseType.INDIVIDUAL, referral: Referral = Referral.SELF) -> CaseInfo:
    return CaseInfo("C1", MON, "P-UK", referral, kind, 6)


class Events:
    """Events of case C1 built as the application builds them, numbered in order."""

    def __init__(self) -> None:
        self.items: list[Event[Payload]] = []

    def add(self, kind: str, hours: float, id_: str | None = None, **fields: Any) -> Events:
        seq = len(self.items) + 1
        self.items.append(make_event("C1", id_, kind, at(hours), None, fields, seq))
        return self

    def attempt(self, hours: float, id_: str, **fields: Any) -> Events:
        values = {"channel": "phone", "outcome": "not_reached", "message": "detailed"}
        return self.add("contact_attempt", hours, id_, **(values | {"summary": "Called."} | fields))


def run(events: Events, now_hours: float = 24 * 20, **kwargs: Any) -> Any:
    return evaluate(kwargs.pop("info", case()), events.items, None, LONDON, at(now_hours))


@pytest.mark.parametrize(
    ("due", "satisfied", "breached", "status"),
    [
        (None, None, False, Status.OPEN),
        (None, 5, False, Status.MET),
        (None, None, True, Status.BREACHED),
        (10, 10, False, Status.MET),
        (10, 11, False, Status.LATE),
        (10, None, False, Status.OVERDUE),  # now (12) is past the deadline
        (12, None, False, Status.OVERDUE),  # ... or exactly at it
        (13, None, False, Status.OPEN),
    ],
)
def test_obligation_status(
    due: int | None, satisfied: int | None, breached: bool, status: Status
) -> None:
    def instant(hours: int | None) -> datetime | None:
        return None if hours is None else at(hours)

    assert obligation_status(instant(due), instant(satisfied), breached, at(12)) is status


def test_every_rule_of_the_catalogue_has_a_family() -> None:
    assert sorted(rules_implemented()) == sorted(Rule)
    assert len(rules_implemented()) == len(set(rules_implemented()))
    table = dispatch_table()
    assert set(table) == set(EventType)
    assert all(family.__doc__ for family in FAMILIES)


def test_derived_state() -> None:
    events = (
        Events()
        .add("participant_updated", 1, participant={"email_only": True, "phone": False})
        .add("risk_set", 2, level="medium")
        .add("session_held", 3, "s1")
        .add("review_completed", 4, "r1", decision="authorise_remaining", sessions=2)
        .add("outreach_requested", 5, "o1", purpose="complaint", target="provider")
        .attempt(6, "a1", target="provider")
        .add("callback_requested", 7, "cb1")
        .attempt(8, "a2", outcome="reached")
    )

    state = run(events, info=case(CaseType.FAMILY)).state

    assert state.sessions_held == 1
    assert state.sessions_authorised == 3
    assert state.risk is RiskLevel.MEDIUM
    assert state.participant == ParticipantPrefs(phone=False, email_only=True)
    assert state.open_outreach == (OutreachProgress("o1", "complaint", Target.PROVIDER, 1, 3),)
    assert (state.closed_at, state.review_pending) == (None, False)


def test_review_case_before_its_review() -> None:
    state = run(Events().add("session_held", 3, "s1"), info=case(CaseType.MINOR)).state

    assert (state.sessions_held, state.sessions_authorised, state.review_pending) == (1, 1, True)


def test_events_in_any_order_are_applied_by_instant_then_sequence() -> None:
    events = Events().add("callback_requested", 1, "cb1").attempt(2, "a1").attempt(2, "a2")
    shuffled = Events()
    shuffled.items = [events.items[2], events.items[0], events.items[1]]

    assert run(shuffled) == run(events)
    callback = run(events).obligations[0]
    assert (callback.rule, callback.satisfied_by) == (Rule.CALLBACK, "a1")


def test_out_of_scope_case_keeps_its_state_but_has_no_verdict() -> None:
    events = Events().add("callback_requested", 1, "cb1").attempt(2, "a1", summary="")

    result = run(events, info=case(referral=Referral.CRITICAL_INCIDENT))

    assert (result.in_scope, result.obligations, result.findings) == (False, (), ())
    assert result.state.open_outreach == (
        OutreachProgress("cb1", "callback", Target.PARTICIPANT, 1, 2),
    )
    assert result.failing is False


_SELF_AND_MANAGEMENT = 'referrals = ["self", "management_referral"]'


@pytest.mark.parametrize("referral", list(Referral))
@pytest.mark.parametrize("opened", [MON, datetime(2027, 3, 2, 9, tzinfo=UTC)])
def test_in_scope_is_the_scope_evaluate_gives(referral: Referral, opened: datetime) -> None:
    # `eapcase check` skips the replay of a case in_scope() calls out of scope: it must be
    # the case's own revision that decides, as in evaluate (here the second revision, from
    # 2027, also covers management referrals).
    from tests.policy.test_pack import draft

    packs = PackSet(
        [
            builtin_pack(),
            draft(2, "2027-01-01", **{'referrals = ["self"]': _SELF_AND_MANAGEMENT}),
        ]
    )
    info = CaseInfo("C1", opened, "P-UK", referral, CaseType.INDIVIDUAL, 6)
    events = [
        make_event("C1", "cb1", "callback_requested", opened + timedelta(hours=1), None, {}, 1),
        make_event(
            "C1", "a1", "contact_attempt", opened + timedelta(hours=2), None,
            {"channel": "phone", "outcome": "not_reached", "message": "detailed", "summary": ""},
            2,
        ),
    ]  # fmt: skip
    result = evaluate(info, events, packs, LONDON, opened + timedelta(days=30))

    assert in_scope(info, packs) is result.in_scope
    assert in_scope(info, as_pack_set(None)) is (referral is Referral.SELF)
    if not result.in_scope:
        assert (result.obligations, result.findings, result.failing) == ((), (), False)


def test_the_verdict_is_what_evaluate_gives(tmp_path: Path) -> None:
    # `eapcase check` prints verdict(...) where it printed evaluate(...): on every case of a
    # generated history (out of scope ones included), at a `now` given in another zone, it
    # must be the same case, scope, obligations and findings, and fail alike.
    from tests.policy.test_fastread import generated_history

    now = datetime.fromisoformat("2026-07-01T14:00:00+02:00")
    with generated_history(tmp_path).open(encoding="utf-8") as lines:
        history = read_history(lines)
    packs = as_pack_set(None)
    scopes = set()
    for item in history.cases:
        calendar = history.calendar(item.case)
        full = evaluate(item.case, item.events, packs, calendar, now, in_order=True)
        short = verdict(item.case, item.events, packs, calendar, now, in_order=True)
        assert (short.case, short.in_scope, short.obligations, short.findings) == (
            full.case,
            full.in_scope,
            full.obligations,
            full.findings,
        )
        assert short.failing is full.failing
        scopes.add(short.in_scope)
    assert scopes == {True, False}


def test_inform_opens_only_once_its_24_hours_have_passed() -> None:
    events = Events().add("email_received", 0, "e1", **{"from": "participant"})

    def inform(now_hours: float) -> list[tuple[Any, ...]]:
        return [
            (ob.opened_at, ob.due_at, ob.status)
            for ob in run(events, now_hours).obligations
            if ob.rule is Rule.EMAIL_INFORM
        ]

    assert inform(23.99) == []
    assert inform(24) == [(at(24), at(25), Status.OPEN)]
    assert inform(25) == [(at(24), at(25), Status.OVERDUE)]


def test_one_finding_per_rule_per_event() -> None:
    events = (
        Events()
        .add("outreach_requested", 1, "o1", purpose="general", target="participant")
        .add("outreach_requested", 1, "o2", purpose="general", target="participant")
        .attempt(2, "a1", channel="email")
        .attempt(3, "a2", channel="email")
        .attempt(4, "a3", channel="email")
    )

    findings = [(fd.rule, fd.event) for fd in run(events).findings]

    assert findings == [
        (Rule.OUTREACH_PHONE, "a2"),
        (Rule.OUTREACH_EXCESS, "a3"),
    ]


def test_findings_are_frozen_values_with_the_event_instant() -> None:
    result = run(Events().add("note", 5, "n1", summary=" "))

    assert result.findings == (
        Finding(
            Rule.DOCUMENTATION,
            "n1",
            at(5),
            Severity.BREACH,
            "note without a summary of what was done or agreed",
        ),
    )
    assert result.failing is True


def test_reasons_in_plain_language() -> None:
    events = (
        Events()
        .add("callback_requested", 1, "cb1", not_before="2026-03-02T14:00:00+00:00")
        .attempt(28, "a1")
        .attempt(31, "a2", channel="email")
        .add("email_received", 32, "e1", **{"from": "wpo"})
        .add("email_acknowledged", 57.5, "k1", email="e1")
        .add("session_held", 60, "s1")
        .add("session_held", 70, "s2")
    )

    reasons = {(ob.rule, ob.trigger): ob.reason for ob in run(events, 80).obligations}

    assert reasons[Rule.CALLBACK, "cb1"] == (
        "due Tue 3 Mar 14:00 Europe/London: 1 business day after Mon 2 Mar 14:00 (the time the "
        "participant asked to be called from); met by a1 on Tue 3 Mar 2026 13:00 Europe/London"
    )
    assert reasons[Rule.OUTREACH, "cb1"] == (
        "no deadline; 2 of 2 attempts made; met by a2 on Tue 3 Mar 2026 16:00 Europe/London"
    )
    assert reasons[Rule.EMAIL_ACK, "e1"] == (
        "due Wed 4 Mar 2026 17:00 Europe/London: 24 clock hours after the email arrived "
        "(Tue 3 Mar 2026 17:00 Europe/London); late: k1 on Wed 4 Mar 2026 18:30 "
        "Europe/London, 1 h 30 min after the deadline"
    )
    review = run(events, 80, info=case(CaseType.COUPLES)).obligations[-1]
    assert review.reason == (
        "no deadline; breached: a second session was held (s2, Thu 5 Mar 2026 07:00 "
        "Europe/London) before the first-session review"
    )


def test_write_json_writes_the_document() -> None:
    partner = {
        "type": "partner", "id": "P-UK", "timezone": "Europe/London", "country": "GB",
    }  # fmt: skip
    lines = [json.dumps(partner)]
    for number, kind in enumerate(["individual", "couples", "minor"]):
        name = f'C{number}\u00e9"q'
        lines.append(
            json.dumps(
                {"type": "case", "case": name, "at": "2026-03-02T09:00:00Z", "partner": "P-UK",
                 "referral": "self", "case_type": kind, "benefit_sessions": 1}
            )
        )  # fmt: skip
        for index, event in enumerate(
            [
                {"type": "callback_requested", "id": "cb\\1"},
                {"type": "contact_attempt", "channel": "email", "outcome": "not_reached",
                 "message": "detailed", "summary": "Sent \"details\" \u2014 ok"},
                {"type": "session_held"},
                {"type": "session_held"},
                {"type": "email_received", "from": "wpo"},
            ]
        ):  # fmt: skip
            stamp = f"2026-03-0{2 + index}T10:00:00+00:00"
            lines.append(json.dumps({"case": name, "at": stamp, **event}))
    now = datetime(2026, 3, 20, tzinfo=UTC)
    packs, evaluations = evaluate_history(lines, now)
    out = io.StringIO()

    write_json(out, packs, evaluations, now)

    assert out.getvalue().endswith("\n")
    assert json.loads(out.getvalue()) == document(packs, evaluations, now)
    assert document(packs, evaluations, now) == check_history(lines, now)


@given(st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))])))
def test_instant_literal_is_the_json_of_isoformat(at: datetime) -> None:
    assert instant_literal(at) == json.dumps(at.isoformat())
    utc = at.astimezone(UTC)
    assert instant_literal(utc) == json.dumps(utc.isoformat())
    whole = utc.replace(microsecond=0)
    assert instant_literal(whole) == json.dumps(whole.isoformat())


@given(st.text())
def test_the_writer_encodes_strings_as_json_dumps_does(value: str) -> None:
    assert _encode_string(value) == json.dumps(value, ensure_ascii=False)
    assert _encode_string(Status.OVERDUE) == json.dumps(Status.OVERDUE, ensure_ascii=False)


def test_events_are_frozen_values() -> None:
    # Events and payloads are msgspec structs (ADR 0044): equal and hashable by value, frozen.
    event = make_event(
        "C1", "a1", "contact_attempt", MON, "x", {"channel": "phone", "outcome": "reached"}, 3
    )

    assert event == msgspec.structs.replace(event)
    assert hash(event) == hash(msgspec.structs.replace(event))
    assert event != msgspec.structs.replace(event, line=4)
    assert event.fields != msgspec.structs.replace(event.fields, summary="called")
    with pytest.raises(AttributeError):
        event.id = "a2"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        event.fields.summary = "called"  # type: ignore[misc]


def test_fast_init_builds_the_same_frozen_values() -> None:
    obligation = Obligation(
        Rule.QUERY, "q1", MON, None, None, Status.OPEN, None, None, None, None, 1
    )
    assert (obligation.breached_by, obligation.basis) == (None, None)
    assert builtin_pack().revision == 1


def test_fast_init_refuses_what_it_cannot_build() -> None:
    @dataclasses.dataclass(slots=True)
    class Mutable:
        value: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Factory:
        values: list[int] = dataclasses.field(default_factory=list)

    with pytest.raises(TypeError, match="not a frozen slotted dataclass"):
        fast_init(Mutable)
    with pytest.raises(TypeError, match="unsupported field options"):
        fast_init(Factory)


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5])
def test_composed_handlers_run_every_family_handler_in_order(count: int) -> None:
    called: list[int] = []

    def handler(number: int) -> Any:
        return lambda run, event: called.append(number)

    _chain(tuple(handler(number) for number in range(count)))(None, None)  # type: ignore[arg-type]

    assert called == list(range(count))
    assert set(composed_handlers()) == set(EventType)


def test_in_order_spares_the_sort_of_a_readers_events() -> None:
    examples = Path(__file__).resolve().parents[2] / "docs" / "examples"
    packs = builtin_pack()
    now = datetime(2026, 6, 1, tzinfo=UTC)
    judged = 0
    for path in sorted(examples.glob("*.jsonl")):
        if "invalid" in path.name:
            continue
        history = read_history(path.read_text(encoding="utf-8").splitlines())
        for case in history.cases:
            calendar = history.calendar(case.case)
            shuffled = list(reversed(case.events))
            assert evaluate(case.case, case.events, packs, calendar, now, in_order=True) == (
                evaluate(case.case, shuffled, packs, calendar, now)
            )
            judged += 1
    assert judged >= 6
