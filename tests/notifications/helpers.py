"""Shared set-up of the notification tests: a London Partner with a lead and an assigned
clinician, WPO's inbox, and running the worker at an instant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import time_machine

from eapcase.accounts.choices import Role
from eapcase.compliance.sweep import SweepReport
from eapcase.compliance.worker import Worker
from tests.factories import (
    OperatorFactory,
    ParticipantFactory,
    PartnerFactory,
    open_case,
    user_with_role,
)


@dataclass
class World:
    partner: Any
    lead: Any
    clinician: Any
    wpo: Any
    case: Any


def world(opened: datetime) -> World:
    OperatorFactory()
    partner = PartnerFactory()
    lead = user_with_role(Role.PARTNER_LEAD, partner=partner)
    clinician = user_with_role(Role.PARTNER_CLINICIAN, partner=partner)
    wpo = user_with_role(Role.WPO_CLINICIAN)
    participant = ParticipantFactory(created_at=datetime(2025, 1, 1, tzinfo=UTC))
    case = open_case(
        actor=clinician,
        partner=partner,
        participant=participant,
        assigned_clinician=clinician,
        now=opened,
    )
    return World(partner=partner, lead=lead, clinician=clinician, wpo=wpo, case=case)


def run_worker(now: datetime) -> tuple[SweepReport, int]:
    """One `eapcase worker --once` at `now` (the clock frozen there): sweep, then the jobs."""
    with time_machine.travel(now, tick=False):
        return Worker(say=lambda _: None).run_once()
