"""The provider is told (in the app and by mail, real SMTP on loopback) when the Partner answers
their contact or query; the case-note review page links to the file and shows a PDF or a text
in the page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.notifications.models import Delivery, Notification
from eapcase.providers.models import CaseNotesUpload
from eapcase.providers.services import provider_contact_record, provider_contact_respond
from tests.factories import ProviderFactory, clinician_of, open_case, user_with_role, utc
from tests.notifications.conftest import Inbox, smtp  # noqa: F401  (the SMTP fixture)
from tests.notifications.helpers import run_worker

pytestmark = pytest.mark.django_db

NOW = utc(2, 11)  # Mon 2 March 2026 11:00 UTC = 11:00 GMT in London
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Iterator[Path]:
    settings.MEDIA_ROOT = tmp_path
    yield tmp_path


def _referred() -> tuple[Any, Any, Any]:
    provider = ProviderFactory(email="practice@provider.example.test")
    case = open_case(provider=provider, now=utc(2, 9))
    return case, provider, user_with_role(Role.PROVIDER, provider=provider)


@pytest.mark.parametrize(("topic", "what"), [("query", "query"), ("risk", "risk report")])
def test_the_provider_is_told_of_the_answer_in_the_app_and_by_mail(
    smtp: Inbox,  # noqa: F811  (the imported fixture)
    settings: Any,
    topic: str,
    what: str,
) -> None:
    settings.EAPCASE_BASE_URL = "https://eapcase.example.org/"
    case, _provider, provider_user = _referred()
    contact = provider_contact_record(
        actor=provider_user, case=case, topic=topic, text="Can we add a session?", now=utc(2, 10)
    )
    provider_contact_respond(
        actor=clinician_of(case), contact=contact, response="Yes, one more.", now=NOW
    )
    key = f"{case.reference}/PROVIDER-ANSWER/{contact.event_id}/provider-answer"
    assert Delivery.objects.get(key=key).recipients == ["practice@provider.example.test"]
    assert list(Notification.objects.filter(key=key).values_list("recipient", "path")) == [
        (provider_user.pk, f"/provider/cases/{case.reference}/")
    ]
    run_worker(NOW)
    [(to, mail)] = [(t, m) for t, m in smtp.received if m["X-Eapcase-Key"] == key]
    body = str(mail.get_payload())
    assert to == ["practice@provider.example.test"]
    assert f"your {what} of Mon 2 Mar 2026 10:00 GMT" in body
    assert f"https://eapcase.example.org/provider/cases/{case.reference}/" in body
    assert "Yes, one more." not in body  # the answer is read in the portal
    client = Client()
    client.force_login(provider_user)
    page = client.get("/notifications/").text
    assert f'href="/provider/cases/{case.reference}/"' in page


def test_an_imported_answer_tells_nobody() -> None:
    case, _provider, provider_user = _referred()
    contact = provider_contact_record(
        actor=provider_user, case=case, topic="query", text="Room?", now=utc(2, 10)
    )
    provider_contact_respond(actor=None, contact=contact, response="", now=NOW, historical=True)
    assert not Delivery.objects.filter(rule="PROVIDER-ANSWER").exists()


def _upload(case: Any, provider_user: Any, name: str, content: bytes) -> CaseNotesUpload:
    client = Client()
    client.force_login(provider_user)
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            f"/provider/cases/{case.reference}/notes/",
            {"notes-file": SimpleUploadedFile(name, content)},
        )
    assert response.status_code == 302
    return CaseNotesUpload.objects.get(case=case)


def test_the_review_page_shows_a_text_inline_and_links_to_the_file(media_root: Path) -> None:
    case, _provider, provider_user = _referred()
    upload = _upload(case, provider_user, "notes.txt", b"Goals met; <b>no</b> risk.\n")
    client = Client()
    client.force_login(clinician_of(case))
    page = client.get(f"/cases/{case.reference}/case-notes/{upload.pk}/review/").text
    assert f'href="/provider/cases/{case.reference}/notes/{upload.pk}/" download' in page
    assert "Goals met; &lt;b&gt;no&lt;/b&gt; risk." in page  # escaped, shown in the page
    assert "<iframe" not in page


def test_the_review_page_shows_a_pdf_in_a_frame_of_our_own(media_root: Path) -> None:
    case, _provider, provider_user = _referred()
    upload = _upload(case, provider_user, "notes.pdf", PDF)
    assert upload.content_type == "application/pdf"
    client = Client()
    client.force_login(clinician_of(case))
    page = client.get(f"/cases/{case.reference}/case-notes/{upload.pk}/review/").text
    inline = f"/provider/cases/{case.reference}/notes/{upload.pk}/view/"
    assert f'<iframe class="notes-inline border rounded w-100 mb-3" src="{inline}"' in page
    response = client.get(inline)
    assert b"".join(response.streaming_content) == PDF
    assert (
        response["Content-Type"],
        response["Content-Disposition"],
        response["X-Frame-Options"],
        "frame-ancestors 'self'" in response["Content-Security-Policy"],
    ) == ("application/pdf", 'inline; filename="notes.pdf"', "SAMEORIGIN", True)
    # Everyone else is refused the inline view as the download: a 404.
    stranger = Client()
    stranger.force_login(user_with_role(Role.PARTNER_CLINICIAN))
    assert stranger.get(inline).status_code == 404
