"""Keeping a case current: participants a user may find, contact details and preferences
(participant_updated through participant_preferences_update), allocation with reasons, risk
with reasons and its one stored level, and the benefit/contract/routing helpers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from eapcase.accounts.choices import Role
from eapcase.cases.access import participants_visible_to, partners_opening_for
from eapcase.cases.eligibility import benefit_quote, contract_active, partner_propose, period_start
from eapcase.cases.models import Case, CaseAssignment, Participant, RiskRecord
from eapcase.cases.services import case_assign, participant_details_update, risk_set
from eapcase.core.errors import Conflict, ServiceError
from eapcase.organisations.models import PartnerRoute
from tests.factories import (
    MONDAY,
    BenefitFactory,
    ClientOrganisationFactory,
    ParticipantFactory,
    PartnerFactory,
    audit_of,
    clinician_of,
    db_state,
    events_of,
    open_case,
    user_with_role,
    utc,
)

pytestmark = pytest.mark.django_db


# --- who finds which participant -----------------------------------------------------------------


def test_a_partner_finds_only_its_own_participants() -> None:
    ours, theirs = PartnerFactory(), PartnerFactory()
    mine = open_case(partner=ours).participant
    other = open_case(partner=theirs, participant=ParticipantFactory(phone="+44 1", email="x@e.t"))
    registered = ParticipantFactory(registered_by_partner=ours)
    clinician = user_with_role(Role.PARTNER_CLINICIAN, partner=ours)
    visible = participants_visible_to(clinician)
    assert set(visible) == {mine, registered}
    # Not by phone, not by email: the other Partner's participant is never found.
    assert not visible.filter(phone="+44 1").exists()
    assert not visible.filter(email="x@e.t").exists()
    assert set(participants_visible_to(user_with_role(Role.WPO_CLINICIAN))) >= {
        mine,
        other.participant,
    }
    for role in (Role.PARTNER_ADMIN, Role.PROVIDER):
        assert (
            list(
                participants_visible_to(
                    user_with_role(role, partner=ours)
                    if role == Role.PARTNER_ADMIN
                    else user_with_role(role)
                )
            )
            == []
        )


def test_who_opens_cases_for_which_partner() -> None:
    partner = PartnerFactory()
    assert partners_opening_for(user_with_role(Role.WPO_CLINICIAN)) is None
    assert partners_opening_for(user_with_role(Role.PARTNER_LEAD, partner=partner)) == [partner.pk]
    assert partners_opening_for(user_with_role(Role.PARTNER_ADMIN, partner=partner)) == []
    assert partners_opening_for(user_with_role(Role.WPO_ADMIN)) == []


# --- contact details and preferences ------------------------------------------------------------


def test_details_and_preferences_change_and_every_open_case_hears_of_it() -> None:
    case = open_case()
    actor = clinician_of(case)
    participant_details_update(
        actor=actor,
        participant=case.participant,
        details={"phone": "", "language": "Polish", "interpreter_needed": True},
        preferences={"email_only": True},
        source="participant",
        now=MONDAY,
    )
    row = Participant.objects.get(pk=case.participant_id)
    assert (row.phone, row.has_phone, row.email_only, row.language, row.interpreter_needed) == (
        "",
        False,
        True,
        "Polish",
        True,
    )
    assert events_of(case) == [
        (
            1,
            "E1",
            "participant_updated",
            MONDAY,
            actor.username,
            {"participant": {"email_only": True, "phone": False}},
        )
    ]
    actions = [a[0] for a in audit_of()]
    assert "participant.details_updated" in actions


def test_a_detail_alone_is_no_history_event() -> None:
    case = open_case()
    participant_details_update(
        actor=clinician_of(case),
        participant=case.participant,
        details={"preferred_name": "Sam"},
        preferences={},
        source="participant",
        now=MONDAY,
    )
    assert Participant.objects.get(pk=case.participant_id).preferred_name == "Sam"
    assert events_of(case) == []


DETAIL_REFUSALS = [
    pytest.param({"details": {}, "preferences": {}}, "details", id="nothing"),
    pytest.param(
        {"details": {"phone": None, "colour": "red"}, "preferences": {}},
        "details",
        id="unknown-detail",
    ),
    pytest.param(
        {"details": {}, "preferences": {"pigeon": True}}, "preferences", id="unknown-pref"
    ),
    pytest.param({"details": {"email": "not-an-email"}, "preferences": {}}, "email", id="email"),
    pytest.param({"details": {"country": "Wales"}, "preferences": {}}, "country", id="country"),
    pytest.param({"details": {"full_name": " "}, "preferences": {}}, "full_name", id="name"),
    pytest.param(
        {"details": {}, "preferences": {"email_only": True}, "at": MONDAY + timedelta(seconds=1)},
        "at",
        id="future",
    ),
]


@pytest.mark.parametrize(("kwargs", "field"), DETAIL_REFUSALS)
def test_detail_refusals_write_nothing(kwargs: dict[str, Any], field: str) -> None:
    case = open_case()
    actor = clinician_of(case)
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        participant_details_update(
            actor=actor, participant=case.participant, source="participant", now=MONDAY, **kwargs
        )
    assert raised.value.field == field
    assert db_state() == before


# --- allocation ---------------------------------------------------------------------------------


def test_allocation_and_reassignment_are_kept_with_who_when_and_why() -> None:
    case = open_case()
    lead = user_with_role(Role.PARTNER_LEAD, partner=case.partner)
    first, second = clinician_of(case), clinician_of(case)
    case_assign(actor=lead, case=case, clinician=first, now=MONDAY)
    case_assign(actor=lead, case=case, clinician=second, now=utc(3, 9), reason="Caseload balance")
    assert list(
        CaseAssignment.objects.filter(case=case).values_list(
            "clinician", "assigned_by", "at", "reason"
        )
    ) == [(first.pk, lead.pk, MONDAY, ""), (second.pk, lead.pk, utc(3, 9), "Caseload balance")]


def test_reassignment_needs_a_reason_and_a_change() -> None:
    case = open_case()
    lead = user_with_role(Role.PARTNER_LEAD, partner=case.partner)
    first = clinician_of(case)
    case_assign(actor=lead, case=case, clinician=first, now=MONDAY)
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        case_assign(actor=lead, case=case, clinician=clinician_of(case), now=MONDAY)
    assert raised.value.field == "reason"
    with pytest.raises(Conflict):
        case_assign(actor=lead, case=case, clinician=first, now=MONDAY, reason="Again")
    assert db_state() | {"accounts.Membership": []} == before | {"accounts.Membership": []}


# --- risk ---------------------------------------------------------------------------------------


def test_risk_keeps_its_reason_and_the_latest_level_wins() -> None:
    case = open_case()
    actor = clinician_of(case)
    risk_set(actor=actor, case=case, level="high", now=utc(2, 11), reason="Self-harm disclosed")
    # Recorded later but dated earlier: the stored level stays the latest one's.
    risk_set(actor=actor, case=case, level="low", now=utc(2, 12), at=utc(2, 10), reason="Earlier")
    row = Case.objects.get(pk=case.pk)
    assert (row.risk_level, row.risk_reason) == ("high", "Self-harm disclosed")
    assert list(RiskRecord.objects.filter(case=case).values_list("level", "reason")) == [
        ("low", "Earlier"),
        ("high", "Self-harm disclosed"),
    ]
    assert row.engine_state["risk"] == "high"  # the engine agrees with the stored level


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        pytest.param({"level": "high", "reason": " "}, "reason", id="no-reason"),
        pytest.param(
            {"level": "high", "reason": "Why", "at": MONDAY + timedelta(seconds=1)},
            "at",
            id="later-than-now",
        ),
    ],
)
def test_risk_refusals(kwargs: dict[str, Any], field: str) -> None:
    case = open_case()
    actor = clinician_of(case)
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        risk_set(actor=actor, case=case, now=MONDAY, **kwargs)
    assert raised.value.field == field
    assert db_state() == before


# --- eligibility ----------------------------------------------------------------------------------


def test_benefit_periods() -> None:
    contract = BenefitFactory(
        period="contract_year", year_starts_month=4, valid_from=date(2025, 4, 1)
    )
    assert period_start(contract, date(2026, 3, 2)) == date(2025, 4, 1)
    assert period_start(contract, date(2026, 4, 1)) == date(2026, 4, 1)
    rolling = BenefitFactory(period="rolling_12m", valid_from=date(2024, 1, 1))
    assert period_start(rolling, date(2026, 3, 2)) == date(2025, 3, 2)
    assert period_start(BenefitFactory(period="per_incident"), date(2026, 3, 2)) is None


def test_a_quote_shows_its_sum() -> None:
    client = ClientOrganisationFactory()
    BenefitFactory(
        client=client,
        sessions=8,
        unit="per_person",
        period="contract_year",
        year_starts_month=1,
        valid_from=date(2025, 1, 1),
    )
    quote = benefit_quote(participant=None, client=client, at=MONDAY)
    assert (quote.remaining, quote.sum_text) == (
        8,
        "8 sessions per person, contract year from 1 Jan 2026: 8 available",
    )


def test_inactive_clients_and_lapsed_contracts_are_refused() -> None:
    inactive = ClientOrganisationFactory(active=False)
    BenefitFactory(client=inactive)
    for client in (inactive, ClientOrganisationFactory(), None):
        with pytest.raises(ServiceError) as raised:
            contract_active(client, date(2026, 3, 2))
        assert raised.value.field == "client"


def test_the_routing_table_prefers_the_most_specific_row() -> None:
    client = ClientOrganisationFactory()
    country, by_client, by_region = PartnerFactory(), PartnerFactory(), PartnerFactory()
    PartnerRoute.objects.create(client=None, country="GB", partner=country)
    PartnerRoute.objects.create(client=client, country="GB", partner=by_client)
    PartnerRoute.objects.create(client=client, country="GB", region="Wales", partner=by_region)
    assert partner_propose(client=client, country="gb", region="wales") == by_region
    assert partner_propose(client=client, country="GB") == by_client
    assert partner_propose(client=None, country="GB", region="Wales") == country
    assert partner_propose(client=client, country="IE") is None
    assert partner_propose(client=client, country="") is None
