"""A case's events through the API: GET is the history `eapcase export --case` writes; POST
records one history-format event through the same service as the pages (and the import)."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from eapcase.accounts.choices import Role
from eapcase.cases.models import CaseEvent, Override
from eapcase.cases.services import case_refer
from eapcase.compliance.event_services import EVENT_DETAILS
from eapcase.compliance.history_io import import_history
from eapcase.outreach.models import ContactAttempt, OutboundMessage
from tests.api.conftest import MISSING_CASE, client_for
from tests.factories import (
    AccessLineFactory,
    ParticipantFactory,
    PartnerFactory,
    ProviderFactory,
    clinician_of,
    db_state,
    events_of,
    open_case,
    user_with_role,
    utc,
)
from tests.shared_spec import EXAMPLE_NAMES, EXAMPLES, needs_examples

pytestmark = pytest.mark.django_db

NOW = utc(3, 12)


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _post(client: Any, case: Any, body: dict[str, Any], **headers: Any) -> Any:
    return client.post(f"/api/v1/cases/{case.reference}/events/", body, format="json", **headers)


def _at(day: int, hour: int, minute: int = 0) -> str:
    return utc(day, hour, minute).isoformat()


# --- GET ---------------------------------------------------------------------------------------


def _case_with_history() -> tuple[Any, Any]:
    case = open_case(reference="EAP-30001")
    actor = clinician_of(case)
    client = client_for(actor)
    _post(client, case, {"type": "callback_requested", "at": _at(2, 10), "id": "cb1"})
    _post(
        client,
        case,
        {"type": "risk_set", "at": _at(2, 11), "level": "low", "details": {"reason": "Stated"}},
    )
    return case, client


def test_get_events_is_exactly_what_export_writes() -> None:
    case, client = _case_with_history()
    out = io.StringIO()
    call_command("export", case=[case.reference], stdout=out)
    as_json = client.get(f"/api/v1/cases/{case.reference}/events/")
    as_lines = client.get(f"/api/v1/cases/{case.reference}/events/", {"format": "jsonl"})
    assert as_json.status_code == 200
    assert as_json.json() == [json.loads(line) for line in out.getvalue().splitlines()]
    assert as_lines.headers["Content-Type"] == "application/jsonl; charset=utf-8"
    assert as_lines.content.decode() == out.getvalue()


def test_get_events_of_an_invisible_case_is_the_missing_404() -> None:
    case, _client = _case_with_history()
    other = client_for(clinician_of(open_case()))
    assert other.get(f"/api/v1/cases/{case.reference}/events/").json() == MISSING_CASE


# --- POST: every event type --------------------------------------------------------------------

NOTES = base64.b64encode(b"Completed case notes: goals met.\n").decode()


def _every_type(provider_code: str) -> list[dict[str, Any]]:
    """One event of each type of the history format, in an order a couples case allows."""
    return [
        {"type": "participant_updated", "at": _at(2, 9, 5), "participant": {"voicemail_ok": False}},
        {"type": "risk_set", "at": _at(2, 9, 10), "level": "low", "details": {"reason": "Said"}},
        {"type": "callback_requested", "at": _at(2, 9, 15), "id": "cb1"},
        {
            "type": "outreach_requested",
            "at": _at(2, 9, 20),
            "id": "o1",
            "purpose": "general",
            "target": "participant",
            "details": {"reason": "follow up"},
        },
        {
            "type": "contact_attempt",
            "at": _at(2, 9, 25),
            "target": "participant",
            "channel": "phone",
            "outcome": "reached",
            "message": "none",
            "summary": "Spoke; booked a session.",
        },
        {"type": "outreach_closed", "at": _at(2, 9, 30), "outreach": "o1", "reason": "reached"},
        {
            "type": "email_received",
            "at": _at(2, 9, 35),
            "id": "e1",
            "from": "wpo",
            "details": {"subject": "Case update", "body": "Please call the participant."},
        },
        {"type": "email_acknowledged", "at": _at(2, 9, 40), "email": "e1"},
        {
            "type": "email_actioned",
            "at": _at(2, 9, 45),
            "email": "e1",
            "details": {"summary": "Called"},
        },
        {
            "type": "escalated_to_wpo",
            "at": _at(2, 9, 50),
            "reason": "other",
            "details": {"summary": "WPO asked to be told"},
        },
        {"type": "dissatisfaction_noted", "at": _at(2, 9, 55), "details": {"aspect": "waiting"}},
        {
            "type": "participant_query",
            "at": _at(2, 10, 0),
            "id": "q1",
            "details": {"text": "When is my session?"},
        },
        {
            "type": "participant_query_resolved",
            "at": _at(2, 10, 5),
            "query": "q1",
            "details": {"resolution": "Told them"},
        },
        {
            "type": "provider_contact",
            "at": _at(2, 10, 10),
            "id": "pc1",
            "topic": "query",
            "urgent": False,
            "details": {"text": "Room change?"},
        },
        {
            "type": "provider_responded",
            "at": _at(2, 10, 15),
            "contact": "pc1",
            "details": {"response": "Yes"},
        },
        {"type": "session_held", "at": _at(2, 10, 20), "id": "s1"},
        {
            "type": "review_completed",
            "at": _at(2, 10, 25),
            "decision": "authorise_remaining",
            "sessions": 5,
            "resources": [],
        },
        {"type": "intervention_ended", "at": _at(2, 10, 30), "provider": provider_code},
        {
            "type": "case_notes_uploaded",
            "at": _at(2, 10, 35),
            "id": "n1",
            "provider": provider_code,
            "details": {"file": NOTES, "original_name": "notes.txt"},
        },
        {
            "type": "case_notes_reviewed",
            "at": _at(2, 10, 40),
            "notes": "n1",
            "details": {"note": "Fine"},
        },
        {"type": "note", "at": _at(2, 10, 45), "summary": "All done", "next_step": "Close"},
        {
            "type": "case_closed",
            "at": _at(2, 10, 50),
            "reason": "completed",
            "details": {"outcome": "resolved", "note": "Completed the sessions."},
        },
        {"type": "case_reopened", "at": _at(2, 10, 55), "reason": "came back"},
    ]


def test_every_history_event_type_is_recorded_through_the_api() -> None:
    partner = PartnerFactory()
    provider = ProviderFactory(partners=[partner])
    case = open_case(partner=partner, case_type="couples", reference="EAP-30002")
    actor = clinician_of(case)
    case_refer(actor=actor, case=case, provider=provider, now=NOW)
    client = client_for(actor)
    bodies = _every_type(provider.code)
    assert sorted({b["type"] for b in bodies}) == sorted(EVENT_DETAILS)

    answers = [(b["type"], _post(client, case, b).status_code) for b in bodies]

    assert answers == [(b["type"], 201) for b in bodies]
    recorded = [(row[2], row[4]) for row in events_of(case)]
    # dissatisfaction_noted escalates in the same write, as on the pages
    expected_types = [b["type"] for b in bodies]
    expected_types.insert(expected_types.index("dissatisfaction_noted") + 1, "escalated_to_wpo")
    assert recorded == [(kind, actor.username) for kind in expected_types]


def test_the_answer_lists_the_lines_written() -> None:
    case = open_case(reference="EAP-30003")
    actor = clinician_of(case)
    response = _post(
        client_for(actor),
        case,
        {
            "type": "risk_set",
            "at": _at(2, 10),
            "level": "high",
            "by": "someone-else",
            "details": {"reason": "Self-harm disclosed"},
        },
    )
    assert (response.status_code, response.json()) == (
        201,
        {
            "events": [
                {
                    "type": "risk_set",
                    "case": "EAP-30003",
                    "at": "2026-03-02T10:00:00+00:00",
                    "id": "E1",
                    "level": "high",
                    "by": actor.username,
                }
            ],
            "version": 2,  # opened, then this write (ADR 0038)
        },
    )


# --- POST: refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        pytest.param({"at": "2026-03-02T10:00:00+00:00"}, "type", "missing", id="no-type"),
        pytest.param(
            {"type": "party", "at": "2026-03-02T10:00:00+00:00"},
            "type",
            "unknown event type 'party'",
            id="unknown-type",
        ),
        pytest.param(
            {"type": "risk_set", "level": "low"},
            "at",
            "expected an ISO 8601 instant with an offset, not None",
            id="no-at",
        ),
        pytest.param(
            {"type": "risk_set", "at": "2026-03-02T10:00:00", "level": "low"},
            "at",
            "'2026-03-02T10:00:00' has no UTC offset",
            id="naive-at",
        ),
        pytest.param(
            {"type": "risk_set", "at": "2026-03-02T10:00:00Z", "level": "extreme"},
            "level",
            "must be one of none, low, medium, high, not 'extreme'",
            id="bad-choice",
        ),
        pytest.param(
            {"type": "risk_set", "at": "2026-03-02T10:00:00Z", "level": "low", "colour": "red"},
            "colour",
            "unknown field for risk_set",
            id="unknown-field",
        ),
        pytest.param(
            {"type": "email_acknowledged", "at": "2026-03-02T10:00:00Z", "email": "nope"},
            "email",
            "no event nope of the right type in this case",
            id="unknown-reference",
        ),
        pytest.param(
            {"type": "risk_set", "at": "2026-03-09T10:00:00Z", "level": "low"},
            "at",
            "is in the future",
            id="future",
        ),
        pytest.param(
            {"type": "note", "at": "2026-03-02T10:00:00Z", "summary": "x", "next_step": "y" * 501},
            "next_step",
            "must be at most 500 characters",
            id="too-long",
        ),
        pytest.param(
            {"type": "risk_set", "at": "2026-03-02T10:00:00Z", "level": "low", "case": "C9"},
            "case",
            "is not the case of the URL",
            id="other-case",
        ),
        pytest.param(
            {"type": "note", "at": "2026-03-02T10:00:00Z", "details": {"text": "x"}},
            "details.text",
            "is not taken by note",
            id="unknown-detail",
        ),
        pytest.param(
            {"type": "participant_query", "at": "2026-03-02T10:00:00Z"},
            "text",
            "say what the participant asked",
            id="service-refuses",
        ),
        pytest.param(
            {"type": "risk_set", "at": "2026-03-02T10:00:00Z", "level": "low\u0000"},
            "level",
            "must not contain NUL characters",
            id="nul",
        ),
        pytest.param(
            {
                "type": "review_completed",
                "at": "2026-03-02T10:00:00Z",
                "decision": "authorise_remaining",
                "sessions": 40000,
            },
            "sessions",
            "must be at most 32767",
            id="int-out-of-range",
        ),
        pytest.param(
            {"type": "case_notes_uploaded", "at": "0001-01-01T00:00:00+01:00", "provider": "x"},
            "at",
            "date value out of range",
            id="instant-overflow",
        ),
    ],
)
def test_a_bad_event_is_refused_with_the_field_and_nothing_written(
    body: dict[str, Any], field: str, message: str
) -> None:
    case = open_case(reference="EAP-30004")
    client = client_for(clinician_of(case))
    before = db_state()
    response = _post(client, case, body)
    assert (response.status_code, response.json()) == (
        400,
        {"errors": [{"field": field, "message": message}]},
    )
    assert db_state() == before


def test_a_body_that_is_not_an_object_is_refused() -> None:
    case = open_case()
    response = _post(client_for(clinician_of(case)), case, [1, 2])  # type: ignore[arg-type]
    assert (response.status_code, response.json()) == (
        400,
        {"errors": [{"field": None, "message": "send one event as a JSON object"}]},
    )


def test_an_event_id_used_twice_is_a_conflict() -> None:
    case = open_case()
    client = client_for(clinician_of(case))
    _post(client, case, {"type": "callback_requested", "at": _at(2, 10), "id": "cb1"})
    response = _post(
        client, case, {"type": "risk_set", "at": _at(2, 11), "id": "cb1", "level": "low"}
    )
    assert (response.status_code, response.json()) == (
        409,
        {"errors": [{"field": "id", "message": "event id cb1 is already used in this case"}]},
    )


def test_a_refused_message_is_refused_by_the_engine() -> None:
    case = open_case(participant=ParticipantFactory(voicemail_ok=False))
    client = client_for(clinician_of(case))
    before = db_state()
    response = _post(
        client,
        case,
        {
            "type": "contact_attempt",
            "at": _at(2, 10),
            "channel": "phone",
            "outcome": "not_reached",
            "message": "detailed",
            "summary": "Left a voicemail",
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith("CM-MESSAGE-CONSENT: ")
    assert db_state() == before


def test_needs_confirmation_is_409_with_reasons_then_confirm_records_it() -> None:
    case = open_case(reference="EAP-30005")
    client = client_for(clinician_of(case))
    _post(client, case, {"type": "callback_requested", "at": _at(2, 10), "id": "cb1"})
    close = {"type": "outreach_closed", "at": _at(2, 11), "outreach": "cb1", "reason": "stop"}
    asked = _post(client, case, close)
    confirmed = _post(client, case, {**close, "confirm": "participant asked us to stop"})
    body = asked.json()
    assert asked.status_code == 409
    assert body["errors"][0]["field"] == "confirm"
    assert body["reasons"] == ["CM-OUTREACH (cb1) would be breached"]
    assert "confirm" in body["confirm"]
    assert confirmed.status_code == 201
    assert Override.objects.get(case=case).reason == "participant asked us to stop"


def test_send_email_records_the_attempt_and_queues_the_detailed_message() -> None:
    participant = ParticipantFactory()
    AccessLineFactory(client=participant.client, country="GB")
    case = open_case(participant=participant)
    response = _post(
        client_for(clinician_of(case)),
        case,
        {
            "type": "contact_attempt",
            "at": _at(2, 10),
            "channel": "email",
            "outcome": "not_reached",
            "message": "detailed",
            "summary": "Emailed the access line",
            "details": {"send_email": True},
        },
    )
    assert response.status_code == 201
    assert ContactAttempt.objects.get(case=case).channel == "email"
    assert list(OutboundMessage.objects.values_list("kind", "to")) == [
        ("detailed", participant.email)
    ]


# --- POST: who may --------------------------------------------------------------------------


def _referred_case() -> tuple[Any, Any]:
    partner = PartnerFactory()
    provider = ProviderFactory(partners=[partner])
    case = open_case(partner=partner, reference="EAP-30010")
    case_refer(actor=clinician_of(case), case=case, provider=provider, now=NOW)
    return case, provider


NOTE = {"type": "note", "at": "2026-03-02T10:00:00Z", "summary": "Called", "next_step": "Wait"}
SESSION = {"type": "session_held", "at": "2026-03-02T10:00:00Z"}


@pytest.mark.parametrize(
    ("who", "body", "status"),
    [
        pytest.param("partner_clinician", NOTE, 201, id="clinician-note"),
        pytest.param("partner_lead", NOTE, 201, id="lead-note"),
        pytest.param("partner_admin", NOTE, 403, id="partner-admin-note"),
        pytest.param("wpo_clinician", NOTE, 201, id="wpo-clinician-note"),
        pytest.param("wpo_admin", NOTE, 404, id="wpo-admin-note"),  # reads no case
        pytest.param("wpo_admin", SESSION, 404, id="wpo-admin-session"),
        pytest.param("provider", NOTE, 403, id="provider-note"),
        pytest.param("provider", SESSION, 201, id="provider-session"),
        pytest.param("other_partner", NOTE, 404, id="other-partner-note"),
        pytest.param("other_provider", SESSION, 404, id="other-provider-session"),
        pytest.param("anonymous", NOTE, 401, id="anonymous"),
    ],
)
def test_who_may_post_an_event(who: str, body: dict[str, Any], status: int) -> None:
    case, provider = _referred_case()
    users = {
        "partner_clinician": lambda: user_with_role(Role.PARTNER_CLINICIAN, partner=case.partner),
        "partner_lead": lambda: user_with_role(Role.PARTNER_LEAD, partner=case.partner),
        "partner_admin": lambda: user_with_role(Role.PARTNER_ADMIN, partner=case.partner),
        "wpo_clinician": lambda: user_with_role(Role.WPO_CLINICIAN),
        "wpo_admin": lambda: user_with_role(Role.WPO_ADMIN),
        "provider": lambda: user_with_role(Role.PROVIDER, provider=provider),
        "other_partner": lambda: user_with_role(Role.PARTNER_CLINICIAN),
        "other_provider": lambda: user_with_role(Role.PROVIDER),
        "anonymous": lambda: None,
    }
    before = CaseEvent.objects.count()
    response = _post(client_for(users[who]()), case, body)
    assert response.status_code == status
    assert CaseEvent.objects.count() == before + (1 if status == 201 else 0)


def test_a_write_to_an_invisible_case_is_the_same_answer_as_to_a_missing_one() -> None:
    case, _provider = _referred_case()
    client = client_for(user_with_role(Role.PARTNER_CLINICIAN))
    invisible = _post(client, case, NOTE)
    missing = client.post("/api/v1/cases/EAP-404/events/", NOTE, format="json")
    assert (invisible.status_code, invisible.json()) == (404, MISSING_CASE)
    assert (missing.status_code, missing.json()) == (404, MISSING_CASE)


def test_session_writes_need_the_csrf_token() -> None:
    from rest_framework.test import APIClient

    case = open_case()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(clinician_of(case))
    response = _post(client, case, NOTE)
    assert response.status_code == 403
    assert response.json()["errors"][0]["message"].startswith("CSRF Failed")


# --- the spec's examples, posted event by event ------------------------------------------------

# What the engine refuses outright when a clinician does it live (the import records it).
REFUSED_LIVE = {
    ("outreach-and-consent", "C6", "a1"): "CM-MESSAGE-CONSENT",
    ("couples-review", "C5", "r1"): "CM-REVIEW-DECISION",
}


# What a page asks for beyond the history's fields.
LIVE_DETAILS = {
    "escalated_to_wpo": {"summary": "No contact within 24 hours"},
    "email_actioned": {"summary": "Replied"},
}


@needs_examples
@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_spec_examples_posted_through_the_api(name: str) -> None:
    path = EXAMPLES / f"{name}.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    # The reference lines (partners, cases) through the import; every event through the API.
    import_history(
        [json.dumps(o) for o in lines if o["type"] in ("partner", "case")],
        now=utc(31, 23, month=12),
    )
    client = client_for(user_with_role(Role.WPO_CLINICIAN))
    events = [o for o in lines if o["type"] not in ("partner", "case")]
    answers = {}
    for number, obj in enumerate(events):
        name = obj.get("id", f"#{number}")
        body = {k: v for k, v in obj.items() if k != "case"}
        body["confirm"] = "as in the example"
        body["details"] = LIVE_DETAILS.get(obj["type"], {})
        with time_machine.travel(obj["at"], tick=False):
            response = client.post(f"/api/v1/cases/{obj['case']}/events/", body, format="json")
        answers[(path.stem, obj["case"], name)] = (
            response.status_code,
            response.json()["errors"][0]["message"].split(":")[0]
            if response.status_code != 201
            else "",
        )
    expected = {
        key: (400, REFUSED_LIVE[key]) if key in REFUSED_LIVE else (201, "") for key in answers
    }
    assert answers == expected
    stored = [
        (row.case.reference, row.type, row.at.isoformat(), row.fields)
        for row in CaseEvent.objects.select_related("case").order_by("case__reference", "at")
    ]
    kept = [
        (
            o["case"],
            o["type"],
            o["at"],
            {k: v for k, v in o.items() if k not in ("type", "case", "at", "id")},
        )
        for o in events
        if (path.stem, o["case"], o.get("id")) not in REFUSED_LIVE
    ]
    assert sorted(stored, key=lambda r: (r[0], r[2])) == sorted(kept, key=lambda r: (r[0], r[2]))
