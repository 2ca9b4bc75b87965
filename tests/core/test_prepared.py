"""Queries compiled once (core.prepared): the rows are the queryset's, whatever the values and
the number of ids; a shape is compiled once; a query whose values the ORM changes is run
through the ORM every time, with the same answer. `PreparedObjects`: the instances are the
queryset's, their `select_related` objects included, with no query of their own; a queryset
it cannot repeat (a prefetch, an annotation) is run through the ORM."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from eapcase.accounts.models import Membership, User
from eapcase.core.prepared import PreparedObjects, PreparedQuery
from tests.factories import MembershipFactory, PartnerClinicianMembershipFactory, UserFactory


def _users(first: int, among: list[int]) -> Any:
    return (
        User.objects.filter(pk__gte=first, pk__in=among)
        .order_by("pk")
        .values_list("pk", "username", "date_joined")
    )


@pytest.mark.django_db
def test_the_rows_are_the_querysets_with_any_values_and_number_of_ids() -> None:
    users = UserFactory.create_batch(4)
    ids = [u.pk for u in users]
    built: list[int] = []

    def build(first: int, among: list[int]) -> Any:
        built.append(first)
        return _users(first, among)

    prepared = PreparedQuery(build)
    for first, among in [
        (ids[0], ids),
        (ids[1], ids),  # the same shape: not compiled again
        (ids[2], ids[:3]),  # three ids: a new shape
        (ids[0], [ids[3]]),
        (ids[3], ids[:2]),  # nothing
    ]:
        assert prepared.rows(first=first, among=among) == list(_users(first, among))
    # One build a shape, with stand-ins (4, 3, 1 and 2 ids); none for the runs after.
    assert len(built) == 4
    assert all(first < 0 for first in built)
    # Datetimes come back as the ORM gives them (aware, converted from SQLite's text).
    assert prepared.rows(first=ids[0], among=ids)[0][2] == users[0].date_joined


@pytest.mark.django_db
def test_a_value_the_orm_changes_is_compiled_every_time_with_the_same_answer() -> None:
    users = UserFactory.create_batch(3)
    ids = [u.pk for u in users]
    calls: list[int] = []

    def build(first: int) -> Any:
        calls.append(first)
        # The stand-in never reaches the SQL as itself: `first + 1` is a different number.
        return User.objects.filter(pk__gte=first + 1).order_by("pk").values_list("pk")

    prepared = PreparedQuery(build)
    assert prepared.rows(first=ids[0]) == [(ids[1],), (ids[2],)]
    assert prepared.rows(first=ids[1]) == [(ids[2],)]
    # The stand-in build, then the ORM at each call.
    assert len(calls) == 3


def _memberships(user: int) -> Any:
    return (
        Membership.objects.filter(user_id=user)
        .select_related("user", "partner")
        .defer("user__password")
        .order_by("pk")
    )


def _fields(rows: list[Any]) -> list[tuple[Any, ...]]:
    """Every column of each instance and of the objects `select_related` brought with it."""

    def columns(obj: Any) -> tuple[Any, ...]:
        if obj is None:
            return ()
        # A deferred field is compared as deferred: reading it would load it (a query).
        deferred = obj.get_deferred_fields()
        return tuple(
            ("deferred", f.attname) if f.attname in deferred else getattr(obj, f.attname)
            for f in obj._meta.concrete_fields
        )

    return [
        (
            columns(m),
            columns(m.user) if Membership.user.is_cached(m) else None,  # type: ignore[attr-defined]
            columns(m.partner) if Membership.partner.is_cached(m) else None,  # type: ignore[attr-defined]
        )
        for m in rows
    ]


@pytest.mark.django_db
def test_the_instances_are_the_querysets_related_objects_and_all() -> None:
    first = PartnerClinicianMembershipFactory()
    MembershipFactory(user=first.user)  # WPO: no Partner
    second = PartnerClinicianMembershipFactory()
    built: list[int] = []

    def build(user: int) -> Any:
        built.append(user)
        return _memberships(user)

    prepared = PreparedObjects(build)
    for user in (first.user_id, second.user_id, first.user_id, -1):
        with CaptureQueriesContext(connection) as ran:
            found = prepared.objects(user=user)
            assert _fields(found) == _fields(list(_memberships(user)))
            # The related objects came with the rows: reading them asks nothing more.
            _ = [(m.user.username, m.partner and m.partner.name) for m in found]
        assert len(ran) == 2  # this one and the queryset's
        assert all(type(m) is Membership and not m._state.adding for m in found)
        # A deferred field is left out, as the ORM leaves it (read on demand).
        assert all("password" in m.user.get_deferred_fields() for m in found)
    assert [len(prepared.objects(user=first.user_id)), len(built)] == [2, 1]
    assert found == []


@pytest.mark.django_db
def test_a_queryset_it_cannot_repeat_runs_through_the_orm() -> None:
    membership = PartnerClinicianMembershipFactory()
    counted = PreparedObjects(
        lambda user: User.objects.filter(pk=user).annotate(n=Count("memberships"))
    )
    fetched = PreparedObjects(
        lambda user: User.objects.filter(pk=user).prefetch_related("memberships")
    )
    for _ in range(2):
        (user,) = counted.objects(user=membership.user_id)
        assert user.n == 1  # type: ignore[attr-defined]
        (user,) = fetched.objects(user=membership.user_id)
        with CaptureQueriesContext(connection) as ran:
            assert list(user.memberships.all()) == [membership]
        assert len(ran) == 0


@pytest.mark.django_db
def test_a_text_parameter_has_its_own_stand_in_and_the_same_answer() -> None:
    users = UserFactory.create_batch(3)
    built: list[str] = []

    def build(name: str, among: list[int]) -> Any:
        built.append(name)
        return User.objects.filter(username=name, pk__in=among).values_list("pk", "username")

    prepared = PreparedQuery(build)
    ids = [u.pk for u in users]
    for user in users:
        assert prepared.rows(name=user.username, among=ids) == [(user.pk, user.username)]
    # A name among nobody's, or a user outside the ids: nothing.
    assert prepared.rows(name="nobody", among=ids) == []
    assert prepared.rows(name=users[0].username, among=ids[1:]) == []
    assert prepared.rows(name="x' OR 1=1 --", among=ids) == []
    # One build for the shape (one name, three ids), one for two ids; with stand-ins only.
    assert len(built) == 2
    assert all(name.startswith("\x00") for name in built)
