"""The accessibility gate: axe-core (WCAG 2.1 AA) on every page each demo role can reach and on
the error state of every form on those pages, and no page scrolling sideways at 320 px wide
(400 % zoom of a 1280 px screen, WCAG 1.4.10 Reflow).

Each role logs in, and the crawl (tests/browser/crawl.py) opens its home, its navigation and
one page of every kind linked from there (one case, one referral, one email, their action
pages...). On each page:

- axe runs at 1280 px wide; every violation is kept with its rule, element and page;
- the viewport narrows to 320 px and the page must not be wider than the window;
- every POST form with a required field is sent again empty, with the browser's own checks
  turned off, so that the server answers with its error messages; axe runs on that answer.
  Only forms that cannot succeed empty are sent, so the shared demo data is not changed.

The demo has no notification and no mail waiting in triage at the instant the tests run, so
the gate adds some first (`_seed`): unread and read notifications for the role, and one
message from an unknown sender. Without them the notification rows (the one contrast failure
axe ever found here) and the triage page of one message would go unchecked.

The test fails with the whole list, so one run shows everything left to fix.
"""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from eapcase.accounts.models import User
from eapcase.accounts.standing import standing_of
from eapcase.cases.access import cases_visible_to
from eapcase.cases.models import Participant
from eapcase.intake.services import message_ingest
from eapcase.notifications.models import Notification
from tests.browser.axe import Violation, axe_violations, report
from tests.browser.conftest import TEST_NOW, login
from tests.browser.crawl import crawl, kind_of

ROLES = ["wpo", "wpo-admin", "partner-uk", "lead-uk", "partner-ny", "provider-1"]
NARROW = {"width": 320, "height": 900}
WIDE = {"width": 1280, "height": 900}

#: Where each role's crawl starts: its home (a WPO admin's is Django's admin, which the crawl
#: leaves out, ADR 0010) and the notifications, from whose navigation the account's own pages
#: (two-step verification, password, API tokens) are one link away for every role.
START = ["/", "/notifications/"]
#: The roles that read no case record, so have no search (cases.search.search_allowed).
NO_SEARCH = {"wpo-admin", "provider-1"}


def _start(browser_server: Any, username: str) -> list[str]:
    """START, and for a WPO admin the merge page's search results and its comparison of two
    records, which only a search reaches (the demo has no likely duplicates to link them)."""
    if username != "wpo-admin":
        return START
    with browser_server.db():
        first, second = Participant.objects.filter(merged_into__isnull=True).order_by("pk")[:2]
    return [
        *START,
        f"/participants/merge/?name={first.full_name.split()[0]}",
        f"/participants/merge/?keep={first.pk}&merge={second.pk}",
    ]


#: The POST forms on the page that cannot succeed when sent empty: each has a field marked
#: `required` that emptying leaves without a value. Returns their indexes in document.forms.
_EMPTYABLE_FORMS = """() => Array.from(document.forms).flatMap((form, index) => {
  if (form.method.toLowerCase() !== "post") return [];
  const empty = Array.from(form.elements).some((field) => {
    if (!field.required || field.disabled) return false;
    if (field.type === "checkbox" || field.type === "radio") return true;
    if (field.tagName === "SELECT") {
      return Array.from(field.options).some((option) => option.value === "");
    }
    return field.type !== "hidden";
  });
  return empty ? [[index, form.getAttribute("action") || location.pathname]] : [];
})"""

#: Empties form `index` and sends it without the browser's validation (nor htmx: `submit()`
#: fires no submit event), as a browser without JavaScript would after the server's checks.
_SEND_EMPTY = """(index) => {
  const form = document.forms[index];
  for (const field of form.elements) {
    if (field.type === "hidden" || field.tagName === "BUTTON" || field.type === "submit") continue;
    if (field.type === "checkbox" || field.type === "radio") field.checked = false;
    else if (field.tagName === "SELECT") {
      const blank = Array.from(field.options).find((option) => option.value === "");
      if (blank) field.value = "";
    } else if (field.type !== "file") field.value = "";
  }
  form.noValidate = true;
  HTMLFormElement.prototype.submit.call(form);
}"""


def _seed(browser_server: Any, username: str) -> None:
    """Notifications for `username` (two unread, one of them urgent, and one read; about a case
    they may open, when they may open cases) and one message waiting in triage."""
    raw = EmailMessage()
    raw["From"] = "Sam Unknown <sam.unknown@example.org>"
    raw["To"] = "cases@eapcase.example"
    raw["Subject"] = "Question about counselling for my team"
    raw["Message-ID"] = "<accessibility-gate@example.org>"
    raw["Date"] = "Mon, 23 Nov 2026 11:40:00 +0000"
    raw.set_content("Hello, could someone call me back about support for my team?\n")
    with browser_server.db():
        user = User.objects.get(username=username)
        standing = standing_of(user)
        case = None
        if standing.is_wpo or standing.partner_roles:
            case = cases_visible_to(user).order_by("reference").first()
        for minutes, urgent, read_at in [(5, True, None), (20, False, None), (60, False, TEST_NOW)]:
            Notification.objects.create(
                recipient=user,
                case=case,
                level="deadline" if urgent else "reminder",
                text="A call back is due" if urgent else "A first session review is due soon",
                urgent=urgent,
                created_at=TEST_NOW - timedelta(minutes=minutes),
                read_at=read_at,
            )
        message_ingest(raw=raw.as_bytes(), now=TEST_NOW, source="smtp")


def _page_width(page: Any) -> int:
    return int(page.evaluate("() => document.documentElement.scrollWidth"))


def _audit(page: Any, base: str, start: list[str]) -> tuple[list[Violation], list[str], int]:
    """axe on every page reachable from `start` and on its forms' error states; the pages
    wider than 320 px; how many pages and error states were checked."""
    violations: list[Violation] = []
    too_wide: list[str] = []
    checked = 0
    forms_sent: set[str] = set()
    for visit in crawl(page, base, start):
        violations += axe_violations(page, visit.path)
        page.set_viewport_size(NARROW)
        width = _page_width(page)
        if width > NARROW["width"]:
            too_wide.append(f"{visit.path}: {width} px wide at 320 px")
        page.set_viewport_size(WIDE)
        checked += 1
        for index, action in page.evaluate(_EMPTYABLE_FORMS):
            if kind_of(action) in forms_sent:
                continue
            forms_sent.add(kind_of(action))
            if page.url.removeprefix(base) != visit.path:
                page.goto(visit.path)
            with page.expect_navigation():
                page.evaluate(_SEND_EMPTY, index)
            violations += axe_violations(page, f"{visit.path} after sending {action} empty")
            checked += 1
            page.goto(visit.path)
    return violations, too_wide, checked


@pytest.mark.parametrize("username", ROLES)
def test_every_page_of_a_role_passes_axe_and_reflows(
    page: Any, browser_server: Any, username: str
) -> None:
    _seed(browser_server, username)
    login(page, username)
    # Search has no link to it (its box is a form in the header): a search with results.
    searches = ["/search/?q=eap"] if username not in NO_SEARCH else []
    violations, too_wide, checked = _audit(
        page, browser_server.url, _start(browser_server, username) + searches
    )
    assert checked >= 3, f"the crawl for {username} found only {checked} pages"
    assert not violations, report(violations)
    assert not too_wide, "pages scroll sideways:\n" + "\n".join(too_wide)


def test_the_pages_before_logging_in_pass_axe_and_reflow(page: Any, browser_server: Any) -> None:
    violations, too_wide, checked = _audit(
        page, browser_server.url, ["/accounts/login/", "/api/v1/docs/"]
    )
    assert checked >= 3
    assert not violations, report(violations)
    assert not too_wide, "pages scroll sideways:\n" + "\n".join(too_wide)
