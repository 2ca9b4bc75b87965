"""The worker verifies the audit trail once a day (ADR 0035): a break marks the day's duty
failed and tells every active WPO admin in the app, once a day however often it is retried;
an intact trail tells nobody. The newest backup's checkpoint is checked too."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

from eapcase.accounts.choices import Role
from eapcase.audit.services import audit_head
from eapcase.compliance.worker import Worker
from eapcase.notifications.choices import Level
from eapcase.notifications.models import Notification
from eapcase.ops import duties
from eapcase.ops.duties import AUDIT
from eapcase.ops.models import DailyRun
from tests.audit.test_tamper import triggers_lifted
from tests.factories import open_case, user_with_role, utc

pytestmark = pytest.mark.django_db

HOOKS = ["eapcase.ops.duties.worker_loop"]
T0 = utc(9, 2)


def _loop(at: Any) -> None:
    with time_machine.travel(at, tick=False):
        Worker(worker_id="w1", hooks=HOOKS, say=lambda _: None).run_once()


@pytest.fixture
def site(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    settings.EAPCASE_BACKUP_DIR = tmp_path
    # Only this duty: the backup's own tests take backups (and take minutes).
    monkeypatch.setattr(duties, "DAILY", {AUDIT: duties.DAILY[AUDIT]})
    case = open_case()
    admins = [user_with_role(Role.WPO_ADMIN), user_with_role(Role.WPO_ADMIN)]
    user_with_role(Role.WPO_CLINICIAN)  # not told: the alert is for WPO admins
    return {"case": case, "admins": admins, "backups": tmp_path}


def test_an_intact_trail_passes_and_tells_nobody(site: dict[str, Any]) -> None:
    _loop(T0)
    run = DailyRun.objects.get(name=AUDIT)
    assert (run.ok, run.outcome.startswith("audit trail intact")) == (True, True)
    assert not Notification.objects.filter(level=Level.AUDIT_BREAK).exists()


def test_a_break_fails_the_duty_and_tells_each_wpo_admin_once(site: dict[str, Any]) -> None:
    with triggers_lifted() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_name = 'someone-else'")
    _loop(T0)
    run = DailyRun.objects.get(name=AUDIT)
    assert run.ok is False
    assert "was changed after it was written" in run.outcome
    told = Notification.objects.filter(level=Level.AUDIT_BREAK)
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted(
        a.pk for a in site["admins"]
    )
    assert all(n.urgent and "audit trail failed" in n.text for n in told)
    _loop(T0 + timedelta(hours=1, minutes=1))  # retried an hour later: still broken
    assert DailyRun.objects.get(name=AUDIT).ok is False
    assert told.count() == 2  # not told twice the same day


def test_a_chain_cut_below_the_newest_backups_checkpoint_is_a_break(
    site: dict[str, Any],
) -> None:
    folder = site["backups"] / "2026-03-08"
    folder.mkdir()
    head = audit_head()
    (folder / "manifest.json").write_text(
        json.dumps({"checkpoint": {"count": head.count + 5, "hash": head.hash}})
    )
    _loop(T0)
    run = DailyRun.objects.get(name=AUDIT)
    assert run.ok is False
    assert "rows were removed from its end" in run.outcome
    assert Notification.objects.filter(level=Level.AUDIT_BREAK).count() == 2
