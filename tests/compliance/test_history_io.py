"""Import and export of histories through the services: round trips and refusals."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from eapcase.audit.models import AuditEvent
from eapcase.cases.models import Case, CaseEvent, Obligation
from eapcase.compliance import history_io
from eapcase.compliance.history_io import ImportFailed, export_history, import_history
from eapcase.policy.check import check_history
from tests.shared_spec import EXAMPLE_NAMES, EXAMPLES, needs_examples


def _example(name: str) -> tuple[list[str], datetime]:
    lines = (EXAMPLES / f"{name}.jsonl").read_text().splitlines()
    now = datetime.fromisoformat(
        json.loads((EXAMPLES / f"{name}.expected.json").read_text())["now"]
    )
    return lines, now


def _export(refs: list[str] | None = None) -> list[str]:
    out = io.StringIO()
    cases = Case.objects.order_by("pk")
    if refs:
        cases = cases.filter(reference__in=refs)
    export_history(out, cases=cases)
    return out.getvalue().splitlines()


def _events(lines: list[str]) -> dict[tuple[str, str], dict[str, object]]:
    """Event lines keyed by (case, id), instants compared as instants, ids as the reader names
    them (L<line> when absent)."""
    events = {}
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        obj = json.loads(text)
        if obj["type"] in ("partner", "case"):
            continue
        obj.setdefault("id", f"L{number}")
        obj["at"] = datetime.fromisoformat(obj["at"])
        events[(obj["case"], obj["id"])] = obj
    return events


@needs_examples
@pytest.mark.django_db
@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_import_then_export_gives_back_the_same_events(name: str) -> None:
    lines, now = _example(name)
    import_history(lines, now=now)
    exported = _export()
    assert _events(exported) == _events(lines)
    assert check_history(exported, now) == check_history(lines, now)


@needs_examples
@pytest.mark.django_db
@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_imported_obligations_are_the_engines(name: str) -> None:
    lines, now = _example(name)
    import_history(lines, now=now)
    expected = check_history(lines, now)
    for case in expected["cases"]:
        stored = [
            {
                "rule": o.rule,
                "trigger": o.trigger,
                "status": o.status,
                "opened_at": o.opened_at,
                "due_at": o.due_at,
                "satisfied_at": o.satisfied_at,
            }
            for o in Obligation.objects.filter(case__reference=case["case"]).order_by("position")
        ]
        engine = [
            {
                "rule": o["rule"],
                "trigger": o["trigger"],
                "status": o["status"],
                "opened_at": datetime.fromisoformat(o["opened_at"]),
                "due_at": o["due_at"] and datetime.fromisoformat(o["due_at"]),
                "satisfied_at": o["satisfied_at"] and datetime.fromisoformat(o["satisfied_at"]),
            }
            for o in case["obligations"]
        ]
        assert stored == engine


DOC_EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
DOC_VALID = sorted(
    p.stem
    for p in DOC_EXAMPLES.glob("*.jsonl")
    if (DOC_EXAMPLES / f"{p.stem}.expected.json").exists()
)


@pytest.mark.django_db
@pytest.mark.parametrize("name", DOC_VALID)
def test_the_projects_own_examples_import_and_export_unchanged(name: str) -> None:
    """docs/examples cover what the shared ones do not (a check-in, a reopened case): the
    import writes each event through the event table and the export gives it back."""
    lines = (DOC_EXAMPLES / f"{name}.jsonl").read_text().splitlines()
    now = datetime.fromisoformat(
        json.loads((DOC_EXAMPLES / f"{name}.expected.json").read_text())["now"]
    )
    import_history(lines, now=now)
    exported = _export()

    # The services write the history format's defaults out (a message "none", a risk report
    # urgent), so the lines are compared by kind and time, and judged the same.
    def kinds(source: list[str]) -> dict[tuple[str, str], tuple[object, object]]:
        return {key: (e["type"], e["at"]) for key, e in _events(source).items()}

    assert kinds(exported) == kinds(lines)
    assert check_history(exported, now) == check_history(lines, now)


def test_the_examples_cover_reopening() -> None:
    assert "closed-and-reopened" in DOC_VALID


BAD = [
    '{"type": "partner", "id": "P-UK", "timezone": "Europe/London", "country": "GB"}',
    '{"type": "case", "case": "X1", "at": "2026-03-02T09:00:00+00:00", "partner": "P-UK", '
    '"referral": "self", "case_type": "individual", "benefit_sessions": 6}',
    '{"type": "callback_requested", "case": "X1", "at": "2026-03-02T10:00:00"}',
    "not json",
    '{"type": "contact_attempt", "case": "X1", "at": "2026-03-02T11:00:00+00:00", '
    '"channel": "fax", "outcome": "reached", "summary": "x"}',
]


@pytest.mark.django_db
def test_a_bad_file_reports_every_bad_line_and_writes_nothing() -> None:
    with pytest.raises(ImportFailed) as failed:
        import_history(BAD, now=datetime.fromisoformat("2026-03-10T12:00:00+00:00"))
    assert [e.split(":")[0] for e in failed.value.errors] == ["3", "4", "5"]
    assert Case.objects.count() == 0
    assert CaseEvent.objects.count() == 0
    assert AuditEvent.objects.count() == 0


@needs_examples
@pytest.mark.django_db
def test_events_after_the_import_instant_are_refused_and_nothing_is_written() -> None:
    lines, _now = _example("callback-over-christmas")
    with pytest.raises(ImportFailed) as failed:
        import_history(lines, now=datetime.fromisoformat("2026-12-28T12:00:00+00:00"))
    assert failed.value.errors == ["4: at: is in the future"]
    assert Case.objects.count() == 0


@needs_examples
@pytest.mark.django_db
def test_importing_a_file_again_skips_what_it_wrote() -> None:
    lines, now = _example("couples-review")
    first = import_history(lines, now=now)
    events, audits = CaseEvent.objects.count(), AuditEvent.objects.count()
    again = import_history(lines, now=now)
    assert (again.events, again.skipped) == (0, first.events + first.cases)
    assert (CaseEvent.objects.count(), AuditEvent.objects.count()) == (events, audits)


@needs_examples
@pytest.mark.django_db
def test_an_import_stopped_midway_resumes_where_it_stopped() -> None:
    lines, now = _example("couples-review")
    # A run stopped after the first case and part of the second: what was committed stays.
    second_case = next(i for i, line in enumerate(lines) if '"case": "C5"' in line)
    import_history(lines[: second_case + 3], now=now)
    resumed = import_history(lines, now=now)
    assert resumed.skipped > 0
    assert _events(_export()) == _events(lines)
    assert check_history(_export(), now) == check_history(lines, now)


@pytest.mark.django_db(transaction=True)
def test_an_import_in_its_own_transactions_commits_unsynced_and_restores_the_setting() -> None:
    # The import commits its cases with synchronous=NORMAL and syncs the log once at the end;
    # the connection goes back to the application's setting however the import ends.
    if connection.vendor != "sqlite":
        pytest.skip("a SQLite setting")

    def synchronous() -> int:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous")
            return int(cursor.fetchone()[0])

    configured = synchronous()
    assert configured != 1  # FULL (2) as the application runs, not NORMAL (1)
    with history_io._synced_once_at_the_end():
        assert synchronous() == 1
    assert synchronous() == configured
    with pytest.raises(ImportFailed), history_io._synced_once_at_the_end():
        raise ImportFailed(["1: stopped"])
    assert synchronous() == configured
    # Inside the caller's transaction the setting cannot change: it is left alone.
    with transaction.atomic(), history_io._synced_once_at_the_end():
        assert synchronous() == configured


@needs_examples
@pytest.mark.django_db
def test_a_case_of_the_same_reference_with_other_details_is_refused() -> None:
    lines, now = _example("couples-review")
    import_history(lines, now=now)
    changed = [line.replace('"benefit_sessions": 6', '"benefit_sessions": 7') for line in lines]
    with pytest.raises(ImportFailed) as failed:
        import_history(changed, now=now)
    assert all("already exists with other details" in e for e in failed.value.errors)


@needs_examples
@pytest.mark.django_db
def test_import_and_export_commands(tmp_path: Path) -> None:
    lines, now = _example("email-24-hours")
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    out = io.StringIO()
    call_command("import", str(source), "--now", now.isoformat(), stdout=out)
    assert out.getvalue().strip() == "imported 1 case(s) with 5 event(s) and 1 partner line(s)"
    target = tmp_path / "out.jsonl"
    call_command("export", "--case", "C3", "--output", str(target))
    assert _events(target.read_text().splitlines()) == _events(lines)
    with pytest.raises(CommandError, match="no such case: NOPE"):
        call_command("export", "--case", "NOPE")


@pytest.mark.django_db
def test_import_command_prints_every_bad_line(tmp_path: Path) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text("\n".join(BAD) + "\n")
    err = io.StringIO()
    with pytest.raises(CommandError, match="3 bad line"):
        call_command("import", str(source), "--now", "2026-03-10T12:00:00+00:00", stderr=err)
    assert [line.split(":")[0] for line in err.getvalue().splitlines()] == ["3", "4", "5"]
