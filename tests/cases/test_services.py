"""cases/services.py: each service's success (domain rows, case event, audit row, obligations
refreshed through the engine) and every refusal, which writes nothing at all."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from eapcase.accounts.choices import Role
from eapcase.audit.models import AuditEvent
from eapcase.cases.models import (
    Case,
    ContactPreference,
    Dissatisfaction,
    Escalation,
    Note,
    Participant,
    ParticipantQuery,
    Review,
    Session,
)
from eapcase.cases.record import NeedsConfirmation
from eapcase.cases.services import (
    case_assign,
    case_close,
    case_open,
    case_reopen,
    dissatisfaction_record,
    note_add,
    participant_create,
    participant_preferences_update,
    query_record,
    query_resolve,
    review_complete,
    risk_set,
    session_record,
)
from eapcase.core.errors import Conflict, ServiceError
from eapcase.outreach.services import callback_request
from tests.factories import (
    MONDAY,
    OPENED,
    ClientOrganisationFactory,
    ParticipantFactory,
    PartnerFactory,
    ProviderFactory,
    audit_of,
    clinician_of,
    db_state,
    events_of,
    findings_of,
    obligations_of,
    open_case,
    user_with_role,
    utc,
)

pytestmark = pytest.mark.django_db

ALL_PREFS = {
    "phone": True,
    "email": True,
    "voicemail_ok": True,
    "email_messages_ok": True,
    "email_only": False,
    "email_consent": True,
}


def refused(exc: pytest.ExceptionInfo[ServiceError]) -> tuple[type, str | None]:
    return type(exc.value), exc.value.field


# --- participant_create ------------------------------------------------------------------------


def test_participant_create_records_the_person_their_preferences_and_audit() -> None:
    actor = user_with_role(Role.WPO_CLINICIAN)
    client = ClientOrganisationFactory()
    participant = participant_create(
        actor=actor,
        full_name="  Ada Lovelace ",
        now=MONDAY,
        client=client,
        phone=" +44 7700 900001 ",
        email="ada@example.test",
        country="GB",
        preferences={"voicemail_ok": False},
        source="participant",
    )
    row = Participant.objects.get(pk=participant.pk)
    assert (row.full_name, row.phone, row.email, row.client_id, row.created_at) == (
        "Ada Lovelace",
        "+44 7700 900001",
        "ada@example.test",
        client.pk,
        MONDAY,
    )
    assert row.preferences() == {**ALL_PREFS, "voicemail_ok": False}
    assert sorted(
        ContactPreference.objects.filter(participant=row).values_list(
            "field", "value", "source", "stated_at", "recorded_by"
        )
    ) == sorted(
        (field, value, "participant", MONDAY, actor.pk)
        for field, value in {**ALL_PREFS, "voicemail_ok": False}.items()
    )
    assert audit_of() == [("participant.created", actor.username, "Participant", {})]
    assert AuditEvent.objects.get().case_id is None


def test_participant_create_without_phone_or_email_says_so() -> None:
    participant = participant_create(actor=None, full_name="Bo", now=MONDAY)
    assert (participant.has_phone, participant.has_email) == (False, False)
    assert audit_of() == [("participant.created", "", "Participant", {})]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        pytest.param({"full_name": "  "}, "full_name", id="blank-name"),
        pytest.param({"preferences": {"fax_ok": True}}, "preferences", id="unknown-preference"),
        pytest.param({"source": "rumour"}, "source", id="unknown-source"),
    ],
)
def test_participant_create_refusals(kwargs: dict[str, Any], field: str) -> None:
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        participant_create(actor=None, **{"full_name": "Ada", "now": MONDAY, **kwargs})
    assert refused(raised) == (ServiceError, field)
    assert db_state() == before


# --- participant_preferences_update ------------------------------------------------------------


def test_preferences_update_appends_an_event_to_every_open_case() -> None:
    participant = ParticipantFactory()
    partner = PartnerFactory()
    actor = user_with_role(Role.PARTNER_CLINICIAN, partner=partner)
    first = open_case(actor=actor, partner=partner, participant=participant)
    second = open_case(actor=actor, partner=partner, participant=participant)
    closed = open_case(actor=actor, partner=partner, participant=participant)
    case_close(
        actor=actor,
        case=closed,
        outcome="resolved",
        note="completed",
        now=OPENED + timedelta(minutes=1),
    )
    participant_preferences_update(
        actor=actor,
        participant=participant,
        changes={"voicemail_ok": False, "phone": False},
        source="participant",
        now=MONDAY,
    )
    participant.refresh_from_db()
    assert (participant.voicemail_ok, participant.has_phone) == (False, False)
    assert sorted(
        ContactPreference.objects.filter(participant=participant).values_list(
            "field", "value", "source", "stated_at"
        )
    ) == [("phone", False, "participant", MONDAY), ("voicemail_ok", False, "participant", MONDAY)]
    expected_event = (
        1,
        "E1",
        "participant_updated",
        MONDAY,
        actor.username,
        {"participant": {"voicemail_ok": False, "phone": False}},
    )
    assert events_of(first) == [expected_event]
    assert events_of(second) == [expected_event]
    assert [e[2] for e in events_of(closed)] == ["case_closed"]
    audit = (
        "case.participant_updated",
        actor.username,
        "",
        {"fields": ["phone", "voicemail_ok"], "events": ["E1"]},
    )
    assert audit_of(first)[1:] == [audit]
    assert audit_of(second)[1:] == [audit]


def test_preferences_update_without_open_cases_is_still_audited() -> None:
    """A change of consent is a user action like any other: it leaves an audit row even when
    the participant has no open case to append an event to."""
    participant = ParticipantFactory()
    actor = user_with_role(Role.WPO_CLINICIAN)
    participant_preferences_update(
        actor=actor,
        participant=participant,
        changes={"email_consent": False},
        source="participant",
        now=MONDAY,
    )
    assert [row[0] for row in audit_of()] == ["participant.preferences_updated"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        pytest.param({"source": "rumour"}, "source", id="unknown-source"),
        pytest.param({"changes": {}}, "changes", id="nothing-changed"),
        pytest.param({"changes": {"fax_ok": True}}, "changes", id="unknown-preference"),
        pytest.param({"at": MONDAY + timedelta(hours=1)}, "at", id="future-at"),
        pytest.param({"at": OPENED - timedelta(minutes=1)}, "at", id="before-the-case-opened"),
    ],
)
def test_preferences_update_refusals(kwargs: dict[str, Any], field: str) -> None:
    case = open_case()
    actor = clinician_of(case)
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        participant_preferences_update(
            actor=actor,
            participant=case.participant,
            **{
                "changes": {"voicemail_ok": False},
                "source": "participant",
                "now": MONDAY,
                **kwargs,
            },
        )
    assert refused(raised) == (ServiceError, field)
    assert db_state() == before


# --- case_open ---------------------------------------------------------------------------------


def test_case_open_writes_the_case_its_initial_authorisation_and_audit() -> None:
    partner = PartnerFactory(code="p-uk")
    actor = user_with_role(Role.WPO_CLINICIAN)
    clinician = user_with_role(Role.PARTNER_CLINICIAN, partner=partner)
    participant = ParticipantFactory(voicemail_ok=False)
    provider = ProviderFactory(partners=[partner])
    case = case_open(
        actor=actor,
        participant=participant,
        partner=partner,
        referral="self",
        case_type="individual",
        benefit_sessions=6,
        now=MONDAY,
        at=OPENED,
        reference="C-1",
        provider=provider,
        assigned_clinician=clinician,
        presenting_issue="work stress",
        preferences={"email_only": True},
    )
    row = Case.objects.get(pk=case.pk)
    assert (
        row.reference,
        row.status,
        row.opened_at,
        row.closed_at,
        row.client_id,
        row.provider_id,
        row.assigned_clinician_id,
        row.referral,
        row.case_type,
        row.benefit_sessions,
        row.risk_level,
        row.presenting_issue,
        row.event_seq,
    ) == (
        "C-1",
        "open",
        OPENED,
        None,
        participant.client_id,
        provider.pk,
        clinician.pk,
        "self",
        "individual",
        6,
        "none",
        "work stress",
        0,
    )
    assert row.opening_preferences == {**ALL_PREFS, "voicemail_ok": False, "email_only": True}
    assert list(row.authorisations.values_list("origin", "sessions", "authorised_at")) == [
        ("initial", 6, OPENED)
    ]
    assert events_of(row) == []
    assert audit_of(row) == [
        (
            "case.opened",
            actor.username,
            "Case",
            {"partner": "p-uk", "referral": "self", "events": []},
        )
    ]
    assert AuditEvent.objects.get(case=row).at == MONDAY
    assert obligations_of(row) == []
    assert findings_of(row) == []


@pytest.mark.parametrize(
    ("case_type", "authorised"),
    [
        ("individual", 6),
        ("couples", 1),
        ("family", 1),
        ("minor", 1),
        ("transitional_support", 1),
        ("assessment_only", 1),
    ],
)
def test_case_open_authorises_one_session_for_review_cases(case_type: str, authorised: int) -> None:
    case = open_case(case_type=case_type, benefit_sessions=6)
    assert list(case.authorisations.values_list("origin", "sessions")) == [("initial", authorised)]


def test_case_open_numbers_cases_when_no_reference_is_given() -> None:
    first = open_case()
    second = open_case()
    assert (first.reference, second.reference) == ("EAP-10001", "EAP-10002")


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        pytest.param({"referral": "walk_in"}, ServiceError, "referral", id="referral"),
        pytest.param({"case_type": "group"}, ServiceError, "case_type", id="case-type"),
        pytest.param({"benefit_sessions": -1}, ServiceError, "benefit_sessions", id="benefit"),
        pytest.param({"at": MONDAY + timedelta(minutes=6)}, ServiceError, "at", id="future-at"),
        pytest.param({"reference": "TAKEN"}, Conflict, "reference", id="reference-taken"),
    ],
)
def test_case_open_refusals(kwargs: dict[str, Any], error: type, field: str) -> None:
    taken = open_case(reference="TAKEN")
    actor = clinician_of(taken)
    participant = ParticipantFactory()
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        case_open(
            **{
                "actor": actor,
                "participant": participant,
                "partner": taken.partner,
                "referral": "self",
                "case_type": "individual",
                "benefit_sessions": 6,
                "now": MONDAY,
                **kwargs,
            }
        )
    assert refused(raised) == (error, field)
    assert db_state() == before


def test_an_out_of_scope_case_has_no_obligations() -> None:
    case = open_case(referral="management_referral")
    callback_request(actor=clinician_of(case), case=case, now=MONDAY)
    assert [e[2] for e in events_of(case)] == ["callback_requested"]
    assert obligations_of(case) == []


# --- case_assign -------------------------------------------------------------------------------


MANAGERS = [
    pytest.param(
        lambda case: user_with_role(Role.PARTNER_CLINICIAN, partner=case.partner),
        id="partner_clinician",
    ),
    pytest.param(
        lambda case: user_with_role(Role.PARTNER_LEAD, partner=case.partner), id="partner_lead"
    ),
    pytest.param(lambda case: user_with_role(Role.WPO_CLINICIAN), id="wpo_clinician"),
]


@pytest.mark.parametrize("make_clinician", MANAGERS)
def test_case_assign_gives_the_case_to_a_clinician_who_may_manage_it(make_clinician: Any) -> None:
    case = open_case()
    lead = user_with_role(Role.PARTNER_LEAD, partner=case.partner)
    clinician = make_clinician(case)
    case_assign(actor=lead, case=case, clinician=clinician, now=MONDAY)
    assert Case.objects.get(pk=case.pk).assigned_clinician_id == clinician.pk
    assert audit_of(case)[1:] == [("case.assigned", lead.username, "", {"clinician": clinician.pk})]
    assert events_of(case) == []


def test_case_assign_to_nobody_unassigns() -> None:
    case = open_case()
    lead = user_with_role(Role.PARTNER_LEAD, partner=case.partner)
    case_assign(actor=lead, case=case, clinician=lead, now=MONDAY)
    case_assign(actor=lead, case=case, clinician=None, now=MONDAY, reason="Clinician on leave")
    assert Case.objects.get(pk=case.pk).assigned_clinician_id is None
    assert audit_of(case)[-1] == ("case.assigned", lead.username, "", {"clinician": None})


NOT_MANAGERS = [
    pytest.param(lambda case: user_with_role(Role.PARTNER_CLINICIAN), id="other_partner"),
    pytest.param(
        lambda case: user_with_role(Role.PARTNER_ADMIN, partner=case.partner), id="partner_admin"
    ),
    pytest.param(lambda case: user_with_role(Role.WPO_ADMIN), id="wpo_admin"),
    pytest.param(
        lambda case: user_with_role(Role.PROVIDER, provider=case.provider), id="its_provider"
    ),
]


@pytest.mark.parametrize("make_clinician", NOT_MANAGERS)
def test_case_assign_refuses_someone_who_may_not_manage_the_case(make_clinician: Any) -> None:
    case = open_case(provider=ProviderFactory())
    lead = user_with_role(Role.PARTNER_LEAD, partner=case.partner)
    clinician = make_clinician(case)
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        case_assign(actor=lead, case=case, clinician=clinician, now=MONDAY)
    assert refused(raised) == (ServiceError, "clinician")
    assert db_state() == before


# --- risk_set ----------------------------------------------------------------------------------


def test_risk_set_records_the_level() -> None:
    case = open_case()
    actor = clinician_of(case)
    risk_set(actor=actor, case=case, level="high", now=MONDAY, reason="Stated at assessment")
    assert Case.objects.get(pk=case.pk).risk_level == "high"
    assert events_of(case) == [(1, "E1", "risk_set", MONDAY, actor.username, {"level": "high"})]
    assert audit_of(case)[1:] == [
        ("case.risk_set", actor.username, "", {"level": "high", "events": ["E1"]})
    ]


def test_risk_set_refuses_an_unknown_level() -> None:
    case = open_case()
    actor = clinician_of(case)
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        risk_set(actor=actor, case=case, level="extreme", now=MONDAY)
    assert refused(raised) == (ServiceError, "level")
    assert db_state() == before


# --- session_record ----------------------------------------------------------------------------


def test_session_record_numbers_sessions_and_records_the_event() -> None:
    provider = ProviderFactory()
    case = open_case(provider=provider)
    actor = user_with_role(Role.PROVIDER, provider=provider)
    first = session_record(actor=actor, case=case, now=utc(2, 10))
    second = session_record(actor=actor, case=case, now=utc(9, 10))
    assert list(
        Session.objects.filter(case=case).values_list("number", "provider", "held_at", "event_id")
    ) == [(1, provider.pk, utc(2, 10), "E1"), (2, provider.pk, utc(9, 10), "E2")]
    assert events_of(case) == [
        (1, "E1", "session_held", utc(2, 10), actor.username, {}),
        (2, "E2", "session_held", utc(9, 10), actor.username, {}),
    ]
    assert audit_of(case)[1:] == [
        ("case.session_recorded", actor.username, "Session", {"events": ["E1"]}),
        ("case.session_recorded", actor.username, "Session", {"events": ["E2"]}),
    ]
    assert (first.number, second.number) == (1, 2)
    assert obligations_of(case) == []
    assert findings_of(case) == []


def test_the_first_session_of_a_couples_case_opens_the_review() -> None:
    case = open_case(case_type="couples")
    session_record(actor=clinician_of(case), case=case, now=utc(2, 10))
    assert obligations_of(case) == [("CM-REVIEW", "E1", utc(2, 10), None, None, "", "open")]


def test_a_second_session_before_the_review_needs_confirmation() -> None:
    case = open_case(case_type="couples")
    actor = clinician_of(case)
    session_record(actor=actor, case=case, now=utc(2, 10))
    before = db_state()
    with pytest.raises(NeedsConfirmation) as raised:
        session_record(actor=actor, case=case, now=utc(9, 10))
    assert refused(raised) == (NeedsConfirmation, "confirm")
    assert [f.rule for f in raised.value.findings] == ["CM-SESSION-UNAUTHORISED"]
    assert db_state() == before


def test_a_confirmed_unauthorised_session_is_recorded_with_its_breach() -> None:
    case = open_case(case_type="couples")
    actor = clinician_of(case)
    session_record(actor=actor, case=case, now=utc(2, 10))
    session_record(actor=actor, case=case, now=utc(9, 10), confirm="provider held it already")
    assert Session.objects.filter(case=case).count() == 2
    assert findings_of(case) == [("CM-SESSION-UNAUTHORISED", "E2", "breach")]
    assert obligations_of(case) == [("CM-REVIEW", "E1", utc(2, 10), None, None, "", "breached")]
    assert audit_of(case)[-1] == (
        "case.session_recorded",
        actor.username,
        "Session",
        {"events": ["E2"], "confirmed_findings": ["CM-REVIEW", "CM-SESSION-UNAUTHORISED"]},
    )


def test_a_closed_case_refuses_a_session() -> None:
    case = open_case()
    actor = clinician_of(case)
    case_close(actor=actor, case=case, outcome="resolved", note="completed", now=utc(2, 10))
    before = db_state()
    with pytest.raises(Conflict) as raised:
        session_record(actor=actor, case=case, now=utc(2, 11))
    assert refused(raised) == (Conflict, "case")
    assert db_state() == before


def test_a_closed_case_takes_a_historical_session() -> None:
    case = open_case()
    actor = clinician_of(case)
    case_close(actor=actor, case=case, outcome="resolved", note="completed", now=utc(2, 10))
    session = session_record(actor=actor, case=case, now=utc(2, 11), historical=True)
    assert (session.number, session.event_id) == (1, "E2")
    assert [e[2] for e in events_of(case)] == ["case_closed", "session_held"]


# --- review_complete ---------------------------------------------------------------------------


def _reviewed_case(case_type: str = "couples") -> tuple[Any, Any]:
    case = open_case(case_type=case_type, benefit_sessions=6)
    actor = clinician_of(case)
    session_record(actor=actor, case=case, now=utc(2, 10))
    return case, actor


def test_review_complete_authorises_sessions_and_satisfies_the_review() -> None:
    case, actor = _reviewed_case()
    review = review_complete(
        actor=actor,
        case=case,
        decision="authorise_remaining",
        sessions=5,
        resources=["  Self-help booklet ", "", "  "],
        rationale=" progressing ",
        now=utc(2, 11),
    )
    row = Review.objects.get(pk=review.pk)
    assert (
        row.decision,
        row.sessions,
        row.resources,
        row.rationale,
        row.completed_at,
        row.reviewer_id,
        row.event_id,
    ) == (
        "authorise_remaining",
        5,
        ["Self-help booklet"],
        "progressing",
        utc(2, 11),
        actor.pk,
        "E2",
    )
    assert list(case.authorisations.values_list("origin", "sessions", "review")) == [
        ("initial", 1, None),
        ("review", 5, row.pk),
    ]
    assert events_of(case)[1] == (
        2,
        "E2",
        "review_completed",
        utc(2, 11),
        actor.username,
        {"decision": "authorise_remaining", "sessions": 5, "resources": ["Self-help booklet"]},
    )
    assert obligations_of(case) == [("CM-REVIEW", "E1", utc(2, 10), None, utc(2, 11), "E2", "met")]
    assert audit_of(case)[-1] == (
        "case.review_completed",
        actor.username,
        "Review",
        {"decision": "authorise_remaining", "events": ["E2"]},
    )
    # The authorised sessions may now be held without a finding.
    session_record(actor=actor, case=case, now=utc(9, 10))
    assert findings_of(case) == []


@pytest.mark.parametrize(
    ("decision", "sessions", "resources", "destination"),
    [
        pytest.param("deny", 0, ["GP", "Employee helpline"], "", id="deny-with-resources"),
        pytest.param("transition_session", 1, [], "private therapist", id="transition"),
    ],
)
def test_review_complete_other_decisions(
    decision: str, sessions: int, resources: list[str], destination: str
) -> None:
    case, actor = _reviewed_case()
    review_complete(
        actor=actor,
        case=case,
        decision=decision,
        sessions=sessions,
        resources=resources,
        transition_destination=destination,
        now=utc(2, 11),
    )
    assert list(Review.objects.values_list("decision", "sessions", "transition_destination")) == [
        (decision, sessions, destination)
    ]
    assert findings_of(case) == []
    assert obligations_of(case)[0][-1] == "met"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        pytest.param(
            {"decision": "authorise_remaining", "sessions": 6}, None, id="more-than-remain"
        ),
        pytest.param({"decision": "deny", "sessions": 0, "resources": []}, None, id="deny-bare"),
        pytest.param(
            {"decision": "deny", "sessions": 1, "resources": ["GP"]}, None, id="deny-authorises"
        ),
        pytest.param(
            {"decision": "transition_session", "sessions": 2, "transition_destination": "GP"},
            None,
            id="transition-two",
        ),
        pytest.param(
            {"decision": "transition_session", "sessions": 1, "transition_destination": " "},
            "transition_destination",
            id="transition-nowhere",
        ),
        pytest.param({"decision": "extend"}, "decision", id="unknown-decision"),
        pytest.param({"sessions": -1}, "sessions", id="negative-sessions"),
        pytest.param({"at": OPENED - timedelta(minutes=1)}, "at", id="before-the-case"),
    ],
)
def test_review_complete_refusals(kwargs: dict[str, Any], field: str | None) -> None:
    case, actor = _reviewed_case()
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        review_complete(
            actor=actor,
            case=case,
            **{
                "decision": "authorise_remaining",
                "sessions": 5,
                "resources": [],
                "now": utc(2, 11),
                **kwargs,
            },
        )
    assert refused(raised) == (ServiceError, field)
    assert db_state() == before


def test_a_refused_review_names_the_rule() -> None:
    case, actor = _reviewed_case()
    with pytest.raises(ServiceError, match="CM-REVIEW-DECISION"):
        review_complete(
            actor=actor,
            case=case,
            decision="authorise_remaining",
            sessions=6,
            resources=[],
            now=utc(2, 11),
        )


def test_a_historical_review_is_recorded_with_its_finding() -> None:
    case, actor = _reviewed_case()
    review_complete(
        actor=actor,
        case=case,
        decision="deny",
        sessions=0,
        resources=[],
        now=utc(2, 11),
        historical=True,
    )
    assert findings_of(case) == [("CM-REVIEW-DECISION", "E2", "breach")]


# --- note_add ----------------------------------------------------------------------------------


def test_note_add_records_the_note_and_the_next_step() -> None:
    case = open_case()
    actor = clinician_of(case)
    note = note_add(
        actor=actor,
        case=case,
        summary=" Spoke to participant ",
        next_step=" Call Friday ",
        now=MONDAY,
    )
    row = Note.objects.get(pk=note.pk)
    assert (row.summary, row.next_step, row.author_id, row.written_at, row.event_id) == (
        "Spoke to participant",
        "Call Friday",
        actor.pk,
        MONDAY,
        "E1",
    )
    case.refresh_from_db()
    assert (case.last_summary, case.next_step) == ("Spoke to participant", "Call Friday")
    assert events_of(case) == [
        (
            1,
            "E1",
            "note",
            MONDAY,
            actor.username,
            {"summary": "Spoke to participant", "next_step": "Call Friday"},
        )
    ]
    assert audit_of(case)[1:] == [("case.note_added", actor.username, "Note", {"events": ["E1"]})]
    assert findings_of(case) == []


@pytest.mark.parametrize(
    ("summary", "next_step", "field"),
    [("  ", "Call Friday", "summary"), ("Spoke", "", "next_step")],
)
def test_note_add_refusals(summary: str, next_step: str, field: str) -> None:
    case = open_case()
    actor = clinician_of(case)
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        note_add(actor=actor, case=case, summary=summary, next_step=next_step, now=MONDAY)
    assert refused(raised) == (ServiceError, field)
    assert db_state() == before


def test_a_historical_note_without_summary_is_a_documentation_breach() -> None:
    case = open_case()
    note_add(
        actor=None, case=case, summary="", next_step="", now=MONDAY, historical=True, event_id="n1"
    )
    assert findings_of(case) == [("CM-DOCUMENTATION", "n1", "breach")]


# --- query_record / query_resolve --------------------------------------------------------------


def test_a_query_is_recorded_and_resolved() -> None:
    case = open_case()
    actor = clinician_of(case)
    query = query_record(
        actor=actor, case=case, text=" Is my GP told? ", channel="email", now=MONDAY
    )
    assert (query.text, query.channel, query.received_at, query.event_id) == (
        "Is my GP told?",
        "email",
        MONDAY,
        "E1",
    )
    assert obligations_of(case) == [("CM-QUERY", "E1", MONDAY, None, None, "", "open")]
    query_resolve(
        actor=actor, query=query, resolution=" Explained confidentiality ", now=utc(3, 10)
    )
    row = ParticipantQuery.objects.get(pk=query.pk)
    assert (row.resolved_at, row.resolution, row.resolution_event_id) == (
        utc(3, 10),
        "Explained confidentiality",
        "E2",
    )
    assert events_of(case) == [
        (1, "E1", "participant_query", MONDAY, actor.username, {}),
        (2, "E2", "participant_query_resolved", utc(3, 10), actor.username, {"query": "E1"}),
    ]
    assert obligations_of(case) == [("CM-QUERY", "E1", MONDAY, None, utc(3, 10), "E2", "met")]
    assert [row[:3] for row in audit_of(case)[1:]] == [
        ("case.query_recorded", actor.username, "ParticipantQuery"),
        ("case.query_resolved", actor.username, "ParticipantQuery"),
    ]


def test_query_record_refuses_a_blank_query() -> None:
    case = open_case()
    actor = clinician_of(case)
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        query_record(actor=actor, case=case, text=" ", now=MONDAY)
    assert refused(raised) == (ServiceError, "text")
    assert db_state() == before


def test_query_resolve_refuses_a_blank_resolution() -> None:
    case = open_case()
    actor = clinician_of(case)
    query = query_record(actor=actor, case=case, text="Is my GP told?", now=MONDAY)
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        query_resolve(actor=actor, query=query, resolution="  ", now=utc(2, 11))
    assert refused(raised) == (ServiceError, "resolution")
    assert db_state() == before


def test_query_resolve_refuses_a_resolved_query() -> None:
    case = open_case()
    actor = clinician_of(case)
    query = query_record(actor=actor, case=case, text="Is my GP told?", now=MONDAY)
    query_resolve(actor=actor, query=query, resolution="Explained", now=utc(2, 10))
    before = db_state()
    with pytest.raises(Conflict) as raised:
        query_resolve(actor=actor, query=query, resolution="Again", now=utc(2, 11))
    assert refused(raised) == (Conflict, "query")
    assert db_state() == before


def test_a_historical_resolution_without_text_is_marked_imported() -> None:
    case = open_case()
    query = query_record(actor=None, case=case, text="", now=MONDAY, historical=True)
    query_resolve(actor=None, query=query, resolution="", now=utc(2, 10), historical=True)
    assert ParticipantQuery.objects.get(pk=query.pk).resolution == "(imported)"


# --- dissatisfaction_record --------------------------------------------------------------------


def test_dissatisfaction_is_escalated_to_wpo_in_the_same_write() -> None:
    case = open_case()
    actor = clinician_of(case)
    dissatisfaction = dissatisfaction_record(
        actor=actor, case=case, aspect=" waiting time ", description=" two weeks ", now=MONDAY
    )
    escalation = Escalation.objects.get(case=case)
    row = Dissatisfaction.objects.get(pk=dissatisfaction.pk)
    assert (row.aspect, row.description, row.noted_at, row.event_id, row.escalation_id) == (
        "waiting time",
        "two weeks",
        MONDAY,
        "E1",
        escalation.pk,
    )
    assert (
        escalation.reason,
        escalation.summary,
        escalation.raised_at,
        escalation.raised_by_id,
        escalation.event_id,
        escalation.acknowledged_at,
    ) == ("dissatisfaction", "Participant dissatisfied: waiting time", MONDAY, actor.pk, "E2", None)
    assert events_of(case) == [
        (1, "E1", "dissatisfaction_noted", MONDAY, actor.username, {}),
        (2, "E2", "escalated_to_wpo", MONDAY, actor.username, {"reason": "dissatisfaction"}),
    ]
    assert obligations_of(case) == [("CM-DISSATISFACTION", "E1", MONDAY, None, MONDAY, "E2", "met")]
    # The escalation is audited as raised, and the write as a whole names every event.
    assert audit_of(case)[1:] == [
        (
            "escalation.raised",
            actor.username,
            "Escalation",
            {"reason": "dissatisfaction", "events": ["E2"]},
        ),
        (
            "case.dissatisfaction_recorded",
            actor.username,
            "Dissatisfaction",
            {"events": ["E1", "E2"]},
        ),
    ]


def test_dissatisfaction_refuses_a_blank_aspect() -> None:
    case = open_case()
    actor = clinician_of(case)
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        dissatisfaction_record(actor=actor, case=case, aspect=" ", now=MONDAY)
    assert refused(raised) == (ServiceError, "aspect")
    assert db_state() == before


def test_a_live_dissatisfaction_is_always_escalated() -> None:
    case = open_case()
    dissatisfaction_record(
        actor=clinician_of(case), case=case, aspect="tone", now=MONDAY, escalate=False
    )
    assert Escalation.objects.filter(case=case).count() == 1


def test_an_imported_unescalated_dissatisfaction_stays_open() -> None:
    case = open_case()
    dissatisfaction_record(
        actor=None, case=case, aspect="tone", now=MONDAY, escalate=False, historical=True
    )
    assert Escalation.objects.count() == 0
    assert obligations_of(case) == [("CM-DISSATISFACTION", "E1", MONDAY, None, None, "", "open")]


# --- case_close --------------------------------------------------------------------------------


def test_case_close_closes_the_case() -> None:
    case = open_case()
    actor = clinician_of(case)
    case_close(actor=actor, case=case, outcome="resolved", note=" completed ", now=MONDAY)
    row = Case.objects.get(pk=case.pk)
    assert (row.status, row.closed_at, row.closure_reason) == ("closed", MONDAY, "completed")
    assert events_of(case) == [
        (1, "E1", "case_closed", MONDAY, actor.username, {"reason": "completed"})
    ]
    assert audit_of(case)[1:] == [
        ("case.closed", actor.username, "Case", {"outcome": "resolved", "events": ["E1"]})
    ]


def test_case_reopen_opens_a_closed_case_again_and_keeps_what_closure_breached() -> None:
    case = open_case()
    actor = clinician_of(case)
    callback_request(actor=actor, case=case, now=MONDAY)
    case_close(
        actor=actor,
        case=case,
        outcome="moved",
        note="moved away",
        now=MONDAY + timedelta(hours=1),
        confirm="Participant left the service",
    )
    breached = obligations_of(case)
    case_reopen(actor=actor, case=case, reason=" came back ", now=MONDAY + timedelta(hours=2))
    row = Case.objects.get(pk=case.pk)
    assert (row.status, row.closed_at) == ("open", None)
    assert events_of(case)[-1] == (
        3, "E3", "case_reopened", MONDAY + timedelta(hours=2), actor.username,
        {"reason": "came back"},
    )  # fmt: skip
    assert obligations_of(case) == breached
    assert audit_of(case)[-1] == ("case.reopened", actor.username, "Case", {"events": ["E3"]})
    # Open again: it takes the actions of an open case.
    session_record(actor=actor, case=case, now=MONDAY + timedelta(hours=3))


@pytest.mark.parametrize(
    ("close_first", "reason", "field"), [(False, "back", "case"), (True, " ", "reason")]
)
def test_case_reopen_refusals(close_first: bool, reason: str, field: str) -> None:
    case = open_case()
    actor = clinician_of(case)
    if close_first:
        case_close(actor=actor, case=case, outcome="resolved", note="done", now=MONDAY)
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        case_reopen(actor=actor, case=case, reason=reason, now=MONDAY + timedelta(hours=1))
    assert raised.value.field == field
    assert db_state() == before


@pytest.mark.parametrize(
    ("outcome", "note", "field"),
    [("resolved", " ", "note"), ("", "done", "outcome"), ("finished", "done", "outcome")],
)
def test_case_close_refusals(outcome: str, note: str, field: str) -> None:
    case = open_case()
    actor = clinician_of(case)
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        case_close(actor=actor, case=case, outcome=outcome, note=note, now=MONDAY)
    assert refused(raised) == (ServiceError, field)
    assert db_state() == before


def test_case_close_refuses_a_closed_case() -> None:
    case = open_case()
    actor = clinician_of(case)
    case_close(actor=actor, case=case, outcome="resolved", note="completed", now=MONDAY)
    before = db_state()
    with pytest.raises(Conflict) as raised:
        case_close(actor=actor, case=case, outcome="resolved", note="again", now=utc(2, 10))
    assert refused(raised) == (Conflict, "case")
    assert db_state() == before


def test_closing_over_a_pending_review_needs_confirmation() -> None:
    case, actor = _reviewed_case()
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        case_close(
            actor=actor, case=case, outcome="resolved", note="participant withdrew", now=utc(2, 11)
        )
    assert raised.value.field == "confirm"
    assert "CM-REVIEW (E1)" in raised.value.message
    assert db_state() == before


def test_closing_over_a_pending_review_with_confirmation_breaches_it() -> None:
    case, actor = _reviewed_case()
    case_close(
        actor=actor,
        case=case,
        outcome="declined",
        note="participant withdrew",
        now=utc(2, 11),
        confirm="participant moved abroad",
    )
    assert Case.objects.get(pk=case.pk).status == "closed"
    assert obligations_of(case) == [("CM-REVIEW", "E1", utc(2, 10), None, None, "", "breached")]
    assert audit_of(case)[-1][:3] == ("case.closed", actor.username, "Case")
    assert audit_of(case)[-1][3]["events"] == ["E2"]


def test_closing_over_an_open_call_back_breaches_its_outreach_not_its_deadline() -> None:
    case = open_case()
    actor = clinician_of(case)
    callback_request(actor=actor, case=case, now=MONDAY)
    with pytest.raises(ServiceError) as raised:
        case_close(actor=actor, case=case, outcome="resolved", note="duplicate", now=utc(2, 10))
    assert raised.value.field == "confirm"
    case_close(
        actor=actor,
        case=case,
        outcome="resolved",
        note="duplicate",
        now=utc(2, 10),
        confirm="duplicate",
    )
    assert obligations_of(case) == [
        ("CM-CALLBACK", "E1", MONDAY, utc(3, 9, 30), None, "", "open"),
        ("CM-OUTREACH", "E1", MONDAY, None, None, "", "breached"),
    ]


def test_historical_closure_needs_no_confirmation() -> None:
    case, actor = _reviewed_case()
    case_close(actor=actor, case=case, reason="imported", now=utc(2, 11), historical=True)
    assert obligations_of(case)[0][-1] == "breached"


# --- case_refer --------------------------------------------------------------------------------


def test_case_refer_sets_the_provider_and_audits() -> None:
    from eapcase.cases.services import case_refer

    case = open_case()
    actor = clinician_of(case)
    provider = ProviderFactory(partners=[case.partner])
    case_refer(actor=actor, case=case, provider=provider, now=MONDAY)
    case.refresh_from_db()
    assert case.provider_id == provider.pk
    assert audit_of(case)[-1] == (
        "case.referred",
        actor.username,
        "",
        {"provider": provider.code},
    )
    assert events_of(case) == []


def test_case_refer_refuses_a_provider_outside_the_partners_network() -> None:
    from eapcase.cases.services import case_refer

    case = open_case()
    actor = clinician_of(case)
    provider = ProviderFactory(partners=[])
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        case_refer(actor=actor, case=case, provider=provider, now=MONDAY)
    assert raised.value.field == "provider"
    assert db_state() == before


def test_case_refer_refuses_an_inactive_provider() -> None:
    from eapcase.cases.services import case_refer

    case = open_case()
    actor = clinician_of(case)
    provider = ProviderFactory(partners=[case.partner], active=False)
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        case_refer(actor=actor, case=case, provider=provider, now=MONDAY)
    assert raised.value.field == "provider"
    assert db_state() == before


def test_case_refer_refuses_a_closed_case() -> None:
    from eapcase.cases.services import case_close, case_refer

    case = open_case()
    actor = clinician_of(case)
    case_close(actor=actor, case=case, outcome="resolved", note="finished", now=MONDAY)
    provider = ProviderFactory(partners=[case.partner])
    before = db_state()
    with pytest.raises(Conflict) as raised:
        case_refer(actor=actor, case=case, provider=provider, now=MONDAY)
    assert raised.value.field == "case"
    assert db_state() == before


def test_case_assign_moves_the_obligations_to_the_new_clinicians_queue() -> None:
    from eapcase.cases.models import Obligation
    from eapcase.cases.services import case_assign

    case = open_case()
    first, second = clinician_of(case), clinician_of(case)
    case_assign(actor=first, case=case, clinician=first, now=MONDAY)
    callback_request(actor=first, case=case, now=MONDAY)
    assert set(Obligation.objects.values_list("assigned_clinician", flat=True)) == {first.pk}
    case_assign(actor=first, case=case, clinician=second, now=MONDAY, reason="Leave")
    assert set(Obligation.objects.values_list("assigned_clinician", flat=True)) == {second.pk}
