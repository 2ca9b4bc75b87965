"""The stored obligations and findings are exactly what `eapcase check` says of the exported
history: `eapcase export | eapcase check --now T` on the demo data, T being the instant the
demo load refreshed every case at."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import datetime

import pytest
from django.core.management import call_command

from eapcase.cases.models import Case, Finding, Obligation

NOW = "2026-03-10T12:00:00+00:00"


@pytest.fixture
def demo_loaded(settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.delenv("EAPCASE_DEMO_PASSWORD", raising=False)
    call_command("demo", "--now", NOW, "--cases", "60", stdout=io.StringIO(), stderr=io.StringIO())


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@pytest.mark.django_db
def test_export_piped_to_check_gives_the_stored_obligations_and_findings(demo_loaded) -> None:
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
    assert [c["case"] for c in report["cases"]] == list(
        Case.objects.order_by("pk").values_list("reference", flat=True)
    )
    for case in report["cases"]:
        engine_obligations = [
            (
                o["rule"],
                o["trigger"],
                _instant(o["opened_at"]),
                _instant(o["due_at"]),
                _instant(o["satisfied_at"]),
                o["status"],
            )
            for o in case["obligations"]
        ]
        stored_obligations = [
            (o.rule, o.trigger, o.opened_at, o.due_at, o.satisfied_at, o.status)
            for o in Obligation.objects.filter(case__reference=case["case"]).order_by("position")
        ]
        assert stored_obligations == engine_obligations, case["case"]
        engine_findings = [
            (f["rule"], f["event"], _instant(f["at"]), f["severity"]) for f in case["findings"]
        ]
        stored_findings = [
            (f.rule, f.event_id, f.at, f.severity)
            for f in Finding.objects.filter(case__reference=case["case"]).order_by("position")
        ]
        assert stored_findings == engine_findings, case["case"]
    assert Obligation.objects.count() == sum(len(c["obligations"]) for c in report["cases"])
    assert Obligation.objects.filter(status="overdue").exists()
