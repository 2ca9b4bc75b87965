"""Closing with an outcome and a closing note, reopening, and what a closed case still takes
(ADR 0026): the services refuse everything else with "the case is closed"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from eapcase.cases.models import Case
from eapcase.cases.services import (
    case_close,
    case_reopen,
    close_reason_of,
    dissatisfaction_record,
    escalation_raise,
    note_add,
    query_record,
    risk_set,
    session_record,
)
from eapcase.core.errors import Conflict
from eapcase.outreach.services import attempt_record, callback_request, outreach_request
from tests.factories import MONDAY, clinician_of, db_state, events_of, open_case, utc

pytestmark = pytest.mark.django_db


def test_closing_keeps_the_outcome_and_note_and_the_event_reason_is_the_notes_first_line() -> None:
    case = open_case()
    actor = clinician_of(case)
    case_close(
        actor=actor,
        case=case,
        outcome="referred_on",
        note=" Referred to the local NHS talking therapies service.\nLetter sent. ",
        now=MONDAY,
    )
    row = Case.objects.get(pk=case.pk)
    assert (row.status, row.closure_outcome, row.closure_note, row.closure_reason) == (
        "closed",
        "referred_on",
        "Referred to the local NHS talking therapies service.\nLetter sent.",
        "Referred to the local NHS talking therapies service.",
    )
    assert events_of(case)[-1][2:] == (
        "case_closed",
        MONDAY,
        actor.username,
        {"reason": "Referred to the local NHS talking therapies service."},
    )


def test_the_close_reason_is_cut_to_fit_or_falls_back_to_the_outcome() -> None:
    assert close_reason_of("x" * 250, "resolved") == "x" * 199 + "\u2026"
    assert close_reason_of("", "not_contacted") == "could not be contacted"


def test_a_reopened_case_takes_a_session_again() -> None:
    case = open_case()
    actor = clinician_of(case)
    case_close(actor=actor, case=case, outcome="resolved", note="Done", now=MONDAY)
    case_reopen(actor=actor, case=case, reason="Called back", now=utc(2, 10))
    session_record(actor=actor, case=case, now=utc(2, 11))
    row = Case.objects.get(pk=case.pk)
    assert (row.status, row.closed_at, row.closure_outcome) == ("open", None, "resolved")
    assert [e[2] for e in events_of(case)] == ["case_closed", "case_reopened", "session_held"]


REFUSED: dict[str, Callable[..., Any]] = {
    "risk": lambda a, c, now: risk_set(actor=a, case=c, level="high", reason="r", now=now),
    "dissatisfaction": lambda a, c, now: dissatisfaction_record(
        actor=a, case=c, aspect="wait", now=now
    ),
    "escalation": lambda a, c, now: escalation_raise(
        actor=a, case=c, reason="risk", summary="s", now=now
    ),
    "callback": lambda a, c, now: callback_request(actor=a, case=c, now=now),
    "outreach": lambda a, c, now: outreach_request(actor=a, case=c, purpose="general", now=now),
    "session": lambda a, c, now: session_record(actor=a, case=c, now=now),
}


@pytest.mark.parametrize("action", sorted(REFUSED))
def test_a_closed_case_refuses_what_it_does_not_take(action: str) -> None:
    case = open_case()
    actor = clinician_of(case)
    case_close(actor=actor, case=case, outcome="resolved", note="Done", now=MONDAY)
    before = db_state()
    with pytest.raises(Conflict) as raised:
        REFUSED[action](actor, case, utc(2, 10))
    assert (raised.value.message, raised.value.field) == ("the case is closed", "case")
    assert db_state() == before


def test_a_closed_case_takes_a_check_in_its_attempt_a_note_and_a_query() -> None:
    case = open_case()
    actor = clinician_of(case)
    case_close(actor=actor, case=case, outcome="resolved", note="Done", now=MONDAY)
    outreach_request(actor=actor, case=case, purpose="checkin", now=utc(2, 10))
    attempt_record(
        actor=actor,
        case=case,
        target="participant",
        channel="phone",
        outcome="reached",
        message="none",
        summary="Doing well",
        now=utc(2, 11),
    )
    note_add(actor=actor, case=case, summary="Check-in done", next_step="None", now=utc(2, 12))
    query_record(actor=actor, case=case, text="Asked for a letter", channel="phone", now=utc(2, 13))
    assert [e[2] for e in events_of(case)] == [
        "case_closed",
        "outreach_requested",
        "contact_attempt",
        "note",
        "participant_query",
    ]


def test_the_sweep_still_escalates_a_closed_case() -> None:
    case = open_case()
    actor = clinician_of(case)
    case_close(actor=actor, case=case, outcome="resolved", note="Done", now=MONDAY)
    escalation_raise(actor=None, case=case, reason="no_contact", summary="s", now=utc(2, 10))
    assert [e[2] for e in events_of(case)] == ["case_closed", "escalated_to_wpo"]
