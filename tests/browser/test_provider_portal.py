"""The provider portal in a browser: provider-1 opens a referral, uploads completed case notes,
downloads them back, and flags a goal slip using the keyboard only."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import BrowserServer, login, screenshot

NOTES = b"Completed case notes (browser test)\nSessions held: 2\nOutcome: goals met.\n"


def _first_open_referral(page: Any) -> str:
    """The reference of the first open referral in the list (the demo is shared between the
    browser tests, so the row is found on the page, not assumed)."""
    row = page.locator("tbody tr").filter(has=page.get_by_role("cell", name="Open", exact=True))
    return str(row.first.get_by_role("link").inner_text()).strip()


def test_a_provider_uploads_case_notes_and_flags_a_goal_slip(
    page: Any, browser_server: BrowserServer
) -> None:
    from eapcase.providers.models import CaseNotesUpload, ProviderContact

    login(page, "provider-1")
    page.get_by_role("link", name="My referrals").click()
    page.wait_for_url("**/provider/")
    page.get_by_role("heading", name="My referrals").wait_for()
    screenshot(page, "provider-home")

    reference = _first_open_referral(page)
    page.get_by_role("link", name=reference, exact=True).click()
    page.get_by_role("heading", name=f"Referral {reference}").wait_for()

    # Upload a plain-text file of completed case notes.
    page.get_by_label("Completed case notes").set_input_files(
        {"name": "helen-ashby-notes.txt", "mimeType": "text/plain", "buffer": NOTES}
    )
    page.get_by_role("button", name="Upload the case notes").click()
    page.get_by_role("status").filter(
        has_text="Case notes uploaded: helen-ashby-notes.txt."
    ).wait_for()
    link = page.get_by_role("link", name="helen-ashby-notes.txt")
    link.wait_for()
    screenshot(page, "provider-referral-after-upload")

    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "helen-ashby-notes.txt"
    with open(download.path(), "rb") as downloaded:
        assert downloaded.read() == NOTES

    # Flag a goal slip with the keyboard alone: choose, Tab to the text, Tab to the button.
    page.get_by_label("A goal slip (progress has stalled or reversed)").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.type("Two sessions missed; the agreed goals no longer look reachable.")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Flag it to the Partner"
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(
        has_text="The goal slip is flagged to the Partner as urgent."
    ).wait_for()
    flagged = page.locator("article").filter(has_text="Two sessions missed")
    assert re.search(r"Goal slip flagged\s+urgent", flagged.get_by_role("heading").inner_text())
    assert "Awaiting the Partner's answer, due by" in flagged.inner_text()

    with browser_server.db():
        # select_related: the rows are read here, inside the browser database's block.
        upload = CaseNotesUpload.objects.select_related("provider").get(
            case__reference=reference, original_name="helen-ashby-notes.txt"
        )
        contact = ProviderContact.objects.select_related("provider").get(
            case__reference=reference, text__startswith="Two sessions missed"
        )
    assert (upload.provider.code, upload.content_type, upload.size) == (
        "prov-1",
        "text/plain",
        len(NOTES),
    )
    assert (contact.topic, contact.urgent, contact.provider.code) == ("goal_slip", True, "prov-1")
