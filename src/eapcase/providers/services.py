"""Writes on the provider side: provider contacts and the Partner's answers, the end of an
intervention, completed case notes and their review."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.files.base import File

from eapcase.cases.record import Actor, case_write, user_of
from eapcase.core.errors import ServiceError
from eapcase.core.files import removed_on_error
from eapcase.notifications.services import provider_answer_notify, provider_flag_notify
from eapcase.organisations.models import Provider
from eapcase.policy import events
from eapcase.providers.choices import ProviderTopic
from eapcase.providers.models import CaseNotesUpload, InterventionEnd, ProviderContact


def _provider_of(case: Any, provider: Any, *, historical: bool = False) -> tuple[Any, str]:
    """The provider row and its history id. An imported history may name a provider by an id
    this installation does not know: the id is kept, the row is left empty."""
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
    actor: Actor,
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
    with case_write(
        case, actor=actor, action="provider.contact_recorded", now=now, historical=historical
    ) as write:
        case = write.case
        if provider is None and case.provider is None and historical:
            provider_row = None
        else:
            provider_row, _code = _provider_of(case, provider, historical=historical)
        event = write.append(
            "provider_contact",
            at=at or now,
            fields={"topic": topic, "urgent": urgent},
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
        write.obj = contact
        write.data.update({"topic": topic, "urgent": urgent})
        if not historical and topic in (ProviderTopic.RISK, ProviderTopic.GOAL_SLIP):
            provider_flag_notify(case=case, topic=topic, event_id=event.event_id, now=now)
    return contact


def provider_contact_respond(
    *,
    actor: Actor,
    contact: ProviderContact,
    response: str,
    now: datetime,
    at: datetime | None = None,
    historical: bool = False,
    event_id: str | None = None,
) -> ProviderContact:
    """The Partner answered the provider's contact or query; the provider is told."""
    response = response.strip() or ("(imported)" if historical else "")
    if not response:
        raise ServiceError("write the answer to the provider", field="response")
    with case_write(
        contact.case,
        actor=actor,
        action="provider.contact_answered",
        now=now,
        historical=historical,
    ) as write:
        contact, _event = write.answer(
            contact,
            type="provider_responded",
            names="contact",
            done="responded_at",
            already="the provider has already been answered",
            at=at or now,
            event_id=event_id,
        )
        contact.response = response
        contact.responded_by = user_of(actor)
        contact.save()
        if not historical:
            # The provider is told in the app and by mail (the answer is read in the portal).
            provider_answer_notify(contact=contact, now=now)
    return contact


def intervention_end(
    *,
    actor: Actor,
    case: Any,
    now: datetime,
    provider: Any = None,
    at: datetime | None = None,
    historical: bool = False,
    event_id: str | None = None,
) -> InterventionEnd:
    """The provider's intervention ended; completed case notes are due (CM-NOTES-UPLOAD)."""
    with case_write(
        case, actor=actor, action="provider.intervention_ended", now=now, historical=historical
    ) as write:
        case = write.case
        provider_row, code = _provider_of(case, provider, historical=historical)
        event = write.append(
            "intervention_ended", at=at or now, fields={"provider": code}, event_id=event_id
        )
        ended = InterventionEnd.objects.create(
            case=case,
            provider=provider_row,
            provider_code=code,
            ended_at=event.at,
            event_id=event.event_id,
        )
        write.obj = ended
    return ended


def case_notes_upload(
    *,
    actor: Actor,
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
    with (
        removed_on_error() as written,
        case_write(
            case, actor=actor, action="provider.case_notes_uploaded", now=now, historical=historical
        ) as write,
    ):
        case = write.case
        provider_row, code = _provider_of(case, provider, historical=historical)
        event = write.append(
            "case_notes_uploaded", at=at or now, fields={"provider": code}, event_id=event_id
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
        write.obj = upload
    return upload


def case_notes_review(
    *,
    actor: Actor,
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
    with case_write(
        upload.case,
        actor=actor,
        action="provider.case_notes_reviewed",
        now=now,
        historical=historical,
    ) as write:
        upload, event = write.answer(
            upload,
            type="case_notes_reviewed",
            names="notes",
            done="reviewed_at",
            already="these case notes are already reviewed",
            at=at or now,
            event_id=event_id,
        )
        upload.reviewed_by = user_of(actor)
        upload.review_note = note
        upload.issues_found = issues_found
        upload.review_event_id = event.event_id
        upload.save()
    return upload
