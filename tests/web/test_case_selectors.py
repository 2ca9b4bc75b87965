"""cases/selectors.py: the case page's state as the engine has it, the timeline, the contact
summary, what closing would breach, the access line and the scoped, searchable list."""

from __future__ import annotations

import importlib
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from eapcase.accounts.choices import Role
from eapcase.cases import bridge
from eapcase.cases.models import Case
from eapcase.cases.services import (
    case_close,
    note_add,
    participant_preferences_update,
    review_complete,
    risk_set,
    session_record,
)
from eapcase.outreach.messages import access_line_for
from eapcase.outreach.services import attempt_record, callback_request, outreach_close
from eapcase.web import case_selectors as selectors
from tests.factories import (
    MONDAY,
    AccessLineFactory,
    ClientOrganisationFactory,
    ClientProcedureFactory,
    ParticipantFactory,
    PartnerFactory,
    clinician_of,
    open_case,
    user_with_role,
    utc,
)

pytestmark = pytest.mark.django_db


def attempt(case: Any, actor: Any, now: Any, **kwargs: Any) -> Any:
    fields = {
        "target": "participant",
        "channel": "phone",
        "outcome": "not_reached",
        "message": "detailed",
        "summary": "Called, left the access line number",
        **kwargs,
    }
    return attempt_record(actor=actor, case=case, now=now, **fields)


def test_ledger_comes_from_the_engine_after_a_review() -> None:
    case = open_case(case_type="couples", benefit_sessions=6)
    actor = clinician_of(case)
    session_record(actor=actor, case=case, now=utc(2, 10))
    review_complete(
        actor=actor, case=case, decision="authorise_remaining", sessions=3, resources=[],
        now=utc(2, 11),
    )  # fmt: skip
    page = selectors.case_page_get(case=case, now=utc(2, 12))
    assert (page.ledger.benefit, page.ledger.authorised, page.ledger.held) == (6, 4, 1)
    assert (page.ledger.available, page.ledger.remaining) == (2, 5)
    assert page.evaluation.state.review_pending is False


def test_ledger_available_is_never_below_zero() -> None:
    assert selectors.Ledger(benefit=2, authorised=3, held=3).available == 0


def test_review_case_before_its_review_shows_one_session_and_the_review_pending() -> None:
    case = open_case(case_type="minor", benefit_sessions=6)
    session_record(actor=clinician_of(case), case=case, now=utc(2, 10))
    page = selectors.case_page_get(case=case, now=utc(2, 12))
    assert (page.ledger.authorised, page.ledger.held, page.ledger.available) == (1, 1, 5)
    assert page.evaluation.state.review_pending is True
    assert [
        (o.row.rule, o.row.trigger, page.words.event(o.row.trigger)) for o in page.obligations
    ] == [("CM-REVIEW", "E1", "the session of Mon 2 Mar 10:00")]


def test_consent_badges_follow_the_engine_not_the_opening_preferences() -> None:
    case = open_case()
    participant_preferences_update(
        actor=clinician_of(case),
        participant=case.participant,
        changes={"voicemail_ok": False, "email_only": True},
        source="participant",
        now=utc(2, 10),
    )
    page = selectors.case_page_get(case=case, now=utc(2, 11))
    assert page.consent_badges == ["Email only", "No voicemail"]
    assert case.opening_preferences["voicemail_ok"] is True


def test_timeline_is_newest_first_with_who_what_summary_next_step_and_findings() -> None:
    case = open_case()
    actor = clinician_of(case)
    actor.first_name, actor.last_name = "Ada", "Lovelace"
    actor.save()
    callback_request(actor=actor, case=case, now=utc(2, 9, 40), reason="Asked at intake")
    attempt(case, actor, utc(2, 10), message="none", confirm="Line was busy, no voicemail")
    note_add(actor=actor, case=case, summary="Agreed a call", next_step="Call Tue", now=utc(2, 11))
    page = selectors.case_page_get(case=case, now=utc(2, 12))
    rows = [(t.event.event_id, t.who, t.what, t.summary, t.next_step) for t in page.timeline]
    assert rows == [
        ("E3", "Ada Lovelace", "Note", "Agreed a call", "Call Tue"),
        (
            "E2",
            "Ada Lovelace",
            "Contact attempt",
            "phone to the participant, not reached, no message: "
            "Called, left the access line number",
            "",
        ),
        ("E1", "Ada Lovelace", "Call back requested", "Asked at intake", ""),
    ]
    assert [(f.rule, f.severity) for f in page.timeline[1].findings] == [
        ("CM-MESSAGE-DETAIL", "warning")
    ]
    assert [o.reason for o in page.timeline[1].overrides] == ["Line was busy, no voicemail"]


def test_last_successful_contact_and_attempts_since() -> None:
    case = open_case()
    actor = clinician_of(case)
    attempt(case, actor, utc(2, 10))
    attempt(case, actor, utc(2, 11), outcome="reached", message="none")
    attempt(case, actor, utc(2, 12))
    attempt(case, actor, utc(2, 13), channel="email")
    page = selectors.case_page_get(case=case, now=utc(2, 14))
    assert page.last_contact is not None and page.last_contact.event_id == "E2"
    assert page.attempts_since == 2
    assert [t.event.event_id for t in page.recent_contacts] == ["E4", "E3", "E2", "E1"]


def test_no_successful_contact_counts_every_attempt() -> None:
    case = open_case()
    attempt(case, clinician_of(case), utc(2, 10))
    page = selectors.case_page_get(case=case, now=utc(2, 11))
    assert (page.last_contact, page.attempts_since) == (None, 1)


def test_open_outreach_with_progress_and_overdue_obligation() -> None:
    case = open_case()
    actor = clinician_of(case)
    callback_request(actor=actor, case=case, now=utc(2, 9, 40))
    attempt(case, actor, utc(2, 10))
    page = selectors.case_page_get(case=case, now=utc(4, 10))
    assert [
        (o.progress.id, o.label, o.progress.attempts_made, o.progress.attempts_required)
        for o in page.open_outreach
    ] == [("E1", "call back", 1, 2)]
    assert page.open_outreach[0].request is not None
    assert [(o.row.rule, o.overdue) for o in page.obligations] == [("CM-OUTREACH", False)]
    assert [o.row.rule for o in page.settled] == ["CM-CALLBACK"]


def test_stored_open_obligation_past_its_deadline_is_overdue() -> None:
    case = open_case()
    callback_request(actor=clinician_of(case), case=case, now=utc(2, 9, 40))
    # Stored at 09:40 as open, due Tue 09:40; read on Wednesday.
    page = selectors.case_page_get(case=case, now=utc(4, 10))
    callback = next(o for o in page.obligations if o.row.rule == "CM-CALLBACK")
    assert (callback.row.status, callback.overdue) == ("open", True)
    assert page.overdue_count == 1
    assert [o.row.rule for o in page.deadlines] == ["CM-CALLBACK"]


def test_closing_would_breach_lists_what_the_engine_breaches_on_a_closure_now() -> None:
    case = open_case()
    actor = clinician_of(case)
    callback_request(actor=actor, case=case, now=utc(2, 9, 40))
    events = selectors.case_events(case)
    breaches = selectors.closing_would_breach(case, events, utc(2, 12))
    assert [(o.rule, o.trigger, str(o.status)) for o in breaches] == [
        ("CM-OUTREACH", "E1", "breached")
    ]
    assert "the case was closed (this closure" in breaches[0].reason
    # Nothing stored changes.
    assert list(case.obligations.values_list("status", flat=True)) == ["open", "open"]


def test_closing_would_breach_nothing_once_the_work_is_done() -> None:
    case = open_case()
    actor = clinician_of(case)
    callback_request(actor=actor, case=case, now=utc(2, 9, 40))
    attempt(case, actor, utc(2, 10), outcome="reached", message="none")
    assert selectors.closing_would_breach(case, selectors.case_events(case), utc(2, 12)) == []


def test_closing_would_breach_leaves_out_what_is_already_breached() -> None:
    case = open_case()
    actor = clinician_of(case)
    request = callback_request(actor=actor, case=case, now=utc(2, 9, 40))
    outreach_close(actor=actor, request=request, reason="Stop", now=utc(2, 10), confirm="Asked")
    assert selectors.closing_would_breach(case, selectors.case_events(case), utc(2, 12)) == []


def test_access_line_for_the_participants_country_else_the_partners() -> None:
    client = ClientOrganisationFactory()
    AccessLineFactory(client=client, country="GB", number="0800 111")
    AccessLineFactory(client=client, country="IE", number="1800 222")
    irish = open_case(participant=ParticipantFactory(client=client, country="IE"))
    french = open_case(participant=ParticipantFactory(client=client, country="FR"))
    assert access_line_for(irish).number == "1800 222"  # type: ignore[union-attr]
    assert access_line_for(french).number == "0800 111"  # type: ignore[union-attr]


def test_procedure_in_force_is_the_latest_effective_version() -> None:
    client = ClientOrganisationFactory()
    ClientProcedureFactory(client=client, version=1, instructions="old")
    ClientProcedureFactory(client=client, version=2, instructions="new")
    ClientProcedureFactory(
        client=client, version=3, instructions="future", effective_from=MONDAY.date() + timedelta(1)
    )
    case = open_case(participant=ParticipantFactory(client=client))
    assert selectors.procedure_for(case, MONDAY).instructions == "new"  # type: ignore[union-attr]


def test_case_page_runs_a_fixed_number_of_queries(django_assert_num_queries: Any) -> None:
    case = open_case()
    actor = clinician_of(case)
    risk_set(actor=actor, case=case, level="low", now=utc(2, 9, 40), reason="Stated")
    callback_request(actor=actor, case=case, now=utc(2, 9, 45))
    # 16, and the risk reasons and the allocations shown on the timeline, the inbound mail and
    # the outbound mail (ADR 0031), the changes of an email's urgency (ADR 0033), the session
    # records (ADR 0028).
    with django_assert_num_queries(22):
        selectors.case_page_get(case=case, now=utc(2, 12))


# --- the engine's state kept on the case row ------------------------------------------------------


def test_stored_state_matches_a_fresh_engine_evaluation_after_several_writes() -> None:
    case = open_case(case_type="minor", benefit_sessions=6)
    actor = clinician_of(case)
    participant_preferences_update(
        actor=actor,
        participant=case.participant,
        changes={"voicemail_ok": False},
        source="participant",
        now=utc(2, 9, 30),
    )
    risk_set(actor=actor, case=case, level="medium", now=utc(2, 9, 35), reason="Stated")
    callback_request(actor=actor, case=case, now=utc(2, 9, 40))
    attempt(case, actor, utc(2, 10), message="none")
    session_record(actor=actor, case=case, now=utc(2, 11))
    case.refresh_from_db()
    fresh = bridge.evaluate_case(case, selectors.case_events(case), utc(2, 11))
    assert case.engine_state == bridge.engine_state_json(fresh)
    stored = bridge.stored_evaluation(case.engine_state)
    assert stored == bridge.stored_from_evaluation(fresh)
    assert stored is not None
    state = stored.state
    assert (state.sessions_held, state.sessions_authorised, state.review_pending) == (1, 1, True)
    assert (str(state.risk), state.closed_at) == ("medium", None)
    assert state.participant.voicemail_ok is False
    assert [(p.id, p.purpose, str(p.target), p.attempts_made) for p in state.open_outreach] == [
        ("E3", "callback", "participant", 1)
    ]


def test_stored_state_of_a_closed_case_round_trips_through_json() -> None:
    case = open_case()
    actor = clinician_of(case)
    callback_request(actor=actor, case=case, now=utc(2, 9, 40))
    case_close(
        actor=actor, case=case, outcome="moved", note="Moved away", now=utc(2, 10), confirm="Gone"
    )
    case.refresh_from_db()
    fresh = bridge.evaluate_case(case, selectors.case_events(case), utc(2, 10))
    assert fresh.state.closed_at == utc(2, 10)
    assert bridge.state_from_json(bridge.state_to_json(fresh.state)) == fresh.state
    assert bridge.stored_evaluation(case.engine_state) == bridge.stored_from_evaluation(fresh)


def test_case_page_reads_the_stored_state_without_running_the_engine(monkeypatch: Any) -> None:
    case = open_case()
    actor = clinician_of(case)
    risk_set(actor=actor, case=case, level="high", now=utc(2, 9, 40), reason="Stated")
    session_record(actor=actor, case=case, now=utc(2, 10))

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the case page ran the engine")

    monkeypatch.setattr(bridge, "evaluate_case", refuse)
    monkeypatch.setattr(selectors, "policy_closing_would_breach", refuse)
    page = selectors.case_page_get(case=case, now=utc(2, 12))
    assert (page.risk, page.ledger.held, page.evaluation.in_scope) == ("high", 1, True)


def test_case_page_asks_the_engine_when_the_case_holds_no_state() -> None:
    case = open_case()
    risk_set(actor=clinician_of(case), case=case, level="high", now=utc(2, 9, 40), reason="Stated")
    Case.objects.filter(pk=case.pk).update(engine_state={})
    page = selectors.case_page_get(case=case, now=utc(2, 12))
    assert page.risk == "high"


def test_the_data_migration_fills_the_state_a_refresh_stores() -> None:
    case = open_case()
    actor = clinician_of(case)
    risk_set(actor=actor, case=case, level="low", now=utc(2, 9, 40), reason="Stated")
    callback_request(actor=actor, case=case, now=utc(2, 9, 45))
    case.refresh_from_db()
    expected = case.engine_state
    Case.objects.filter(pk=case.pk).update(engine_state={})
    migration = importlib.import_module("eapcase.cases.migrations.0005_case_engine_state_fill")
    state = MigrationExecutor(connection).loader.project_state(
        ("cases", "0005_case_engine_state_fill")
    )
    migration.fill(state.apps, SimpleNamespace(connection=connection))
    assert Case.objects.get(pk=case.pk).engine_state == expected


# --- the timeline --------------------------------------------------------------------------------


def test_timeline_shows_the_latest_events_unless_asked_for_all() -> None:
    case = open_case()
    actor = clinician_of(case)
    for minute in range(6):
        attempt(case, actor, utc(2, 9, minute), confirm="Trying again")
    for minute in range(54):
        note_add(actor=actor, case=case, summary="Note", next_step="Call", now=utc(2, 10, minute))
    page = selectors.case_page_get(case=case, now=utc(2, 12))
    assert len(page.events) == 60
    assert [t.event.event_id for t in page.timeline] == [f"E{n}" for n in range(60, 10, -1)]
    assert page.timeline_truncated is True
    # The last five attempts to contact the participant, though older than the timeline shown.
    assert [t.event.event_id for t in page.recent_contacts] == ["E6", "E5", "E4", "E3", "E2"]
    whole = selectors.case_page_get(case=case, now=utc(2, 12), timeline_limit=None)
    assert [t.event.event_id for t in whole.timeline] == [f"E{n}" for n in range(60, 0, -1)]
    assert whole.timeline_truncated is False


def test_case_list_is_scoped_searched_and_filtered() -> None:
    partner = PartnerFactory()
    mine = open_case(partner=partner, participant=ParticipantFactory(full_name="Jane Smith"))
    other = open_case(partner=partner, participant=ParticipantFactory(full_name="Tom Brown"))
    elsewhere = open_case(participant=ParticipantFactory(full_name="Jane Elsewhere"))
    user = user_with_role(Role.PARTNER_CLINICIAN, partner=partner)
    now = utc(2, 12)

    def refs(**filters: Any) -> list[str]:
        return sorted(c.reference for c in selectors.case_list(user=user, now=now, **filters))

    assert refs() == sorted([mine.reference, other.reference])
    assert refs(query="jane") == [mine.reference]
    assert refs(query=other.reference.lower()) == [other.reference]
    assert refs(query=elsewhere.reference) == []
    assert refs(status="closed") == []
    assert refs(case_type="couples") == []
    assert selectors.case_list_partners(user=user) == [partner]


def test_case_list_counts_passed_deadlines_and_orders_the_most_overdue_first() -> None:
    partner = PartnerFactory()
    quiet = open_case(partner=partner)
    late = open_case(partner=partner)
    callback_request(actor=clinician_of(late), case=late, now=utc(2, 9, 40))
    user = user_with_role(Role.PARTNER_CLINICIAN, partner=partner)
    rows = [
        (c.reference, c.overdue, c.next_due) for c in selectors.case_list(user=user, now=utc(4, 10))
    ]
    assert rows == [(late.reference, 1, utc(3, 9, 40)), (quiet.reference, 0, None)]
