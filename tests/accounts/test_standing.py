"""A user's standing (accounts.standing), read by a query compiled once per process: each user
gets their own active memberships, never another user's nor an inactive one, in one query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from eapcase.accounts.choices import Role
from eapcase.accounts.models import Membership, User
from eapcase.accounts.standing import standing_of
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


def _fresh(user: User) -> User:
    """The user as the next request loads it (the standing is cached on the object)."""
    return User.objects.get(pk=user.pk)


def test_each_user_gets_their_own_active_memberships_in_one_query() -> None:
    clinician = user_with_role(Role.PARTNER_CLINICIAN)
    lead = user_with_role(Role.PARTNER_LEAD)
    wpo = user_with_role(Role.WPO_CLINICIAN)
    provider = user_with_role(Role.PROVIDER)
    partner = Membership.objects.get(user=clinician).partner_id
    for _ in range(2):  # the second time from the compiled query
        with CaptureQueriesContext(connection) as queries:
            standing = standing_of(_fresh(clinician))
        assert len(queries) == 2  # the user, then the memberships
        assert (standing.partner_roles, standing.wpo_roles, standing.provider_ids) == (
            {partner: frozenset({Role.PARTNER_CLINICIAN})},
            frozenset(),
            frozenset(),
        )
        assert standing_of(_fresh(lead)).partner_roles == {
            Membership.objects.get(user=lead).partner_id: frozenset({Role.PARTNER_LEAD})
        }
        assert standing_of(_fresh(wpo)).is_wpo
        assert standing_of(_fresh(provider)).provider_ids == {
            Membership.objects.get(user=provider).provider_id
        }


def test_an_inactive_membership_gives_no_standing() -> None:
    clinician = user_with_role(Role.PARTNER_CLINICIAN)
    assert standing_of(_fresh(clinician)).partner_roles
    Membership.objects.filter(user=clinician).update(active=False)
    standing = standing_of(_fresh(clinician))
    assert (standing.partner_roles, standing.wpo_roles, standing.provider_ids) == (
        {},
        frozenset(),
        frozenset(),
    )
