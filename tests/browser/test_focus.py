"""Keyboard focus is visible everywhere: moving through a page with Tab, every element that
takes focus shows an outline at least 2 px thick whose colour has at least 3:1 contrast with
the background it is drawn on (WCAG 1.4.11, 2.4.7); the skip link, first in the tab order, is
shown with its whole outline inside the window.

The pages are those with the most kinds of background: the notifications (amber unread rows),
My work, a case page (cards, alerts, badges), the email queue, the escalations page and the
login page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from eapcase.accounts.models import User
from eapcase.cases.access import cases_visible_to
from eapcase.notifications.models import Notification
from tests.browser.conftest import TEST_NOW, login

#: The focused element's outline, and the first opaque background behind it (the outline is
#: drawn outside the element, so its own background does not count).
_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  let behind = el.parentElement, background = "rgb(255, 255, 255)";
  while (behind) {
    const bg = getComputedStyle(behind).backgroundColor;
    if (bg !== "transparent" && !bg.endsWith(", 0)")) { background = bg; break; }
    behind = behind.parentElement;
  }
  const box = el.getBoundingClientRect();
  return {
    what: el.outerHTML.slice(0, 100),
    style: style.outlineStyle,
    width: parseFloat(style.outlineWidth),
    offset: parseFloat(style.outlineOffset),
    color: style.outlineColor,
    background: background,
    box: {left: box.left, top: box.top, right: box.right, bottom: box.bottom},
    view: {width: window.innerWidth, height: window.innerHeight},
  };
}"""


def _rgb(css: str) -> tuple[float, float, float]:
    inside = css[css.index("(") + 1 : css.index(")")].replace("/", ",")
    red, green, blue = (float(part) for part in inside.split(",")[:3])
    return red, green, blue


def _luminance(css: str) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(v) for v in _rgb(css))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(one: str, other: str) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


#: Moves the start of keyboard navigation to the top of the page (a page may have focused a field
#: on load): the next Tab goes to the first focusable element.
_FROM_THE_TOP = """() => {
  document.body.tabIndex = -1;
  document.body.focus();
  document.body.removeAttribute("tabindex");
}"""


def test_contrast_is_measured_as_wcag_does() -> None:
    assert round(contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)"), 1) == 21.0
    assert round(contrast("rgb(240, 162, 2)", "rgb(255, 255, 255)"), 2) == 2.13
    assert round(contrast("rgb(27, 27, 27)", "rgb(255, 243, 205)"), 1) == 15.5


def _unread_notifications(browser_server: Any, username: str) -> None:
    with browser_server.db():
        user = User.objects.get(username=username)
        Notification.objects.create(
            recipient=user,
            case=cases_visible_to(user).order_by("reference").first(),
            level="deadline",
            text="A call back is due",
            urgent=True,
            created_at=TEST_NOW - timedelta(minutes=5),
        )


def _tab_through(page: Any, limit: int = 120) -> list[dict[str, Any]]:
    """Press Tab from the top of the page until focus leaves it or comes back round; what was
    focused each time."""
    page.evaluate(_FROM_THE_TOP)
    seen: list[dict[str, Any]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED)
        if focused is None or (seen and focused["what"] == seen[0]["what"]):
            break
        seen.append(focused)
    return seen


@pytest.mark.parametrize(
    ("username", "where"),
    [
        ("partner-uk", "/notifications/"),
        ("partner-uk", "/work/"),
        ("partner-uk", "case"),
        ("partner-uk", "/email/"),
        ("wpo", "/escalations/"),
        ("", "/accounts/login/"),
    ],
)
def test_every_focused_element_shows_an_outline_that_contrasts(
    page: Any, browser_server: Any, username: str, where: str
) -> None:
    if username:
        _unread_notifications(browser_server, username)
        login(page, username)
    if where == "case":
        page.goto("/cases/")
        where = str(page.locator("table tbody th a").first.get_attribute("href"))
    page.goto(where)
    focused = _tab_through(page)
    assert len(focused) >= 3
    weak = [
        f"{f['what']}: {f['style']} {f['width']}px {f['color']} on {f['background']}"
        for f in focused
        if f["style"] == "none" or f["width"] < 2 or contrast(f["color"], f["background"]) < 3
    ]
    assert weak == [], "focus outlines too weak:\n" + "\n".join(weak)


def test_the_skip_link_is_shown_whole_when_focused(page: Any) -> None:
    login(page, "partner-uk")
    page.evaluate(_FROM_THE_TOP)
    page.keyboard.press("Tab")
    skip = page.evaluate(_FOCUSED)
    assert "Skip to content" in skip["what"]
    ring = skip["width"] + skip["offset"]
    box, view = skip["box"], skip["view"]
    assert box["left"] - ring >= 0 and box["top"] - ring >= 0
    assert box["right"] + ring <= view["width"] and box["bottom"] + ring <= view["height"]
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
