"""Evaluation.next_change_at: when time alone changes the verdict, so the shell knows when to
re-evaluate a case that receives no new event."""

from __future__ import annotations

from datetime import datetime

from eapcase.policy.check import evaluate_history

PARTNER = (
    '{"type": "partner", "id": "P-UK", "timezone": "Europe/London", "country": "GB", '
    '"subdivision": "ENG"}'
)
CASE = (
    '{"type": "case", "case": "C1", "at": "2026-03-02T09:00:00+00:00", "partner": "P-UK", '
    '"referral": "self", "case_type": "individual", "benefit_sessions": 6}'
)


def next_change(lines: list[str], now: str) -> datetime | None:
    _packs, evaluations = evaluate_history([PARTNER, CASE, *lines], datetime.fromisoformat(now))
    return evaluations[0].next_change_at


def test_an_unanswered_email_changes_when_its_24_hours_run_out() -> None:
    email = (
        '{"type": "email_received", "case": "C1", "at": "2026-03-02T10:00:00+00:00", '
        '"id": "e1", "from": "participant"}'
    )
    assert next_change([email], "2026-03-02T11:00:00+00:00") == datetime.fromisoformat(
        "2026-03-03T10:00:00+00:00"
    )


def test_after_the_24_hours_the_inform_obligation_changes_at_its_own_deadline() -> None:
    email = (
        '{"type": "email_received", "case": "C1", "at": "2026-03-02T10:00:00+00:00", '
        '"id": "e1", "from": "participant"}'
    )
    assert next_change([email], "2026-03-03T10:30:00+00:00") == datetime.fromisoformat(
        "2026-03-03T11:00:00+00:00"
    )


def test_a_call_back_changes_at_its_business_day_deadline() -> None:
    callback = (
        '{"type": "callback_requested", "case": "C1", "at": "2026-03-06T16:00:00+00:00", '
        '"id": "cb1"}'
    )
    assert next_change([callback], "2026-03-06T16:30:00+00:00") == datetime.fromisoformat(
        "2026-03-09T16:00:00+00:00"
    )


def test_nothing_changes_with_time_once_everything_is_judged() -> None:
    callback = (
        '{"type": "callback_requested", "case": "C1", "at": "2026-03-02T10:00:00+00:00", '
        '"id": "cb1"}'
    )
    reached = (
        '{"type": "contact_attempt", "case": "C1", "at": "2026-03-02T11:00:00+00:00", '
        '"id": "a1", "channel": "phone", "outcome": "reached", "summary": "Spoke."}'
    )
    assert next_change([callback, reached], "2026-03-02T12:00:00+00:00") is None


def test_an_overdue_obligation_changes_nothing_further_with_time() -> None:
    callback = (
        '{"type": "callback_requested", "case": "C1", "at": "2026-03-02T10:00:00+00:00", '
        '"id": "cb1"}'
    )
    assert next_change([callback], "2026-03-04T12:00:00+00:00") is None
