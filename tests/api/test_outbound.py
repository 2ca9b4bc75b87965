"""From the API to the participant's inbox: acknowledging an email through the API sends the
acknowledgement: a keyed delivery claimed with the write, sent over SMTP by the worker
(ADR 0031)."""

from __future__ import annotations

import pytest
import time_machine

from eapcase.compliance.worker import Worker
from tests.api.conftest import client_for
from tests.factories import MONDAY, clinician_of, utc
from tests.outreach.test_messages import ORIGINAL_ID, Inbox, _case, _email, smtp  # noqa: F401

pytestmark = pytest.mark.django_db


def test_acknowledged_through_the_api_and_emailed(
    smtp: Inbox,  # noqa: F811
) -> None:
    case = _case()
    email = _email(case)
    client = client_for(clinician_of(case))
    with time_machine.travel(utc(2, 10), tick=False):
        response = client.post(
            f"/api/v1/cases/{case.reference}/events/",
            {"type": "email_acknowledged", "at": MONDAY.isoformat(), "email": email.event_id},
            format="json",
        )
    assert response.status_code == 201
    assert smtp.received == []
    assert Worker(say=lambda _: None).run_jobs() == 1
    [(recipients, message)] = smtp.received
    assert recipients == [case.participant.email]
    assert message["In-Reply-To"] == ORIGINAL_ID
