"""Two writers who read the same version of a case, racing (ADR 0038): exactly one write lands,
the other is refused with StaleWrite and writes nothing.

On PostgreSQL: two threads, each with its own connection, released at the same instant (the
pattern of tests/notifications/test_race_postgres.py). On SQLite: two processes on one database
file, as two web workers run; SQLite serialises them at BEGIN IMMEDIATE, so the second reads the
version the first wrote and is refused. The SQLite test runs whatever database the suite uses
(it makes its own file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from eapcase.cases.models import Case, CaseEvent, RiskRecord
from eapcase.cases.record import StaleWrite, expecting
from eapcase.cases.services import risk_set
from tests.factories import clinician_of, open_case, utc

ROOT = Path(__file__).resolve().parents[2]
NOW = utc(2, 12)


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="threads need PostgreSQL (DATABASE_URL=postgres://...); SQLite has its own test below",
)
@pytest.mark.django_db(transaction=True)
def test_two_threads_racing_on_postgresql_one_write_lands() -> None:
    case = open_case()
    seen = Case.objects.get(pk=case.pk).version
    people = [clinician_of(case), clinician_of(case)]
    barrier = threading.Barrier(2)
    outcome: dict[str, Any] = {}

    def write(n: int, level: str) -> None:
        try:
            mine = Case.objects.get(pk=case.pk)  # each reads the case on its own connection
            barrier.wait(timeout=10)
            with expecting(mine, seen):
                risk_set(actor=people[n], case=mine, level=level, reason="Said", now=NOW)
            outcome[level] = "written"
        except StaleWrite as exc:
            outcome[level] = ("stale", exc.seen, exc.current)
        except BaseException as exc:  # reported to the test below
            outcome[level] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=write, args=(0, "high")),
        threading.Thread(target=write, args=(1, "low")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(map(str, outcome.values())) == sorted(
        ["written", str(("stale", seen, seen + 1))]
    ), outcome
    winner = next(level for level, result in outcome.items() if result == "written")
    assert Case.objects.get(pk=case.pk).risk_level == winner
    assert Case.objects.get(pk=case.pk).version == seen + 1
    assert CaseEvent.objects.filter(case=case, type="risk_set").count() == 1
    assert RiskRecord.objects.filter(case=case).count() == 1


_SETUP = """
import json, django
django.setup()
from tests.factories import clinician_of, open_case
case = open_case()
people = [clinician_of(case).pk, clinician_of(case).pk]
print(json.dumps({"case": case.pk, "version": case.version, "people": people}))
"""

_WRITER = """
import json, sys, time
from pathlib import Path
import django
django.setup()
from datetime import datetime
from eapcase.accounts.models import User
from eapcase.cases.models import Case
from eapcase.cases.record import StaleWrite, expecting
from eapcase.cases.services import risk_set
case_pk, seen, person, level, gate = sys.argv[1:6]
case = Case.objects.get(pk=int(case_pk))  # the case as this writer read it
actor = User.objects.get(pk=int(person))
Path(gate, level).touch()  # ready; go when the other is ready too
deadline = time.monotonic() + 60
while len(list(Path(gate).iterdir())) < 2 and time.monotonic() < deadline:
    time.sleep(0.001)
try:
    with expecting(case, int(seen)):
        risk_set(actor=actor, case=case, level=level, reason="Said",
                 now=datetime.fromisoformat(sys.argv[6]))
    print(json.dumps({"level": level, "result": "written"}))
except StaleWrite as exc:
    print(json.dumps({"level": level, "result": "stale", "seen": exc.seen, "now": exc.current}))
"""

_CHECK = """
import json, django
django.setup()
from eapcase.cases.models import Case, CaseEvent, RiskRecord
case = Case.objects.get()
print(json.dumps({"risk": case.risk_level, "version": case.version,
                  "events": CaseEvent.objects.filter(type="risk_set").count(),
                  "records": RiskRecord.objects.count()}))
"""


def _python(code: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def test_two_processes_racing_on_sqlite_one_write_lands(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "eapcase.config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'race.sqlite3'}",
        "EAPCASE_VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": str(ROOT),
    }
    eapcase = str(Path(sys.executable).parent / "eapcase")
    subprocess.run(
        [eapcase, "migrate", "--noinput", "--verbosity", "0"],
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    made = json.loads(_python(_SETUP, env))
    gate = tmp_path / "gate"
    gate.mkdir()
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                textwrap.dedent(_WRITER),
                str(made["case"]),
                str(made["version"]),
                str(person),
                level,
                str(gate),
                NOW.isoformat(),
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for person, level in zip(made["people"], ("high", "low"), strict=True)
    ]
    results = []
    for w in writers:
        out, err = w.communicate(timeout=300)
        assert w.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted(r["result"] for r in results) == ["stale", "written"], results
    stale = next(r for r in results if r["result"] == "stale")
    winner = next(r["level"] for r in results if r["result"] == "written")
    assert (stale["seen"], stale["now"]) == (made["version"], made["version"] + 1)
    after = json.loads(_python(_CHECK, env))
    assert after == {
        "risk": winner,
        "version": made["version"] + 1,
        "events": 1,
        "records": 1,
    }
