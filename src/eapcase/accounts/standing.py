"""A user's standing: what their active memberships amount to (WPO roles, roles per Partner,
the providers they act for), read once per request. The access gate for cases
(`eapcase.cases.access`) and the admin build on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from eapcase.accounts.choices import PARTNER_ROLES, WPO_ROLES, Role
from eapcase.accounts.models import Membership
from eapcase.core.prepared import PreparedQuery


@dataclass(frozen=True)
class Standing:
    """What a user's active memberships amount to."""

    wpo_roles: frozenset[str]
    partner_roles: dict[int, frozenset[str]]  # partner id -> roles there
    provider_ids: frozenset[int]

    @property
    def is_wpo(self) -> bool:
        """WPO's clinical standing: reads every case, sees the escalations and the triage.
        A WPO admin alone is not: the admin site checks that role itself (accounts/admin.py)."""
        return Role.WPO_CLINICIAN in self.wpo_roles


_NOBODY = Standing(frozenset(), {}, frozenset())


def _active_memberships(user: int) -> QuerySet[Membership, tuple[str, int | None, int | None]]:
    return Membership.objects.filter(user_id=user, active=True).values_list(
        "role", "partner_id", "provider_id"
    )


# Every page of a signed-in user reads this (the navigation, the access gate): compiled once
# per process (core.prepared), not at every request (ADR 0046, addendum of branch load3).
_ACTIVE_MEMBERSHIPS = PreparedQuery(_active_memberships)


def standing_of(user: Any) -> Standing:
    """The user's memberships, read once per request (cached on the user object)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return _NOBODY
    cached = getattr(user, "_eapcase_standing", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    wpo: set[str] = set()
    partners: dict[int, set[str]] = {}
    providers: set[int] = set()
    for role, partner_id, provider_id in _ACTIVE_MEMBERSHIPS.rows(user=user.pk):
        if role in WPO_ROLES:
            wpo.add(role)
        elif role in PARTNER_ROLES and partner_id is not None:
            partners.setdefault(partner_id, set()).add(role)
        elif role == Role.PROVIDER and provider_id is not None:
            providers.add(provider_id)
    standing = Standing(
        frozenset(wpo), {k: frozenset(v) for k, v in partners.items()}, frozenset(providers)
    )
    user._eapcase_standing = standing
    return standing
