"""The benchmark data is the same for a seed and a reference time, whichever way it is loaded:
in this process (a test's transaction), or by worker processes on a database file. The
expected digest is the generator's output before the loader was parallelised (by natural keys,
so it holds on PostgreSQL as on SQLite)."""

from __future__ import annotations

import json
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
