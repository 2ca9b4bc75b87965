"""Database constraints of the organisations app (kept here beside the membership constraints
that point at them): Partner hours, codes, closed dates, benefits, access lines and versioned
client procedures."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.db import IntegrityError, transaction

from eapcase.organisations.models import (
    AccessLine,
    Benefit,
    ClientOrganisation,
    ClientProcedure,
    Partner,
    PartnerClosedDate,
    Provider,
)
from tests.factories import (
    AccessLineFactory,
    BenefitFactory,
    ClientOrganisationFactory,
    ClientProcedureFactory,
    OperatorFactory,
    PartnerClosedDateFactory,
    PartnerFactory,
    ProviderFactory,
)

pytestmark = pytest.mark.django_db


def test_partner_factory_gives_the_london_calendar() -> None:
    partner = PartnerFactory()
    assert (
        partner.timezone,
        partner.country,
        partner.subdivision,
        partner.opening,
        partner.closing,
        partner.workdays,
    ) == ("Europe/London", "GB", "ENG", time(9, 0), time(17, 0), "Mon-Fri")


def test_reference_factories_make_rows() -> None:
    OperatorFactory()
    provider = ProviderFactory(partners=[PartnerFactory()])
    AccessLineFactory()
    BenefitFactory()
    ClientProcedureFactory(checkin_required=True, checkin_trigger="case_closed")
    assert provider.partners.count() == 1
    assert Provider.objects.get(pk=provider.pk).practice_id == provider.practice.pk


@pytest.mark.parametrize(
    ("opening", "closing"),
    [
        pytest.param(time(17, 0), time(9, 0), id="reversed"),
        pytest.param(time(9), time(9), id="equal"),
    ],
)
def test_partner_opening_is_before_closing(opening: time, closing: time) -> None:
    with pytest.raises(IntegrityError, match="partner_hours"), transaction.atomic():
        PartnerFactory(opening=opening, closing=closing)
    assert Partner.objects.count() == 0


def test_partner_code_is_unique() -> None:
    PartnerFactory(code="p-uk")
    with pytest.raises(IntegrityError), transaction.atomic():
        Partner.objects.create(code="p-uk", name="Again", timezone="Europe/London", country="GB")
    assert Partner.objects.filter(code="p-uk").count() == 1


def test_partner_closed_date_once() -> None:
    closed = PartnerClosedDateFactory(date=date(2026, 12, 31))
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerClosedDate.objects.create(partner=closed.partner, date=date(2026, 12, 31))
    assert PartnerClosedDate.objects.count() == 1


def test_provider_code_is_unique() -> None:
    first = ProviderFactory(code="pr-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Provider.objects.create(practice=first.practice, code="pr-1", name="Again", country="GB")
    assert Provider.objects.filter(code="pr-1").count() == 1


def test_client_code_is_unique() -> None:
    ClientOrganisationFactory(code="acme")
    with pytest.raises(IntegrityError), transaction.atomic():
        ClientOrganisation.objects.create(code="acme", name="Again", countries="GB")
    assert ClientOrganisation.objects.filter(code="acme").count() == 1


def test_benefit_sessions_are_positive() -> None:
    client = ClientOrganisationFactory()
    with pytest.raises(IntegrityError, match="benefit_sessions_positive"), transaction.atomic():
        BenefitFactory(client=client, sessions=0)
    assert Benefit.objects.count() == 0


def test_benefit_once_per_client_and_date() -> None:
    benefit = BenefitFactory(valid_from=date(2026, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        BenefitFactory(client=benefit.client, valid_from=date(2026, 1, 1))
    BenefitFactory(client=benefit.client, valid_from=date(2027, 1, 1))
    assert Benefit.objects.filter(client=benefit.client).count() == 2


def test_access_line_once_per_client_country_and_language() -> None:
    line = AccessLineFactory(country="GB", language="en")
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessLineFactory(client=line.client, country="GB", language="en", number="0800 1")
    AccessLineFactory(client=line.client, country="GB", language="cy")
    assert AccessLine.objects.filter(client=line.client).count() == 2


def test_procedure_version_once() -> None:
    procedure = ClientProcedureFactory(version=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClientProcedureFactory(client=procedure.client, version=1)
    assert ClientProcedure.objects.filter(client=procedure.client).count() == 1


def test_procedure_requiring_a_checkin_names_its_trigger() -> None:
    client = ClientOrganisationFactory()
    with (
        pytest.raises(IntegrityError, match="procedure_checkin_has_trigger"),
        transaction.atomic(),
    ):
        ClientProcedureFactory(client=client, checkin_required=True, checkin_trigger="")
    ClientProcedureFactory(client=client, checkin_required=False, checkin_trigger="")
    assert ClientProcedure.objects.filter(client=client).count() == 1
