"""In Chromium: a Partner clinician opens a case from an email waiting in triage (the page is
prefilled from the email; the case opens when it arrived and the email is filed on it), then
follows the case header to the participant's page (ADR 0029, ADR 0030)."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from playwright.sync_api import expect

from eapcase.intake.services import message_ingest
from tests.browser.conftest import TEST_NOW, login, screenshot


def test_a_clinician_opens_a_case_from_an_email_in_triage(page: Any, browser_server: Any) -> None:
    received = TEST_NOW - timedelta(hours=2)
    raw = EmailMessage()
    raw["From"] = "Morgan Fielding <morgan.fielding@example.org>"
    raw["To"] = "cases@thameside.example"
    raw["Subject"] = "Looking for some support"
    raw["Message-ID"] = "<open-from-triage@example.org>"
    raw.set_content("Hello, my manager suggested I get in touch. Could someone call me?\n")
    with browser_server.db():
        message = message_ingest(raw=raw.as_bytes(), now=received, source="smtp")
        assert message.status == "triage"

    login(page, "partner-uk")
    page.goto("/email/triage/")
    row = page.locator(f"#message-{message.pk}")
    row.get_by_role("link", name="Open a case from this email").click()
    expect(page.locator("#origin")).to_contain_text("Morgan Fielding")
    expect(page.locator("#origin")).to_contain_text("Thameside Wellbeing")
    expect(page.get_by_role("textbox", name="Email")).to_have_value("morgan.fielding@example.org")
    expect(page.get_by_role("heading", name="0 participants found")).to_be_visible()
    page.get_by_role("link", name="Register a new participant").click()
    expect(page.get_by_label("Full name")).to_have_value("Morgan Fielding")
    expect(page.get_by_label("Email", exact=True)).to_have_value("morgan.fielding@example.org")
    page.get_by_label("Client organisation").select_option(label="Kestrel Freight Group")
    page.get_by_label("Country").fill("GB")
    page.get_by_label("Case type").select_option("individual")
    page.get_by_label("Referral route").select_option("self")
    page.get_by_label("Presenting issue").fill("Workload and low mood")
    screenshot(page, "case-new-from-email")
    page.get_by_role("button", name="Open the case").click()
    expect(page.get_by_role("status")).to_contain_text(
        re.compile(r"Case EAP-\d+ is open\. The email is filed on it\.")
    )
    reference = page.locator("h1 .ref").inner_text()
    with browser_server.db():
        from eapcase.cases.models import Case
        from eapcase.intake.models import InboundMessage

        case = Case.objects.get(reference=reference)
        filed = InboundMessage.objects.get(pk=message.pk)
        assert (filed.status, filed.case_id) == ("linked", case.pk)
        assert case.opened_at == received
        assert case.events.get(type="email_received").at == received
        assert case.participant.email == "morgan.fielding@example.org"

    page.locator("header h1").get_by_role("link", name="Morgan Fielding").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Morgan Fielding")
    expect(page.locator("#participant-cases")).to_contain_text(reference)
    expect(page.locator("#participant-history")).to_contain_text("Registered")
    screenshot(page, "participant")
