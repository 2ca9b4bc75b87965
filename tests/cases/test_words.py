"""The label helper (`cases.words`): rules by title, events by kind and time, and the engine's
sentences rewritten for display with every id of the case matched whole."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eapcase.cases.models import CaseEvent
from eapcase.cases.words import (
    EVENT_NOUNS,
    CaseWords,
    event_label,
    event_noun,
    refused_rule,
    rule_title,
    short_time,
)
from eapcase.policy.types import EventType

THU = datetime(2026, 12, 3, 10, 24, tzinfo=UTC)  # Thu 3 Dec 2026, London on GMT
LONDON = "Europe/London"


def event(event_id: str, kind: str, at: datetime = THU, **fields: object) -> CaseEvent:
    return CaseEvent(event_id=event_id, type=kind, at=at, fields=fields)


def test_every_event_type_has_a_noun() -> None:
    assert set(EVENT_NOUNS) == {t.value for t in EventType}


def test_an_event_is_named_by_its_kind_and_its_time_in_the_partners_zone() -> None:
    assert event_label("callback_requested", THU, LONDON) == "the call back of Thu 3 Dec 10:24"
    summer = datetime(2026, 7, 2, 9, 5, tzinfo=UTC)
    assert short_time(summer, LONDON) == "Thu 2 Jul 10:05"  # BST
    assert short_time(THU, "Europe/Berlin") == "Thu 3 Dec 11:24"


def test_an_outreach_request_is_named_by_its_purpose() -> None:
    assert event_noun("outreach_requested", {"purpose": "checkin"}) == "clinical check-in"
    assert event_noun("outreach_requested", {"purpose": "general"}) == "outreach request"
    assert event_noun("outreach_requested", {}) == "outreach request"
    assert event_noun("some_new_type") == "some new type"


def test_a_rule_is_named_by_its_title_and_an_unknown_one_stays_as_it_is() -> None:
    assert rule_title("CM-CALLBACK") == "Call back"
    assert rule_title("CM-OUTREACH-EXCESS") == "Attempts beyond the required count"
    assert rule_title("CM-NO-SUCH-RULE") == "CM-NO-SUCH-RULE"


def test_the_words_of_a_case_name_its_events_and_rewrite_the_engines_sentences() -> None:
    words = CaseWords.of_events(
        [
            event("E1", "callback_requested"),
            event("E12", "contact_attempt", datetime(2026, 12, 4, 9, 0, tzinfo=UTC)),
            event("cb1", "outreach_requested", purpose="checkin"),
        ],
        LONDON,
    )
    assert words.event("E1") == "the call back of Thu 3 Dec 10:24"
    assert words.event("E99") == "E99"
    assert (
        words.text("met by E12 on Fri 4 Dec 2026 09:00 Europe/London")
        == "met by the contact attempt of Fri 4 Dec 09:00 on Fri 4 Dec 2026 09:00 Europe/London"
    )
    # Ids are matched whole: E1 is not a part of E12, nor of E1-b or xE1.
    assert words.text("E1, E12; E1-b xE1 (E1)") == (
        "the call back of Thu 3 Dec 10:24, the contact attempt of Fri 4 Dec 09:00; E1-b xE1 "
        "(the call back of Thu 3 Dec 10:24)"
    )
    assert (
        words.text("CM-OUTREACH-EXCESS: attempt 3 for cb1, 2 required")
        == "Attempts beyond the required count: attempt 3 for the clinical check-in of "
        "Thu 3 Dec 10:24, 2 required"
    )
    assert words.text("CM-CALLBACK (E1) would be breached") == (
        "Call back (the call back of Thu 3 Dec 10:24) would be breached"
    )


def test_an_event_named_by_a_plain_word_is_not_rewritten_in_a_sentence() -> None:
    words = CaseWords.of_events([event("call", "contact_attempt")], LONDON)
    assert words.event("call") == "the contact attempt of Thu 3 Dec 10:24"
    assert words.text("call the participant") == "call the participant"


@given(st.text(alphabet=st.characters(blacklist_characters="CE")))
def test_a_sentence_without_ids_is_left_as_it_is(sentence: str) -> None:
    words = CaseWords.of_events([event("E1", "note")], LONDON)
    assert words.text(sentence) == sentence


@pytest.mark.parametrize(
    ("message", "rule"),
    [
        ("CM-REVIEW-DECISION: authorises 6 sessions; 5 remain", "CM-REVIEW-DECISION"),
        ("the case is closed", None),
        ("see CM-REVIEW", None),
    ],
)
def test_a_refusal_names_the_rule_it_starts_with(message: str, rule: str | None) -> None:
    assert refused_rule(message) == rule
