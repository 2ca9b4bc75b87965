"""Shared set-up of the intake tests: the .eml fixtures, and a Partner mailbox with one case.

The world: WPO staff write from wpo.example.test; the Partner P-UK's case mailbox is
cases@p-uk.example.test; Alex Jones (alex.jones@example.test) has the open case EAP-10001,
opened at OPENED (Mon 2 March 2026 09:00 UTC, GMT in London)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.factories import (
    OperatorFactory,
    ParticipantFactory,
    PartnerFactory,
    clinician_of,
    open_case,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "email"
MAILBOX = "cases@p-uk.example.test"


def eml(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass(frozen=True)
class World:
    partner: Any
    participant: Any
    case: Any
    clinician: Any


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """Attachments are written under a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    yield tmp_path / "media"


@pytest.fixture
def world(db: Any, media_root: Path) -> World:
    OperatorFactory(staff_email_domains="wpo.example.test, wpo-staff.example.test")
    partner = PartnerFactory(code="p-uk", email="Cases@P-UK.example.test")
    participant = ParticipantFactory(full_name="Alex Jones", email="alex.jones@example.test")
    case = open_case(partner=partner, participant=participant, reference="EAP-10001")
    return World(partner, participant, case, clinician_of(case))
