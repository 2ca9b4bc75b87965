"""Bidirectional and control characters in outside text are neutralised where it is shown
(issue #13 item 8d): a participant's name on the case page, the case list, the handover and
the provider's referral page; a provider's name; an email's subject on the case page, in the
email queue and in triage; a case-notes file name; and the subject of the mail we send."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import time_machine
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.cases.services import case_refer
from eapcase.compliance.worker import Worker
from eapcase.intake.services import message_ingest
from eapcase.outreach.services import email_acknowledge, email_receive
from tests.api.conftest import client_for as api_client_for
from tests.factories import (
    ParticipantFactory,
    PartnerFactory,
    ProviderFactory,
    clinician_of,
    open_case,
    user_with_role,
    utc,
)
from tests.outreach.test_messages import Inbox, smtp  # noqa: F401 (the SMTP server fixture)

pytestmark = pytest.mark.django_db

NOW = utc(2, 11)
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "Sam\u202eyrrab" shows as "Sambarry"
SPOOF_NAME = f"Sam{RLO}yrrab\x07"
SHOWN_NAME = "Sam\ufffdyrrab\ufffd"


@pytest.fixture(autouse=True)
def frozen(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOW, tick=False):
        yield


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _world() -> tuple[Any, Any, Any]:
    partner = PartnerFactory(code="p-bidi", email="cases@p-bidi.example.test")
    provider = ProviderFactory(partners=[partner], name=f"Calm{RLO}ecitcarp Ltd")
    case = open_case(
        partner=partner,
        participant=ParticipantFactory(full_name=SPOOF_NAME, email="sam@example.test"),
        reference="EAP-50001",
    )
    case_refer(actor=clinician_of(case), case=case, provider=provider, now=NOW)
    case.refresh_from_db()
    return case, provider, clinician_of(case)


def _assert_shown_safely(html: str, *shown: str) -> None:
    assert RLO not in html and "\x07" not in html
    for text in shown:
        assert text in html


def test_names_on_the_case_pages_and_the_list() -> None:
    case, _provider, clinician = _world()
    client = _client(clinician)
    for url in (f"/cases/{case.reference}/", f"/cases/{case.reference}/handover/", "/cases/"):
        response = client.get(url)
        assert response.status_code == 200
        _assert_shown_safely(response.content.decode(), SHOWN_NAME)
    detail = client.get(f"/cases/{case.reference}/").content.decode()
    _assert_shown_safely(detail, "Calm\ufffdecitcarp Ltd")


def test_email_subjects_on_the_case_page_the_queue_and_triage() -> None:
    case, _provider, clinician = _world()
    email_receive(
        actor=clinician,
        case=case,
        sender_kind="participant",
        now=NOW,
        subject=f"Invoice{RLO}fdp.exe",
        from_address="sam@example.test",
    )
    raw = (
        "From: Someone <someone@example.test>\r\nTo: cases@p-bidi.example.test\r\n"
        "Subject: =?utf-8?b?"
        + __import__("base64").b64encode(f"Urgent{RLO}tseuqer".encode()).decode()
        + "?=\r\nMessage-ID: <bidi-1@example.test>\r\n\r\nHello\r\n"
    ).encode()
    message_ingest(raw=raw, now=NOW, source="smtp", rcpt_tos=["cases@p-bidi.example.test"])
    client = _client(clinician)
    _assert_shown_safely(
        client.get(f"/cases/{case.reference}/").content.decode(), "Invoice\ufffdfdp.exe"
    )
    _assert_shown_safely(client.get("/email/").content.decode(), "Invoice\ufffdfdp.exe")
    _assert_shown_safely(client.get("/email/triage/").content.decode(), "Urgent\ufffdtseuqer")


def test_the_provider_page_shows_the_name_and_the_file_name_safely() -> None:
    """The upload page's multipart parser drops control characters from a file name; the API
    takes the name as sent, so it is the way such a name gets stored."""
    case, provider, _clinician = _world()
    provider_user = user_with_role(Role.PROVIDER, provider=provider)
    notes = {
        "type": "case_notes_uploaded",
        "at": NOW.isoformat(),
        "provider": provider.code,
        "details": {
            "file": base64.b64encode(b"Session summary\n").decode(),
            "original_name": f"notes{RLO}txt.exe",
        },
    }
    response = api_client_for(provider_user).post(
        f"/api/v1/cases/{case.reference}/events/", notes, format="json"
    )
    assert response.status_code == 201
    page = _client(provider_user).get(f"/provider/cases/{case.reference}/").content.decode()
    _assert_shown_safely(page, SHOWN_NAME, "notes\ufffdtxt.exe")
    timeline = _client(clinician_of(case)).get(f"/cases/{case.reference}/").content.decode()
    _assert_shown_safely(timeline, "notes\ufffdtxt.exe")


def test_the_subject_of_a_mail_we_send_is_one_safe_line(
    smtp: Inbox,  # noqa: F811
) -> None:
    case, _provider, clinician = _world()
    email = email_receive(
        actor=clinician,
        case=case,
        sender_kind="participant",
        now=NOW,
        subject=f"Call me{RLO} back\x1b",
        from_address="sam@example.test",
        message_id="<q-1@example.test>",
    )
    email_acknowledge(actor=clinician, email=email, now=NOW)
    Worker(say=lambda _: None).run_jobs()  # the worker sends the keyed delivery (ADR 0031)
    [(_recipients, message)] = smtp.received
    assert message["Subject"] == f"Re: Call me\ufffd back\ufffd [{case.reference}]"
