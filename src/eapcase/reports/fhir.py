"""A case as a FHIR R4 Bundle (type `collection`): the participant (Patient), the case
(EpisodeOfCare), each session (Encounter), each obligation the engine stored (Task), each
contact attempt and email (Communication), the contact preferences (Consent), the risk level
(Flag) and each case notes upload (DocumentReference). Plain JSON values, built from the
rows; the tests validate every bundle with fhir.resources' R4B models (ADR 0019).

Codes of this system use the code system URLs under SYSTEM; references inside the bundle are
`urn:uuid:` identifiers derived from the row ids, so that an export is the same every time."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from eapcase.cases.models import Case
from eapcase.policy.explain import RULE_TITLES

SYSTEM = "https://eapcase.example/fhir"
_NAMESPACE = uuid.UUID("6f1c2a3e-2b51-4c55-9b1e-3f0a8e6d7c10")

#: Engine status -> Task.status (met/late: done; breached: failed; open/overdue: waiting).
TASK_STATUS = {
    "met": "completed",
    "late": "completed",
    "breached": "failed",
    "open": "requested",
    "overdue": "requested",
}
CONTACT_PREFERENCES = {
    "has_phone": "may be phoned",
    "has_email": "may be emailed",
    "voicemail_ok": "voicemail may be left",
    "email_messages_ok": "messages may be left by email",
    "email_only": "contact by email only",
    "email_consent": "consents to email",
}


def _urn(kind: str, key: Any) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{kind}/{key}')}"


def _at(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _code(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": f"{SYSTEM}/{system}", "code": code, "display": display}]}


def _entry(url: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": url, "resource": {k: v for k, v in resource.items() if v is not None}}


def fhir_cases(cases: Iterable[Case]) -> Iterator[dict[str, Any]]:
    """One Bundle per case, for `eapcase export --fhir` and the API."""
    for case in cases:
        yield case_bundle(case)


def case_bundle(case: Case) -> dict[str, Any]:
    """The Bundle of one case. Reads its rows (about ten queries)."""
    participant = case.participant
    patient_url = _urn("Patient", participant.pk)
    episode_url = _urn("EpisodeOfCare", case.pk)
    subject = {"reference": patient_url}
    episode = {"reference": episode_url}
    entries = [
        _entry(
            patient_url,
            {
                "resourceType": "Patient",
                "id": f"participant-{participant.pk}",
                "name": [{"text": participant.full_name}],
                "birthDate": participant.date_of_birth.isoformat()
                if participant.date_of_birth
                else None,
                "telecom": [
                    *(
                        [{"system": "phone", "value": participant.phone}]
                        if participant.phone
                        else []
                    ),
                    *(
                        [{"system": "email", "value": participant.email}]
                        if participant.email
                        else []
                    ),
                ]
                or None,
                "address": [{"country": participant.country}] if participant.country else None,
            },
        ),
        _entry(
            episode_url,
            {
                "resourceType": "EpisodeOfCare",
                "id": f"case-{case.pk}",
                "identifier": [{"system": f"{SYSTEM}/case", "value": case.reference}],
                "status": "finished" if case.status == "closed" else "active",
                "type": [_code("case-type", case.case_type, case.get_case_type_display())],
                "patient": subject,
                "managingOrganization": {
                    "identifier": {"system": f"{SYSTEM}/partner", "value": case.partner.code},
                    "display": case.partner.name,
                },
                "period": {"start": _at(case.opened_at), "end": _at(case.closed_at)},
            },
        ),
    ]
    # Encounters are the sessions held; one not attended or cancelled late took no place.
    for session in case.sessions.filter(attendance="attended").order_by("number"):
        entries.append(
            _entry(
                _urn("Encounter", session.pk),
                {
                    "resourceType": "Encounter",
                    "id": f"session-{session.pk}",
                    "status": "finished",
                    "class": {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                        "code": "AMB",
                        "display": "ambulatory",
                    },
                    "subject": subject,
                    "episodeOfCare": [episode],
                    "period": {"start": _at(session.held_at)},
                    "serviceType": {"text": f"Session {session.number}"},
                },
            )
        )
    for ob in case.obligations.order_by("position"):
        title = RULE_TITLES.get(ob.rule, ob.rule)
        entries.append(
            _entry(
                _urn("Task", f"{case.pk}/{ob.rule}/{ob.trigger}"),
                {
                    "resourceType": "Task",
                    "id": f"obligation-{ob.pk}",
                    "status": TASK_STATUS[ob.status],
                    "businessStatus": {"text": ob.status},
                    "intent": "order",
                    "code": _code("rule", ob.rule, title),
                    "description": ob.reason or None,
                    "focus": episode,
                    "for": subject,
                    "authoredOn": _at(ob.opened_at),
                    "restriction": {"period": {"end": _at(ob.due_at)}} if ob.due_at else None,
                    "executionPeriod": {"start": _at(ob.opened_at), "end": _at(ob.satisfied_at)},
                },
            )
        )
    for attempt in case.contact_attempts.order_by("attempted_at", "pk"):
        entries.append(
            _entry(
                _urn("Communication/attempt", attempt.pk),
                {
                    "resourceType": "Communication",
                    "id": f"attempt-{attempt.pk}",
                    "status": "completed",
                    "category": [_code("contact", "attempt", "contact attempt")],
                    "medium": [_code("channel", attempt.channel, attempt.get_channel_display())],
                    "subject": subject,
                    "encounter": None,
                    "sent": _at(attempt.attempted_at),
                    "statusReason": {"text": attempt.get_outcome_display()},
                    "note": [{"text": attempt.summary}] if attempt.summary else None,
                },
            )
        )
    for email in case.emails.order_by("received_at", "pk"):
        entries.append(
            _entry(
                _urn("Communication/email", email.pk),
                {
                    "resourceType": "Communication",
                    "id": f"email-{email.pk}",
                    "status": "completed" if email.actioned_at else "in-progress",
                    "category": [_code("contact", "email", f"email from {email.sender_kind}")],
                    "priority": "urgent" if email.urgent else "routine",
                    "medium": [_code("channel", "email", "email")],
                    "subject": subject,
                    "received": _at(email.received_at),
                    "topic": {"text": email.subject} if email.subject else None,
                },
            )
        )
    prefs = participant.preferences()
    entries.append(
        _entry(
            _urn("Consent", participant.pk),
            {
                "resourceType": "Consent",
                "id": f"contact-preferences-{participant.pk}",
                "status": "active",
                "scope": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                            "code": "patient-privacy",
                        }
                    ]
                },
                "category": [_code("consent", "contact-preferences", "contact preferences")],
                "patient": subject,
                "policyRule": {"text": "Participant's contact preferences"},
                "provision": {
                    "type": "permit",
                    "provision": [
                        {
                            "type": "permit" if prefs[name] else "deny",
                            "code": [_code("contact-preference", name, words)],
                        }
                        for name, words in zip(
                            (
                                "phone",
                                "email",
                                "voicemail_ok",
                                "email_messages_ok",
                                "email_only",
                                "email_consent",
                            ),
                            CONTACT_PREFERENCES.values(),
                            strict=True,
                        )
                    ],
                },
            },
        )
    )
    if case.risk_level != "none":
        entries.append(
            _entry(
                _urn("Flag", case.pk),
                {
                    "resourceType": "Flag",
                    "id": f"risk-{case.pk}",
                    "status": "active" if case.status == "open" else "inactive",
                    "category": [_code("flag", "risk", "risk")],
                    "code": _code(
                        "risk-level", case.risk_level, f"Risk: {case.get_risk_level_display()}"
                    ),
                    "subject": subject,
                    "encounter": None,
                },
            )
        )
    for upload in case.notes_uploads.order_by("uploaded_at", "pk"):
        entries.append(
            _entry(
                _urn("DocumentReference", upload.pk),
                {
                    "resourceType": "DocumentReference",
                    "id": f"case-notes-{upload.pk}",
                    "status": "current",
                    "docStatus": "final",
                    "type": _code("document", "case-notes", "completed case notes"),
                    "subject": subject,
                    "date": _at(upload.uploaded_at),
                    "content": [
                        {
                            "attachment": {
                                "contentType": upload.content_type or "application/octet-stream",
                                "title": upload.original_name or "case notes",
                                "size": upload.size,
                                "creation": _at(upload.uploaded_at),
                            }
                        }
                    ],
                    "context": {"related": [episode]},
                },
            )
        )
    return {
        "resourceType": "Bundle",
        "id": f"case-{case.pk}",
        "type": "collection",
        "identifier": {"system": f"{SYSTEM}/case", "value": case.reference},
        "entry": entries,
    }
