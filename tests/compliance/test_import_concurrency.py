"""`eapcase import` never blocks other users (issue #14): while a large history is imported,
another process records notes on another case, and each of its writes commits while the import
is still running, on the database the suite runs on (SQLite here, PostgreSQL in `.ci/run`).

Both sides are real processes on a database of their own (made by `eapcase migrate`), so the
import's transactions, locks and the audit chain head are exactly what production has."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.nodb

CASES = 500
NOW = "2026-03-20T12:00:00+00:00"

WRITER = """
import json, sys, time
import django
django.setup()
from datetime import datetime, timedelta
from eapcase.cases.models import Case
from eapcase.cases.record import NamedActor
from eapcase.cases.services import note_add
case = Case.objects.get(reference="W1")
print("ready", flush=True)
# Start once the import has written its first case: then every note below is written while
# the import is running, whatever the speed of the machine.
deadline = time.time() + 120
while not Case.objects.filter(reference__startswith="IMP-").exists():
    if time.time() > deadline:
        sys.exit("the import wrote no case in 120 s")
    time.sleep(0.01)
stamps = []
for n in range(8):
    now = datetime.fromisoformat("2026-03-20T12:00:00+00:00") + timedelta(seconds=n)
    note_add(actor=NamedActor("writer"), case=case, summary=f"note {n}", next_step="none", now=now)
    stamps.append(time.time())
    time.sleep(0.02)
imported = Case.objects.filter(reference__startswith="IMP-").count()
print(json.dumps({"stamps": stamps, "imported_after_last_note": imported}))
"""


def _history(cases: int) -> str:
    lines = [
        {"type": "partner", "id": "P-UK", "timezone": "Europe/London", "country": "GB"},
    ]
    for n in range(cases):
        ref = f"IMP-{n}"
        lines.append(
            {
                "type": "case",
                "case": ref,
                "at": "2026-03-02T09:00:00+00:00",
                "partner": "P-UK",
                "referral": "self",
                "case_type": "individual",
                "benefit_sessions": 6,
            }
        )
        lines.append({"type": "callback_requested", "case": ref, "at": "2026-03-02T10:00:00Z"})
        for minute in range(3):
            lines.append(
                {
                    "type": "contact_attempt",
                    "case": ref,
                    "at": f"2026-03-02T11:0{minute}:00+00:00",
                    "channel": "phone",
                    "outcome": "not_reached",
                    "message": "detailed",
                    "summary": "Tried the participant",
                }
            )
    return "\n".join(json.dumps(line) for line in lines) + "\n"


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A database of its own for the two processes, of the suite's kind."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        import psycopg

        name = f"eapcase_import_{os.getpid()}"
        dsn = f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={db['USER']}"
        with psycopg.connect(f"{dsn} dbname=postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        yield f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
        with psycopg.connect(f"{dsn} dbname=postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        yield f"sqlite:///{tmp_path / 'import.sqlite3'}"


def _env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "eapcase.config.settings"})
    return env


def _eapcase(*args: str) -> list[str]:
    return [sys.executable, "-m", "eapcase.cli", *args]


def test_other_writes_commit_while_an_import_runs(database_url: str, tmp_path: Path) -> None:
    env = _env(database_url)
    subprocess.run(_eapcase("migrate", "-v0"), env=env, check=True, timeout=300)
    seed = tmp_path / "seed.jsonl"
    seed.write_text(_history(0) + json.dumps(
        {"type": "case", "case": "W1", "at": "2026-03-02T09:00:00+00:00", "partner": "P-UK",
         "referral": "self", "case_type": "individual", "benefit_sessions": 6}
    ) + "\n")  # fmt: skip
    subprocess.run(_eapcase("import", str(seed), "--now", NOW), env=env, check=True, timeout=120)
    big = tmp_path / "big.jsonl"
    big.write_text(_history(CASES))

    # The writer starts first (Django's start-up is slow beside the import's first case) and
    # says when it is ready; it writes once it sees the import's first case in the database.
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "ready", writer.stderr and writer.stderr.read()
    importer = subprocess.Popen(
        _eapcase("import", str(big), "--now", NOW),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    written, writer_err = writer.communicate(timeout=240)
    out, err = importer.communicate(timeout=600)

    assert writer.returncode == 0, writer_err
    assert importer.returncode == 0, err
    result = json.loads(written.strip().splitlines()[-1])
    # Every note committed, and all of them while the import was still writing cases: the
    # import's own transactions never held the database for long.
    assert len(result["stamps"]) == 8
    assert 0 < result["imported_after_last_note"] < CASES
    assert f"imported {CASES} case(s)" in out
