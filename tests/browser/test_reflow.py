"""At 320 px wide (a 1280 px screen at 400 % zoom, WCAG 1.4.10 Reflow) My work, the case page,
the escalations page, the email queue, the case list and the search results do not scroll
sideways as a whole: wide tables scroll
inside their own labelled region, and a case reference (`EAP-10148`) is never broken over two
lines. Screenshots at that width go to docs/screenshots/narrow-*.png.

The accessibility gate (test_accessibility.py) checks the width of every other page too; this
test looks closer at these four and keeps their pictures."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import login, screenshot

NARROW = {"width": 320, "height": 800}

#: How each .ref element is laid out: a reference on one line has one box.
_BROKEN_REFERENCES = """() => Array.from(document.querySelectorAll(".ref"))
  .filter((el) => el.getClientRects().length > 1)
  .map((el) => el.textContent)"""

#: Scrolling regions that a keyboard cannot reach or a screen reader cannot name.
_UNNAMED_REGIONS = """() => Array.from(document.querySelectorAll(".table-responsive"))
  .filter((el) => el.scrollWidth > el.clientWidth)
  .filter((el) => el.tabIndex !== 0 || el.getAttribute("role") !== "region"
                  || !el.getAttribute("aria-label"))
  .map((el) => el.outerHTML.slice(0, 120))"""


def _first_case_of(page: Any) -> str:
    page.goto("/cases/")
    return str(page.locator("table tbody th a").first.get_attribute("href"))


def _check(page: Any, name: str) -> None:
    page.set_viewport_size(NARROW)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= NARROW["width"], f"{page.url} is {width} px wide at 320 px"
    assert page.evaluate(_BROKEN_REFERENCES) == []
    assert page.evaluate(_UNNAMED_REGIONS) == []
    assert page.locator(".ref").count() > 0, f"{page.url} prints no case reference"
    screenshot(page, name)


@pytest.mark.parametrize(
    ("username", "where", "name"),
    [
        ("partner-uk", "/work/", "narrow-work-queue"),
        ("partner-uk", "case", "narrow-case-page"),
        ("wpo", "/escalations/", "narrow-escalations"),
        ("partner-uk", "/email/", "narrow-email-queue"),
        ("wpo", "/cases/?sort=-case", "narrow-case-list"),
        ("partner-uk", "/work/?sort=case", "narrow-work-queue-sorted"),
        ("partner-uk", "/search/?q=eap", "narrow-search"),
    ],
)
def test_the_main_pages_reflow_at_320_px(page: Any, username: str, where: str, name: str) -> None:
    login(page, username)
    page.goto(_first_case_of(page) if where == "case" else where)
    _check(page, name)
