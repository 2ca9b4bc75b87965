"""The provider's pages through HTTP: the referral list and page, every action's happy path and
refusal, and who may download stored case notes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from eapcase.accounts.choices import Role
from eapcase.cases.models import Finding, Override, Session
from eapcase.providers.models import CaseNotesUpload, InterventionEnd, ProviderContact
from eapcase.providers.services import case_notes_upload, provider_contact_respond
from tests.factories import (
    ProviderFactory,
    clinician_of,
    db_state,
    obligations_of,
    open_case,
    user_with_role,
    utc,
)

pytestmark = pytest.mark.django_db

NOW = utc(2, 11)  # Mon 2 March 2026 11:00 UTC = 11:00 in London (GMT)


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """Stored files go to a temporary directory; the clock stands at NOW."""
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOW, tick=False):
        yield tmp_path


def _referred(case_type: str = "individual", **kwargs: Any) -> tuple[Any, Any]:
    """A case referred to a new provider, and that provider's user."""
    provider = ProviderFactory()
    case = open_case(provider=provider, case_type=case_type, **kwargs)
    return case, user_with_role(Role.PROVIDER, provider=provider)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(case: Any, action: str = "") -> str:
    return f"/provider/cases/{case.reference}/{action}"


def _messages(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- the list ----------------------------------------------------------------------------------


def test_a_provider_lists_only_the_cases_referred_to_them() -> None:
    mine, provider_user = _referred()
    also_mine = open_case(provider=mine.provider, partner=mine.partner, case_type="couples")
    _other_provider, _ = _referred()
    open_case(partner=mine.partner)  # not referred at all
    response = _client(provider_user).get("/provider/")
    assert response.status_code == 200
    rows = [
        (r.case.reference, r.sessions_held, r.sessions_authorised, r.notes, r.contacts_awaiting)
        for r in response.context["referrals"]
    ]
    assert sorted(rows) == sorted(
        [(mine.reference, 0, 6, "", 0), (also_mine.reference, 0, 1, "", 0)]
    )


def test_the_list_shows_sessions_notes_due_and_contacts() -> None:
    case, provider_user = _referred()
    client = _client(provider_user)
    client.post(_url(case, "sessions/"), {"session-at": "2026-03-02T10:00"})
    client.post(_url(case, "intervention-end/"), {"end-at": "2026-03-02T10:50"})
    client.post(_url(case, "queries/"), {"query-text": "May we add a session?"})
    response = client.get("/provider/")
    (row,) = response.context["referrals"]
    assert (
        row.sessions_held,
        row.sessions_authorised,
        row.notes,
        row.contacts_awaiting,
        row.contacts_answered,
    ) == (1, 6, "due", 1, 0)
    assert b"1 awaiting an answer" in response.content


def test_the_list_reads_a_constant_number_of_queries(django_assert_num_queries: Any) -> None:
    """As many queries for four referrals with contacts as for one without (the count is
    taken from the first page, so that queries of the shared layout do not matter here)."""
    case, provider_user = _referred()
    client = _client(provider_user)
    client.get("/provider/")  # the session is read and saved once
    with CaptureQueriesContext(connection) as one:
        client.get("/provider/")
    queries = len(one.captured_queries)  # read now: every request resets the query log
    for n in range(3):
        more = open_case(provider=case.provider, partner=case.partner)
        client.post(_url(more, "queries/"), {"query-text": f"Question {n}"})
    with django_assert_num_queries(queries):
        response = client.get("/provider/")
    assert len(response.context["referrals"]) == 4


def test_the_list_is_for_providers() -> None:
    case, _provider_user = _referred()
    assert _client(clinician_of(case)).get("/provider/").status_code == 403


def test_the_list_asks_an_anonymous_visitor_to_log_in() -> None:
    response = Client().get("/provider/")
    assert (response.status_code, response["Location"]) == (
        302,
        "/accounts/login/?next=/provider/",
    )


# --- the referral page -------------------------------------------------------------------------


def test_the_provider_opens_a_referral_with_every_form_labelled() -> None:
    case, provider_user = _referred()
    response = _client(provider_user).get(_url(case))
    assert response.status_code == 200
    html = response.content.decode()
    for field_id in (
        "id_session-at",
        "id_end-at",
        "id_notes-file",
        "id_flag-text",
        "id_query-text",
        "id_flag-topic_0",
        "id_flag-topic_1",
    ):
        assert f'for="{field_id}"' in html
        assert f'id="{field_id}"' in html
    assert 'value="2026-03-02T11:00"' in html  # now, in the Partner's zone
    assert 'enctype="multipart/form-data"' in html


@pytest.mark.parametrize("who", ["other_provider", "missing"])
def test_a_provider_guessing_a_case_gets_404(who: str) -> None:
    case, _provider_user = _referred()
    other_case, other_provider_user = _referred()
    ref = case.reference if who == "other_provider" else "EAP-99999"
    client = _client(other_provider_user)
    assert client.get(f"/provider/cases/{ref}/").status_code == 404
    assert client.get(f"/provider/cases/{other_case.reference}/").status_code == 200


@pytest.mark.parametrize(
    "action",
    ["sessions/", "intervention-end/", "notes/", "flags/", "queries/"],
)
def test_another_provider_acting_on_a_case_gets_404_and_nothing_is_written(action: str) -> None:
    case, _provider_user = _referred()
    _other_case, other_provider_user = _referred()
    before = db_state()
    response = _client(other_provider_user).post(_url(case, action), {})
    assert response.status_code == 404
    assert db_state() == before


@pytest.mark.parametrize(
    "action",
    ["sessions/", "intervention-end/", "notes/", "flags/", "queries/"],
)
def test_partner_staff_may_read_the_referral_but_not_act_as_its_provider(action: str) -> None:
    case, _provider_user = _referred()
    client = _client(clinician_of(case))
    page = client.get(_url(case))
    assert page.status_code == 200
    assert page.context["can_provide"] is False
    assert b"Record the session" not in page.content
    before = db_state()
    assert client.post(_url(case, action), {}).status_code == 403
    assert db_state() == before


def test_the_actions_accept_only_post() -> None:
    case, provider_user = _referred()
    assert _client(provider_user).get(_url(case, "sessions/")).status_code == 405


# --- record a session --------------------------------------------------------------------------


def test_the_provider_records_a_session() -> None:
    case, provider_user = _referred()
    response = _client(provider_user).post(
        _url(case, "sessions/"), {"session-at": "2026-03-02T10:30"}
    )
    assert (response.status_code, response["Location"]) == (302, _url(case) + "#sessions")
    assert _messages(response) == ["Session 1 recorded."]
    assert list(Session.objects.filter(case=case).values_list("number", "held_at", "provider")) == [
        (1, utc(2, 10, 30), case.provider_id)
    ]


def test_a_session_beyond_the_authorisation_asks_for_a_reason_then_records_the_finding() -> None:
    case, provider_user = _referred("couples")
    client = _client(provider_user)
    client.post(_url(case, "sessions/"), {"session-at": "2026-03-02T10:00"})
    before = db_state()
    asked = client.post(_url(case, "sessions/"), {"session-at": "2026-03-02T10:30"})
    assert asked.status_code == 409
    assert db_state() == before
    reasons = asked.context["session_form"].needs_confirmation
    assert [r.split(":")[0].split(" ")[0] for r in reasons] == [
        "CM-SESSION-UNAUTHORISED",
        "CM-REVIEW",
    ]
    html = asked.content.decode()
    assert 'for="id_session-confirm"' in html
    assert "This session is beyond what is authorised." in html

    confirmed = client.post(
        _url(case, "sessions/"),
        {"session-at": "2026-03-02T10:30", "session-confirm": "Participant in crisis."},
    )
    assert confirmed.status_code == 302
    assert Session.objects.filter(case=case).count() == 2
    assert list(Finding.objects.filter(case=case).values_list("rule", flat=True)) == [
        "CM-SESSION-UNAUTHORISED"
    ]
    override = Override.objects.get(case=case)
    assert (override.reason, override.by) == ("Participant in crisis.", provider_user)


@pytest.mark.parametrize(
    ("at", "error"),
    [
        ("", "This field is required."),
        ("yesterday", "Enter a valid date/time."),
        ("2026-03-02T12:00", "is in the future"),
        ("2026-03-01T10:00", "is before the case was opened"),
    ],
)
def test_a_session_with_a_bad_time_is_refused(at: str, error: str) -> None:
    case, provider_user = _referred()
    before = db_state()
    response = _client(provider_user).post(_url(case, "sessions/"), {"session-at": at})
    assert response.status_code == 400
    assert response.context["session_form"].errors == {"at": [error]}
    assert db_state() == before
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert 'class="form-control is-invalid" autofocus required aria-invalid="true"' in html


def test_a_session_on_a_closed_case_is_refused() -> None:
    from eapcase.cases.models import Case

    case, provider_user = _referred()
    Case.objects.filter(pk=case.pk).update(status="closed", closed_at=utc(2, 10))
    response = _client(provider_user).post(
        _url(case, "sessions/"), {"session-at": "2026-03-02T10:30"}
    )
    assert response.status_code == 400
    assert response.context["session_form"].non_field_errors() == ["the case is closed"]


# --- end the intervention ----------------------------------------------------------------------


def test_the_provider_ends_the_intervention_and_notes_fall_due() -> None:
    case, provider_user = _referred()
    response = _client(provider_user).post(
        _url(case, "intervention-end/"), {"end-at": "2026-03-02T10:45"}
    )
    assert response.status_code == 302
    ended = InterventionEnd.objects.get(case=case)
    assert (ended.provider_id, ended.ended_at) == (case.provider_id, utc(2, 10, 45))
    assert ("CM-NOTES-UPLOAD", ended.event_id, "open") in [
        (rule, trigger, status) for rule, trigger, *_rest, status in obligations_of(case)
    ]
    page = _client(provider_user).get(_url(case))
    assert page.context["detail"].referral.notes == "due"
    assert b"End the intervention</button>" not in page.content


def test_ending_the_intervention_in_the_future_is_refused() -> None:
    case, provider_user = _referred()
    response = _client(provider_user).post(
        _url(case, "intervention-end/"), {"end-at": "2026-03-03T10:45"}
    )
    assert response.status_code == 400
    assert response.context["end_form"].errors == {"at": ["is in the future"]}
    assert not InterventionEnd.objects.exists()


# --- flag a risk or a goal slip, send a query, read the answer ---------------------------------


@pytest.mark.parametrize(
    ("topic", "message"),
    [
        ("goal_slip", "The goal slip is flagged to the Partner as urgent."),
        ("risk", "The risk situation is flagged to the Partner as urgent."),
    ],
)
def test_the_provider_flags_a_risk_or_a_goal_slip(topic: str, message: str) -> None:
    case, provider_user = _referred()
    response = _client(provider_user).post(
        _url(case, "flags/"), {"flag-topic": topic, "flag-text": "Missed two sessions."}
    )
    assert response.status_code == 302
    assert _messages(response) == [message]
    contact = ProviderContact.objects.get(case=case)
    assert (contact.topic, contact.urgent, contact.text, contact.provider_id) == (
        topic,
        True,
        "Missed two sessions.",
        case.provider_id,
    )
    due = [o for o in obligations_of(case) if o[0] == "CM-PROVIDER-RESPONSE"]
    assert [(o[1], o[3], o[6]) for o in due] == [(contact.event_id, utc(3, 11), "open")]


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"flag-topic": "goal_slip", "flag-text": "  "}, {"text": ["This field is required."]}),
        (
            {"flag-topic": "query", "flag-text": "Not urgent."},
            {"topic": ["Select a valid choice. query is not one of the available choices."]},
        ),
        ({"flag-text": "Which?"}, {"topic": ["This field is required."]}),
    ],
)
def test_a_flag_without_a_topic_or_text_is_refused(
    data: dict[str, str], errors: dict[str, list[str]]
) -> None:
    case, provider_user = _referred()
    response = _client(provider_user).post(_url(case, "flags/"), data)
    assert response.status_code == 400
    assert response.context["flag_form"].errors == errors
    assert not ProviderContact.objects.exists()


def test_the_provider_sends_a_query_and_reads_the_answer() -> None:
    case, provider_user = _referred()
    client = _client(provider_user)
    response = client.post(_url(case, "queries/"), {"query-text": "May we add a session?"})
    assert response.status_code == 302
    contact = ProviderContact.objects.get(case=case)
    assert (contact.topic, contact.urgent) == ("query", False)
    waiting = client.get(_url(case)).content.decode()
    assert "Awaiting the Partner's answer, due by" in waiting

    provider_contact_respond(
        actor=clinician_of(case), contact=contact, response="Yes, one more.", now=utc(2, 11)
    )
    page = client.get(_url(case))
    (row,) = page.context["detail"].contacts
    assert (row.contact.response, row.contact.responded_at) == ("Yes, one more.", utc(2, 11))
    assert "Yes, one more." in page.content.decode()
    (listed,) = client.get("/provider/").context["referrals"]
    assert (listed.contacts_awaiting, listed.contacts_answered) == (0, 1)


def test_an_empty_query_is_refused() -> None:
    case, provider_user = _referred()
    response = _client(provider_user).post(_url(case, "queries/"), {"query-text": ""})
    assert response.status_code == 400
    assert response.context["query_form"].errors == {"text": ["This field is required."]}


# --- download of stored case notes -------------------------------------------------------------


def _uploaded(case: Any, provider_user: Any) -> CaseNotesUpload:
    response = _client(provider_user).post(
        _url(case, "notes/"),
        {"notes-file": SimpleUploadedFile("my notes.txt", b"Session summary\n")},
    )
    assert response.status_code == 302
    return CaseNotesUpload.objects.get(case=case)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("uploading_provider", 200),
        ("partner_clinician", 200),
        ("partner_lead", 200),
        ("partner_admin", 404),
        ("other_provider", 404),
        ("other_partner_clinician", 404),
        ("wpo_clinician", 200),
        ("wpo_admin", 404),
    ],
)
def test_who_may_download_stored_case_notes(who: str, status: int) -> None:
    case, provider_user = _referred()
    upload = _uploaded(case, provider_user)
    users = {
        "uploading_provider": lambda: provider_user,
        "partner_clinician": lambda: clinician_of(case),
        "partner_lead": lambda: user_with_role(Role.PARTNER_LEAD, partner=case.partner),
        "partner_admin": lambda: user_with_role(Role.PARTNER_ADMIN, partner=case.partner),
        "other_provider": lambda: _referred()[1],
        "other_partner_clinician": lambda: user_with_role(Role.PARTNER_CLINICIAN),
        "wpo_clinician": lambda: user_with_role(Role.WPO_CLINICIAN),
        "wpo_admin": lambda: user_with_role(Role.WPO_ADMIN),
    }
    client = _client(users[who]())
    response = client.get(_url(case, f"notes/{upload.pk}/"))
    assert response.status_code == status
    if who == "partner_admin":  # an admin sees that notes exist, without the link to the file
        page = client.get(_url(case)).content.decode()
        assert ("my notes.txt" in page, f"notes/{upload.pk}/" in page) == (True, False)
    if who == "wpo_admin":  # reads no case at all (ADR 0010): not even the referral page
        assert client.get(_url(case)).status_code == 404
    if status == 200:
        assert b"".join(response.streaming_content) == b"Session summary\n"
        assert (
            response["Content-Type"],
            response["Content-Disposition"],
            response["Cache-Control"],
            response["X-Content-Type-Options"],
        ) == (
            "text/plain; charset=utf-8",
            'attachment; filename="my notes.txt"',
            "max-age=0, no-cache, no-store, must-revalidate, private",
            "nosniff",
        )


def test_an_anonymous_download_is_sent_to_log_in() -> None:
    case, provider_user = _referred()
    upload = _uploaded(case, provider_user)
    url = _url(case, f"notes/{upload.pk}/")
    response = Client().get(url)
    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={url}")


def test_notes_of_another_case_are_not_served_under_this_one() -> None:
    case, provider_user = _referred()
    other, other_user = _referred()
    upload = _uploaded(other, other_user)
    response = _client(provider_user).get(_url(case, f"notes/{upload.pk}/"))
    assert response.status_code == 404


def test_an_imported_upload_without_a_file_has_no_download() -> None:
    case, provider_user = _referred()
    upload = case_notes_upload(
        actor=None, case=case, now=NOW, at=utc(2, 10), historical=True, original_name="old.txt"
    )
    client = _client(provider_user)
    assert client.get(_url(case, f"notes/{upload.pk}/")).status_code == 404
    page = client.get(_url(case)).content.decode()
    assert "old.txt" in page
    assert f"notes/{upload.pk}/" not in page
