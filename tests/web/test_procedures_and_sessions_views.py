"""The client's procedures at the point of action in the pages (ADR 0027): the contact hours in
the attempt form and the reason asked outside them, the check-in the close page announces and
the timeline shows with its due time; sessions with modality and attendance in the Partner's
page, the provider portal and the API (ADR 0028)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time
from typing import Any

import pytest
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from eapcase.accounts.choices import Role
from eapcase.cases.models import Case, Override, Session
from eapcase.organisations.choices import CheckinTrigger, WindowZone
from eapcase.outreach.models import ContactAttempt, OutreachRequest
from tests.factories import (
    ClientOrganisationFactory,
    ClientProcedureFactory,
    ParticipantFactory,
    ProviderFactory,
    clinician_of,
    open_case,
    user_with_role,
    utc,
)

pytestmark = pytest.mark.django_db
NOW = utc(2, 12)  # Monday 2 March 2026, 12:00 in London (GMT)


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def as_user(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def kestrel_case(participant_zone: str = "", **kwargs: Any) -> Case:
    """A case of a client whose procedure asks for a check-in 10 business days after closure
    and allows contact only 18:00 to 08:00 in the participant's time."""
    client = ClientOrganisationFactory(name="Kestrel Freight")
    ClientProcedureFactory(
        client=client,
        checkin_required=True,
        checkin_trigger=CheckinTrigger.CASE_CLOSED,
        checkin_after_business_days=10,
        checkin_due_business_days=1,
        contact_window_start=time(18, 0),
        contact_window_end=time(8, 0),
        contact_window_zone=WindowZone.PARTICIPANT,
    )
    participant = ParticipantFactory(timezone=participant_zone)
    return open_case(client=client, participant=participant, now=utc(2, 9), **kwargs)


ATTEMPT = {
    "target": "participant",
    "channel": "phone",
    "outcome": "reached",
    "message": "none",
    "summary": "Spoke about the next session.",
}


def test_the_attempt_form_shows_the_clients_contact_hours_on_the_procedures_clock() -> None:
    case = kestrel_case()
    body = as_user(clinician_of(case)).get(f"/cases/{case.reference}/attempt/").content.decode()
    assert "Client&#x27;s contact hours" in body or "Client's contact hours" in body
    assert "18:00 to 08:00, the participant&#x27;s time; their zone is not recorded" in body
    known = kestrel_case(participant_zone="America/New_York")
    body = as_user(clinician_of(known)).get(f"/cases/{known.reference}/attempt/").content.decode()
    assert "18:00 to 08:00, the participant&#x27;s time, America/New_York" in body


def test_an_attempt_outside_the_hours_asks_for_a_reason_and_keeps_it() -> None:
    case = kestrel_case()  # zone unknown: London, where it is 12:00
    page = as_user(clinician_of(case))
    asked = page.post(f"/cases/{case.reference}/attempt/", ATTEMPT)
    body = asked.content.decode()
    assert asked.status_code == 200
    assert "outside the client&#x27;s contact hours" in body
    assert "Reason to go ahead" in body
    assert not ContactAttempt.objects.filter(case=case).exists()
    done = page.post(
        f"/cases/{case.reference}/attempt/",
        {**ATTEMPT, "confirm": "The participant is off shift today and asked for a call."},
    )
    assert done.status_code == 302
    attempt = ContactAttempt.objects.get(case=case)
    override = Override.objects.get(case=case)
    assert override.event_ids == [attempt.event_id]
    assert "contact hours" in override.findings[0]


def test_an_attempt_in_the_hours_on_the_participants_clock_asks_nothing() -> None:
    case = kestrel_case(participant_zone="America/New_York")  # 07:00 there
    done = as_user(clinician_of(case)).post(f"/cases/{case.reference}/attempt/", ATTEMPT)
    assert done.status_code == 302
    assert not Override.objects.filter(case=case).exists()


def test_an_attempt_to_the_provider_is_not_held_to_the_participants_hours() -> None:
    case = kestrel_case(provider=ProviderFactory())
    done = as_user(clinician_of(case)).post(
        f"/cases/{case.reference}/attempt/", {**ATTEMPT, "target": "provider"}
    )
    assert done.status_code == 302
    assert not Override.objects.filter(case=case).exists()


def test_closing_announces_the_checkin_and_the_timeline_shows_it_with_its_due_time() -> None:
    case = kestrel_case()
    page = as_user(clinician_of(case))
    form = page.get(f"/cases/{case.reference}/close/").content.decode()
    assert 'id="checkin-on-close"' in form
    assert "Mon 16 Mar 2026 12:00" in form and "Tue 17 Mar 2026 12:00" in form
    done = page.post(
        f"/cases/{case.reference}/close/", {"outcome": "resolved", "note": "Goals met."}
    )
    assert done.status_code == 302
    request = OutreachRequest.objects.get(case=case, purpose="checkin")
    assert request.due == utc(17, 12)
    body = page.get(f"/cases/{case.reference}/").content.decode()
    assert "Check-in" in body or "check-in" in body
    assert "due by Tue 17 Mar 2026 12:00 Europe/London" in body


def test_the_partner_records_a_session_not_attended_and_the_timeline_shows_it() -> None:
    case = open_case(provider=ProviderFactory(name="Dr Ada Lowe"), now=utc(2, 9))
    page = as_user(clinician_of(case))
    form = page.get(f"/cases/{case.reference}/session/").content.decode()
    assert "Did it take place" in form and "did not attend" in form
    done = page.post(
        f"/cases/{case.reference}/session/",
        {"attendance": "did_not_attend", "modality": "video", "note": "No answer on the link."},
    )
    assert done.status_code == 302
    missed = Session.objects.get(case=case)
    assert (missed.attendance, missed.number, missed.modality) == ("did_not_attend", None, "video")
    held = page.post(
        f"/cases/{case.reference}/session/",
        {"attendance": "attended", "modality": "phone", "duration_minutes": "45"},
    )
    assert held.status_code == 302
    body = page.get(f"/cases/{case.reference}/").content.decode()
    assert "Session not attended" in body and "No answer on the link." in body
    assert "session 1: phone, 45 minutes, with Dr Ada Lowe" in body


def test_a_session_length_out_of_range_is_refused_beside_its_field() -> None:
    case = open_case(now=utc(2, 9))
    refused = as_user(clinician_of(case)).post(
        f"/cases/{case.reference}/session/", {"attendance": "attended", "duration_minutes": "900"}
    )
    assert refused.status_code == 200
    assert "less than or equal to 600" in refused.content.decode()
    assert not Session.objects.filter(case=case).exists()


def test_the_provider_records_a_late_cancellation_and_sees_it() -> None:
    provider = ProviderFactory()
    case = open_case(provider=provider, now=utc(2, 9))
    page = as_user(user_with_role(Role.PROVIDER, provider=provider))
    done = page.post(
        f"/provider/cases/{case.reference}/sessions/",
        {
            "session-attendance": "late_cancellation",
            "session-modality": "in_person",
            "session-at": "2026-03-02T10:30",
        },
    )
    assert done.status_code == 302
    row = Session.objects.get(case=case)
    assert (row.attendance, row.number, row.event_id) == ("late_cancellation", None, "")
    body = page.get(f"/provider/cases/{case.reference}/").content.decode()
    assert "cancelled late" in body and "in person" in body


def test_the_api_records_and_lists_sessions_and_hides_another_partners_case() -> None:
    provider = ProviderFactory()
    case = open_case(provider=provider, now=utc(2, 9))
    api = APIClient()
    api.force_authenticate(user_with_role(Role.PROVIDER, provider=provider))
    made = api.post(
        f"/api/v1/cases/{case.reference}/sessions/",
        {"attendance": "did_not_attend", "modality": "video", "at": utc(2, 10).isoformat()},
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert made.json()["number"] is None and made.json()["event"] == ""
    held = api.post(
        f"/api/v1/cases/{case.reference}/sessions/",
        {"modality": "video", "duration_minutes": 50},
        format="json",
    )
    assert held.status_code == 201 and held.json()["number"] == 1
    listed = api.get(f"/api/v1/cases/{case.reference}/sessions/").json()
    assert [s["attendance"] for s in listed] == ["did_not_attend", "attended"]
    bad = api.post(
        f"/api/v1/cases/{case.reference}/sessions/",
        {"attendance": "did_not_attend", "duration_minutes": 50},
        format="json",
    )
    assert bad.status_code == 400
    other = APIClient()
    other.force_authenticate(user_with_role(Role.PARTNER_CLINICIAN))
    assert other.get(f"/api/v1/cases/{case.reference}/sessions/").status_code == 404
    assert (
        other.post(f"/api/v1/cases/{case.reference}/sessions/", {}, format="json").status_code
        == 404
    )
    assert Session.objects.filter(case=case).count() == 2


def test_an_unknown_participant_zone_falls_back_to_the_partners_and_says_so() -> None:
    from eapcase.web.case_selectors import contact_window_for

    case = kestrel_case(participant_zone="Mars/Olympus_Mons")
    window = contact_window_for(case, NOW)
    assert window is not None and window.window.zone == "Europe/London"
    assert "their zone is not recorded" in window.words
    assert window.outside(utc(2, 19)) == ""  # 19:00 in London
    assert "outside the client's contact hours" in window.outside(NOW)
