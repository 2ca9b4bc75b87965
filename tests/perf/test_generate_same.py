"""The benchmark data is the same for a seed and a reference time, whichever way it is loaded:
in this process (a test's transaction), or by worker processes on a database file. The
expected digest is the generator's output before the loader was parallelised (by natural keys,
so it holds on PostgreSQL as on SQLite)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from eapcase.perf.fingerprint import fingerprint
from eapcase.perf.generator import generate

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
#: 500 cases, seed 11, at NOW (three of them with 200 events).
EXPECTED = json.loads(Path(__file__).with_name("generated-500-seed11.json").read_text())


@pytest.mark.django_db
def test_in_process_generation_matches_the_recorded_digest() -> None:
    generate(cases=500, seed=11, now=NOW, progress=False)
    assert {k: list(v) for k, v in fingerprint().items()} == EXPECTED


def _generate_in_workers(url: str, var: Path) -> dict[str, list[object]]:
    """`bench generate` in its own process (its keys and manifest in `var`), with two workers
    taking tasks of 60 cases."""
    done = subprocess.run(
        [sys.executable, "-m", "eapcase.cli", "bench", "generate", "--cases", "500",
         "--seed", "11", "--now", NOW.isoformat(), "--database-url", url, "--workers", "2",
         "--task-cases", "60", "--no-progress", "--fingerprint"],
        capture_output=True, text=True, check=True, timeout=600,
        env={**os.environ, "EAPCASE_VAR_DIR": str(var)},
    )  # fmt: skip
    line = next(x for x in done.stdout.splitlines() if x.startswith("fingerprint "))
    data: dict[str, list[object]] = json.loads(line.removeprefix("fingerprint "))
    return data


def test_workers_generate_the_same_rows_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    assert _generate_in_workers(url, tmp_path / "var") == EXPECTED
    # The indexes dropped for the load are back, as the migrations made them.
    with sqlite3.connect(tmp_path / "bench.sqlite3") as db:
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"obligation_my_queue", "participant_email_key", "case_reevaluate_due"} <= names


@pytest.mark.postgres
def test_workers_generate_the_same_rows_on_postgresql(tmp_path: Path) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the tests run on SQLite")
    s = connection.settings_dict
    url = f"postgres://{s['USER']}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}_generate"
    try:
        assert _generate_in_workers(url, tmp_path / "var") == EXPECTED
    finally:
        from eapcase.perf import database

        database.drop(url)
