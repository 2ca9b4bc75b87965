"""A read's audit row commits with SQLite's `synchronous=NORMAL`, and nothing else does
(ADR 0049): every write still commits with the connection's FULL, after a read in the same
request or on the same connection, after a read whose audit failed, and when the read runs
inside a caller's transaction (whose commit may hold writes).

The commits must be real ones, on a WAL database file as the application runs: a process of
its own on a migrated file (the suite's own database is in memory, each test inside a
transaction that never commits, and the audit trail is append-only, so a transactional test
could not be flushed), as tests/cases/test_concurrency_race.py does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_SCRIPT = """
import json
from typing import Any

import django

django.setup()
from django.db import connection, transaction
from django.test import Client, RequestFactory
from django.test.utils import setup_test_environment

from eapcase.accounts.choices import Role
from eapcase.audit.models import AuditEvent
from eapcase.cases import reads
from eapcase.cases.models import Note
from eapcase.cases.services import note_add
from eapcase.core import clock
from tests.factories import open_case, user_with_role

setup_test_environment()
seen: list[int] = []
original = connection._commit


def commit() -> Any:
    # The level in force when each transaction commits.
    seen.append(int(connection.connection.execute("PRAGMA synchronous").fetchone()[0]))
    return original()


def level() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        return int(cursor.fetchone()[0])


case = open_case()
user = user_with_role(Role.PARTNER_CLINICIAN, partner=case.partner)
client = Client()
client.force_login(user)
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    out: dict[str, Any] = {"journal": cursor.fetchone()[0], "level": level()}
connection._commit = commit


def read() -> bool:
    request = RequestFactory().get("/")
    request.user = user
    return reads.read_record(request, action="case.read", case=case)


def step(name: str) -> None:
    out[name] = {"commits": list(seen), "after": level()}
    seen.clear()


read()
step("read")
assert client.get(f"/cases/{case.reference}/").status_code == 200
step("page")
response = client.post(
    f"/cases/{case.reference}/note/",
    {"summary": "Called the participant", "next_step": "Call again", "version": case.version},
)
assert response.status_code == 302, response.status_code
assert Note.objects.filter(case=case, summary="Called the participant").exists()
step("note through the page")
read()
note_add(actor=user, case=case, summary="Seen", next_step="Wait", now=clock.now())
step("read then a service write")
with transaction.atomic():
    read()
    note_add(actor=user, case=case, summary="Seen again", next_step="Wait", now=clock.now())
step("read inside a caller's transaction")


def broken(**kwargs: Any) -> None:
    raise RuntimeError("the chain head is unreadable")


reads.audit_record = broken
try:
    read()
except RuntimeError:
    out["failed read raised"] = True
step("failed read")
out["reads"] = AuditEvent.objects.filter(action="case.read", case=case).count()
print(json.dumps(out))
"""

NORMAL, FULL = 1, 2


def test_only_the_reads_commit_with_normal(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "eapcase.config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'reads.sqlite3'}",
        "EAPCASE_VAR_DIR": str(tmp_path / "var"),
        "EAPCASE_REQUIRE_MFA": "false",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("EAPCASE_SQLITE_SYNCHRONOUS", None)  # the application's FULL
    eapcase = str(Path(sys.executable).parent / "eapcase")
    subprocess.run(
        [eapcase, "migrate", "--noinput", "--verbosity", "0"],
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_SCRIPT)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert (out["journal"], out["level"]) == ("wal", FULL)
    # The read's own transaction: NORMAL, and FULL again after it.
    assert out["read"] == {"commits": [NORMAL], "after": FULL}
    assert out["page"] == {"commits": [NORMAL], "after": FULL}
    # Every write: FULL, whatever read came before it on the connection.
    writes = out["note through the page"]["commits"]
    assert writes and set(writes) == {FULL}
    assert out["read then a service write"] == {"commits": [NORMAL, FULL], "after": FULL}
    # Inside a caller's transaction the one commit is the caller's, writes and all.
    assert out["read inside a caller's transaction"] == {"commits": [FULL], "after": FULL}
    # A read whose audit failed committed nothing and left the connection at FULL.
    assert out["failed read raised"] is True
    assert out["failed read"] == {"commits": [], "after": FULL}
    assert out["reads"] == 4
