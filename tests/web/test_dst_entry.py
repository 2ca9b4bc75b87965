"""The repeated hour of an autumn clock change can be entered on the pages (issue #13 item 8e):
the form answers with the question beside the field, and takes the chosen instant; a skipped
spring time is refused beside the field. On a Partner's case page (London) and on the provider
portal (a New York Partner's referral)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.cases.models import Note, Session
from tests.factories import PartnerFactory, ProviderFactory, open_case, user_with_role

pytestmark = pytest.mark.django_db

AUTUMN = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # after both autumn changes


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(AUTUMN, tick=False):
        yield


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_note_in_londons_repeated_hour() -> None:
    partner = PartnerFactory(code="p-ldn", timezone="Europe/London")
    case = open_case(partner=partner, now=datetime(2026, 10, 20, 9, 0, tzinfo=UTC))
    client = _client(user_with_role(Role.PARTNER_CLINICIAN, partner=partner))
    url = f"/cases/{case.reference}/note/"
    note = {"summary": "Called back", "next_step": "Wait", "at": "2026-10-25T01:30"}

    asked = client.post(url, note)
    assert asked.status_code == 200
    html = asked.content.decode()
    assert "01:30 on Sun 25 Oct 2026 happens twice in Europe/London" in html
    assert 'for="id_at_fold_1">The second 01:30 (GMT, UTC+00:00)' in html
    assert not Note.objects.exists()

    done = client.post(url, {**note, "at_fold": "1"})
    assert done.status_code == 302
    assert Note.objects.get(case=case).written_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_a_session_in_new_yorks_repeated_hour_and_a_skipped_spring_time() -> None:
    partner = PartnerFactory(
        code="p-nyc", timezone="America/New_York", country="US", subdivision="NY"
    )
    provider = ProviderFactory(partners=[partner])
    case = open_case(
        partner=partner, provider=provider, now=datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    )
    client = _client(user_with_role(Role.PROVIDER, provider=provider))
    url = f"/provider/cases/{case.reference}/sessions/"

    skipped = client.post(url, {"session-at": "2026-03-08T02:30"})
    assert skipped.status_code == 400
    assert (
        "There is no 02:30 on Sun 8 Mar 2026 in America/New_York: the clocks go forward from "
        "02:00 to 03:00."
    ) in skipped.content.decode()

    asked = client.post(url, {"session-at": "2026-11-01T01:30"})
    assert asked.status_code == 400
    html = asked.content.decode()
    assert 'id="id_session-at_fold"' in html
    assert 'for="id_session-at_fold_0">The first 01:30 (EDT, UTC-04:00)' in html
    assert not Session.objects.exists()

    done = client.post(url, {"session-at": "2026-11-01T01:30", "session-at_fold": "0"})
    assert done.status_code == 302
    assert Session.objects.get(case=case).held_at == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
