"""The history reader (history-format.md): what a valid history becomes, the field validator
the application shares with it, and the errors of an invalid one."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from eapcase.policy.calendar import BusinessCalendar
from eapcase.policy.events import (
    ContactAttempt,
    Event,
    OutreachRequested,
    ReviewCompleted,
    SessionHeld,
    payload_fields,
)
from eapcase.policy.history import (
    FieldError,
    HistoryError,
    LineError,
    check_references,
    make_event,
    parse_event_fields,
    parse_instant,
    parse_participant,
    read_history,
)
from eapcase.policy.types import (
    CaseType,
    Channel,
    EventType,
    MessageLeft,
    Outcome,
    ParticipantPrefs,
    Purpose,
    Referral,
    ReviewDecision,
    Target,
)

PARTNER = {
    "type": "partner",
    "id": "P-SYD",
    "timezone": "Australia/Sydney",
    "country": "AU",
    "subdivision": "NSW",
    "hours": "08:30-17:00",
    "workdays": "Mon,Tue,Wed,Thu",
    "closed_dates": ["2026-12-31"],
}
CASE = {
    "type": "case",
    "case": "C1",
    "at": "2026-03-02T09:15:00+11:00",
    "partner": "P-SYD",
    "referral": "self",
    "case_type": "couples",
    "benefit_sessions": 6,
    "participant": {"voicemail_ok": False},
}


def ev(kind: str, at: str, id_: str | None = None, **fields: Any) -> dict[str, Any]:
    line: dict[str, Any] = {"type": kind, "case": "C1", "at": at, **fields}
    if id_ is not None:
        line["id"] = id_
    return line


def lines(*items: dict[str, Any] | str) -> list[str]:
    return [item if isinstance(item, str) else json.dumps(item) for item in items]


def errors_of(*items: dict[str, Any] | str) -> list[str]:
    with pytest.raises(HistoryError) as caught:
        read_history(lines(*items))
    assert str(caught.value) == "\n".join(str(error) for error in caught.value.errors)
    return [str(error) for error in caught.value.errors]


def test_partner_line_becomes_a_calendar() -> None:
    history = read_history(lines(PARTNER))

    assert history.partners["P-SYD"].calendar == BusinessCalendar(
        timezone="Australia/Sydney",
        country="AU",
        subdivision="NSW",
        opening=time(8, 30),
        closing=time(17),
        workdays=frozenset({0, 1, 2, 3}),
        closed_dates=frozenset({date(2026, 12, 31)}),
    )


def test_case_line_with_defaults_and_participant() -> None:
    history = read_history(lines(PARTNER, CASE))

    [case] = history.cases
    assert case.case.case == "C1"
    assert case.case.opened_at == datetime(2026, 3, 1, 22, 15, tzinfo=UTC)
    assert (case.case.referral, case.case.case_type) == (Referral.SELF, CaseType.COUPLES)
    assert case.case.participant == ParticipantPrefs(voicemail_ok=False)
    assert history.calendar(case.case).timezone == "Australia/Sydney"


def test_events_sorted_by_instant_keeping_line_order_and_defaults_applied() -> None:
    history = read_history(
        lines(
            PARTNER,
            CASE,
            ev("session_held", "2026-03-09T10:00:00+00:00", "s1"),
            "",
            ev("contact_attempt", "2026-03-03T10:00:00Z", channel="phone", outcome="reached"),
            ev("review_completed", "2026-03-09T10:00:00+00:00", "r1", decision="deny"),
            ev("outreach_requested", "2026-03-03T11:00:00+01:00", "o1", purpose="general"),
        )
    )

    events = history.cases[0].events
    # o1 at 11:00+01:00 is the instant of L5: the same instant keeps line order.
    assert [(e.id, e.line) for e in events] == [("L5", 5), ("o1", 7), ("s1", 3), ("r1", 6)]
    assert events[0] == Event(
        "C1",
        "L5",
        EventType.CONTACT_ATTEMPT,
        datetime(2026, 3, 3, 10, tzinfo=UTC),
        None,
        5,
        ContactAttempt(Channel.PHONE, Outcome.REACHED, Target.PARTICIPANT, MessageLeft.NONE),
    )
    assert events[1].fields == OutreachRequested(Purpose.GENERAL, Target.PARTICIPANT, None)
    assert events[1].at == datetime(2026, 3, 3, 10, tzinfo=UTC)
    assert events[2].fields == SessionHeld()
    assert events[3].fields == ReviewCompleted(ReviewDecision.DENY, 0, ())


def test_every_bad_line_is_reported_with_its_number() -> None:
    assert errors_of(
        PARTNER,
        "{not json",
        CASE,
        ev("teleport", "2026-03-03T10:00:00+00:00"),
        ev("contact_attempt", "2026-03-03T10:00:00", channel="phone", outcome="reached"),
        ev("contact_attempt", "2026-03-03T10:00:00Z", channel="fax", outcome="reached"),
        ev("risk_set", "2026-03-03T10:00:00Z"),
        {**ev("note", "2026-03-03T10:00:00Z"), "case": "C9"},
        ev("email_acknowledged", "2026-03-03T10:00:00Z", "k1", email="e9"),
        ev("note", "2026-03-03T10:00:00Z", "n1"),
        ev("note", "2026-03-03T11:00:00Z", "n1"),
        CASE,
        {**CASE, "case": "C2", "partner": "P-XX"},
        '["a list"]',
        ev("note", "2026-03-03T10:00:00Z", colour="blue"),
    ) == [
        "2: not JSON: Expecting property name enclosed in double quotes (column 2)",
        "4: type: unknown event type 'teleport'",
        "5: at: '2026-03-03T10:00:00' has no UTC offset",
        "6: channel: must be one of phone, email, not 'fax'",
        "7: level: missing",
        "8: case: no case 'C9' in this history",
        "9: email: names 'e9', no event of case C1",
        "11: id 'n1' already used on line 10",
        "12: case: 'C1' already opened on line 3",
        "13: partner: no partner 'P-XX' on an earlier line",
        "14: not a JSON object",
        "15: colour: unknown field for note",
    ]


def test_event_before_its_case_line() -> None:
    assert errors_of(PARTNER, ev("note", "2026-03-03T10:00:00Z", summary="x"), CASE) == [
        "2: case: 'C1' is opened later, on line 3"
    ]


def test_reference_must_be_earlier_and_of_the_right_type() -> None:
    assert errors_of(
        PARTNER,
        CASE,
        ev("email_actioned", "2026-03-03T09:00:00Z", "x1", email="e1"),
        ev("email_received", "2026-03-03T10:00:00Z", "e1", **{"from": "wpo"}),
        ev("email_acknowledged", "2026-03-03T11:00:00Z", "k1", email="e1"),
        ev("outreach_closed", "2026-03-03T12:00:00Z", "x2", outreach="e1"),
    ) == [
        "3: email: names 'e1', which is not earlier in case C1",
        "6: outreach: names 'e1', a email_received, not a callback_requested or outreach_requested",
    ]


def test_same_instant_reference_follows_line_order() -> None:
    at = "2026-03-03T10:00:00Z"
    history = read_history(
        lines(
            PARTNER,
            CASE,
            ev("participant_query", at, "q1"),
            ev("participant_query_resolved", at, "q2", query="q1"),
        )
    )
    assert [e.id for e in history.cases[0].events] == ["q1", "q2"]
    assert errors_of(
        PARTNER,
        CASE,
        ev("participant_query_resolved", at, "q2", query="q1"),
        ev("participant_query", at, "q1"),
    ) == ["3: query: names 'q1', which is not earlier in case C1"]


def test_parse_event_fields_normalises_and_names_the_bad_field() -> None:
    assert parse_event_fields(
        "contact_attempt", {"channel": "email", "outcome": "not_reached"}
    ) == {
        "channel": "email",
        "outcome": "not_reached",
        "target": "participant",
        "message": "none",
        "summary": None,
    }
    assert parse_event_fields("email_received", {"from": "wpo"}) == {
        "from": "wpo",
        "urgent": False,
        "needs_contact": True,
    }
    assert parse_event_fields("provider_contact", {"topic": "risk"}) == {
        "topic": "risk",
        "urgent": True,
    }
    assert parse_event_fields(
        "callback_requested", {"not_before": "2026-03-03T10:00:00+02:00"}
    ) == {"not_before": datetime(2026, 3, 3, 8, tzinfo=UTC)}
    assert parse_event_fields("participant_updated", {"participant": {"email_only": True}}) == {
        "participant": {"email_only": True}
    }
    with pytest.raises(FieldError) as caught:
        parse_event_fields("review_completed", {"decision": "deny", "sessions": -1})
    assert (caught.value.field, caught.value.reason) == (
        "sessions",
        "must be a whole number, 0 or more, not -1",
    )
    with pytest.raises(FieldError, match="a check-in is made to the participant"):
        parse_event_fields("outreach_requested", {"purpose": "checkin", "target": "provider"})
    with pytest.raises(FieldError, match=r"^type: unknown event type 'nap'$"):
        parse_event_fields("nap", {})


def test_payload_fields_round_trip() -> None:
    fields = {"decision": "deny", "sessions": 0, "resources": ["a helpline"]}
    normal = parse_event_fields("review_completed", fields)

    assert normal == fields
    assert parse_event_fields("review_completed", normal) == normal
    assert payload_fields(ReviewCompleted(ReviewDecision.DENY, 0, ("a helpline",))) == fields


def test_make_event_is_what_the_reader_builds() -> None:
    history = read_history(
        lines(
            PARTNER,
            CASE,
            ev(
                "contact_attempt",
                "2026-03-03T10:00:00+01:00",
                "a1",
                by="clinician-7",
                channel="phone",
                outcome="reached",
            ),
        )
    )
    built = make_event(
        "C1",
        "a1",
        "contact_attempt",
        "2026-03-03T10:00:00+01:00",
        "clinician-7",
        {"channel": "phone", "outcome": "reached"},
        3,
    )

    assert built == history.cases[0].events[0]
    assert make_event("C1", None, "note", built.at, None, {}, 12).id == "L12"
    with pytest.raises(FieldError, match=r"^at: .* has no UTC offset$"):
        make_event("C1", "n1", "note", datetime(2026, 3, 3), None, {}, 1)


def test_check_references_for_events_built_by_the_application() -> None:
    events = [
        make_event("C1", "e1", "email_received", "2026-03-03T10:00:00Z", None, {"from": "wpo"}, 1),
        make_event(
            "C1", "k1", "email_acknowledged", "2026-03-03T11:00:00Z", None, {"email": "e1"}, 2
        ),
        make_event("C1", "k2", "email_actioned", "2026-03-03T11:00:00Z", None, {"email": "k1"}, 3),
        make_event("C1", "k1", "note", "2026-03-03T12:00:00Z", None, {}, 4),
    ]

    assert check_references(events) == [
        LineError(3, "email: names 'k1', a email_acknowledged, not a email_received"),
        LineError(4, "id 'k1' already used on line 2"),
    ]
    assert check_references(events[:2]) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-03T10:00:00Z", datetime(2026, 3, 3, 10, tzinfo=UTC)),
        ("2026-03-03T10:00:00.250+05:30", datetime(2026, 3, 3, 4, 30, 0, 250000, tzinfo=UTC)),
        ("2026-03-29T01:30:00+00:00", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
    ],
)
def test_parse_instant(text: str, expected: datetime) -> None:
    parsed = parse_instant(text)

    assert (parsed, parsed.tzinfo) == (expected, UTC)


@pytest.mark.parametrize("text", ["2026-03-03T10:00:00", "2026-03-03", "soon", 1700000000])
def test_parse_instant_needs_an_offset(text: object) -> None:
    with pytest.raises(ValueError, match=r"offset|ISO 8601"):
        parse_instant(text)


def test_parse_participant_defaults_and_unknown_fields() -> None:
    assert parse_participant(None) == ParticipantPrefs(True, True, True, True, False, True)
    with pytest.raises(FieldError, match=r"^participant\.fax: unknown participant field$"):
        parse_participant({"fax": True})
    with pytest.raises(FieldError, match=r"^participant\.email: must be true or false"):
        parse_participant({"email": "yes"})
