"""The import gathers each case's writes (ADR 0043: its events inserted at once, one engine
refresh, one version, one audit row per author). It must write exactly what writing the same
history event by event through the services writes: both are run on one history that has every
event type, and every table is compared row by row."""

from __future__ import annotations

import io
import json
import random
import runpy
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import models, transaction

from eapcase.audit.models import AuditChainHead, AuditEvent
from eapcase.audit.services import audit_verify
from eapcase.cases.models import Case, CaseEvent, CaseVersion
from eapcase.cases.record import NamedActor, event_seal
from eapcase.compliance import history_io
from eapcase.compliance.event_services import event_record
from eapcase.organisations.models import Partner
from eapcase.policy.types import EventType

REPO = Path(__file__).resolve().parents[2]
NOW = datetime.fromisoformat("2026-12-01T00:00:00+00:00")

# What the generated stories seldom or never have: a closed outreach, a risk cleared, a
# participant's change, a dissatisfaction, a provider's contact answered, a reopened case, and
# authors (`by`) who differ within one case.
EXTRA = [
    {"type": "case", "case": "X1", "at": "2026-02-02T09:00:00+00:00", "partner": "P-UK",
     "referral": "self", "case_type": "couples", "benefit_sessions": 6,
     "participant": {"voicemail_ok": False, "email_only": False}},
    {"type": "outreach_requested", "case": "X1", "at": "2026-02-02T10:00:00+00:00", "id": "o1",
     "purpose": "general", "target": "participant", "by": "ann"},
    {"type": "contact_attempt", "case": "X1", "at": "2026-02-02T11:00:00+00:00", "id": "a1",
     "channel": "phone", "outcome": "not_reached", "message": "detailed", "by": "bob"},
    {"type": "outreach_closed", "case": "X1", "at": "2026-02-03T11:00:00+00:00", "id": "c1",
     "outreach": "o1", "reason": "stopped", "by": "bob"},
    {"type": "risk_set", "case": "X1", "at": "2026-02-03T12:00:00+00:00", "id": "r1",
     "level": "high"},
    {"type": "risk_set", "case": "X1", "at": "2026-02-03T13:00:00+00:00", "id": "r2",
     "level": "none", "by": "ann"},
    {"type": "participant_updated", "case": "X1", "at": "2026-02-04T09:00:00+00:00", "id": "p1",
     "participant": {"email_only": True}},
    {"type": "session_held", "case": "X1", "at": "2026-02-05T09:00:00+00:00", "id": "s1"},
    {"type": "review_completed", "case": "X1", "at": "2026-02-05T12:00:00+00:00", "id": "v1",
     "decision": "deny", "sessions": 0, "resources": ["community counselling"]},
    {"type": "provider_contact", "case": "X1", "at": "2026-02-06T09:00:00+00:00", "id": "k1",
     "topic": "risk"},
    {"type": "provider_responded", "case": "X1", "at": "2026-02-06T10:00:00+00:00", "id": "k2",
     "contact": "k1"},
    {"type": "dissatisfaction_noted", "case": "X1", "at": "2026-02-07T09:00:00+00:00",
     "id": "d1"},
    {"type": "escalated_to_wpo", "case": "X1", "at": "2026-02-07T09:00:00+00:00", "id": "d2",
     "reason": "dissatisfaction"},
    {"type": "note", "case": "X1", "at": "2026-02-07T10:00:00+00:00", "id": "n1",
     "summary": "Spoke to them.", "next_step": "Call on Monday."},
    {"type": "case_closed", "case": "X1", "at": "2026-02-08T09:00:00+00:00", "id": "z1",
     "reason": "completed"},
    {"type": "case_reopened", "case": "X1", "at": "2026-02-09T09:00:00+00:00", "id": "z2",
     "reason": "came back"},
    {"type": "participant_query", "case": "X1", "at": "2026-02-09T10:00:00+00:00", "id": "q1"},
    {"type": "participant_query_resolved", "case": "X1", "at": "2026-02-09T11:00:00+00:00",
     "id": "q2", "query": "q1"},
]  # fmt: skip


def _history() -> list[str]:
    """Partners, 25 generated case stories (bench/check_throughput.py's) and EXTRA."""
    bench = runpy.run_path(str(REPO / "bench" / "check_throughput.py"))
    rng = random.Random(5)
    lines = [json.dumps(partner) for partner in bench["PARTNERS"]]
    for number in range(1, 26):
        lines += [json.dumps(line) for line in bench["case_lines"](rng, number)]
    return lines + [json.dumps(line) for line in EXTRA]


def _import_event_by_event(lines: list[str]) -> None:
    """The import as it was before ADR 0043: each case line and each event written alone
    through its service (`event_record`), each its own `case_write`."""
    partners, cases = history_io._parse_raw(lines)
    for _line, obj in partners:
        history_io._partner_write(obj)
    for _line, case_obj, case_events in cases:
        with transaction.atomic():
            partner = Partner.objects.get(code=case_obj["partner"])
            case = history_io._case_write(case_obj, partner=partner, now=NOW)
            for _event_line, event in case_events:
                actor = NamedActor(event.get("by", "") or "")
                event_record(case, event, actor=actor, now=NOW, historical=True)


# Written differently by design: one version and one audit row per case (and author) instead
# of one per event; compared on their own below.
DIFFERENT = (AuditEvent, AuditChainHead, CaseVersion)


def _comparable(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _snapshot() -> dict[str, Any]:
    """Every table's rows without their surrogate ids: a foreign key is given as the rank of
    the row it names in its table (rows inserted in the same order rank the same), and a
    column stamped with the wall clock is left out. Rows are sorted, as some tables (the
    obligations, rewritten at each event one way and once the other) differ only in order."""
    ranks: dict[type[models.Model], dict[Any, int]] = {}
    for model in apps.get_models():
        ranks[model] = {
            pk: rank
            for rank, pk in enumerate(
                model._base_manager.order_by("pk").values_list("pk", flat=True)
            )
        }
    tables: dict[str, Any] = {}
    for model in apps.get_models():
        if model in DIFFERENT or model._meta.proxy:
            continue
        rows = []
        for row in model._base_manager.order_by("pk"):
            values: dict[str, Any] = {}
            for f in model._meta.concrete_fields:
                if f.primary_key or getattr(f, "auto_now", False):
                    continue
                if getattr(f, "auto_now_add", False):
                    continue
                value = getattr(row, f.attname)
                if f.is_relation and value is not None:
                    value = ("rank", ranks[f.related_model][value])
                values[f.name] = value
            if model is Case:
                del values["version"]  # one a write: see CaseVersion
            if model is CaseEvent:
                # Sealed with the case's surrogate id: checked against its own row here, and
                # compared as stored when both runs gave the cases the same ids.
                assert values.pop("hash") == event_seal(row), row
            rows.append(_comparable(values))
        if rows:
            tables[model._meta.label] = sorted(rows)
    return tables


def _sealed() -> dict[tuple[str, str], str]:
    """Each event the audit rows name, by (case reference, event id), with the hash named."""
    refs = dict(Case.objects.values_list("pk", "reference"))
    named: dict[tuple[str, str], str] = {}
    for row in AuditEvent.objects.exclude(sealed={}).order_by("pk"):
        for event_id, digest in row.sealed.items():
            named[(refs[row.case_id], event_id)] = digest
    return named


def _export() -> list[str]:
    out = io.StringIO()
    history_io.export_history(out, cases=Case.objects.order_by("reference"))
    return out.getvalue().splitlines()


def _hashes() -> dict[tuple[str, str], tuple[int, str]]:
    return {
        (e.case.reference, e.event_id): (e.case_id, e.hash)
        for e in CaseEvent.objects.select_related("case")
    }


@pytest.mark.django_db
def test_the_gathered_import_writes_what_the_services_write_event_by_event() -> None:
    lines = _history()
    types = {json.loads(line)["type"] for line in lines}
    assert {t.value for t in EventType} <= types

    with transaction.atomic():
        _import_event_by_event(lines)
        by_event, by_event_hashes = _snapshot(), _hashes()
        by_event_sealed, by_event_export = _sealed(), _export()
        transaction.set_rollback(True)

    result = history_io.import_history(lines, now=NOW)
    gathered, gathered_hashes = _snapshot(), _hashes()

    assert result.events == len(by_event_hashes)
    assert set(gathered) == set(by_event)
    for table, rows in by_event.items():
        assert gathered[table] == rows, table
    # The same hashes where the cases have the same surrogate ids (SQLite gives them back on
    # rollback; PostgreSQL's sequences do not, and the rows were compared without them).
    same_ids = {k: v for k, v in gathered_hashes.items() if by_event_hashes[k][0] == v[0]}
    for key, value in same_ids.items():
        assert by_event_hashes[key] == value, key
    # Both audit trails name every event with the hash it was written with, and hold.
    assert by_event_sealed.keys() == _sealed().keys() == gathered_hashes.keys()
    assert _sealed() == {k: h for k, (_pk, h) in gathered_hashes.items()}
    assert audit_verify().intact
    # `eapcase export` gives back the same file either way, every event of the history in it.
    exported = _export()
    assert exported == by_event_export

    def events(source: list[str]) -> set[tuple[str, str]]:
        objs = map(json.loads, source)
        return {(o["case"], o["id"]) for o in objs if o["type"] not in ("partner", "case")}

    assert events(exported) == events(lines)
    # One audit row per author of a case's events, naming (and sealing) that author's events.
    authors: dict[str, list[str]] = {}
    for line in EXTRA[1:]:
        authors.setdefault(line.get("by", ""), []).append(line["id"])
    rows = AuditEvent.objects.filter(case__reference="X1", action="case.history_imported")
    assert {row.actor_name: row.data["events"] for row in rows} == authors
    assert all(sorted(row.sealed) == sorted(row.data["events"]) for row in rows)
    # One version per case: the case line and its events are one write.
    assert CaseVersion.objects.count() == Case.objects.count()
    assert set(Case.objects.values_list("version", flat=True)) == {1}
