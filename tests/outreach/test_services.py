"""outreach/services.py: call backs, outreach requests and their closing, contact attempts and
emails. Deadlines are checked on the London calendar of the Partner (rules.md "Time")."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from eapcase.accounts.choices import Role
from eapcase.cases.models import Override
from eapcase.cases.record import NeedsConfirmation
from eapcase.cases.services import participant_preferences_update, risk_set
from eapcase.core.errors import Conflict, ServiceError
from eapcase.outreach.models import ContactAttempt, Email, OutreachRequest
from eapcase.outreach.services import (
    attempt_record,
    callback_request,
    email_acknowledge,
    email_action,
    email_receive,
    outreach_close,
    outreach_request,
)
from tests.factories import (
    MONDAY,
    OPENED,
    ParticipantFactory,
    audit_of,
    clinician_of,
    db_state,
    events_of,
    findings_of,
    obligation,
    obligations_of,
    open_case,
    user_with_role,
    utc,
)

pytestmark = pytest.mark.django_db

SUMMARY = "Called, left the access line number"


def refused(exc: pytest.ExceptionInfo[ServiceError]) -> tuple[type, str | None]:
    return type(exc.value), exc.value.field


def attempt(case: Any, actor: Any, now: datetime, **kwargs: Any) -> ContactAttempt:
    """An unsuccessful phone attempt to the participant with a detailed voicemail: no finding
    for a participant who accepts voicemail."""
    fields = {
        "target": "participant",
        "channel": "phone",
        "outcome": "not_reached",
        "message": "detailed",
        "summary": SUMMARY,
        **kwargs,
    }
    return attempt_record(actor=actor, case=case, now=now, **fields)


def _case(**participant: Any) -> tuple[Any, Any]:
    case = open_case(participant=ParticipantFactory(**participant))
    return case, clinician_of(case)


# --- callback_request --------------------------------------------------------------------------


def test_callback_request_opens_the_call_back_and_its_outreach() -> None:
    case, actor = _case()
    request = callback_request(actor=actor, case=case, now=MONDAY, reason=" asked for a call ")
    row = OutreachRequest.objects.get(pk=request.pk)
    assert (
        row.kind,
        row.purpose,
        row.target,
        row.requested_at,
        row.not_before,
        row.reason,
        row.requested_by_id,
        row.event_id,
        row.closed_at,
    ) == (
        "callback",
        "general",
        "participant",
        MONDAY,
        None,
        "asked for a call",
        actor.pk,
        "E1",
        None,
    )
    assert events_of(case) == [(1, "E1", "callback_requested", MONDAY, actor.username, {})]
    # Mon 09:30 -> Tue 09:30 on the London calendar (GMT in March).
    assert obligations_of(case) == [
        ("CM-CALLBACK", "E1", MONDAY, utc(3, 9, 30), None, "", "open"),
        ("CM-OUTREACH", "E1", MONDAY, None, None, "", "open"),
    ]
    outreach = obligation(case, "CM-OUTREACH", "E1")
    assert (outreach.target, outreach.attempts_made, outreach.attempts_required) == (
        "participant",
        0,
        2,
    )
    assert obligation(case, "CM-CALLBACK", "E1").evaluated_at == MONDAY
    assert audit_of(case)[1:] == [
        ("outreach.callback_requested", actor.username, "OutreachRequest", {"events": ["E1"]})
    ]


@pytest.mark.parametrize(
    ("requested", "due"),
    [
        pytest.param(utc(2, 10), utc(3, 10), id="mon-10:00"),
        pytest.param(utc(6, 16), utc(9, 16), id="fri-16:00"),
        pytest.param(utc(7, 11), utc(9, 17), id="sat-11:00"),
        pytest.param(utc(9, 17), utc(10, 17), id="mon-17:00-closing"),
        pytest.param(utc(9, 8, 30), utc(9, 17), id="mon-08:30"),
        # Fri 1 May 16:00 BST; Mon 4 May is a bank holiday -> Tue 5 May 16:00 BST.
        pytest.param(utc(1, 15, month=5), utc(5, 15, month=5), id="fri-before-bank-holiday"),
        # 25 Dec and the observed Boxing Day (Mon 28 Dec) are holidays.
        pytest.param(utc(24, 15, month=12), utc(29, 15, month=12), id="christmas-eve"),
    ],
)
def test_call_back_due_one_business_day_later(requested: datetime, due: datetime) -> None:
    case, actor = _case()
    callback_request(actor=actor, case=case, now=requested)
    callback = obligation(case, "CM-CALLBACK", "E1")
    assert (callback.opened_at, callback.due_at, callback.status) == (requested, due, "open")


def test_call_back_not_before_moves_the_deadline() -> None:
    case, actor = _case()
    later = utc(4, 14)
    callback_request(actor=actor, case=case, now=MONDAY, not_before=later)
    assert events_of(case)[0][5] == {"not_before": "2026-03-04T14:00:00+00:00"}
    assert OutreachRequest.objects.get().not_before == later
    assert obligation(case, "CM-CALLBACK", "E1").due_at == utc(5, 14)


def test_call_back_refuses_not_before_earlier_than_the_request() -> None:
    case, actor = _case()
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        callback_request(
            actor=actor, case=case, now=MONDAY, not_before=MONDAY - timedelta(minutes=1)
        )
    assert refused(raised) == (ServiceError, "not_before")
    assert db_state() == before


def test_an_attempt_satisfies_the_call_back() -> None:
    case, actor = _case()
    callback_request(actor=actor, case=case, now=MONDAY)
    attempt(case, actor, utc(2, 10))
    assert obligations_of(case) == [
        ("CM-CALLBACK", "E1", MONDAY, utc(3, 9, 30), utc(2, 10), "E2", "met"),
        ("CM-OUTREACH", "E1", MONDAY, None, None, "", "open"),
    ]
    assert obligation(case, "CM-OUTREACH", "E1").attempts_made == 1
    assert findings_of(case) == []


def test_a_call_back_attempted_after_its_deadline_is_late() -> None:
    case, actor = _case()
    callback_request(actor=actor, case=case, now=MONDAY)
    attempt(case, actor, utc(3, 10))
    assert obligation(case, "CM-CALLBACK", "E1").status == "late"


def test_a_later_write_refreshes_an_unanswered_call_back_to_overdue() -> None:
    case, actor = _case()
    callback_request(actor=actor, case=case, now=MONDAY)
    risk_set(actor=actor, case=case, level="low", now=utc(3, 10), reason="Stated")
    callback = obligation(case, "CM-CALLBACK", "E1")
    assert (callback.status, callback.evaluated_at) == ("overdue", utc(3, 10))


# --- outreach_request --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("purpose", "target", "required"),
    [
        ("general", "participant", 2),
        ("complaint", "participant", 3),
        ("general", "provider", 2),
    ],
)
def test_outreach_request_opens_the_outreach(purpose: str, target: str, required: int) -> None:
    case, actor = _case()
    request = outreach_request(actor=actor, case=case, purpose=purpose, target=target, now=MONDAY)
    assert (request.kind, request.purpose, request.target, request.event_id) == (
        "outreach",
        purpose,
        target,
        "E1",
    )
    assert events_of(case) == [
        (
            1,
            "E1",
            "outreach_requested",
            MONDAY,
            actor.username,
            {"purpose": purpose, "target": target},
        )
    ]
    assert obligations_of(case) == [("CM-OUTREACH", "E1", MONDAY, None, None, "", "open")]
    outreach = obligation(case, "CM-OUTREACH", "E1")
    assert (outreach.target, outreach.attempts_made, outreach.attempts_required) == (
        target,
        0,
        required,
    )
    assert audit_of(case)[1:] == [
        (
            "outreach.requested",
            actor.username,
            "OutreachRequest",
            {"purpose": purpose, "target": target, "events": ["E1"]},
        )
    ]


def test_a_checkin_is_due_one_business_day_later_and_is_no_outreach() -> None:
    case, actor = _case()
    outreach_request(actor=actor, case=case, purpose="checkin", now=MONDAY)
    assert obligations_of(case) == [("CM-CHECKIN", "E1", MONDAY, utc(3, 9, 30), None, "", "open")]


def test_a_checkin_with_a_due_time_keeps_it() -> None:
    case, actor = _case()
    outreach_request(actor=actor, case=case, purpose="checkin", now=MONDAY, due=utc(13, 12))
    assert events_of(case)[0][5] == {
        "purpose": "checkin",
        "target": "participant",
        "due": "2026-03-13T12:00:00+00:00",
    }
    assert OutreachRequest.objects.get().due == utc(13, 12)
    assert obligations_of(case) == [("CM-CHECKIN", "E1", MONDAY, utc(13, 12), None, "", "open")]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        pytest.param({"purpose": "sales"}, "purpose", id="purpose"),
        pytest.param({"target": "employer"}, "target", id="target"),
        pytest.param({"due": MONDAY - timedelta(minutes=1)}, "due", id="due-before-request"),
        pytest.param({"purpose": "checkin", "target": "provider"}, "target", id="checkin-provider"),
        pytest.param({"at": MONDAY + timedelta(minutes=6)}, "at", id="future"),
    ],
)
def test_outreach_request_refusals(kwargs: dict[str, Any], field: str) -> None:
    case, actor = _case()
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        outreach_request(actor=actor, case=case, **{"purpose": "general", "now": MONDAY, **kwargs})
    assert refused(raised) == (ServiceError, field)
    assert db_state() == before


# --- outreach_close ----------------------------------------------------------------------------


def test_closing_an_outreach_before_its_attempts_needs_confirmation() -> None:
    case, actor = _case()
    request = outreach_request(actor=actor, case=case, purpose="general", now=MONDAY)
    attempt(case, actor, utc(2, 10))
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        outreach_close(actor=actor, request=request, reason="no answer", now=utc(2, 11))
    assert refused(raised) == (NeedsConfirmation, "confirm")
    assert db_state() == before


def test_a_confirmed_early_close_breaches_the_outreach() -> None:
    case, actor = _case()
    request = outreach_request(actor=actor, case=case, purpose="general", now=MONDAY)
    outreach_close(
        actor=actor, request=request, reason=" no answer ", now=utc(2, 11), confirm="moved away"
    )
    row = OutreachRequest.objects.get(pk=request.pk)
    assert (row.closed_at, row.close_reason, row.close_event_id) == (utc(2, 11), "no answer", "E2")
    assert events_of(case)[1] == (
        2,
        "E2",
        "outreach_closed",
        utc(2, 11),
        actor.username,
        {"outreach": "E1", "reason": "no answer"},
    )
    assert obligations_of(case) == [("CM-OUTREACH", "E1", MONDAY, None, None, "", "breached")]
    assert audit_of(case)[-1][:3] == ("outreach.closed", actor.username, "OutreachRequest")


def test_closing_an_outreach_after_its_attempts_needs_no_confirmation() -> None:
    case, actor = _case()
    request = outreach_request(actor=actor, case=case, purpose="general", now=MONDAY)
    attempt(case, actor, utc(2, 10))
    attempt(case, actor, utc(2, 15))
    outreach_close(actor=actor, request=request, reason="two attempts made", now=utc(2, 16))
    assert obligations_of(case) == [("CM-OUTREACH", "E1", MONDAY, None, utc(2, 15), "E3", "met")]
    assert OutreachRequest.objects.get(pk=request.pk).closed_at == utc(2, 16)


def test_closing_a_call_back_breaches_its_outreach_but_not_its_deadline() -> None:
    case, actor = _case()
    request = callback_request(actor=actor, case=case, now=MONDAY)
    outreach_close(
        actor=actor, request=request, reason="asked us to stop", now=utc(2, 10), confirm="asked"
    )
    assert events_of(case)[1][2:] == (
        "outreach_closed",
        utc(2, 10),
        actor.username,
        {"outreach": "E1", "reason": "asked us to stop"},
    )
    assert obligations_of(case) == [
        ("CM-CALLBACK", "E1", MONDAY, utc(3, 9, 30), None, "", "open"),
        ("CM-OUTREACH", "E1", MONDAY, None, None, "", "breached"),
    ]


def test_outreach_close_refuses_a_blank_reason() -> None:
    case, actor = _case()
    request = outreach_request(actor=actor, case=case, purpose="general", now=MONDAY)
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        outreach_close(actor=actor, request=request, reason=" ", now=utc(2, 11), confirm="x")
    assert refused(raised) == (ServiceError, "reason")
    assert db_state() == before


def test_outreach_close_refuses_a_closed_outreach() -> None:
    case, actor = _case()
    request = outreach_request(actor=actor, case=case, purpose="general", now=MONDAY)
    outreach_close(actor=actor, request=request, reason="stop", now=utc(2, 11), confirm="x")
    before = db_state()
    with pytest.raises(Conflict) as raised:
        outreach_close(actor=actor, request=request, reason="again", now=utc(2, 12), confirm="x")
    assert refused(raised) == (Conflict, "outreach")
    assert db_state() == before


# --- attempt_record ----------------------------------------------------------------------------


def test_attempt_record_writes_the_attempt() -> None:
    case, actor = _case()
    made = attempt(case, actor, MONDAY, summary="Left message")
    row = ContactAttempt.objects.get(pk=made.pk)
    assert (
        row.target,
        row.channel,
        row.outcome,
        row.message,
        row.summary,
        row.attempted_at,
        row.by_id,
        row.event_id,
    ) == (
        "participant",
        "phone",
        "not_reached",
        "detailed",
        "Left message",
        MONDAY,
        actor.pk,
        "E1",
    )
    assert events_of(case) == [
        (
            1,
            "E1",
            "contact_attempt",
            MONDAY,
            actor.username,
            {
                "target": "participant",
                "channel": "phone",
                "outcome": "not_reached",
                "message": "detailed",
                "summary": "Left message",
            },
        )
    ]
    assert audit_of(case)[1:] == [
        (
            "outreach.attempt_recorded",
            actor.username,
            "ContactAttempt",
            {
                "target": "participant",
                "channel": "phone",
                "outcome": "not_reached",
                "events": ["E1"],
            },
        )
    ]
    assert findings_of(case) == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        pytest.param({"target": "employer"}, "target", id="target"),
        pytest.param({"channel": "sms"}, "channel", id="channel"),
        pytest.param({"outcome": "maybe"}, "outcome", id="outcome"),
        pytest.param({"message": "long"}, "message", id="message"),
        pytest.param({"summary": "  "}, "summary", id="blank-summary"),
        pytest.param({"outcome": "reached", "message": "generic"}, "message", id="reached-msg"),
        pytest.param({"at": OPENED - timedelta(seconds=1)}, "at", id="before-the-case"),
    ],
)
def test_attempt_record_refusals(kwargs: dict[str, Any], field: str) -> None:
    case, actor = _case()
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        attempt(case, actor, MONDAY, **kwargs)
    assert refused(raised) == (ServiceError, field)
    assert db_state() == before


@pytest.mark.parametrize(
    ("participant", "channel"),
    [
        pytest.param({"voicemail_ok": False}, "phone", id="voicemail"),
        pytest.param({"email_messages_ok": False}, "email", id="email"),
    ],
)
def test_a_detailed_message_against_the_participants_wishes_is_refused(
    participant: dict[str, bool], channel: str
) -> None:
    case, actor = _case(**participant)
    callback_request(actor=actor, case=case, now=MONDAY)
    before = db_state()
    with pytest.raises(ServiceError, match="CM-MESSAGE-CONSENT") as raised:
        attempt(case, actor, utc(2, 10), channel=channel)
    assert refused(raised) == (ServiceError, None)
    assert db_state() == before


def test_a_historical_detailed_voicemail_against_wishes_is_recorded_with_a_breach() -> None:
    case, actor = _case(voicemail_ok=False)
    callback_request(actor=actor, case=case, now=MONDAY)
    attempt_record(
        actor=actor,
        case=case,
        target="participant",
        channel="phone",
        outcome="not_reached",
        message="detailed",
        summary=SUMMARY,
        now=utc(2, 10),
        historical=True,
        event_id="a1",
    )
    assert ContactAttempt.objects.filter(case=case, event_id="a1").count() == 1
    assert findings_of(case) == [("CM-MESSAGE-CONSENT", "a1", "breach")]
    # The attempt still satisfies the call back.
    assert obligation(case, "CM-CALLBACK", "E1").satisfied_by == "a1"


def test_preferences_changed_during_the_case_refuse_a_later_voicemail() -> None:
    case, actor = _case()
    participant_preferences_update(
        actor=actor,
        participant=case.participant,
        changes={"voicemail_ok": False},
        source="participant",
        now=MONDAY,
    )
    before = db_state()
    with pytest.raises(ServiceError, match="CM-MESSAGE-CONSENT"):
        attempt(case, actor, utc(2, 10))
    assert db_state() == before


def test_no_message_where_one_is_allowed_needs_confirmation() -> None:
    case, actor = _case()
    before = db_state()
    with pytest.raises(NeedsConfirmation) as raised:
        attempt(case, actor, MONDAY, message="none")
    assert refused(raised) == (NeedsConfirmation, "confirm")
    assert [f.rule for f in raised.value.findings] == ["CM-MESSAGE-DETAIL"]
    assert db_state() == before


def _call_back_with_two_attempts() -> tuple[Any, Any]:
    case, actor = _case()
    callback_request(actor=actor, case=case, now=MONDAY)
    attempt(case, actor, utc(2, 10))
    attempt(case, actor, utc(2, 15))
    return case, actor


def test_the_second_attempt_satisfies_the_call_backs_outreach() -> None:
    case, _actor = _call_back_with_two_attempts()
    outreach = obligation(case, "CM-OUTREACH", "E1")
    assert (outreach.status, outreach.satisfied_by, outreach.attempts_made) == ("met", "E3", 2)


def test_an_outreach_completed_without_a_phone_attempt_needs_confirmation() -> None:
    case, actor = _case()
    callback_request(actor=actor, case=case, now=MONDAY)
    attempt(case, actor, utc(2, 10), channel="email")
    before = db_state()
    with pytest.raises(NeedsConfirmation) as raised:
        attempt(case, actor, utc(2, 15), channel="email")
    assert [(f.rule, f.event, str(f.severity)) for f in raised.value.findings] == [
        ("CM-OUTREACH-PHONE", "E3", "breach")
    ]
    assert db_state() == before


def test_email_attempts_suffice_for_a_participant_who_wants_email_only() -> None:
    case, actor = _case(email_only=True)
    callback_request(actor=actor, case=case, now=MONDAY)
    attempt(case, actor, utc(2, 10), channel="email")
    attempt(case, actor, utc(2, 15), channel="email")
    assert findings_of(case) == []
    assert obligation(case, "CM-OUTREACH", "E1").status == "met"


def test_an_excess_attempt_needs_confirmation() -> None:
    case, actor = _call_back_with_two_attempts()
    before = db_state()
    with pytest.raises(NeedsConfirmation) as raised:
        attempt(case, actor, utc(3, 10))
    assert refused(raised) == (NeedsConfirmation, "confirm")
    assert [(f.rule, f.event, str(f.severity)) for f in raised.value.findings] == [
        ("CM-OUTREACH-EXCESS", "E4", "warning")
    ]
    assert db_state() == before


def test_a_confirmed_excess_attempt_is_recorded_with_its_reason() -> None:
    case, actor = _call_back_with_two_attempts()
    attempt(case, actor, utc(3, 10), confirm=" participant asked for one more call ")
    override = Override.objects.get(case=case)
    assert (override.event_ids, override.reason, override.by_id) == (
        ["E4"],
        "participant asked for one more call",
        actor.pk,
    )
    assert findings_of(case) == [("CM-OUTREACH-EXCESS", "E4", "warning")]
    assert audit_of(case)[-1] == (
        "outreach.attempt_recorded",
        actor.username,
        "ContactAttempt",
        {
            "target": "participant",
            "channel": "phone",
            "outcome": "not_reached",
            "events": ["E4"],
            "confirmed_findings": ["CM-OUTREACH-EXCESS"],
        },
    )


def test_with_risk_identified_up_to_five_attempts_need_no_confirmation() -> None:
    case, actor = _case()
    risk_set(actor=actor, case=case, level="high", now=MONDAY, reason="Stated")
    callback_request(actor=actor, case=case, now=MONDAY)
    for hour in (10, 11, 12, 13, 14):
        attempt(case, actor, utc(2, hour))
    assert obligation(case, "CM-OUTREACH", "E2").attempts_made == 5
    with pytest.raises(NeedsConfirmation) as raised:
        attempt(case, actor, utc(2, 15))
    assert [f.rule for f in raised.value.findings] == ["CM-OUTREACH-EXCESS"]


def test_reaching_the_participant_satisfies_and_closes_the_outreach() -> None:
    case, actor = _case()
    callback_request(actor=actor, case=case, now=MONDAY)
    attempt(case, actor, utc(2, 10), outcome="reached", message="none")
    assert obligations_of(case) == [
        ("CM-CALLBACK", "E1", MONDAY, utc(3, 9, 30), utc(2, 10), "E2", "met"),
        ("CM-OUTREACH", "E1", MONDAY, None, utc(2, 10), "E2", "met"),
    ]
    # The outreach is closed: further attempts are not in excess of it.
    attempt(case, actor, utc(2, 11))
    attempt(case, actor, utc(2, 12))
    assert findings_of(case) == []


def test_a_checkin_is_satisfied_by_its_first_attempt() -> None:
    case, actor = _case()
    outreach_request(actor=actor, case=case, purpose="checkin", now=MONDAY)
    attempt(case, actor, utc(2, 10))
    assert obligations_of(case) == [
        ("CM-CHECKIN", "E1", MONDAY, utc(3, 9, 30), utc(2, 10), "E2", "met")
    ]


def test_a_second_checkin_attempt_needs_confirmation() -> None:
    case, actor = _case()
    outreach_request(actor=actor, case=case, purpose="checkin", now=MONDAY)
    attempt(case, actor, utc(2, 10))
    before = db_state()
    with pytest.raises(NeedsConfirmation) as raised:
        attempt(case, actor, utc(2, 15))
    assert [f.rule for f in raised.value.findings] == ["CM-CHECKIN-SINGLE"]
    assert db_state() == before


def test_a_checkin_by_email_without_consent_is_refused() -> None:
    case, actor = _case(email_consent=False)
    outreach_request(actor=actor, case=case, purpose="checkin", now=MONDAY)
    before = db_state()
    with pytest.raises(ServiceError, match="CM-CHECKIN-CHANNEL") as raised:
        attempt(case, actor, utc(2, 10), channel="email")
    assert refused(raised) == (ServiceError, None)
    assert db_state() == before


# --- emails ------------------------------------------------------------------------------------


def test_email_receive_opens_acknowledgement_and_action() -> None:
    case, actor = _case()
    email = email_receive(
        actor=actor,
        case=case,
        sender_kind="participant",
        now=MONDAY,
        urgent=True,
        subject="Help",
        from_address="p@example.test",
        message_id="<m1@example.test>",
    )
    row = Email.objects.get(pk=email.pk)
    assert (row.case_id, row.sender_kind, row.urgent, row.received_at, row.event_id) == (
        case.pk,
        "participant",
        True,
        MONDAY,
        "E1",
    )
    assert events_of(case) == [
        (1, "E1", "email_received", MONDAY, actor.username, {"from": "participant", "urgent": True})
    ]
    ack = obligation(case, "CM-EMAIL-ACK", "E1")
    action = obligation(case, "CM-EMAIL-ACTION", "E1")
    assert (ack.opened_at, ack.due_at, ack.status) == (MONDAY, utc(3, 9, 30), "open")
    assert (action.opened_at, action.due_at, action.status) == (MONDAY, utc(3, 9, 30), "open")
    assert audit_of(case)[1:] == [("email.received", actor.username, "Email", {"events": ["E1"]})]


def test_an_email_not_needing_contact_says_so_in_the_history() -> None:
    case, actor = _case()
    email_receive(actor=actor, case=case, sender_kind="wpo", now=MONDAY, needs_contact=False)
    assert events_of(case)[0][5] == {"from": "wpo", "needs_contact": False}


def test_an_email_is_acknowledged_then_actioned() -> None:
    case, actor = _case()
    email = email_receive(actor=actor, case=case, sender_kind="participant", now=MONDAY)
    email_acknowledge(actor=actor, email=email, now=utc(2, 10))
    email_action(actor=actor, email=email, summary=" Booked a call ", now=utc(3, 10))
    row = Email.objects.get(pk=email.pk)
    assert (row.acknowledged_at, row.actioned_at, row.action_summary) == (
        utc(2, 10),
        utc(3, 10),
        "Booked a call",
    )
    assert [(*e[1:3], e[5]) for e in events_of(case)] == [
        ("E1", "email_received", {"from": "participant"}),
        ("E2", "email_acknowledged", {"email": "E1"}),
        ("E3", "email_actioned", {"email": "E1"}),
    ]
    ack = obligation(case, "CM-EMAIL-ACK", "E1")
    action = obligation(case, "CM-EMAIL-ACTION", "E1")
    assert (ack.satisfied_at, ack.satisfied_by, ack.status) == (utc(2, 10), "E2", "met")
    assert (action.satisfied_at, action.satisfied_by, action.status) == (utc(3, 10), "E3", "late")
    assert [row[0] for row in audit_of(case)[1:]] == [
        "email.received",
        "email.acknowledged",
        "email.actioned",
    ]


def test_email_receive_refuses_an_unknown_sender() -> None:
    case, actor = _case()
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        email_receive(actor=actor, case=case, sender_kind="provider", now=MONDAY)
    assert refused(raised) == (ServiceError, "from")
    assert db_state() == before


def test_email_receive_refuses_a_message_received_before() -> None:
    case, actor = _case()
    email_receive(
        actor=actor, case=case, sender_kind="participant", now=MONDAY, message_id="<m1@x>"
    )
    before = db_state()
    with pytest.raises(Conflict) as raised:
        email_receive(
            actor=actor, case=case, sender_kind="participant", now=utc(2, 10), message_id="<m1@x>"
        )
    assert refused(raised) == (Conflict, "message_id")
    assert db_state() == before


def test_acknowledging_twice_is_refused() -> None:
    case, actor = _case()
    email = email_receive(actor=actor, case=case, sender_kind="participant", now=MONDAY)
    email_acknowledge(actor=actor, email=email, now=utc(2, 10))
    before = db_state()
    with pytest.raises(Conflict) as raised:
        email_acknowledge(actor=actor, email=email, now=utc(2, 11))
    assert refused(raised) == (Conflict, "email")
    assert db_state() == before


def test_actioning_twice_is_refused() -> None:
    case, actor = _case()
    email = email_receive(actor=actor, case=case, sender_kind="participant", now=MONDAY)
    email_action(actor=actor, email=email, summary="Called back", now=utc(2, 10))
    before = db_state()
    with pytest.raises(Conflict) as raised:
        email_action(actor=actor, email=email, summary="Again", now=utc(2, 11))
    assert refused(raised) == (Conflict, "email")
    assert db_state() == before


def test_actioning_without_a_summary_is_refused() -> None:
    case, actor = _case()
    email = email_receive(actor=actor, case=case, sender_kind="participant", now=MONDAY)
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        email_action(actor=actor, email=email, summary="  ", now=utc(2, 10))
    assert refused(raised) == (ServiceError, "summary")
    assert db_state() == before


def test_an_email_without_a_case_cannot_be_acknowledged() -> None:
    email = Email.objects.create(sender_kind="participant", received_at=MONDAY)
    actor = user_with_role(Role.PARTNER_CLINICIAN)
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        email_acknowledge(actor=actor, email=email, now=utc(2, 10))
    assert refused(raised) == (ServiceError, "email")
    assert db_state() == before


def test_an_acknowledgement_before_the_email_arrived_is_refused() -> None:
    """An acknowledgement must name an EARLIER email_received (history-format.md: fields that
    name another event take the id of an earlier event), as `eapcase check` would insist."""
    case, actor = _case()
    email = email_receive(actor=actor, case=case, sender_kind="participant", now=utc(2, 12))
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        email_acknowledge(actor=actor, email=email, at=utc(2, 11), now=utc(2, 13))
    assert refused(raised) == (ServiceError, "email")
    assert db_state() == before
