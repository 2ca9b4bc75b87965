"""Rows updated by primary key in one statement (core.rowupdate): the database holds what
Django's `bulk_update` would have written, datetimes, nulls, text and JSON included, and only the
rows given change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from eapcase.cases.models import Case
from eapcase.core.rowupdate import rows_update
from tests.factories import open_case

FIELDS = ("reevaluate_at", "opened_at", "last_summary", "benefit_sessions", "engine_state")


def _stored(model: Any, pks: list[int], fields: tuple[str, ...]) -> list[dict[str, Any]]:
    return list(model.objects.filter(pk__in=pks).order_by("pk").values("pk", *fields))


def _changed(rows: list[Case]) -> None:
    for n, row in enumerate(rows):
        row.reevaluate_at = None if n == 0 else row.opened_at + timedelta(days=n, microseconds=7)
        row.opened_at = row.opened_at - timedelta(hours=n + 1, microseconds=3)
        row.last_summary = f"changed <{n}> 'quoted' ünïcode"
        row.benefit_sessions = n + 2
        row.engine_state = {"risk": "high", "list": [n, "two", None], "nested": {"é": True}}


@pytest.mark.django_db
def test_the_rows_hold_what_bulk_update_writes_and_no_other_row_changes() -> None:
    for _ in range(3):
        open_case()
    everything = list(Case.objects.order_by("pk"))
    rows, untouched = everything[:2], everything[2:]
    before_untouched = _stored(Case, [o.pk for o in untouched], FIELDS)
    pks = [o.pk for o in rows]

    original = _stored(Case, pks, FIELDS)
    _changed(rows)
    with CaptureQueriesContext(connection) as ctx:
        assert rows_update(Case, rows, FIELDS) == 2
    assert len(ctx.captured_queries) == 1  # one statement, run once a row
    ours = _stored(Case, pks, FIELDS)
    assert ours != original

    # The same change through bulk_update, from the original values: the same rows.
    reverted = list(Case.objects.filter(pk__in=pks).order_by("pk"))
    for row, values in zip(reverted, original, strict=True):
        for name in FIELDS:
            setattr(row, name, values[name])
    Case.objects.bulk_update(reverted, FIELDS)
    assert _stored(Case, pks, FIELDS) == original
    again = list(Case.objects.filter(pk__in=pks).order_by("pk"))
    _changed(again)
    Case.objects.bulk_update(again, FIELDS)
    assert _stored(Case, pks, FIELDS) == ours
    assert _stored(Case, [o.pk for o in untouched], FIELDS) == before_untouched


@pytest.mark.django_db
@pytest.mark.django_db
def test_nothing_given_writes_nothing_and_the_key_is_refused() -> None:
    with CaptureQueriesContext(connection) as ctx:
        assert rows_update(Case, [], FIELDS) == 0
    assert ctx.captured_queries == []
    case = open_case()
    with pytest.raises(ValueError, match="non-key"):
        rows_update(Case, [case], ["id"])
