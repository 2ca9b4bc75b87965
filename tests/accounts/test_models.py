"""Database constraints of accounts: a membership's organisation fits its role, and a user holds
a role at an organisation once."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.hashers import check_password
from django.db import IntegrityError, transaction

from eapcase.accounts.choices import Role
from eapcase.accounts.models import Membership
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    PartnerAdminMembershipFactory,
    PartnerClinicianMembershipFactory,
    PartnerFactory,
    PartnerLeadMembershipFactory,
    ProviderFactory,
    ProviderMembershipFactory,
    UserFactory,
    WpoAdminMembershipFactory,
    WpoClinicianMembershipFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "factory",
    [
        WpoClinicianMembershipFactory,
        WpoAdminMembershipFactory,
        PartnerClinicianMembershipFactory,
        PartnerLeadMembershipFactory,
        PartnerAdminMembershipFactory,
        ProviderMembershipFactory,
    ],
)
def test_every_role_factory_makes_a_valid_membership(factory: Any) -> None:
    membership = factory()
    assert Membership.objects.get(pk=membership.pk).role == factory.role


def test_users_get_a_real_password_hash() -> None:
    user = UserFactory()
    assert user.password.startswith("argon2$")
    assert check_password(PASSWORD, user.password)


def _partner_and_provider() -> dict[str, Any]:
    return {"partner": PartnerFactory(), "provider": ProviderFactory()}


# role, which organisations it is given: all refused by membership_organisation_fits_role.
MISFITS = [
    pytest.param(Role.WPO_CLINICIAN, ("partner",), id="wpo_clinician-with-partner"),
    pytest.param(Role.WPO_ADMIN, ("provider",), id="wpo_admin-with-provider"),
    pytest.param(Role.PARTNER_CLINICIAN, (), id="partner_clinician-without-partner"),
    pytest.param(Role.PARTNER_LEAD, ("provider",), id="partner_lead-with-provider-only"),
    pytest.param(
        Role.PARTNER_ADMIN, ("partner", "provider"), id="partner_admin-with-partner-and-provider"
    ),
    pytest.param(Role.PROVIDER, (), id="provider-without-provider"),
    pytest.param(Role.PROVIDER, ("partner",), id="provider-with-partner-only"),
    pytest.param(Role.PROVIDER, ("partner", "provider"), id="provider-with-partner-and-provider"),
    pytest.param("receptionist", (), id="unknown-role"),
]


@pytest.mark.parametrize(("role", "given"), MISFITS)
def test_membership_organisation_must_fit_role(role: str, given: tuple[str, ...]) -> None:
    user = UserFactory()
    organisations = _partner_and_provider()
    kwargs = {name: organisations[name] for name in given}
    with (
        pytest.raises(IntegrityError, match="membership_organisation_fits_role"),
        transaction.atomic(),
    ):
        Membership.objects.create(user=user, role=role, **kwargs)
    assert Membership.objects.filter(user=user).count() == 0


def test_a_partner_role_is_held_once_per_partner() -> None:
    """membership_once covers (user, role, partner, provider). A Partner role's provider is
    NULL, and NULLs are distinct in a unique constraint (SQLite and PostgreSQL alike)."""
    first = PartnerLeadMembershipFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=first.user, role=Role.PARTNER_LEAD, partner=first.partner)
    # The same role at another Partner is another membership.
    Membership.objects.create(user=first.user, role=Role.PARTNER_LEAD, partner=PartnerFactory())
    assert Membership.objects.filter(user=first.user).count() == 2


def test_a_provider_role_is_held_once_per_provider() -> None:
    """As above: a provider role's partner is NULL."""
    first = ProviderMembershipFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=first.user, role=Role.PROVIDER, provider=first.provider)
    assert Membership.objects.filter(user=first.user).count() == 1


def test_a_wpo_role_is_held_once() -> None:
    """membership_once covers (user, role, partner, provider); a WPO role has neither
    organisation, so the two NULLs must not make a duplicate WPO membership possible."""
    first = WpoClinicianMembershipFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=first.user, role=Role.WPO_CLINICIAN)
    assert Membership.objects.filter(user=first.user).count() == 1


def test_one_user_may_hold_several_roles() -> None:
    user = UserFactory()
    MembershipFactory(user=user, role=Role.WPO_ADMIN)
    PartnerClinicianMembershipFactory(user=user)
    ProviderMembershipFactory(user=user)
    assert sorted(Membership.objects.filter(user=user).values_list("role", flat=True)) == [
        Role.PARTNER_CLINICIAN,
        Role.PROVIDER,
        Role.WPO_ADMIN,
    ]
