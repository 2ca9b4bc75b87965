"""The functions the application asks instead of deciding a rule itself (`eapcase.policy`):
`messages_allowed`, `transition_sessions`, `sessions_remaining` and `closing_would_breach`,
each checked against the engine's own verdict so that a form and a rule cannot disagree."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eapcase.policy
from eapcase.policy import (
    closing_would_breach,
    evaluate,
    messages_allowed,
    sessions_remaining,
    transition_sessions,
)
from eapcase.policy.calendar import BusinessCalendar
from eapcase.policy.events import make_event
from eapcase.policy.pack import BUILTIN_PACK, builtin_pack, loads_pack
from eapcase.policy.types import (
    CaseInfo,
    CaseType,
    Channel,
    MessageLeft,
    ParticipantPrefs,
    Referral,
    Rule,
    Status,
    Target,
)
from eapcase.policy.whatif import HYPOTHETICAL_ID

PACK_FILE = Path(__file__).resolve().parents[2] / "src/eapcase/policy/packs" / BUILTIN_PACK
LONDON = BusinessCalendar("Europe/London", "GB", "ENG")
OPENED = datetime(2026, 3, 2, 9, tzinfo=UTC)
NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
ALL = (MessageLeft.DETAILED, MessageLeft.GENERIC, MessageLeft.NONE)
NONE_ONLY = (MessageLeft.NONE,)


def case(
    case_type: CaseType = CaseType.INDIVIDUAL,
    benefit: int = 6,
    prefs: ParticipantPrefs | None = None,
) -> CaseInfo:
    return CaseInfo(
        "C1", OPENED, "P-UK", Referral.SELF, case_type, benefit, prefs or ParticipantPrefs()
    )


def event(seq: int, type_: str, at: str, id_: str | None = None, **fields: Any) -> Any:
    return make_event("C1", id_, type_, f"2026-03-{at}+00:00", None, fields, seq)


def test_the_public_surface() -> None:
    assert eapcase.policy.__all__ == [
        "closing_would_breach",
        "evaluate",
        "messages_allowed",
        "sessions_remaining",
        "transition_sessions",
    ]


# --- messages_allowed ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefs", "target", "channel", "allowed"),
    [
        (ParticipantPrefs(), Target.PARTICIPANT, Channel.PHONE, ALL),
        (ParticipantPrefs(), Target.PARTICIPANT, Channel.EMAIL, ALL),
        (ParticipantPrefs(voicemail_ok=False), Target.PARTICIPANT, Channel.PHONE, NONE_ONLY),
        (ParticipantPrefs(voicemail_ok=False), Target.PARTICIPANT, Channel.EMAIL, ALL),
        (ParticipantPrefs(email_messages_ok=False), Target.PARTICIPANT, Channel.EMAIL, NONE_ONLY),
        (ParticipantPrefs(email_messages_ok=False), Target.PARTICIPANT, Channel.PHONE, ALL),
        (
            ParticipantPrefs(voicemail_ok=False, email_messages_ok=False),
            Target.PROVIDER,
            Channel.PHONE,
            ALL,
        ),
        (
            ParticipantPrefs(voicemail_ok=False, email_messages_ok=False),
            Target.PROVIDER,
            Channel.EMAIL,
            ALL,
        ),
        # The application's form values are plain strings.
        (ParticipantPrefs(voicemail_ok=False), "participant", "phone", NONE_ONLY),
        (ParticipantPrefs(voicemail_ok=False), "provider", "phone", ALL),
    ],
)
def test_messages_allowed(
    prefs: ParticipantPrefs, target: str, channel: str, allowed: tuple[MessageLeft, ...]
) -> None:
    assert messages_allowed(prefs, target, channel) == allowed


PREFS = st.builds(
    ParticipantPrefs,
    phone=st.booleans(),
    email=st.booleans(),
    voicemail_ok=st.booleans(),
    email_messages_ok=st.booleans(),
    email_only=st.booleans(),
    email_consent=st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(
    prefs=PREFS,
    target=st.sampled_from(list(Target)),
    channel=st.sampled_from(list(Channel)),
    message=st.sampled_from(list(MessageLeft)),
    reached=st.booleans(),
)
def test_the_rule_judges_by_what_the_form_offers(
    prefs: ParticipantPrefs,
    target: Target,
    channel: Channel,
    message: MessageLeft,
    reached: bool,
) -> None:
    """CM-MESSAGE-CONSENT finds exactly the messages `messages_allowed` leaves out, and
    CM-MESSAGE-DETAIL warns only where a detailed message was allowed and not left."""
    attempt = event(
        1,
        "contact_attempt",
        "02T11:00:00",
        "a1",
        target=target.value,
        channel=channel.value,
        outcome="reached" if reached else "not_reached",
        message=message.value,
        summary="Tried.",
    )

    result = evaluate(case(prefs=prefs), [attempt], None, LONDON, NOW)

    rules = {fd.rule for fd in result.findings}
    allowed = messages_allowed(prefs, target, channel)
    assert (Rule.MESSAGE_CONSENT in rules) is (message not in allowed)
    assert (Rule.MESSAGE_DETAIL in rules) is (
        not reached and message is not MessageLeft.DETAILED and MessageLeft.DETAILED in allowed
    )


def test_the_rule_uses_the_preferences_as_they_stand_at_the_attempt() -> None:
    events = [
        event(1, "participant_updated", "02T10:00:00", participant={"voicemail_ok": False}),
        event(
            2,
            "contact_attempt",
            "02T11:00:00",
            "a1",
            channel="phone",
            outcome="not_reached",
            message="generic",
            summary="Tried.",
        ),
    ]

    result = evaluate(case(), events, None, LONDON, NOW)

    assert messages_allowed(result.state.participant, "participant", "phone") == NONE_ONLY
    assert [(fd.rule, fd.event) for fd in result.findings] == [(Rule.MESSAGE_CONSENT, "a1")]
    assert result.findings[0].detail == (
        "generic voicemail left although the participant does not accept phone messages"
    )


# --- transition_sessions, sessions_remaining -----------------------------------------------


def pack_with_transition(sessions: int) -> Any:
    text = PACK_FILE.read_text(encoding="utf-8")
    old = "transition_sessions = 1"
    assert old in text
    return loads_pack(text.replace(old, f"transition_sessions = {sessions}"), "draft")


def test_transition_sessions_comes_from_the_pack() -> None:
    assert transition_sessions(None, NOW) == 1
    assert transition_sessions(builtin_pack(), NOW) == 1
    assert transition_sessions([pack_with_transition(2)], NOW) == 2


@pytest.mark.parametrize(("authorised", "breach"), [(1, True), (2, False), (3, True)])
def test_the_review_decision_is_judged_by_the_same_count(authorised: int, breach: bool) -> None:
    pack = pack_with_transition(2)
    events = [
        event(1, "session_held", "02T10:00:00", "s1"),
        event(
            2,
            "review_completed",
            "03T10:00:00",
            "r1",
            decision="transition_session",
            sessions=authorised,
        ),
        event(3, "session_held", "04T10:00:00", "s2"),
        event(4, "session_held", "05T10:00:00", "s3"),
    ]

    result = evaluate(case(CaseType.COUPLES), events, pack, LONDON, NOW)

    assert transition_sessions(pack, NOW) == 2
    assert ((Rule.REVIEW_DECISION, "r1") in {(f.rule, f.event) for f in result.findings}) is breach
    # The decision authorises the pack's count, whatever the line said.
    assert result.state.sessions_authorised == 1 + 2
    assert [f.event for f in result.findings if f.rule is Rule.SESSION_UNAUTHORISED] == []


@pytest.mark.parametrize(
    ("benefit", "held", "remaining"), [(6, 0, 6), (6, 1, 5), (6, 6, 0), (2, 3, 0), (0, 0, 0)]
)
def test_sessions_remaining(benefit: int, held: int, remaining: int) -> None:
    assert sessions_remaining(benefit, held) == remaining


@pytest.mark.parametrize(("authorise", "breach"), [(4, False), (5, False), (6, True)])
def test_a_review_may_authorise_what_remains(authorise: int, breach: bool) -> None:
    events = [
        event(1, "session_held", "02T10:00:00", "s1"),
        event(
            2,
            "review_completed",
            "03T10:00:00",
            "r1",
            decision="authorise_remaining",
            sessions=authorise,
        ),
    ]
    before = evaluate(case(CaseType.FAMILY), events[:1], None, LONDON, NOW)

    result = evaluate(case(CaseType.FAMILY), events, None, LONDON, NOW)

    assert sessions_remaining(6, before.state.sessions_held) == 5
    assert (Rule.REVIEW_DECISION in {f.rule for f in result.findings}) is breach


# --- closing_would_breach --------------------------------------------------------------------

HISTORY = [
    event(1, "outreach_requested", "02T10:00:00", "o1", purpose="general"),
    event(2, "outreach_requested", "02T10:00:00", "o2", purpose="complaint"),
    event(
        3,
        "contact_attempt",
        "02T11:00:00",
        "a1",
        channel="phone",
        outcome="not_reached",
        message="detailed",
        summary="Tried.",
    ),
    event(
        4,
        "contact_attempt",
        "02T12:00:00",
        "a2",
        channel="phone",
        outcome="not_reached",
        message="detailed",
        summary="Tried.",
    ),
    event(5, "participant_query", "03T10:00:00", "q1"),
    event(6, "callback_requested", "03T10:00:00", "cb1"),
    event(7, "outreach_closed", "04T10:00:00", None, outreach="cb1", reason="gone"),
]


def breached(obligations: tuple[Any, ...]) -> list[tuple[str, str]]:
    return [(o.rule, o.trigger) for o in obligations]


def test_closing_the_case_would_breach_what_is_unsatisfied_and_undated() -> None:
    found = closing_would_breach(case(), HISTORY, None, LONDON, NOW)

    # o1 is met (2 attempts made), cb1's outreach already breached by its closing.
    assert breached(found) == [("CM-OUTREACH", "o2"), ("CM-QUERY", "q1")]
    assert {(o.status, o.breached_by, o.breached_at) for o in found} == {
        (Status.BREACHED, HYPOTHETICAL_ID, NOW)
    }


def test_closing_an_outreach_would_breach_only_that_outreach() -> None:
    assert breached(closing_would_breach(case(), HISTORY, None, LONDON, NOW, outreach="o2")) == [
        ("CM-OUTREACH", "o2")
    ]
    # Already satisfied, already closed: nothing new.
    assert closing_would_breach(case(), HISTORY, None, LONDON, NOW, outreach="o1") == ()
    assert closing_would_breach(case(), HISTORY, None, LONDON, NOW, outreach="cb1") == ()


def test_the_answer_is_what_the_closing_event_then_gives() -> None:
    closing = make_event("C1", "end", "case_closed", NOW, None, {"reason": "done"}, 8)
    before = evaluate(case(), HISTORY, None, LONDON, NOW)
    after = evaluate(case(), [*HISTORY, closing], None, LONDON, NOW)

    found = closing_would_breach(case(), HISTORY, None, LONDON, NOW, evaluation=before)

    was_breached = {(o.rule, o.trigger) for o in before.obligations if o.status == "breached"}
    assert breached(found) == [
        (o.rule, o.trigger)
        for o in after.obligations
        if o.status == "breached" and (o.rule, o.trigger) not in was_breached
    ]
    assert len(found) == 2


def test_closing_a_reopened_case_again() -> None:
    history = [
        *HISTORY,
        event(8, "case_closed", "05T10:00:00", "end1", reason="done"),
        event(9, "case_reopened", "06T10:00:00", "re1", reason="participant came back"),
        event(10, "participant_query", "06T11:00:00", "q2"),
    ]

    assert breached(closing_would_breach(case(), history, None, LONDON, NOW)) == [
        ("CM-QUERY", "q2")
    ]


def test_closing_an_unknown_outreach_is_refused() -> None:
    with pytest.raises(ValueError, match="'q1' is no outreach or call back of case C1"):
        closing_would_breach(case(), HISTORY, None, LONDON, NOW, outreach="q1")
