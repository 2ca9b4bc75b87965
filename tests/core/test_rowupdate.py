"""Rows updated by primary key, or inserted, in one statement (core.rowupdate): the database
holds what Django's `bulk_update` or `bulk_create` would have written, datetimes, nulls, text and
JSON included, and only the rows given change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext, isolate_apps

from eapcase.cases.models import Case, CaseEvent
from eapcase.core.rowupdate import rows_insert, rows_update
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


def _events(case: Case, tag: str) -> list[CaseEvent]:
    at = case.opened_at
    return [
        CaseEvent(
            case=case,
            seq=n + 1,
            event_id=f"{tag}{n}",
            type="note",
            at=at + timedelta(hours=n, microseconds=n * 7),
            by="" if n == 0 else f"ann 'quoted' ü{n}",
            fields={"summary": f"said <{n}>", "list": [n, None], "nested": {"é": True}},
            recorded_at=at + timedelta(days=1, microseconds=3),
            hash=f"{n:064x}",
        )
        for n in range(3)
    ]


def _stored_events(case: Case) -> list[dict[str, Any]]:
    rows = CaseEvent.objects.filter(case=case).order_by("seq").values()
    return [{k: v for k, v in row.items() if k not in ("id", "case_id")} for row in rows]


@pytest.mark.django_db
def test_inserted_rows_hold_what_bulk_create_writes() -> None:
    ours, theirs = open_case(), open_case()
    # Both cases opened at the same instant: the rows differ only in their case.
    theirs.opened_at = ours.opened_at
    with CaptureQueriesContext(connection) as ctx:
        assert rows_insert(CaseEvent, _events(ours, "e")) == 3
    assert len(ctx.captured_queries) == 1  # one statement, run once a row
    assert len(_stored_events(ours)) == 3
    CaseEvent.objects.bulk_create(_events(theirs, "e"))
    assert _stored_events(ours) == _stored_events(theirs)


@pytest.mark.django_db
@isolate_apps("eapcase.cases")
def test_nothing_inserted_writes_nothing_and_a_stamped_or_chosen_key_is_refused() -> None:
    class Stamped(models.Model):  # noqa: DJ008
        at = models.DateTimeField(auto_now_add=True)

        class Meta:
            app_label = "cases"

    class Keyed(models.Model):  # noqa: DJ008
        code = models.CharField(max_length=10, primary_key=True)

        class Meta:
            app_label = "cases"

    with CaptureQueriesContext(connection) as ctx:
        assert rows_insert(CaseEvent, []) == 0
        with pytest.raises(ValueError, match="auto_now"):
            rows_insert(Stamped, [Stamped()])
        with pytest.raises(ValueError, match="automatic key"):
            rows_insert(Keyed, [Keyed(code="x")])
    assert ctx.captured_queries == []
