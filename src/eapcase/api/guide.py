"""The integrator's guide shown at /api/v1/docs/: for each operation of the API, what it is
for, an example request and an example answer, in prose.

The OpenAPI schema (`/api/v1/schema/`) stays the reference for every field and parameter; this
module is the part a schema cannot say. Each `Guide` is keyed by the operation's method and
path as the schema names them, so the page can add the schema's parameters, and
tests/api/test_docs.py checks that every operation has a guide and that every example answer
has the same fields as a real answer.

Backticks in the schema's summaries and descriptions are for the OpenAPI reader; the page shows
them as code (`api.docs.inline_code`), never as raw backticks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Guide:
    method: str
    path: str
    title: str
    purpose: str
    request: str
    answer: Any
    status: int = 200

    @property
    def anchor(self) -> str:
        return (
            (self.method + self.path)
            .lower()
            .replace("/", "-")
            .strip("-")
            .translate(str.maketrans("", "", "{}"))
        )

    @property
    def answer_text(self) -> str:
        return json.dumps(self.answer, indent=2, ensure_ascii=False)


_CASE = {
    "reference": "EAP-10011",
    "status": "open",
    "partner": "P-UK",
    "client": "alder-bay",
    "provider": None,
    "assigned_clinician": "partner-uk",
    "participant": 9,
    "referral": "self",
    "case_type": "individual",
    "risk_level": "none",
    "benefit_sessions": 8,
    "opened_at": "2026-11-21T15:49:00Z",
    "closed_at": None,
}

_OBLIGATION = {
    "case": "EAP-10011",
    "rule": "CM-EMAIL-ACK",
    "trigger": "E1",
    "opened_at": "2026-11-21T16:10:00Z",
    "due_at": "2026-11-22T16:10:00Z",
    "satisfied_at": None,
    "satisfied_by": "",
    "status": "overdue",
    "target": "",
    "attempts_made": None,
    "attempts_required": None,
    "reason": "due Sun 22 Nov 2026 16:10 Europe/London: 24 clock hours after the email "
    "arrived (Sat 21 Nov 2026 16:10 Europe/London); overdue: not satisfied by the deadline",
    "evaluated_at": "2026-11-23T12:00:00Z",
}

_FINDING = {
    "rule": "CM-MESSAGE-DETAIL",
    "event": "a3",
    "at": "2026-11-22T10:05:00Z",
    "severity": "warning",
    "detail": "an unsuccessful call left no message; the reason was recorded",
}

_PARTICIPANT = {
    "id": 9,
    "full_name": "Valerie Butler",
    "preferred_name": "",
    "client": "alder-bay",
    "country": "GB",
    "phone": "+44 20 7946 0103",
    "email": "valerie.butler@example.net",
    "preferences": {
        "phone": True,
        "email": True,
        "voicemail_ok": True,
        "email_messages_ok": True,
        "email_only": False,
        "email_consent": True,
    },
    "cases": ["EAP-10011"],
}

_ESCALATION = {
    "id": 42,
    "case": "EAP-10011",
    "event": "x1",
    "reason": "risk",
    "summary": "The participant disclosed thoughts of self-harm; safety plan agreed.",
    "raised_at": "2026-11-23T11:50:00Z",
    "raised_by": "partner-uk",
    "acknowledged_at": None,
    "acknowledged_by": None,
    "acknowledgement_note": "",
}


def _page(*rows: Any) -> dict[str, Any]:
    return {"count": len(rows), "next": None, "previous": None, "results": list(rows)}


GUIDES = [
    Guide(
        method="GET",
        path="/api/v1/cases/",
        title="List the cases you may see",
        purpose="The cases your account may open, newest first, 50 to a page (follow next "
        "until it is null). Narrow the list with status, partner or assigned=me: a "
        "Partner's system usually asks for its open cases and refreshes them from the "
        "one-case answer.",
        request="GET /api/v1/cases/?status=open&assigned=me\nAuthorization: Token <key>",
        answer=_page(_CASE),
    ),
    Guide(
        method="GET",
        path="/api/v1/cases/{reference}/",
        title="Read one case",
        purpose="One case with what the rules engine last worked out for it: its open and "
        "settled obligations (each with a due time and the reason in words) and any "
        "findings on its events. A case you may not see answers 404, the same as one that "
        "does not exist. The ETag header is the case's version: send it back as If-Match "
        "when you record an event, so that a change someone else made in between is not "
        "overwritten unseen.",
        request="GET /api/v1/cases/EAP-10011/\nAuthorization: Token <key>",
        answer={
            **_CASE,
            "closure_reason": "",
            "next_step": "",
            "version": 7,
            "obligations": [_OBLIGATION],
            "findings": [_FINDING],
        },
    ),
    Guide(
        method="GET",
        path="/api/v1/cases/{reference}/events/",
        title="Read a case's history",
        purpose="The case's history in the history format, exactly as the export command "
        "writes it: the Partner line, the case line, then each event in time order. Add "
        "format=jsonl (or send Accept: application/jsonl) to receive the JSON Lines text "
        "itself, ready to store or to check with the engine.",
        request="GET /api/v1/cases/EAP-10011/events/\nAuthorization: Token <key>",
        answer=[
            {
                "type": "partner",
                "id": "P-UK",
                "timezone": "Europe/London",
                "country": "GB",
                "subdivision": "ENG",
                "hours": "09:00-17:00",
                "workdays": "Mon-Fri",
                "closed_dates": ["2026-12-16"],
            },
            {
                "type": "case",
                "case": "EAP-10011",
                "at": "2026-11-21T15:49:00+00:00",
                "partner": "P-UK",
                "referral": "self",
                "case_type": "individual",
                "benefit_sessions": 8,
                "participant": {
                    "phone": True,
                    "email": True,
                    "voicemail_ok": True,
                    "email_messages_ok": True,
                    "email_only": False,
                    "email_consent": True,
                },
            },
            {
                "type": "email_received",
                "case": "EAP-10011",
                "at": "2026-11-21T16:10:00+00:00",
                "id": "E1",
                "from": "wpo",
            },
        ],
    ),
    Guide(
        method="POST",
        path="/api/v1/cases/{reference}/events/",
        title="Record an event on a case",
        purpose="Records one event (a contact attempt, a session, an email acknowledged...) "
        "in the history format, through the same checks as the pages. The event is yours: "
        "a by field is ignored. When the rules would be broken the answer is 409 with the "
        "reasons; if you mean it, send the same event again with confirm set to your "
        "reason. The answer lists the history lines the write added and the case's new "
        "version. Send an Idempotency-Key so that a retry after a lost answer records "
        "nothing twice, and If-Match with the ETag you read so that a case someone else "
        "changed meanwhile answers 409 instead.",
        request="POST /api/v1/cases/EAP-10011/events/\nAuthorization: Token <key>\n"
        'Idempotency-Key: 5f0c2e4e-attempt-1\nIf-Match: "7"\nContent-Type: application/json\n\n'
        + json.dumps(
            {
                "type": "contact_attempt",
                "at": "2026-11-23T10:24:00Z",
                "target": "participant",
                "channel": "phone",
                "outcome": "reached",
                "message": "none",
                "summary": "Spoke; booked a first session.",
            },
            indent=2,
        ),
        answer={
            "events": [
                {
                    "type": "contact_attempt",
                    "case": "EAP-10011",
                    "at": "2026-11-23T10:24:00+00:00",
                    "id": "E2",
                    "target": "participant",
                    "channel": "phone",
                    "outcome": "reached",
                    "message": "none",
                    "summary": "Spoke; booked a first session.",
                    "by": "partner-uk",
                }
            ],
            "version": 8,
        },
        status=201,
    ),
    Guide(
        method="GET",
        path="/api/v1/cases/{reference}/sessions/",
        title="Read a case's sessions",
        purpose="Every booked session of the case: held ones with their number and the history "
        "event that records them, and those not attended or cancelled late, which have "
        "neither and use no session of the benefit. Modality and length are kept by this "
        "system; the history format does not carry them. A provider sees the sessions of a "
        "case referred to them.",
        request="GET /api/v1/cases/EAP-10011/sessions/\nAuthorization: Token <key>",
        answer=[
            {
                "number": 1,
                "at": "2026-11-25T10:00:00Z",
                "attendance": "attended",
                "modality": "video",
                "duration_minutes": 50,
                "provider": "meridian-1",
                "event": "E4",
            },
            {
                "number": None,
                "at": "2026-12-02T10:00:00Z",
                "attendance": "did_not_attend",
                "modality": "video",
                "duration_minutes": None,
                "provider": "meridian-1",
                "event": "",
            },
        ],
    ),
    Guide(
        method="POST",
        path="/api/v1/cases/{reference}/sessions/",
        title="Record a session",
        purpose="Records a session held (attendance attended, the default: written to the "
        "history as session_held and judged against the sessions authorised, so the answer "
        "may be 409 with the reasons until you send confirm) or a session not attended or "
        "cancelled late (did_not_attend, late_cancellation: no history event, no session "
        "used). The case's Partner and the provider it is referred to may record sessions. "
        "Send an Idempotency-Key so that a retry records nothing twice.",
        request="POST /api/v1/cases/EAP-10011/sessions/\nAuthorization: Token <key>\n"
        "Idempotency-Key: 7c1d-session-2\nContent-Type: application/json\n\n"
        + json.dumps(
            {
                "attendance": "attended",
                "modality": "phone",
                "duration_minutes": 45,
                "at": "2026-12-09T10:00:00Z",
            },
            indent=2,
        ),
        answer={
            "number": 2,
            "at": "2026-12-09T10:00:00Z",
            "attendance": "attended",
            "modality": "phone",
            "duration_minutes": 45,
            "provider": "meridian-1",
            "event": "E6",
        },
        status=201,
    ),
    Guide(
        method="GET",
        path="/api/v1/participants/",
        title="List participants",
        purpose="The participants of the cases you may see, with their contact details and "
        "how they agreed to be contacted. case=EAP-... gives the participant of one case.",
        request="GET /api/v1/participants/?case=EAP-10011\nAuthorization: Token <key>",
        answer=_page(_PARTICIPANT),
    ),
    Guide(
        method="GET",
        path="/api/v1/participants/{id}/",
        title="Read one participant",
        purpose="One participant, by the number the case gives. Only the cases you may see "
        "are listed under cases.",
        request="GET /api/v1/participants/9/\nAuthorization: Token <key>",
        answer=_PARTICIPANT,
    ),
    Guide(
        method="GET",
        path="/api/v1/obligations/",
        title="The work queue",
        purpose="What is still to be done on the cases you may see: each open obligation "
        "with its due time, soonest first (those without a deadline last). overdue=true "
        "gives only what is late; due_before lets a system ask what falls due before the "
        "end of a shift.",
        request="GET /api/v1/obligations/?overdue=true&assigned=me\nAuthorization: Token <key>",
        answer=_page(_OBLIGATION),
    ),
    Guide(
        method="GET",
        path="/api/v1/escalations/",
        title="List escalations to WPO",
        purpose="Escalations raised on the cases you may see, newest first. "
        "acknowledged=false gives those WPO has still to acknowledge.",
        request="GET /api/v1/escalations/?acknowledged=false\nAuthorization: Token <key>",
        answer=_page(_ESCALATION),
    ),
    Guide(
        method="GET",
        path="/api/v1/escalations/{id}/",
        title="Read one escalation",
        purpose="One escalation, with who acknowledged it and when, once WPO has.",
        request="GET /api/v1/escalations/42/\nAuthorization: Token <key>",
        answer=_ESCALATION,
    ),
    Guide(
        method="POST",
        path="/api/v1/escalations/{id}/acknowledge/",
        title="Acknowledge an escalation (WPO)",
        purpose="WPO's acknowledgement of an escalation, with an optional note. Only a WPO "
        "account may acknowledge (others receive 403). Acknowledging twice is a 409; with "
        "an Idempotency-Key a retried request gets the first answer back instead.",
        request="POST /api/v1/escalations/42/acknowledge/\nAuthorization: Token <key>\n"
        "Idempotency-Key: 9b1d-ack-42\nContent-Type: application/json\n\n"
        + json.dumps({"note": "Spoke to the Partner's lead; safety plan confirmed."}, indent=2),
        answer={
            **_ESCALATION,
            "acknowledged_at": "2026-11-23T12:05:00Z",
            "acknowledged_by": "wpo",
            "acknowledgement_note": "Spoke to the Partner's lead; safety plan confirmed.",
        },
    ),
    Guide(
        method="POST",
        path="/api/v1/participants/",
        title="Register a participant",
        purpose="Register a person before opening their first case: name, client "
        "organisation (by its code, or by the access line they called), country, contact "
        "details and their contact preferences. A Partner's staff register for their own "
        "Partner; look the person up first (GET /api/v1/participants/?q=) to avoid a "
        "duplicate. Send an Idempotency-Key so that a retry registers nobody twice.",
        request="POST /api/v1/participants/\nAuthorization: Token <key>\n"
        "Idempotency-Key: 0f6c2a3e-2b1d-4d0c-9d3e-5f1a7c9b2e41\n\n"
        + json.dumps(
            {
                "full_name": "Valerie Butler",
                "client": "alder-bay",
                "country": "GB",
                "phone": "+44 20 7946 0103",
                "email": "valerie.butler@example.net",
                "preferences": {"voicemail_ok": False},
            },
            indent=2,
        ),
        answer={**_PARTICIPANT, "cases": []},
        status=201,
    ),
    Guide(
        method="PATCH",
        path="/api/v1/participants/{id}/",
        title="Change a participant's details or preferences",
        purpose="Correct contact details, or record a change of contact preferences (no "
        "voicemail, email only, consent to email). A changed preference is recorded on "
        "every open case of the participant, so later contact attempts are judged by it. "
        "Say who stated it in source (participant, partner).",
        request="PATCH /api/v1/participants/9/\nAuthorization: Token <key>\n\n"
        + json.dumps({"preferences": {"voicemail_ok": False}, "source": "participant"}, indent=2),
        answer=_PARTICIPANT,
    ),
    Guide(
        method="POST",
        path="/api/v1/cases/",
        title="Open a case",
        purpose="Open a case for a registered participant (participant) or register and "
        "open in one call (new_participant): referral route, case type, presenting issue, "
        "a risk screen, a call back if the person asked for one. The Partner is proposed "
        "from the client organisation and the participant's country; the benefit is what "
        "remains to the participant in the benefit period. A client organisation without "
        "an active contract is refused with a 400 naming the client.",
        request="POST /api/v1/cases/\nAuthorization: Token <key>\n"
        "Idempotency-Key: 6a1e0c55-93b2-4c8e-a3f1-0d7b5e2c4a98\n\n"
        + json.dumps(
            {
                "participant": 9,
                "referral": "self",
                "case_type": "individual",
                "presenting_issue": "Work stress",
                "callback": True,
            },
            indent=2,
        ),
        answer={
            **_CASE,
            "closure_reason": "",
            "next_step": "",
            "version": 7,
            "obligations": [_OBLIGATION],
            "findings": [],
        },
        status=201,
    ),
    Guide(
        method="GET",
        path="/api/v1/cases/{reference}/fhir/",
        title="A case as FHIR",
        purpose="One case as a FHIR R4 Bundle (application/fhir+json) for a health record "
        "system: the participant (Patient), the case (EpisodeOfCare), each session "
        "(Encounter), each obligation (Task), contacts and emails (Communication), the "
        "contact preferences (Consent), risk (Flag) and case notes (DocumentReference).",
        request="GET /api/v1/cases/EAP-10011/fhir/\nAuthorization: Token <key>",
        answer={
            "resourceType": "Bundle",
            "id": "case-11",
            "type": "collection",
            "identifier": {"system": "https://eapcase.example/fhir/case", "value": "EAP-10011"},
            "entry": [
                {
                    "fullUrl": "urn:uuid:e2aaaa1f-4c76-5205-abf3-414efe5a9aaf",
                    "resource": {
                        "resourceType": "Patient",
                        "id": "participant-9",
                        "name": [{"text": "Valerie Butler"}],
                        "telecom": [{"system": "phone", "value": "+44 20 7946 0103"}],
                        "address": [{"country": "GB"}],
                    },
                }
            ],
        },
    ),
]
#: The error shape, as every error answer carries it.
ERROR_EXAMPLE = json.dumps(
    {"errors": [{"field": "channel", "message": "must be one of phone, email, not 'pigeon'"}]},
    indent=2,
)

#: A 409 asking for confirmation, and how to give it.
CONFIRM_EXAMPLE = json.dumps(
    {
        "errors": [
            {
                "field": "confirm",
                "message": "confirm with a reason to go ahead: CM-OUTREACH (cb9) would be breached",
            }
        ],
        "reasons": ["CM-OUTREACH (cb9) would be breached"],
        "confirm": "send the same request again with a confirm field giving your reason",
    },
    indent=2,
)

#: A 409 for a case that changed after the client read it (If-Match, ADR 0038).
STALE_EXAMPLE = json.dumps(
    {
        "errors": [
            {
                "field": "version",
                "message": "the case changed after you opened it; nothing was saved",
            }
        ],
        "changes": [
            {
                "version": 8,
                "at": "2026-11-23T10:31:00+00:00",
                "by": "Sam Lead",
                "what": ["Set the risk to high"],
            }
        ],
        "case": {"version": 8, "risk": "high", "status": "open", "clinician": "Ana Clinician"},
    },
    indent=2,
)
