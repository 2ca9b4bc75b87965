"""The embedded SQLite database syncs every commit (`synchronous=FULL`), in WAL mode."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="a SQLite setting"),
]


def test_every_connection_runs_with_synchronous_full() -> None:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL
    assert "PRAGMA synchronous=FULL;" in settings.DATABASES["default"]["OPTIONS"]["init_command"]
