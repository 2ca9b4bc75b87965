"""Closing and reopening a case (rules.md, "Closure"; history-format.md, `case_reopened`):
reopening changes no obligation or finding, a later closure breaches what is unsatisfied then,
the derived state says whether the case is open now, and the reader and the text report know
the event."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eapcase.policy.calendar import BusinessCalendar
from eapcase.policy.engine import evaluate
from eapcase.policy.events import CaseReopened, make_event, parse_event_fields
from eapcase.policy.explain import case_standing
from eapcase.policy.history import HistoryError, read_history
from eapcase.policy.types import CaseInfo, CaseType, EventType, Referral, Rule, Status
from tests.policy.rulebook import Fd, Ob, attempt, ev, findings, history, obligations, run_case

NOW = "2026-03-20T12:00:00+00:00"
LONDON = BusinessCalendar("Europe/London", "GB", "ENG")


def at(day: int, hour: int = 10) -> str:
    return f"2026-03-{day:02d}T{hour:02d}:00:00+00:00"


def closed(when: str, id_: str = "end") -> dict[str, Any]:
    return ev("case_closed", when, id_, reason="completed")


def reopened(when: str, id_: str = "re") -> dict[str, Any]:
    return ev("case_reopened", when, id_, reason="the participant came back")


def test_reopening_changes_no_obligation_or_finding() -> None:
    before = [
        ev("outreach_requested", at(2), "o1", purpose="general", target="participant"),
        ev("participant_query", at(2), "q1"),
        ev("callback_requested", at(2), "cb1"),
        attempt(at(2, 11), "a1", summary=""),
        closed(at(3)),
    ]

    without = run_case(before, NOW)
    with_reopen = run_case([*before, reopened(at(4))], NOW)

    assert obligations(with_reopen) == obligations(without)
    assert findings(with_reopen) == findings(without)
    assert obligations(with_reopen) == Counter(
        [
            Ob("CM-OUTREACH", "o1", at(2), None, None, "breached"),
            Ob("CM-QUERY", "q1", at(2), None, None, "breached"),
            Ob("CM-CALLBACK", "cb1", at(2), at(3), at(2, 11), "met"),
            Ob("CM-OUTREACH", "cb1", at(2), None, None, "breached"),
        ]
    )


def test_outreach_the_closure_closed_stays_closed() -> None:
    result = run_case(
        [
            ev("outreach_requested", at(2), "o1", purpose="general", target="participant"),
            attempt(at(2, 11), "a1"),
            closed(at(3)),
            reopened(at(4)),
            # Not counted for o1 (closed): no attempt in excess, o1 stays breached.
            attempt(at(4, 11), "a2"),
            attempt(at(4, 12), "a3", outcome="reached"),
            attempt(at(4, 13), "a4"),
        ],
        NOW,
    )

    assert obligations(result) == Counter([Ob("CM-OUTREACH", "o1", at(2), None, None, "breached")])
    assert findings(result) == Counter()


def test_a_later_closure_breaches_what_is_unsatisfied_then() -> None:
    result = run_case(
        [
            ev("participant_query", at(2), "q1"),
            closed(at(3), "end1"),
            reopened(at(4)),
            ev("participant_query", at(5), "q2"),
            ev("participant_query", at(5), "q3"),
            ev("participant_query_resolved", at(6), None, query="q3"),
            ev("dissatisfaction_noted", at(6), "d1"),
            ev("provider_contact", at(6), "pc1", topic="query", urgent=False),
            closed(at(9), "end2"),
        ],
        NOW,
    )

    assert obligations(result) == Counter(
        [
            Ob("CM-QUERY", "q1", at(2), None, None, "breached"),
            Ob("CM-QUERY", "q2", at(5), None, None, "breached"),
            Ob("CM-QUERY", "q3", at(5), None, at(6), "met"),
            Ob("CM-DISSATISFACTION", "d1", at(6), None, None, "breached"),
            # A deadline: closure changes nothing.
            Ob("CM-PROVIDER-RESPONSE", "pc1", at(6), at(9), None, "overdue"),
        ]
    )


def test_events_after_reopening_are_judged_as_usual() -> None:
    result = run_case(
        [
            closed(at(2)),
            reopened(at(3)),
            ev("callback_requested", at(3, 11), "cb1"),
            attempt(at(3, 12), "a1", message="generic"),
        ],
        NOW,
        participant={"voicemail_ok": False},
    )

    assert obligations(result) == Counter(
        [
            Ob("CM-CALLBACK", "cb1", at(3, 11), at(4, 11), at(3, 12), "met"),
            Ob("CM-OUTREACH", "cb1", at(3, 11), None, None, "open"),
        ]
    )
    assert findings(result) == Counter([Fd("CM-MESSAGE-CONSENT", "a1", "breach")])


def engine_case() -> CaseInfo:
    return CaseInfo(
        "C1", datetime(2026, 3, 2, 9, tzinfo=UTC), "P-UK", Referral.SELF, CaseType.COUPLES, 6
    )


def engine_events(*lines: tuple[str, str, str | None, dict[str, Any]]) -> list[Any]:
    return [
        make_event("C1", id_, kind, when, None, fields, seq)
        for seq, (kind, when, id_, fields) in enumerate(lines, 1)
    ]


@pytest.mark.parametrize(
    ("steps", "closed_at", "reopened_at", "is_open"),
    [
        ([], None, None, True),
        ([("case_closed", at(3))], at(3), None, False),
        ([("case_closed", at(3)), ("case_reopened", at(4))], None, at(4), True),
        (
            [("case_closed", at(3)), ("case_reopened", at(4)), ("case_closed", at(5))],
            at(5),
            at(4),
            False,
        ),
        # Reopening a case that was never closed changes nothing but the record of it.
        ([("case_reopened", at(4))], None, at(4), True),
    ],
)
def test_the_state_says_whether_the_case_is_open(
    steps: list[tuple[str, str]], closed_at: str | None, reopened_at: str | None, is_open: bool
) -> None:
    events = engine_events(*((kind, when, None, {}) for kind, when in steps))

    state = evaluate(engine_case(), events, None, LONDON, datetime.fromisoformat(NOW)).state

    expect = (
        None if closed_at is None else datetime.fromisoformat(closed_at),
        None if reopened_at is None else datetime.fromisoformat(reopened_at),
        is_open,
    )
    assert (state.closed_at, state.reopened_at, state.is_open) == expect


# --- a property: any sequence of queries, resolutions, closures and reopenings -------------

STEP = st.sampled_from(["query", "resolve", "close", "reopen", "session"])


@settings(max_examples=150, deadline=None)
@given(st.lists(STEP, max_size=14), st.integers(min_value=0, max_value=13))
def test_close_reopen_close_against_a_model(steps: list[str], resolve_pick: int) -> None:
    """Each query is met by its resolution or breached by the first closure after it,
    whatever reopenings came between; the case is open unless its last closure was not
    followed by a reopening; and the first-session review follows the same rule."""
    start = datetime(2026, 3, 2, 10, tzinfo=UTC)
    lines: list[tuple[str, str, str | None, dict[str, Any]]] = []
    queries: list[str] = []
    expected: dict[tuple[str, str], Status] = {}
    unresolved: list[str] = []
    is_open = True
    sessions = 0
    for index, step in enumerate(steps):
        when = (start + timedelta(hours=index)).isoformat()
        if step == "query":
            query = f"q{index}"
            queries.append(query)
            unresolved.append(query)
            expected[Rule.QUERY, query] = Status.OPEN
            lines.append(("participant_query", when, query, {}))
        elif step == "resolve" and unresolved:
            query = unresolved.pop(resolve_pick % len(unresolved))
            expected[Rule.QUERY, query] = Status.MET
            lines.append(("participant_query_resolved", when, None, {"query": query}))
        elif step == "close":
            for query in unresolved:
                expected[Rule.QUERY, query] = Status.BREACHED
            unresolved.clear()
            if expected.get((Rule.REVIEW, "s0")) is Status.OPEN:
                expected[Rule.REVIEW, "s0"] = Status.BREACHED
            is_open = False
            lines.append(("case_closed", when, None, {"reason": "done"}))
        elif step == "reopen":
            is_open = True
            lines.append(("case_reopened", when, None, {}))
        elif step == "session":
            if sessions == 0:
                expected[Rule.REVIEW, "s0"] = Status.OPEN
            elif expected[Rule.REVIEW, "s0"] is Status.OPEN:
                expected[Rule.REVIEW, "s0"] = Status.BREACHED
            lines.append(("session_held", when, f"s{sessions}", {}))
            sessions += 1

    result = evaluate(engine_case(), engine_events(*lines), None, LONDON, start + timedelta(days=9))

    assert {(o.rule, o.trigger): o.status for o in result.obligations} == expected
    assert result.state.is_open is is_open
    assert [(f.rule, f.event) for f in result.findings] == [
        (Rule.SESSION_UNAUTHORISED, f"s{n}") for n in range(1, sessions)
    ]


# --- the reader and the text report ---------------------------------------------------------


def test_the_reader_accepts_case_reopened_with_a_reason() -> None:
    read = read_history(history([closed(at(3)), reopened(at(4)), ev("case_reopened", at(5))]))

    events = read.cases[0].events
    assert [(e.type, e.fields) for e in events[1:]] == [
        (EventType.CASE_REOPENED, CaseReopened("the participant came back")),
        (EventType.CASE_REOPENED, CaseReopened(None)),
    ]
    assert parse_event_fields("case_reopened", {"reason": "back"}) == {"reason": "back"}


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ({"why": "x"}, "why: unknown field for case_reopened"),
        ({"reason": 3}, "reason: must be a string, not 3"),
    ],
)
def test_the_reader_refuses_a_bad_case_reopened(line: dict[str, Any], reason: str) -> None:
    with pytest.raises(HistoryError) as caught:
        read_history(history([ev("case_reopened", at(4), "re", **line)]))

    assert str(caught.value) == f"3: {reason}"


def test_the_standing_in_plain_words() -> None:
    events = engine_events(
        ("case_closed", at(3), "end1", {}),
        ("case_reopened", at(4), "re", {}),
    )
    now = datetime.fromisoformat(NOW)
    reopened_state = evaluate(engine_case(), events, None, LONDON, now).state
    closed_again = evaluate(
        engine_case(),
        [*events, make_event("C1", "end2", "case_closed", at(6), None, {}, 9)],
        None,
        LONDON,
        now,
    ).state
    never = evaluate(engine_case(), events[:1], None, LONDON, now).state

    assert case_standing(reopened_state) == (
        "reopened Wed 4 Mar 2026 10:00 UTC: open again; what its closure breached stays breached"
    )
    assert case_standing(closed_again, "Europe/London") == (
        "closed again Fri 6 Mar 2026 10:00 Europe/London, after it was reopened "
        "Wed 4 Mar 2026 10:00 Europe/London"
    )
    assert case_standing(never) is None
