"""Cases are re-evaluated when time alone changes the engine's verdict (Case.reevaluate_at)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from eapcase.cases.record import compliance_refresh_due
from eapcase.outreach.services import email_receive
from tests.factories import MONDAY, clinician_of, obligations_of, open_case

pytestmark = pytest.mark.django_db


def test_an_unanswered_email_opens_the_inform_obligation_when_its_24_hours_run_out() -> None:
    case = open_case()
    email_receive(actor=clinician_of(case), case=case, sender_kind="participant", now=MONDAY)
    case.refresh_from_db()
    assert case.reevaluate_at == MONDAY + timedelta(hours=24)
    assert compliance_refresh_due(now=MONDAY + timedelta(hours=23)) == 0
    assert [o[0] for o in obligations_of(case)] == ["CM-EMAIL-ACK", "CM-EMAIL-ACTION"]

    assert compliance_refresh_due(now=MONDAY + timedelta(hours=24, minutes=1)) == 1
    case.refresh_from_db()
    assert [(o[0], o[-1]) for o in obligations_of(case)] == [
        ("CM-EMAIL-ACK", "overdue"),
        ("CM-EMAIL-ACTION", "overdue"),
        ("CM-EMAIL-INFORM", "open"),
    ]
    assert case.reevaluate_at == MONDAY + timedelta(hours=25)

    assert compliance_refresh_due(now=MONDAY + timedelta(hours=25)) == 1
    assert [(o[0], o[-1]) for o in obligations_of(case)][-1] == ("CM-EMAIL-INFORM", "overdue")
    case.refresh_from_db()
    assert case.reevaluate_at is None
    assert compliance_refresh_due(now=MONDAY + timedelta(days=30)) == 0
