"""providers/services.py: provider contacts and the Partner's answers, the end of an
intervention, completed case notes and their review."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.base import ContentFile

from eapcase.accounts.choices import Role
from eapcase.core.errors import Conflict, ServiceError
from eapcase.providers.models import CaseNotesUpload, InterventionEnd, ProviderContact
from eapcase.providers.services import (
    case_notes_review,
    case_notes_upload,
    intervention_end,
    provider_contact_record,
    provider_contact_respond,
)
from tests.factories import (
    MONDAY,
    ProviderFactory,
    audit_of,
    clinician_of,
    db_state,
    events_of,
    findings_of,
    obligation,
    obligations_of,
    open_case,
    user_with_role,
    utc,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """Uploaded files go to a temporary directory, never to var/media; the clock is frozen
    because the upload path carries the year and month."""
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(MONDAY, tick=False):
        yield tmp_path


def refused(exc: pytest.ExceptionInfo[ServiceError]) -> tuple[type, str | None]:
    return type(exc.value), exc.value.field


def _referred_case() -> tuple[Any, Any, Any]:
    """A case referred to provider `pr-1`, its provider's user and a Partner clinician."""
    provider = ProviderFactory(code="pr-1")
    case = open_case(provider=provider)
    return case, user_with_role(Role.PROVIDER, provider=provider), clinician_of(case)


# --- provider_contact_record / provider_contact_respond ----------------------------------------


@pytest.mark.parametrize(
    ("topic", "urgent"), [("query", False), ("risk", True), ("goal_slip", True)]
)
def test_a_provider_contact_is_recorded_urgent_for_risk_and_goal_slip(
    topic: str, urgent: bool
) -> None:
    case, provider_user, _clinician = _referred_case()
    contact = provider_contact_record(
        actor=provider_user, case=case, topic=topic, text=" Can we add a session? ", now=MONDAY
    )
    row = ProviderContact.objects.get(pk=contact.pk)
    assert (
        row.provider_id,
        row.topic,
        row.urgent,
        row.text,
        row.received_at,
        row.responded_at,
        row.event_id,
    ) == (case.provider_id, topic, urgent, "Can we add a session?", MONDAY, None, "E1")
    assert events_of(case) == [
        (
            1,
            "E1",
            "provider_contact",
            MONDAY,
            provider_user.username,
            {"topic": topic, "urgent": urgent},
        )
    ]
    # One business day on the Partner's calendar: Mon 09:30 -> Tue 09:30.
    assert obligations_of(case) == [
        ("CM-PROVIDER-RESPONSE", "E1", MONDAY, utc(3, 9, 30), None, "", "open")
    ]
    assert audit_of(case)[1:] == [
        (
            "provider.contact_recorded",
            provider_user.username,
            "ProviderContact",
            {"topic": topic, "urgent": urgent, "events": ["E1"]},
        )
    ]


def test_the_urgency_may_be_given() -> None:
    case, provider_user, _clinician = _referred_case()
    contact = provider_contact_record(
        actor=provider_user, case=case, topic="query", text="Urgent", urgent=True, now=MONDAY
    )
    assert contact.urgent is True
    assert events_of(case)[0][5] == {"topic": "query", "urgent": True}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        pytest.param({"topic": "billing"}, "topic", id="topic"),
        pytest.param({"text": "  "}, "text", id="blank-text"),
        pytest.param({"at": MONDAY.replace(tzinfo=None)}, "at", id="naive-at"),
    ],
)
def test_provider_contact_refusals(kwargs: dict[str, Any], field: str) -> None:
    case, provider_user, _clinician = _referred_case()
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        provider_contact_record(
            actor=provider_user,
            case=case,
            **{"topic": "query", "text": "Question", "now": MONDAY, **kwargs},
        )
    assert refused(raised) == (ServiceError, field)
    assert db_state() == before


def test_a_provider_contact_on_an_unreferred_case_is_refused() -> None:
    case = open_case()
    actor = clinician_of(case)
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        provider_contact_record(actor=actor, case=case, topic="query", text="Question", now=MONDAY)
    assert refused(raised) == (ServiceError, "provider")
    assert db_state() == before


def test_the_partner_answers_the_provider() -> None:
    case, provider_user, clinician = _referred_case()
    contact = provider_contact_record(
        actor=provider_user, case=case, topic="query", text="Question", now=MONDAY
    )
    provider_contact_respond(actor=clinician, contact=contact, response=" Yes ", now=utc(2, 14))
    row = ProviderContact.objects.get(pk=contact.pk)
    assert (row.responded_at, row.response, row.responded_by_id) == (
        utc(2, 14),
        "Yes",
        clinician.pk,
    )
    assert events_of(case)[1] == (
        2,
        "E2",
        "provider_responded",
        utc(2, 14),
        clinician.username,
        {"contact": "E1"},
    )
    assert obligations_of(case) == [
        ("CM-PROVIDER-RESPONSE", "E1", MONDAY, utc(3, 9, 30), utc(2, 14), "E2", "met")
    ]
    assert audit_of(case)[-1] == (
        "provider.contact_answered",
        clinician.username,
        "ProviderContact",
        {"events": ["E2"]},
    )


def test_an_answer_after_one_business_day_is_late() -> None:
    case, provider_user, clinician = _referred_case()
    contact = provider_contact_record(
        actor=provider_user, case=case, topic="risk", text="Risk", now=utc(6, 16)
    )
    provider_contact_respond(actor=clinician, contact=contact, response="Called", now=utc(9, 16, 1))
    assert obligation(case, "CM-PROVIDER-RESPONSE", "E1").due_at == utc(9, 16)
    assert obligation(case, "CM-PROVIDER-RESPONSE", "E1").status == "late"


def test_a_blank_answer_is_refused() -> None:
    case, provider_user, clinician = _referred_case()
    contact = provider_contact_record(
        actor=provider_user, case=case, topic="query", text="Question", now=MONDAY
    )
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        provider_contact_respond(actor=clinician, contact=contact, response=" ", now=utc(2, 14))
    assert refused(raised) == (ServiceError, "response")
    assert db_state() == before


def test_answering_twice_is_refused() -> None:
    case, provider_user, clinician = _referred_case()
    contact = provider_contact_record(
        actor=provider_user, case=case, topic="query", text="Question", now=MONDAY
    )
    provider_contact_respond(actor=clinician, contact=contact, response="Yes", now=utc(2, 14))
    before = db_state()
    with pytest.raises(Conflict) as raised:
        provider_contact_respond(actor=clinician, contact=contact, response="No", now=utc(2, 15))
    assert refused(raised) == (Conflict, "contact")
    assert db_state() == before


# --- intervention_end / case_notes_upload / case_notes_review ----------------------------------


def test_the_end_of_an_intervention_makes_case_notes_due() -> None:
    case, provider_user, _clinician = _referred_case()
    ended = intervention_end(actor=provider_user, case=case, now=MONDAY)
    row = InterventionEnd.objects.get(pk=ended.pk)
    assert (row.provider_id, row.provider_code, row.ended_at, row.event_id) == (
        case.provider_id,
        "pr-1",
        MONDAY,
        "E1",
    )
    assert events_of(case) == [
        (1, "E1", "intervention_ended", MONDAY, provider_user.username, {"provider": "pr-1"})
    ]
    assert obligations_of(case) == [("CM-NOTES-UPLOAD", "E1", MONDAY, None, None, "", "open")]
    assert audit_of(case)[1:] == [
        (
            "provider.intervention_ended",
            provider_user.username,
            "InterventionEnd",
            {"events": ["E1"]},
        )
    ]


def test_the_end_of_an_intervention_on_an_unreferred_case_is_refused() -> None:
    case = open_case()
    actor = clinician_of(case)
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        intervention_end(actor=actor, case=case, now=MONDAY)
    assert refused(raised) == (ServiceError, "provider")
    assert db_state() == before


def test_uploaded_notes_satisfy_the_upload_and_await_review(media_root: Path) -> None:
    case, provider_user, _clinician = _referred_case()
    intervention_end(actor=provider_user, case=case, now=MONDAY)
    upload = case_notes_upload(
        actor=provider_user,
        case=case,
        file=ContentFile(b"%PDF-1.4 notes", name="notes.pdf"),
        original_name="notes.pdf",
        content_type="application/pdf",
        now=utc(2, 12),
    )
    row = CaseNotesUpload.objects.get(pk=upload.pk)
    assert (
        row.provider_id,
        row.provider_code,
        row.uploaded_at,
        row.original_name,
        row.content_type,
        row.size,
        row.event_id,
        row.reviewed_at,
    ) == (case.provider_id, "pr-1", utc(2, 12), "notes.pdf", "application/pdf", 14, "E2", None)
    assert row.file.name == f"case-notes/2026/03/{case.reference}-E2"
    assert (media_root / row.file.name).read_bytes() == b"%PDF-1.4 notes"
    assert obligations_of(case) == [
        ("CM-NOTES-REVIEW", "E2", utc(2, 12), None, None, "", "open"),
        ("CM-NOTES-UPLOAD", "E1", MONDAY, None, utc(2, 12), "E2", "met"),
    ]
    assert audit_of(case)[-1] == (
        "provider.case_notes_uploaded",
        provider_user.username,
        "CaseNotesUpload",
        {"events": ["E2"]},
    )


def test_uploading_without_a_file_is_refused() -> None:
    case, provider_user, _clinician = _referred_case()
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        case_notes_upload(actor=provider_user, case=case, now=MONDAY)
    assert refused(raised) == (ServiceError, "file")
    assert db_state() == before


def test_an_imported_upload_may_name_a_provider_this_installation_does_not_know() -> None:
    case = open_case()
    upload = case_notes_upload(
        actor=None, case=case, provider="PR-ELSEWHERE", now=MONDAY, historical=True
    )
    assert (upload.provider_id, upload.provider_code, upload.file.name) == (
        None,
        "PR-ELSEWHERE",
        "",
    )
    assert events_of(case)[0][5] == {"provider": "PR-ELSEWHERE"}


def _uploaded(case: Any, provider_user: Any) -> CaseNotesUpload:
    intervention_end(actor=provider_user, case=case, now=MONDAY)
    return case_notes_upload(
        actor=provider_user,
        case=case,
        file=ContentFile(b"notes", name="notes.txt"),
        original_name="notes.txt",
        now=utc(2, 12),
    )


def test_the_partner_reviews_the_notes() -> None:
    case, provider_user, clinician = _referred_case()
    upload = _uploaded(case, provider_user)
    case_notes_review(
        actor=clinician,
        upload=upload,
        note=" Risk plan missing ",
        issues_found=True,
        now=utc(3, 10),
    )
    row = CaseNotesUpload.objects.get(pk=upload.pk)
    assert (
        row.reviewed_at,
        row.reviewed_by_id,
        row.review_note,
        row.issues_found,
        row.review_event_id,
    ) == (utc(3, 10), clinician.pk, "Risk plan missing", True, "E3")
    assert events_of(case)[2] == (
        3,
        "E3",
        "case_notes_reviewed",
        utc(3, 10),
        clinician.username,
        {"notes": "E2"},
    )
    assert obligation(case, "CM-NOTES-REVIEW", "E2").status == "met"
    assert obligation(case, "CM-NOTES-REVIEW", "E2").satisfied_by == "E3"
    assert findings_of(case) == []
    assert audit_of(case)[-1][:2] == ("provider.case_notes_reviewed", clinician.username)


def test_a_blank_review_is_refused() -> None:
    case, provider_user, clinician = _referred_case()
    upload = _uploaded(case, provider_user)
    before = db_state()
    with pytest.raises(ServiceError) as raised:
        case_notes_review(actor=clinician, upload=upload, note="  ", now=utc(3, 10))
    assert refused(raised) == (ServiceError, "note")
    assert db_state() == before


def test_reviewing_twice_is_refused() -> None:
    case, provider_user, clinician = _referred_case()
    upload = _uploaded(case, provider_user)
    case_notes_review(actor=clinician, upload=upload, note="Fine", now=utc(3, 10))
    before = db_state()
    with pytest.raises(Conflict) as raised:
        case_notes_review(actor=clinician, upload=upload, note="Again", now=utc(3, 11))
    assert refused(raised) == (Conflict, "notes")
    assert db_state() == before
