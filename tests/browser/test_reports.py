"""In Chromium: WPO's compliance report draws a trend chart per rule beside its table; the
client organisation report prints to PDF on one page per quarter. Screenshots go to
docs/screenshots/."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from eapcase.organisations.models import ClientOrganisation
from tests.browser.conftest import login, screenshot


def test_the_compliance_report_draws_its_charts(page: Any) -> None:
    login(page, "wpo")
    page.get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Compliance report").click()
    page.get_by_label("From (first day)").fill("2026-06-01")
    page.get_by_label("To (last day)").fill("2026-11-30")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="Month by month")).to_be_visible()
    canvas = page.locator("canvas#chart-CM-CALLBACK")
    expect(canvas).to_have_attribute("data-rendered", "yes")
    # Chart.js painted something: the canvas is not blank.
    painted = canvas.evaluate(
        "c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some(v => v !== 0)"
    )
    assert painted
    expect(page.locator("#figures tbody tr").first).to_be_visible()
    screenshot(page, "compliance-report")
    page.locator("#figures tbody a").first.click()
    expect(page.get_by_role("heading", name=re.compile(":"))).to_be_visible()
    expect(page.locator("#cases a").first).to_have_attribute("href", re.compile(r"^/cases/"))


def test_the_client_report_prints_one_page_per_quarter(page: Any, browser_server: Any) -> None:
    with browser_server.db():
        client = ClientOrganisation.objects.order_by("pk").first()
        assert client is not None
        pk = client.pk
    login(page, "wpo")
    page.goto(f"/reports/clients/{pk}/?year=2026")
    expect(page.get_by_role("heading", name=re.compile(r"Q4 2026$"))).to_be_visible()
    screenshot(page, "client-report")
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", landscape=True, print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
    assert pages == 4
