"""Database constraints of outreach: a call back is to the participant, a closed outreach says
why, an outreach is recorded once per event, an email's Message-ID is received once."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from eapcase.outreach.models import Email, OutreachRequest
from tests.factories import MONDAY, open_case

pytestmark = pytest.mark.django_db


def _request(case: Any, **kwargs: Any) -> OutreachRequest:
    values = {"case": case, "kind": "outreach", "requested_at": MONDAY, "event_id": "E1", **kwargs}
    return OutreachRequest.objects.create(**values)


@pytest.mark.parametrize(
    ("purpose", "target"),
    [("complaint", "participant"), ("checkin", "participant"), ("general", "provider")],
)
def test_a_call_back_is_a_general_request_to_the_participant(purpose: str, target: str) -> None:
    case = open_case()
    with pytest.raises(IntegrityError, match="callback_is_to_participant"), transaction.atomic():
        _request(case, kind="callback", purpose=purpose, target=target)
    _request(case, kind="outreach", purpose=purpose, target=target)
    assert OutreachRequest.objects.filter(case=case).count() == 1


def test_a_closed_outreach_says_why() -> None:
    case = open_case()
    with pytest.raises(IntegrityError, match="outreach_close_reason"), transaction.atomic():
        _request(case, closed_at=MONDAY, close_reason="")
    _request(case, closed_at=MONDAY, close_reason="reached")
    assert OutreachRequest.objects.filter(case=case).count() == 1


def test_an_outreach_is_recorded_once_per_event() -> None:
    case = open_case()
    _request(case)
    with pytest.raises(IntegrityError), transaction.atomic():
        _request(case, purpose="complaint")
    _request(open_case())
    assert OutreachRequest.objects.filter(event_id="E1").count() == 2


def test_an_email_message_id_is_received_once() -> None:
    Email.objects.create(sender_kind="participant", received_at=MONDAY, message_id="<m1@x>")
    with pytest.raises(IntegrityError), transaction.atomic():
        Email.objects.create(sender_kind="wpo", received_at=MONDAY, message_id="<m1@x>")
    # Emails without a Message-ID are not constrained.
    Email.objects.create(sender_kind="participant", received_at=MONDAY)
    Email.objects.create(sender_kind="participant", received_at=MONDAY)
    assert Email.objects.count() == 3
