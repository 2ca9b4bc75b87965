"""From the API to the participant's inbox: acknowledging an email through the API sends the
acknowledgement over SMTP once the write commits."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from tests.api.conftest import client_for
from tests.factories import MONDAY, clinician_of, utc
from tests.outreach.test_messages import ORIGINAL_ID, Inbox, _case, _email, smtp  # noqa: F401

pytestmark = pytest.mark.django_db


def test_acknowledged_through_the_api_and_emailed(
    smtp: Inbox,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    case = _case()
    email = _email(case)
    client = client_for(clinician_of(case))
    with (
        time_machine.travel(utc(2, 10), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            f"/api/v1/cases/{case.reference}/events/",
            {"type": "email_acknowledged", "at": MONDAY.isoformat(), "email": email.event_id},
            format="json",
        )
    assert response.status_code == 201
    [(recipients, message)] = smtp.received
    assert recipients == [case.participant.email]
    assert message["In-Reply-To"] == ORIGINAL_ID
