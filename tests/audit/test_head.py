"""`audit_head()`: the checkpoint of a backup (count of rows and the last row's hash)."""

from __future__ import annotations

import pytest
from django.db import transaction

from eapcase.audit.services import GENESIS, AuditHead, audit_head, audit_record
from tests.factories import MONDAY

pytestmark = pytest.mark.django_db


def test_the_head_of_an_empty_trail_is_genesis() -> None:
    assert audit_head() == AuditHead(count=0, hash=GENESIS)


def test_the_head_is_the_count_and_the_last_rows_hash() -> None:
    with transaction.atomic():
        rows = [audit_record(actor=None, action=f"test.{i}", at=MONDAY) for i in range(3)]
    assert audit_head() == AuditHead(count=3, hash=rows[-1].hash)
    assert audit_head().as_json() == {"count": 3, "hash": rows[-1].hash}
