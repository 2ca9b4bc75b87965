"""The pages of issue #12 items 4 and 6 in a browser: the case-note review page showing a PDF in
its frame, and the change of an email's urgency, each passing axe and reflowing at 320 px."""

from __future__ import annotations

from typing import Any

from tests.browser.axe import axe_violations, report
from tests.browser.conftest import TEST_NOW, BrowserServer, login, screenshot


def _pdf(text: str) -> bytes:
    """A one-page PDF saying `text`, with a correct cross-reference table (a viewer opens it)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


PDF = _pdf("Completed case notes: goals met, no risk identified.")


def _partner_uk_case(browser_server: BrowserServer) -> tuple[Any, Any, Any]:
    """An open, referred case of partner-uk's Partner, with a PDF of case notes and a
    participant's email on it (written through the services)."""
    from django.core.files.base import ContentFile

    from eapcase.accounts.models import User
    from eapcase.cases.models import Case
    from eapcase.outreach.services import email_receive
    from eapcase.providers.services import case_notes_upload

    with browser_server.db():
        clinician = User.objects.get(username="partner-uk")
        partner_id = clinician.memberships.filter(partner__isnull=False).first().partner_id
        case = (
            Case.objects.filter(partner_id=partner_id, status="open", provider__isnull=False)
            .order_by("pk")
            .first()
        )
        upload = case_notes_upload(
            actor=None,
            case=case,
            now=TEST_NOW,
            file=ContentFile(PDF, name="notes.pdf"),
            original_name="closing-notes.pdf",
            content_type="application/pdf",
        )
        email = email_receive(
            actor=clinician, case=case, sender_kind="participant", now=TEST_NOW, subject="Hi"
        )
    return case, upload, email


def _check(page: Any, where: str) -> None:
    violations = axe_violations(page, where)
    assert violations == [], report(violations)
    page.set_viewport_size({"width": 320, "height": 900})
    assert int(page.evaluate("() => document.documentElement.scrollWidth")) <= 320
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_review_page_shows_the_pdf_and_the_urgency_page_passes(
    page: Any, browser_server: BrowserServer
) -> None:
    case, upload, email = _partner_uk_case(browser_server)
    login(page, "partner-uk")
    review = f"/cases/{case.reference}/case-notes/{upload.pk}/review/"
    page.goto(review)
    frame = page.locator("iframe.notes-inline")
    frame.wait_for()
    assert frame.get_attribute("src") == (
        f"/provider/cases/{case.reference}/notes/{upload.pk}/view/"
    )
    assert page.get_by_role("link", name="closing-notes.pdf").get_attribute("download") == ""
    _check(page, review)
    screenshot(page, "case-notes-review")

    urgency = f"/cases/{case.reference}/email/{email.pk}/urgency/"
    page.goto(urgency)
    page.get_by_role("heading", name="Change an email's urgency").wait_for()
    _check(page, urgency)
    page.get_by_label("Why the urgency changes").fill("The participant sounded at risk.")
    page.get_by_role("button", name="Change the urgency").click()
    page.wait_for_url(f"**/cases/{case.reference}/")
    assert page.get_by_text("is now urgent: The participant sounded at risk.").count() == 1
