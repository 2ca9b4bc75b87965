"""Queries compiled once (core.prepared): the rows are the queryset's, whatever the values and
the number of ids; a shape is compiled once; a query whose values the ORM changes is run
through the ORM every time, with the same answer."""

from __future__ import annotations

from typing import Any

import pytest

from eapcase.accounts.models import User
from eapcase.core.prepared import PreparedQuery
from tests.factories import UserFactory


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
