"""Writes on the provider side: provider contacts and the Partner's answers, the end of an
intervention, completed case notes and their review."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.files.base import File
from django.db import transaction

from eapcase.compliance.services import case_write_finish, event_append, lock_case
from eapcase.core.errors import Conflict, ServiceError
from eapcase.core.files import removed_on_error
from eapcase.policy import events
from eapcase.providers.choices import ProviderTopic
from eapcase.providers.models import CaseNotesUpload, InterventionEnd, ProviderContact


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _provider_of(case: Any, provider: Any, *, historical: bool = False) -> tuple[Any, str]:
    """The provider row and its history id. An imported history may name a provider by an id
    this installation does not know: the id is kept, the row is left empty."""
    from eapcase.organisations.models import Provider

    if isinstance(provider, str):
        row = Provider.objects.filter(code=provider).first()
        if row is None and not historical:
            raise ServiceError(f"no provider {provider}", field="provider")
        return row, provider
    provider = provider or case.provider
    if provider is None:
        raise ServiceError("the case is not referred to a provider", field="provider")
    return provider, provider.code


def provider_contact_record(
    *,
    actor: Any,
    case: Any,
    topic: str,
    text: str,
    now: datetime,
    provider: Any = None,
    urgent: bool | None = None,
    at: datetime | None = None,
    historical: bool = False,
    event_id: str | None = None,
) -> ProviderContact:
    """A provider contacted the Partner; risk and goal-slip reports are urgent
    (CM-PROVIDER-RESPONSE)."""
    if topic not in ProviderTopic.values:
        raise ServiceError(f"must be one of {', '.join(ProviderTopic.values)}", field="topic")
    if not historical and not text.strip():
        raise ServiceError("say what the provider needs", field="text")
    if urgent is None:
        # Which topics are urgent by default is the history format's, so the engine's.
        urgent = bool(events.parse_event_fields("provider_contact", {"topic": topic})["urgent"])
    urgent = bool(urgent)
    with transaction.atomic():
        case = lock_case(case)
        if provider is None and case.provider is None and historical:
            provider_row = None
        else:
            provider_row, _code = _provider_of(case, provider, historical=historical)
        event = event_append(
            case=case,
            type="provider_contact",
            at=at or now,
            actor=actor,
            fields={"topic": topic, "urgent": urgent},
            now=now,
            event_id=event_id,
        )
        contact = ProviderContact.objects.create(
            case=case,
            provider=provider_row,
            topic=topic,
            urgent=urgent,
            text=text.strip(),
            received_at=event.at,
            event_id=event.event_id,
        )
        case_write_finish(
            case=case,
            actor=actor,
            action="provider.contact_recorded",
            now=now,
            events=[event],
            obj=contact,
            historical=historical,
            data={"topic": topic, "urgent": urgent},
        )
    return contact


def provider_contact_respond(
    *,
    actor: Any,
    contact: ProviderContact,
    response: str,
    now: datetime,
    at: datetime | None = None,
    historical: bool = False,
    event_id: str | None = None,
) -> ProviderContact:
    """The Partner answered the provider."""
    response = response.strip() or ("(imported)" if historical else "")
    if not response:
        raise ServiceError("write the answer to the provider", field="response")
    with transaction.atomic():
        case = lock_case(contact.case)
        contact = ProviderContact.objects.select_for_update().get(pk=contact.pk)
        if contact.responded_at is not None:
            raise Conflict("the provider has already been answered", field="contact")
        event = event_append(
            case=case,
            type="provider_responded",
            at=at or now,
            actor=actor,
            fields={"contact": contact.event_id},
            now=now,
            event_id=event_id,
        )
        contact.responded_at = event.at
        contact.response = response
        contact.responded_by = _user(actor)
        contact.save()
        case_write_finish(
            case=case,
            actor=actor,
            action="provider.contact_answered",
            now=now,
            events=[event],
            obj=contact,
            historical=historical,
        )
    return contact


def intervention_end(
    *,
    actor: Any,
    case: Any,
    now: datetime,
    provider: Any = None,
    at: datetime | None = None,
    historical: bool = False,
    event_id: str | None = None,
) -> InterventionEnd:
    """The provider's intervention ended; completed case notes are due (CM-NOTES-UPLOAD)."""
    with transaction.atomic():
        case = lock_case(case)
        provider_row, code = _provider_of(case, provider, historical=historical)
        event = event_append(
            case=case,
            type="intervention_ended",
            at=at or now,
            actor=actor,
            fields={"provider": code},
            now=now,
            event_id=event_id,
        )
        ended = InterventionEnd.objects.create(
            case=case,
            provider=provider_row,
            provider_code=code,
            ended_at=event.at,
            event_id=event.event_id,
        )
        case_write_finish(
            case=case,
            actor=actor,
            action="provider.intervention_ended",
            now=now,
            events=[event],
            obj=ended,
            historical=historical,
        )
    return ended


def case_notes_upload(
    *,
    actor: Any,
    case: Any,
    now: datetime,
    provider: Any = None,
    file: File[Any] | None = None,
    original_name: str = "",
    content_type: str = "",
    at: datetime | None = None,
    historical: bool = False,
    event_id: str | None = None,
) -> CaseNotesUpload:
    """Completed case notes arrived from the provider (CM-NOTES-UPLOAD, CM-NOTES-REVIEW).
    Content checks of the file belong to the upload page; here the file is stored as given."""
    if file is None and not historical:
        raise ServiceError("attach the completed case notes", field="file")
    with removed_on_error() as written, transaction.atomic():
        case = lock_case(case)
        provider_row, code = _provider_of(case, provider, historical=historical)
        event = event_append(
            case=case,
            type="case_notes_uploaded",
            at=at or now,
            actor=actor,
            fields={"provider": code},
            now=now,
            event_id=event_id,
        )
        upload = CaseNotesUpload(
            case=case,
            provider=provider_row,
            provider_code=code,
            uploaded_at=event.at,
            original_name=original_name[:255],
            content_type=content_type,
            size=getattr(file, "size", 0) or 0,
            event_id=event.event_id,
        )
        if file is not None:
            written.save(upload.file, f"{case.reference}-{event.event_id}", file)
        upload.save()
        case_write_finish(
            case=case,
            actor=actor,
            action="provider.case_notes_uploaded",
            now=now,
            events=[event],
            obj=upload,
            historical=historical,
        )
    return upload


def case_notes_review(
    *,
    actor: Any,
    upload: CaseNotesUpload,
    note: str,
    now: datetime,
    issues_found: bool = False,
    at: datetime | None = None,
    historical: bool = False,
    event_id: str | None = None,
) -> CaseNotesUpload:
    """The Partner reviewed the completed case notes for issues needing action."""
    note = note.strip() or ("(imported)" if historical else "")
    if not note:
        raise ServiceError("say what the review found", field="note")
    with transaction.atomic():
        case = lock_case(upload.case)
        upload = CaseNotesUpload.objects.select_for_update().get(pk=upload.pk)
        if upload.reviewed_at is not None:
            raise Conflict("these case notes are already reviewed", field="notes")
        event = event_append(
            case=case,
            type="case_notes_reviewed",
            at=at or now,
            actor=actor,
            fields={"notes": upload.event_id},
            now=now,
            event_id=event_id,
        )
        upload.reviewed_at = event.at
        upload.reviewed_by = _user(actor)
        upload.review_note = note
        upload.issues_found = issues_found
        upload.review_event_id = event.event_id
        upload.save()
        case_write_finish(
            case=case,
            actor=actor,
            action="provider.case_notes_reviewed",
            now=now,
            events=[event],
            obj=upload,
            historical=historical,
        )
    return upload
