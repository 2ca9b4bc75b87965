"""In Chromium: a Partner clinician finds a case with an overdue call back in /cases/, records
the attempt that clears it (with htmx, from the keyboard), is asked to confirm an attempt the
engine questions, prints the handover page, and records a first-session review with
JavaScript turned off. Screenshots of the case page, the attempt form with a confirmation and
the handover page go to docs/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, TEST_NOW, login, screenshot


def _partner_uk_cases(browser_server: Any) -> list[Any]:
    """partner-uk's open cases, each with the engine's view of it at TEST_NOW."""
    from eapcase.accounts.models import User
    from eapcase.cases.access import cases_visible_to
    from eapcase.web.case_selectors import case_page_get

    user = User.objects.get(username="partner-uk")
    cases = (
        cases_visible_to(user)
        .filter(status="open")
        .select_related("partner", "participant", "client", "provider")
        .order_by("reference")
    )
    return [case_page_get(case=case, now=TEST_NOW) for case in cases]


def _no_contact_hours(page: Any) -> bool:
    """The client states no contact hours: outside them the form would ask for a reason
    (ADR 0027), which is not what these tests are about."""
    return page.procedure is None or page.procedure.contact_window_start is None


def _overdue_callback_case(browser_server: Any) -> str:
    """An open case of partner-uk's whose call back is overdue and whose attempt by phone with
    a detailed voicemail the engine does not question: the call back is its only open outreach
    and the participant accepts voicemail."""
    with browser_server.db():
        for page in _partner_uk_cases(browser_server):
            overdue = {o.row.rule for o in page.obligations if o.overdue}
            prefs = page.prefs
            if (
                "CM-CALLBACK" in overdue
                and [o.progress.purpose for o in page.open_outreach] == ["callback"]
                and page.open_outreach[0].progress.attempts_made == 0
                and prefs.phone
                and prefs.voicemail_ok
                and not prefs.email_only
            ):
                return str(page.case.reference)
    raise AssertionError("the demo has no case with an overdue call back for partner-uk")


def _review_case(browser_server: Any) -> tuple[str, int]:
    """An open case of partner-uk's waiting for its first-session review, and how many sessions
    of the benefit remain."""
    with browser_server.db():
        for page in _partner_uk_cases(browser_server):
            if page.evaluation.state.review_pending and page.ledger.remaining >= 1:
                return str(page.case.reference), page.ledger.remaining
    raise AssertionError("the demo has no case waiting for its review for partner-uk")


def _voicemail_case(browser_server: Any) -> str:
    """An open self-referred case of partner-uk's without a call back waiting, whose
    participant accepts voicemail: an unsuccessful call that leaves no message makes the engine
    ask why (CM-MESSAGE-DETAIL), and no call back is cleared on the way."""
    with browser_server.db():
        for page in _partner_uk_cases(browser_server):
            rules = {o.row.rule for o in page.obligations}
            if (
                page.evaluation.in_scope
                and page.prefs.phone
                and page.prefs.voicemail_ok
                and "CM-CALLBACK" not in rules
                and _no_contact_hours(page)
            ):
                return str(page.case.reference)
    raise AssertionError("the demo has no case for partner-uk whose participant takes voicemail")


def _case_with_deadlines(browser_server: Any) -> str:
    """An open case of partner-uk's with open deadlines."""
    with browser_server.db():
        for page in _partner_uk_cases(browser_server):
            if page.deadlines:
                return str(page.case.reference)
    raise AssertionError("the demo has no case with open deadlines for partner-uk")


def test_partner_clears_an_overdue_call_back_from_the_case_list(
    page: Any, browser_server: Any
) -> None:
    reference = _overdue_callback_case(browser_server)
    login(page, "partner-uk")
    page.goto("/cases/")
    page.get_by_label("Reference or participant").fill(reference)
    page.get_by_role("search", name="Search cases", exact=True).get_by_role(
        "button", name="Search"
    ).click()
    page.get_by_role("link", name=reference, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    callback_row = page.locator("#obligations-title + div tr", has_text="CM-CALLBACK")
    expect(callback_row).to_contain_text("overdue")
    screenshot(page, "case-page")

    page.get_by_role("link", name="Record an attempt").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#action-title")).to_be_focused()
    expect(page.locator("#message-template")).to_contain_text("Please call us back")
    expect(page.get_by_label("Detailed voicemail (the template shown)")).to_be_checked()
    page.get_by_label("What was done or agreed").fill("Called, no answer; left the access line.")
    hours = page.locator("#contact-window")
    page.get_by_role("button", name="Record the attempt").click()
    if hours.count():
        # The client's contact hours (ADR 0027): 12:30 is outside them; the form asks why.
        expect(page.locator("#action-form")).to_contain_text("outside the client's contact hours")
        page.get_by_label("Reason to go ahead").fill("The participant asked for a call at noon.")
        page.get_by_role("button", name="Go ahead with this reason").click()

    expect(page.get_by_role("status")).to_contain_text("Contact attempt recorded.")
    expect(page.locator("#obligations-title + div tr", has_text="CM-CALLBACK")).to_have_count(0)
    settled = page.locator("details", has_text="Met, late and breached")
    settled.locator("summary").click()
    expect(settled.locator("tr", has_text="CM-CALLBACK")).to_contain_text("late")
    expect(page.locator("#timeline-title + div")).to_contain_text(
        "Called, no answer; left the access line."
    )


def test_an_attempt_the_engine_questions_needs_a_reason(page: Any, browser_server: Any) -> None:
    reference = _voicemail_case(browser_server)
    login(page, "partner-uk")
    page.goto(f"/cases/{reference}/attempt/")
    page.get_by_label("No message").check()
    page.get_by_label("What was done or agreed").fill("Rang twice, line busy.")
    page.get_by_role("button", name="Record the attempt").click()

    alert = page.locator("#confirm-reasons")
    expect(alert).to_contain_text("No detailed message left")
    expect(alert).to_be_focused()
    reason = page.get_by_label("Reason to go ahead")
    expect(reason).to_have_attribute("required", "")
    screenshot(page, "case-attempt-confirmation")
    reason.fill("Shared phone: the participant asked for no message today.")
    page.get_by_role("button", name="Go ahead with this reason").click()
    expect(page.get_by_role("status")).to_contain_text("Contact attempt recorded.")
    row = page.locator("#timeline-title + div tbody tr", has_text="Rang twice, line busy.")
    expect(row).to_contain_text("CM-MESSAGE-DETAIL")
    expect(row).to_contain_text("Shared phone: the participant asked for no message today.")


def test_the_handover_page_prints_on_one_page(page: Any, browser_server: Any) -> None:
    reference = _case_with_deadlines(browser_server)
    login(page, "partner-uk")
    page.goto(f"/cases/{reference}/")
    page.get_by_role("link", name="Handover page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(rf"^Handover: {reference} · ")
    )
    for title in ("State", "Next agreed step", "Open deadlines", "Last contacts"):
        expect(page.get_by_role("heading", name=title)).to_be_visible()
    screenshot(page, "case-handover")
    page.emulate_media(media="print")
    expect(page.locator("nav.navbar")).to_be_hidden()
    pdf = page.pdf(format="A4")
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1


@pytest.fixture
def no_js_page(browser: Any, browser_server: Any, django_db_blocker: Any) -> Iterator[Any]:
    """A page with JavaScript turned off (htmx never loads), at TEST_NOW."""
    import time_machine

    context = browser.new_context(
        base_url=browser_server.url,
        viewport={"width": 1280, "height": 900},
        locale="en-GB",
        java_script_enabled=False,
    )
    context.set_default_timeout(10_000)
    with django_db_blocker.unblock(), time_machine.travel(TEST_NOW, tick=True):
        yield context.new_page()
        context.close()


def test_partner_records_a_first_session_review_without_javascript(
    no_js_page: Any, browser_server: Any
) -> None:
    page = no_js_page
    reference, remaining = _review_case(browser_server)
    login(page, "partner-uk", DEMO_PASSWORD)
    page.goto(f"/cases/{reference}/")
    review_row = page.locator("#obligations-title + div tr", has_text="CM-REVIEW")
    expect(review_row).to_contain_text("no deadline")
    page.get_by_role("link", name="First-session review").first.click()
    expect(page).to_have_url(re.compile(rf"/cases/{reference}/review/$"))
    expect(page.get_by_label("Further sessions to authorise")).to_have_attribute(
        "max", str(remaining)
    )
    page.get_by_label("authorise sessions of the benefit").check()
    page.get_by_label("Further sessions to authorise").fill("1")
    page.get_by_label("Rationale").fill("Good engagement; one more session agreed.")
    page.get_by_role("button", name="Record the review").click()

    expect(page).to_have_url(re.compile(rf"/cases/{reference}/$"))
    expect(page.get_by_role("status")).to_have_text("Review recorded.")
    expect(page.locator("#obligations-title + div tr", has_text="CM-REVIEW")).to_have_count(0)
    # Each test starts its clock at TEST_NOW again: find the row by what it says.
    review_row = page.locator("#timeline-title + div tbody tr", has_text="First-session review")
    expect(review_row).to_contain_text("authorise sessions; 1 further session(s)")
    with browser_server.db():
        from eapcase.cases.models import Review

        review = Review.objects.filter(case__reference=reference).latest("pk")
        assert (review.decision, review.sessions) == ("authorise_remaining", 1)
