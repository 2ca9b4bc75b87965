"""The access matrix: every kind of user x every case x every action, against a table written
out by hand from the access rules (cases/access.py's docstring, ADR 0010 "minimum
necessary"): WPO clinicians read every case; Partner staff the cases of their Partner; nobody
else any case record. Providers reach the provider's side (REFERRAL) of the cases referred to
them and act on it (PROVIDE), never the record (VIEW). A WPO admin reads nothing unless they
also hold a clinical role. MANAGE is clinical work (Partner clinicians and leads, WPO
clinicians); ASSIGN is for Partner leads and WPO clinicians; ACKNOWLEDGE (an escalation) for
WPO clinicians. Missing and unreachable look the same.

The organisations and cases are made once per module inside a transaction that is rolled back
at the end; every cell is its own test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from eapcase.accounts.choices import Role
from eapcase.cases.access import Action, access_case, cases_referred_to, cases_visible_to, may
from eapcase.core.errors import NotFound, PermissionDenied
from tests.factories import (
    MembershipFactory,
    PartnerFactory,
    ProviderFactory,
    UserFactory,
    open_case,
    user_with_role,
)

V, R, M, AS, P, AC = (
    Action.VIEW,
    Action.REFERRAL,
    Action.MANAGE,
    Action.ASSIGN,
    Action.PROVIDE,
    Action.ACKNOWLEDGE,
)
NONE: frozenset[Action] = frozenset()

# Cases: "a1" is Partner A's, referred to provider 1; "b2" Partner B's, referred to provider 2;
# "a0" Partner A's, not referred.
CASES = ("a1", "b2", "a0")

# user -> case -> the actions the user may take on it (the empty set: none).
EXPECTED: dict[str, dict[str, frozenset[Action]]] = {
    "wpo_clinician": {
        "a1": frozenset({V, R, M, AS, AC}),
        "b2": frozenset({V, R, M, AS, AC}),
        "a0": frozenset({V, R, M, AS, AC}),
    },
    "wpo_admin": {"a1": NONE, "b2": NONE, "a0": NONE},
    # A WPO admin who also holds a clinical role reads what that role reads.
    "wpo_admin_and_clinician": {
        "a1": frozenset({V, R, M, AS, AC}),
        "b2": frozenset({V, R, M, AS, AC}),
        "a0": frozenset({V, R, M, AS, AC}),
    },
    "wpo_admin_and_partner_clinician_a": {
        "a1": frozenset({V, R, M}),
        "b2": NONE,
        "a0": frozenset({V, R, M}),
    },
    "partner_clinician_a": {"a1": frozenset({V, R, M}), "b2": NONE, "a0": frozenset({V, R, M})},
    "partner_lead_a": {
        "a1": frozenset({V, R, M, AS}),
        "b2": NONE,
        "a0": frozenset({V, R, M, AS}),
    },
    "partner_admin_a": {"a1": frozenset({V, R}), "b2": NONE, "a0": frozenset({V, R})},
    "partner_clinician_b": {"a1": NONE, "b2": frozenset({V, R, M}), "a0": NONE},
    "partner_lead_b": {"a1": NONE, "b2": frozenset({V, R, M, AS}), "a0": NONE},
    "partner_admin_b": {"a1": NONE, "b2": frozenset({V, R}), "a0": NONE},
    "provider_1": {"a1": frozenset({R, P}), "b2": NONE, "a0": NONE},
    "provider_2": {"a1": NONE, "b2": frozenset({R, P}), "a0": NONE},
    "no_membership": {"a1": NONE, "b2": NONE, "a0": NONE},
    "inactive_user": {"a1": NONE, "b2": NONE, "a0": NONE},
    "inactive_membership": {"a1": NONE, "b2": NONE, "a0": NONE},
    "anonymous": {"a1": NONE, "b2": NONE, "a0": NONE},
}

_NO_CASE: frozenset[str] = frozenset()

# user -> the cases `cases_visible_to` returns (whose record the user reads).
VISIBLE: dict[str, frozenset[str]] = {
    "wpo_clinician": frozenset({"a1", "b2", "a0"}),
    "wpo_admin": _NO_CASE,
    "wpo_admin_and_clinician": frozenset({"a1", "b2", "a0"}),
    "wpo_admin_and_partner_clinician_a": frozenset({"a1", "a0"}),
    "partner_clinician_a": frozenset({"a1", "a0"}),
    "partner_lead_a": frozenset({"a1", "a0"}),
    "partner_admin_a": frozenset({"a1", "a0"}),
    "partner_clinician_b": frozenset({"b2"}),
    "partner_lead_b": frozenset({"b2"}),
    "partner_admin_b": frozenset({"b2"}),
    "provider_1": _NO_CASE,
    "provider_2": _NO_CASE,
    "no_membership": _NO_CASE,
    "inactive_user": _NO_CASE,
    "inactive_membership": _NO_CASE,
    "anonymous": _NO_CASE,
}

# user -> the cases `cases_referred_to` returns (the provider portal's list).
REFERRED: dict[str, frozenset[str]] = {user: _NO_CASE for user in VISIBLE} | {
    "provider_1": frozenset({"a1"}),
    "provider_2": frozenset({"b2"}),
}

# What access_case finds at all (then narrowed by `may`).
REACHABLE = {user: VISIBLE[user] | REFERRED[user] for user in VISIBLE}

USERS = tuple(EXPECTED)
ACTIONS = tuple(Action)

REFERRED_CELLS = [pytest.param(u, c, c in REFERRED[u], id=f"{u}-{c}") for u in USERS for c in CASES]
VISIBILITY_CELLS = [
    pytest.param(u, c, c in VISIBLE[u], id=f"{u}-{c}") for u in USERS for c in CASES
]
MAY_CELLS = [
    pytest.param(u, c, a, a in EXPECTED[u][c], id=f"{u}-{c}-{a}")
    for u in USERS
    for c in CASES
    for a in ACTIONS
]
ALLOWED_CELLS = [
    pytest.param(u, c, a, id=f"{u}-{c}-{a}")
    for u in USERS
    for c in CASES
    for a in ACTIONS
    if a in EXPECTED[u][c]
]
HIDDEN_CELLS = [
    pytest.param(u, c, a, id=f"{u}-{c}-{a}")
    for u in USERS
    for c in CASES
    for a in ACTIONS
    if c not in REACHABLE[u]
]
FORBIDDEN_CELLS = [
    pytest.param(u, c, a, id=f"{u}-{c}-{a}")
    for u in USERS
    for c in CASES
    for a in ACTIONS
    if c in REACHABLE[u] and a not in EXPECTED[u][c]
]


@dataclass(frozen=True)
class World:
    users: dict[str, Any]
    cases: dict[str, Any]


def _build() -> World:
    partner_a = PartnerFactory(code="partner-a")
    partner_b = PartnerFactory(code="partner-b")
    provider_1 = ProviderFactory(code="provider-1", partners=[partner_a])
    provider_2 = ProviderFactory(code="provider-2", partners=[partner_b])
    admin_and_clinician = user_with_role(Role.WPO_ADMIN)
    MembershipFactory(user=admin_and_clinician, role=Role.WPO_CLINICIAN)
    admin_and_partner = user_with_role(Role.WPO_ADMIN)
    MembershipFactory(user=admin_and_partner, role=Role.PARTNER_CLINICIAN, partner=partner_a)
    inactive_user = UserFactory(username="inactive-user", is_active=False)
    MembershipFactory(user=inactive_user, role=Role.WPO_CLINICIAN)
    inactive_membership = UserFactory(username="inactive-membership")
    MembershipFactory(user=inactive_membership, role=Role.WPO_CLINICIAN, active=False)
    users: dict[str, Any] = {
        "wpo_clinician": user_with_role(Role.WPO_CLINICIAN),
        "wpo_admin": user_with_role(Role.WPO_ADMIN),
        "wpo_admin_and_clinician": admin_and_clinician,
        "wpo_admin_and_partner_clinician_a": admin_and_partner,
        "partner_clinician_a": user_with_role(Role.PARTNER_CLINICIAN, partner=partner_a),
        "partner_lead_a": user_with_role(Role.PARTNER_LEAD, partner=partner_a),
        "partner_admin_a": user_with_role(Role.PARTNER_ADMIN, partner=partner_a),
        "partner_clinician_b": user_with_role(Role.PARTNER_CLINICIAN, partner=partner_b),
        "partner_lead_b": user_with_role(Role.PARTNER_LEAD, partner=partner_b),
        "partner_admin_b": user_with_role(Role.PARTNER_ADMIN, partner=partner_b),
        "provider_1": user_with_role(Role.PROVIDER, provider=provider_1),
        "provider_2": user_with_role(Role.PROVIDER, provider=provider_2),
        "no_membership": UserFactory(username="no-membership"),
        "inactive_user": inactive_user,
        "inactive_membership": inactive_membership,
        "anonymous": AnonymousUser(),
    }
    opener = users["wpo_clinician"]
    cases = {
        "a1": open_case(actor=opener, partner=partner_a, provider=provider_1, reference="A-1"),
        "b2": open_case(actor=opener, partner=partner_b, provider=provider_2, reference="B-2"),
        "a0": open_case(actor=opener, partner=partner_a, reference="A-0"),
    }
    return World(users, cases)


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build()
        transaction.set_rollback(True)


def test_the_table_covers_every_user_case_and_action() -> None:
    assert set(VISIBLE) == set(EXPECTED) == set(REFERRED)
    assert {frozenset(row) for row in EXPECTED.values()} == {frozenset(CASES)}
    assert len(MAY_CELLS) == 16 * 3 * 6
    assert len(ALLOWED_CELLS) + len(HIDDEN_CELLS) + len(FORBIDDEN_CELLS) == len(MAY_CELLS)


@pytest.mark.django_db
@pytest.mark.parametrize("user_key", USERS)
def test_cases_visible_to_lists_exactly_the_visible_cases(world: World, user_key: str) -> None:
    refs = set(cases_visible_to(world.users[user_key]).values_list("reference", flat=True))
    expected = {world.cases[c].reference for c in VISIBLE[user_key]}
    assert refs == expected


@pytest.mark.django_db
@pytest.mark.parametrize("user_key", USERS)
def test_cases_referred_to_lists_exactly_the_referrals(world: World, user_key: str) -> None:
    refs = set(cases_referred_to(world.users[user_key]).values_list("reference", flat=True))
    assert refs == {world.cases[c].reference for c in REFERRED[user_key]}


@pytest.mark.django_db
@pytest.mark.parametrize(("user_key", "case_key", "referred"), REFERRED_CELLS)
def test_referred(world: World, user_key: str, case_key: str, referred: bool) -> None:
    case = world.cases[case_key]
    assert cases_referred_to(world.users[user_key]).filter(pk=case.pk).exists() is referred


@pytest.mark.django_db
@pytest.mark.parametrize(("user_key", "case_key", "visible"), VISIBILITY_CELLS)
def test_visibility(world: World, user_key: str, case_key: str, visible: bool) -> None:
    case = world.cases[case_key]
    assert cases_visible_to(world.users[user_key]).filter(pk=case.pk).exists() is visible


@pytest.mark.django_db
@pytest.mark.parametrize(("user_key", "case_key", "action", "allowed"), MAY_CELLS)
def test_may(world: World, user_key: str, case_key: str, action: Action, allowed: bool) -> None:
    assert may(world.users[user_key], world.cases[case_key], action) is allowed


@pytest.mark.django_db
@pytest.mark.parametrize(("user_key", "case_key", "action"), ALLOWED_CELLS)
def test_access_case_gives_the_case(
    world: World, user_key: str, case_key: str, action: Action
) -> None:
    case = world.cases[case_key]
    found = access_case(user=world.users[user_key], case_ref=case.reference, action=action)
    assert found.pk == case.pk


@pytest.mark.django_db
@pytest.mark.parametrize(("user_key", "case_key", "action"), HIDDEN_CELLS)
def test_access_case_hides_invisible_cases(
    world: World, user_key: str, case_key: str, action: Action
) -> None:
    with pytest.raises(NotFound) as raised:
        access_case(
            user=world.users[user_key], case_ref=world.cases[case_key].reference, action=action
        )
    assert raised.value.field == "case"
    assert type(raised.value) is NotFound


@pytest.mark.django_db
@pytest.mark.parametrize(("user_key", "case_key", "action"), FORBIDDEN_CELLS)
def test_access_case_refuses_visible_but_forbidden(
    world: World, user_key: str, case_key: str, action: Action
) -> None:
    with pytest.raises(PermissionDenied) as raised:
        access_case(
            user=world.users[user_key], case_ref=world.cases[case_key].reference, action=action
        )
    assert raised.value.field == "case"


@pytest.mark.django_db
@pytest.mark.parametrize("user_key", USERS)
def test_a_missing_case_is_not_found_for_everyone(world: World, user_key: str) -> None:
    with pytest.raises(NotFound) as raised:
        access_case(user=world.users[user_key], case_ref="NO-SUCH-CASE")
    assert raised.value.field == "case"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("user_key", "case_key"),
    [pytest.param(u, c, id=f"{u}-{c}") for u in USERS for c in CASES if c in VISIBLE[u]],
)
def test_access_case_defaults_to_view(world: World, user_key: str, case_key: str) -> None:
    case = world.cases[case_key]
    assert access_case(user=world.users[user_key], case_ref=case.reference).pk == case.pk
