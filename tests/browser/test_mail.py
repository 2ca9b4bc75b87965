"""In Chromium: a Partner clinician acknowledges a participant's email from the email queue,
sees the reply's preview, sends it, and the case shows it queued, then sent once the worker
has run its keyed delivery over real SMTP (aiosmtpd on 127.0.0.1; ADR 0031)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.axe import axe_violations, report
from tests.browser.conftest import login, screenshot
from tests.mailserver import Inbox, smtp_server


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    # The live server runs in this process: its requests and the worker below send here.
    with smtp_server(settings) as inbox:
        yield inbox


def _participant_email(browser_server: Any) -> tuple[str, str]:
    """A participant's urgent email (first in the queue) on a case of partner-uk's whose
    participant accepts email messages (the demo mixes consents), as intake files it.
    Returns the case reference and the email's subject."""
    with browser_server.db():
        from eapcase.accounts.models import User
        from eapcase.cases.models import Case
        from eapcase.core import clock
        from eapcase.intake.services import INTAKE
        from eapcase.outreach.messages import email_messages_allowed
        from eapcase.outreach.services import email_receive

        clinician = User.objects.get(username="partner-uk")
        cases = Case.objects.filter(assigned_clinician=clinician, status="open").exclude(
            participant__email=""
        )
        case = next(c for c in cases.order_by("pk") if email_messages_allowed(c))
        subject = "Browser test: can we move my appointment"
        email_receive(
            actor=INTAKE,
            case=case,
            sender_kind="participant",
            from_address=case.participant.email,
            subject=subject,
            body="Could we talk on Thursday instead?",
            message_id=f"<browser-mail-{case.reference}@example.test>",
            urgent=True,
            now=clock.now(),
        )
        return case.reference, subject


def test_a_partner_acknowledges_from_the_queue_and_the_case_shows_the_reply_sent(
    page: Any, browser_server: Any, smtp: Inbox
) -> None:
    reference, their_subject = _participant_email(browser_server)
    login(page, "partner-uk")
    page.goto("/email/")
    row = page.locator("#email-queue tbody tr", has_text=their_subject)
    expect(row.locator("td[data-label='Case'] .ref")).to_have_text(reference)
    row.get_by_role("link", name=re.compile(r"^Acknowledge and reply")).click()

    preview = page.locator("#mail-preview")
    expect(preview.get_by_role("heading", name="The reply that will be sent")).to_be_visible()
    expect(preview).to_contain_text(f"[{reference}]")
    subject = preview.locator("dd").nth(2).inner_text()
    violations = axe_violations(page, "the acknowledgement's preview")
    assert not violations, report(violations)
    screenshot(page, "acknowledgement-preview")
    page.get_by_role("button", name="Acknowledge and send the reply").click()

    expect(page.get_by_role("status")).to_contain_text("the reply is queued")
    assert page.url.endswith(f"/cases/{reference}/")
    sent_row = page.locator("#timeline-title ~ div tr", has_text=subject).first
    expect(sent_row).to_contain_text("Queued")

    with browser_server.db():
        from eapcase.compliance.worker import Worker

        assert Worker(say=lambda _: None).run_jobs() >= 1
    # The worker also sends whatever else is due (the sweep's batch): find the reply.
    [message] = [m for _recipients, m in smtp.received if m["Subject"] == subject]
    assert message["In-Reply-To"]

    page.reload()
    sent_row = page.locator("#timeline-title ~ div tr", has_text=subject).first
    expect(sent_row).to_contain_text("Email sent")
    expect(sent_row.locator(".mail-status")).to_contain_text("Sent")
    violations = axe_violations(page, "the case page with the mail sent")
    page.set_viewport_size({"width": 320, "height": 900})
    violations += axe_violations(page, "the case page with the mail sent, at 320 px")
    assert not violations, report(violations)
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "case-mail-sent")
