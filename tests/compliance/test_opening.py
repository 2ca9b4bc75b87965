"""Opening a case from the first call (compliance.opening.case_intake and the helpers of
cases.eligibility): success, and every refusal writes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from eapcase.accounts.choices import Role
from eapcase.cases.models import Case, CaseAssignment, Participant, RiskRecord
from eapcase.cases.services import session_record
from eapcase.compliance.opening import NewParticipant, case_intake, participant_register
from eapcase.core.errors import NotFound, PermissionDenied, ServiceError
from eapcase.organisations.models import PartnerRoute
from eapcase.outreach.models import OutreachRequest
from tests.factories import (
    MONDAY,
    OPENED,
    BenefitFactory,
    ClientOrganisationFactory,
    ParticipantFactory,
    PartnerFactory,
    ProviderFactory,
    db_state,
    events_of,
    open_case,
    user_with_role,
    utc,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    client = ClientOrganisationFactory(name="Acme Logistics")
    BenefitFactory(
        client=client,
        sessions=8,
        unit="per_person",
        period="contract_year",
        year_starts_month=1,
        valid_from=date(2025, 1, 1),
    )
    london = PartnerFactory(name="Partner London")
    scotland = PartnerFactory(name="Partner Scotland")
    PartnerRoute.objects.create(client=None, country="GB", region="", partner=london)
    PartnerRoute.objects.create(client=client, country="GB", region="Scotland", partner=scotland)
    return {
        "client": client,
        "london": london,
        "scotland": scotland,
        "wpo": user_with_role(Role.WPO_CLINICIAN),
    }


def _new(world: dict[str, Any], **kwargs: Any) -> NewParticipant:
    values: dict[str, Any] = {
        "full_name": "Alex Morgan",
        "client": world["client"],
        "date_of_birth": date(1990, 5, 1),
        "phone": "+44 7700 900123",
        "email": "alex@example.test",
        "country": "GB",
        "region": "Scotland",
        "language": "English",
        "preferences": {"voicemail_ok": False},
    }
    values.update(kwargs)
    return NewParticipant(**values)


def _intake(world: dict[str, Any], **kwargs: Any) -> Case:
    values: dict[str, Any] = {
        "actor": world["wpo"],
        "now": MONDAY,
        "referral": "self",
        "case_type": "individual",
        "presenting_issue": "Work stress",
    }
    if "participant" not in kwargs:
        values["new_participant"] = _new(world)
    values.update(kwargs)
    return case_intake(**values)


def test_wpo_opens_a_case_for_a_new_participant_routed_by_client_and_region(world: Any) -> None:
    provider = ProviderFactory(partners=[world["scotland"]])
    case = _intake(
        world,
        risk_level="medium",
        risk_reason="Low mood after a bereavement",
        callback=True,
        callback_not_before=MONDAY + timedelta(hours=2),
        provider=provider,
    )
    participant = case.participant
    assert (participant.full_name, participant.region, participant.language) == (
        "Alex Morgan",
        "Scotland",
        "English",
    )
    assert participant.voicemail_ok is False
    assert participant.registered_by_partner is None
    assert (case.partner, case.client, case.benefit_sessions) == (
        world["scotland"],
        world["client"],
        8,
    )
    assert (case.risk_level, case.risk_reason, case.provider) == (
        "medium",
        "Low mood after a bereavement",
        provider,
    )
    assert case.assigned_clinician is None  # waits in the unallocated list
    assert [e[2] for e in events_of(case)] == ["risk_set", "callback_requested"]
    assert OutreachRequest.objects.get(case=case).not_before == MONDAY + timedelta(hours=2)
    assert RiskRecord.objects.get(case=case).reason == "Low mood after a bereavement"
    assert case.engine_state["in_scope"] is True


def test_a_management_referral_is_recorded_outside_the_policy(world: Any) -> None:
    case = _intake(world, referral="management_referral")
    assert case.referral == "management_referral"
    assert case.engine_state["in_scope"] is False


def test_the_benefit_is_what_remains_across_the_participants_other_cases(world: Any) -> None:
    participant = ParticipantFactory(client=world["client"], region="Scotland")
    first = open_case(participant=participant, partner=world["scotland"], client=world["client"])
    provider = ProviderFactory(partners=[world["scotland"]])
    first.provider = provider
    first.save(update_fields=["provider"])
    for day in (3, 10, 17):
        session_record(actor=None, case=first, now=utc(day, 10), historical=True)
    case = _intake(world, participant=participant, now=utc(20, 10))
    assert case.benefit_sessions == 5


def test_wpo_overrides_the_benefit_with_a_reason(world: Any) -> None:
    case = _intake(world, benefit_sessions=10, benefit_reason="Critical incident top-up agreed")
    assert (case.benefit_sessions, case.benefit_reason) == (10, "Critical incident top-up agreed")


def test_wpo_chooses_another_partner_with_a_reason(world: Any) -> None:
    case = _intake(world, partner=world["london"], partner_reason="Participant works in London")
    assert (case.partner, case.partner_reason) == (world["london"], "Participant works in London")


def test_a_partner_clinician_opens_for_their_own_partner(world: Any) -> None:
    clinician = user_with_role(Role.PARTNER_CLINICIAN, partner=world["london"])
    case = _intake(world, actor=clinician)
    assert case.partner == world["london"]
    assert case.participant.registered_by_partner == world["london"]


REFUSALS = [
    pytest.param({"benefit_sessions": 10}, ServiceError, "benefit_reason", id="override-no-reason"),
    pytest.param({"partner_key": "london"}, ServiceError, "partner_reason", id="other-partner"),
    pytest.param({"risk_level": "high"}, ServiceError, "risk_reason", id="risk-no-reason"),
    pytest.param({"risk_level": "extreme"}, ServiceError, "risk_level", id="bad-risk"),
    pytest.param({"referral": "gossip"}, ServiceError, "referral", id="bad-referral"),
    pytest.param({"case_type": "group"}, ServiceError, "case_type", id="bad-type"),
    pytest.param({"at": MONDAY + timedelta(minutes=1)}, ServiceError, "at", id="future"),
    pytest.param({"full_name": " "}, ServiceError, "full_name", id="no-name"),
    pytest.param({"country": "GBR"}, ServiceError, "country", id="bad-country"),
    pytest.param(
        {"callback": True, "callback_not_before": OPENED}, ServiceError, "not_before", id="cb"
    ),
]


@pytest.mark.parametrize(("change", "error", "field"), REFUSALS)
def test_intake_refusals_write_nothing(
    world: Any, change: dict[str, Any], error: type, field: str
) -> None:
    kwargs = dict(change)
    if "partner_key" in kwargs:
        kwargs["partner"] = world[kwargs.pop("partner_key")]
    for key in ("full_name", "country"):
        if key in kwargs:
            kwargs["new_participant"] = _new(world, **{key: kwargs.pop(key)})
    before = db_state()
    with pytest.raises(error) as raised:
        _intake(world, **kwargs)
    assert raised.value.field == field
    assert db_state() == before


def test_a_client_without_an_active_contract_is_refused_with_a_clear_message(world: Any) -> None:
    lapsed = ClientOrganisationFactory(name="Lapsed Ltd")
    BenefitFactory(client=lapsed, valid_from=date(2024, 1, 1), valid_until=date(2025, 12, 31))
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        _intake(world, new_participant=_new(world, client=lapsed))
    assert (raised.value.field, raised.value.message) == (
        "client",
        "Lapsed Ltd has no active EAP contract on 02 Mar 2026: no case can be opened for its "
        "staff. Ask WPO to check the contract.",
    )
    assert db_state() == before


def test_a_partner_clinician_may_not_override_the_benefit_or_open_elsewhere(world: Any) -> None:
    clinician = user_with_role(Role.PARTNER_CLINICIAN, partner=world["london"])
    before = db_state()
    with pytest.raises(PermissionDenied):
        _intake(world, actor=clinician, benefit_sessions=10, benefit_reason="Because")
    with pytest.raises(PermissionDenied):
        _intake(world, actor=clinician, partner=world["scotland"])
    assert db_state() == before


@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.WPO_ADMIN, Role.PROVIDER])
def test_who_may_not_open_cases(world: Any, role: str) -> None:
    actor = user_with_role(role)
    before = db_state()
    with pytest.raises(PermissionDenied):
        _intake(world, actor=actor)
    assert db_state() == before


def test_a_partner_cannot_open_a_case_for_another_partners_participant(world: Any) -> None:
    theirs = open_case(partner=world["scotland"]).participant
    clinician = user_with_role(Role.PARTNER_CLINICIAN, partner=world["london"])
    before = db_state()
    with pytest.raises(NotFound):
        _intake(world, actor=clinician, participant=theirs)
    assert db_state() == before


def test_finding_a_participant_and_registering_them_at_once_is_refused(world: Any) -> None:
    with pytest.raises(ServiceError) as raised:
        _intake(world, participant=ParticipantFactory(), new_participant=_new(world))
    assert raised.value.field == "participant"


def test_register_without_a_case(world: Any) -> None:
    clinician = user_with_role(Role.PARTNER_LEAD, partner=world["london"])
    participant = participant_register(actor=clinician, new=_new(world), now=MONDAY)
    assert Participant.objects.get(pk=participant.pk).registered_by_partner == world["london"]
    assert CaseAssignment.objects.count() == 0
