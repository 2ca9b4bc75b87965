"""The report's figures are the engine's: on the demo data, `eapcase export | eapcase check`
at the instant the demo was refreshed gives, rule by rule, the same counts of obligations by
status and of findings as the report and as `eapcase report compliance`."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from eapcase.reports import selectors, services

NOW = "2026-03-10T12:00:00+00:00"
AT = datetime.fromisoformat(NOW)


@pytest.fixture
def demo_loaded(settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.delenv("EAPCASE_DEMO_PASSWORD", raising=False)
    call_command("demo", "--now", NOW, "--cases", "60", stdout=io.StringIO(), stderr=io.StringIO())


def _engine_counts() -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]:
    exported = io.StringIO()
    call_command("export", stdout=exported)
    checked = subprocess.run(
        [sys.executable, "-m", "eapcase.cli", "check", "-", "--now", NOW],
        input=exported.getvalue(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode in (0, 1), checked.stderr
    report = json.loads(checked.stdout)
    obligations: Counter[tuple[str, str]] = Counter()
    findings: Counter[tuple[str, str]] = Counter()
    for case in report["cases"]:
        for o in case["obligations"]:
            obligations[o["rule"], o["status"]] += 1
        for f in case["findings"]:
            findings[f["rule"], f["severity"]] += 1
    return obligations, findings


def _as_counts(records: list[dict]) -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    for r in records:
        for status, key in (("met", "met"), ("late", "late"), ("breached", "breached")):
            counts[r["rule"], status] += r[key]
        # The engine says "overdue" for an open obligation past its deadline at NOW.
        counts[r["rule"], "overdue"] += r["overdue"]
        counts[r["rule"], "open"] += r["still_open"] - r["overdue"]
    return +counts


@pytest.mark.django_db
@time_machine.travel(AT, tick=False)
def test_report_figures_equal_the_engines_on_the_demo_data(demo_loaded) -> None:
    obligations, findings = _engine_counts()
    assert obligations[("CM-CALLBACK", "met")] > 0
    assert any(status == "overdue" for _rule, status in obligations)
    services.facts_catch_up(now=AT)
    query = selectors.ReportQuery(date(2000, 1, 1), date(2030, 12, 31), by=())
    scope = selectors.Scope(user=None, partner_ids=None)
    figures = selectors.compliance_figures(scope=scope, query=query, now=AT)
    from_report: Counter[tuple[str, str]] = Counter()
    for f in figures:
        from_report.update(
            {
                (f.rule, "met"): f.met,
                (f.rule, "late"): f.late,
                (f.rule, "breached"): f.breached,
                (f.rule, "overdue"): f.overdue,
                (f.rule, "open"): f.open - f.overdue,
            }
        )
        assert f.opened == f.met + f.late + f.breached + f.open
    assert +from_report == obligations
    found = {
        (f.rule, sev): n
        for f in selectors.finding_counts(scope=scope, query=query)
        for sev, n in (("breach", f.breaches), ("warning", f.warnings))
        if n
    }
    assert found == dict(findings)


@pytest.mark.django_db
@time_machine.travel(AT, tick=False)
def test_the_report_command_gives_the_same_counts(demo_loaded) -> None:
    obligations, _findings = _engine_counts()
    out = io.StringIO()
    call_command(
        "report",
        "compliance",
        "--from",
        "2000-01-01",
        "--to",
        "2002-01-01",
        "--format",
        "json",
        stdout=out,
    )
    assert json.loads(out.getvalue())["obligations"] == []
    out = io.StringIO()
    call_command(
        "report",
        "compliance",
        "--from",
        "2025-06-01",
        "--to",
        "2026-03-31",
        "--format",
        "json",
        stdout=out,
    )
    document = json.loads(out.getvalue())
    assert _as_counts(document["obligations"]) == obligations
    record = document["obligations"][0]
    assert set(record) >= {"partner", "client", "clinician", "month", "on_time_rate", "judged"}
    csv_out = io.StringIO()
    call_command(
        "report",
        "compliance",
        "--from",
        "2025-06-01",
        "--to",
        "2026-03-31",
        "--format",
        "csv",
        stdout=csv_out,
    )
    assert len(csv_out.getvalue().splitlines()) == len(document["obligations"]) + 1


@pytest.mark.django_db
@time_machine.travel(AT, tick=False)
def test_the_monthly_rollup_adds_up_to_the_facts(demo_loaded) -> None:
    """Whole months from the rollup and the days around them from the facts give what the
    facts alone give (the breakdown by clinician reads only the facts)."""
    services.facts_catch_up(now=AT)
    scope = selectors.Scope(user=None, partner_ids=None)
    mixed = selectors.ReportQuery(date(2025, 9, 17), date(2026, 3, 9), by=("partner", "month"))
    assert selectors.whole_months(mixed.date_from, mixed.date_to) == (
        date(2025, 10, 1),
        date(2026, 2, 28),
    )
    from_rollup = {
        (f.rule, f.keys["partner"], f.keys["month"]): (
            f.opened,
            f.met,
            f.late,
            f.breached,
            f.open,
            f.overdue,
            f.histogram,
        )
        for f in selectors.compliance_figures(scope=scope, query=mixed, now=AT)
    }
    by_clinician = selectors.compliance_figures(
        scope=scope, query=replace(mixed, by=("partner", "clinician", "month")), now=AT
    )
    from_facts: dict[tuple[Any, ...], list[Any]] = {}
    for f in by_clinician:
        key = (f.rule, f.keys["partner"], f.keys["month"])
        total = from_facts.setdefault(key, [0, 0, 0, 0, 0, 0, Counter()])
        for k, n in enumerate((f.opened, f.met, f.late, f.breached, f.open, f.overdue)):
            total[k] += n
        total[6].update(f.histogram)
    assert from_rollup == {k: (*v[:6], dict(v[6])) for k, v in from_facts.items()}
    assert len(from_rollup) > 20
