"""Fill Case.engine_state for the cases that exist: each case's history through the engine
(cases.bridge.evaluate_case), judged at the time of its last refresh (the latest
Obligation.evaluated_at), or now for a case the engine has never refreshed."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import migrations
from django.db.models import Max
from django.utils import timezone
from eapcase.cases import bridge

CHUNK = 500


def fill(apps: Any, schema_editor: Any) -> None:
    Case = apps.get_model("cases", "Case")
    CaseEvent = apps.get_model("compliance", "CaseEvent")
    Obligation = apps.get_model("compliance", "Obligation")
    Partner = apps.get_model("organisations", "Partner")
    db = schema_editor.connection.alias

    # Partners and their closed dates once (the engine's calendars), not once per case.
    partners = {p.pk: p for p in Partner.objects.using(db).prefetch_related("closed_dates")}
    fallback = timezone.now()
    ids = list(Case.objects.using(db).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        cases = list(Case.objects.using(db).filter(pk__in=chunk).order_by("pk"))
        events: dict[int, list[Any]] = defaultdict(list)
        for row in (
            CaseEvent.objects.using(db).filter(case_id__in=chunk).order_by("case_id", "at", "seq")
        ):
            events[row.case_id].append(row)
        evaluated = dict(
            Obligation.objects.using(db)
            .filter(case_id__in=chunk)
            .values("case_id")
            .annotate(at=Max("evaluated_at"))
            .values_list("case_id", "at")
        )
        for case in cases:
            case.partner = partners[case.partner_id]
            now = evaluated.get(case.pk) or fallback
            evaluation = bridge.evaluate_case(case, events.get(case.pk, []), now)
            case.engine_state = bridge.engine_state_json(evaluation)
        Case.objects.using(db).bulk_update(cases, ["engine_state"], batch_size=CHUNK)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_case_engine_state"),
        ("compliance", "0004_obligation_assigned_clinician"),
        ("organisations", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
