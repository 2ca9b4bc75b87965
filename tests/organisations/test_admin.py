"""The Django admin holds the reference data and is for WPO admins only."""

from __future__ import annotations

import pytest
from django.test import Client

from eapcase.accounts.choices import Role
from tests.factories import PartnerFactory, user_with_role

pytestmark = pytest.mark.django_db

PAGES = [
    "/admin/",
    "/admin/organisations/partner/",
    "/admin/organisations/clientorganisation/",
    "/admin/organisations/provider/",
    "/admin/organisations/operator/",
    "/admin/accounts/user/",
]


@pytest.mark.parametrize("path", PAGES)
def test_a_wpo_admin_opens_the_reference_data(client: Client, path: str) -> None:
    client.force_login(user_with_role(Role.WPO_ADMIN))
    assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "role", [Role.WPO_CLINICIAN, Role.PARTNER_CLINICIAN, Role.PARTNER_LEAD, Role.PARTNER_ADMIN]
)
@pytest.mark.parametrize("path", PAGES)
def test_nobody_else_does(client: Client, role: Role, path: str) -> None:
    partner_roles = {Role.PARTNER_CLINICIAN, Role.PARTNER_LEAD, Role.PARTNER_ADMIN}
    membership = {"partner": PartnerFactory()} if role in partner_roles else {}
    client.force_login(user_with_role(role, **membership))
    response = client.get(path)
    assert (response.status_code, response.headers["Location"].split("?")[0]) == (
        302,
        "/admin/login/",
    )


def test_a_wpo_admin_edits_a_partner_calendar(client: Client) -> None:
    partner = PartnerFactory()
    client.force_login(user_with_role(Role.WPO_ADMIN))
    page = client.get(f"/admin/organisations/partner/{partner.pk}/change/")
    assert page.status_code == 200
    assert b'name="timezone"' in page.content
    assert (
        b'name="closed_dates-0-date"' in page.content or b"closed_dates-TOTAL_FORMS" in page.content
    )
