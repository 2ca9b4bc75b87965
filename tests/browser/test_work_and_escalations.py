"""In Chromium: every demo login lands on its home; the work queue of a Partner clinician; a
Partner clinical lead reassigns a case from the team list; WPO acknowledges an escalation
with a note, from the keyboard. Screenshots of the main pages go to docs/screenshots/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot


@pytest.mark.parametrize(
    ("username", "home"),
    [
        ("wpo", "/escalations/"),
        ("wpo-admin", "/admin/"),  # reference data only (ADR 0010)
        ("partner-uk", "/work/"),
        ("lead-uk", "/work/"),
        ("partner-ny", "/work/"),
        ("partner-nsw", "/work/"),
        ("provider-1", "/provider/"),
    ],
)
def test_each_demo_login_lands_on_its_home(page: Any, username: str, home: str) -> None:
    login(page, username)
    assert page.url.endswith(home)


def test_the_login_page(page: Any) -> None:
    page.goto("/work/")
    assert "/accounts/login/?next=/work/" in page.url
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    screenshot(page, "login")


def test_a_partner_clinician_sees_their_work_overdue_first(page: Any) -> None:
    login(page, "partner-uk")
    expect(page.get_by_role("heading", name=re.compile(r"^My work \d+ overdue$"))).to_be_visible()
    rows = page.locator("table.work-queue tbody tr")
    # Cases with risk identified head the queue (ADR 0025); then the overdue work.
    risky = [n for n, row in enumerate(rows.all()) if row.locator(".risk-badge").count()]
    assert risky == list(range(len(risky)))
    first_due = rows.nth(len(risky))
    expect(first_due.locator("td").first).to_have_class(re.compile("overdue"))
    expect(first_due.locator(".countdown")).to_have_text(re.compile(r" late$"))
    screenshot(page, "work-queue")
    page.get_by_label("Kind of work").select_option("email")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.work-queue caption")).to_contain_text("(filtered)")
    for title in page.locator("table.work-queue tbody td:nth-child(2) .fw-semibold").all():
        assert re.search("email|Inform WPO", title.inner_text())


def test_a_lead_reassigns_a_case_from_the_team_list(page: Any, browser_server: Any) -> None:
    login(page, "lead-uk")
    page.get_by_role("link", name="Whole team").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Team work"))).to_be_visible()
    screenshot(page, "team-view")
    row = page.locator("table.work-queue tbody tr").first
    reference = row.locator("td:nth-child(3) a").inner_text()
    select = row.get_by_label(f"Clinician of {reference}")
    current = select.input_value()
    options = [o.get_attribute("value") for o in select.locator("option").all()]
    other = next(v for v in options if v and v != current)
    select.select_option(other)
    row.get_by_label(f"Why {reference} moves").fill("Caseload balance")
    row.get_by_role("button", name="Reassign").click()
    expect(page.get_by_role("status")).to_contain_text(f"Case {reference} is now assigned to")
    with browser_server.db():
        from eapcase.cases.models import Case

        assert Case.objects.get(reference=reference).assigned_clinician_id == int(str(other))


def _raise_an_escalation(browser_server: Any) -> None:
    """A Partner clinician escalates a risk on one of their open cases, now."""
    from eapcase.accounts.models import User
    from eapcase.cases.models import Case
    from eapcase.cases.services import escalation_raise
    from eapcase.core import clock

    with browser_server.db():
        clinician = User.objects.get(username="partner-uk")
        case = Case.objects.filter(assigned_clinician=clinician, status="open").first()
        escalation_raise(
            actor=clinician,
            case=case,
            reason="risk",
            summary="The participant disclosed thoughts of self-harm; safety plan agreed.",
            now=clock.now(),
        )


def test_wpo_acknowledges_an_escalation_with_a_note(page: Any, browser_server: Any) -> None:
    _raise_an_escalation(browser_server)
    login(page, "wpo")
    expect(page.get_by_role("alert")).to_contain_text("The policy is due for revision.")
    screenshot(page, "escalations")
    card = page.locator("article.escalation").first
    reference = card.locator("h3 a").inner_text()
    pk = int(str(card.get_attribute("id")).removeprefix("escalation-"))
    note = card.get_by_label(f"Note on acknowledging {reference}")
    note.focus()
    page.keyboard.type("Spoke to the Partner's lead; safety plan confirmed.")
    page.keyboard.press("Tab")
    expect(card.get_by_role("button", name="Acknowledge")).to_be_focused()
    page.keyboard.press("Enter")
    acknowledged = page.locator(f"#escalation-{pk}")
    expect(acknowledged).to_contain_text(f"Escalation on {reference} acknowledged.")
    expect(acknowledged).to_contain_text("safety plan confirmed.")
    with browser_server.db():
        from eapcase.cases.models import Escalation

        row = Escalation.objects.get(pk=pk)
        assert (row.acknowledged_by.username, row.acknowledgement_note) == (
            "wpo",
            "Spoke to the Partner's lead; safety plan confirmed.",
        )
