"""Plain language on the pages and in the mail: for a case with obligations and findings of
several rules, the case page, the handover page, My work, the escalations page, a reminder
mail and its in-app notification name rules by title and events by kind and time. No rule id
(`CM-...`) and no event id (`E3`) is read outside the small print kept for support."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
import time_machine
from django.test import Client

from eapcase.cases.services import query_record
from eapcase.notifications.models import Notification
from eapcase.outreach.services import attempt_record, callback_request, email_receive
from tests.factories import utc
from tests.notifications.conftest import Inbox, smtp  # noqa: F401  (the SMTP fixture)
from tests.notifications.helpers import run_worker, world

pytestmark = pytest.mark.django_db

IDS = re.compile(r"CM-[A-Z-]+|\bE\d+\b")


class _Reader(HTMLParser):
    """The text a person reads on a page: no markup, no attributes, no `<small>` print."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.small = 0
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "small":
            self.small += 1
        if tag in ("script", "style", "title"):
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "small":
            self.small -= 1
        if tag in ("script", "style", "title"):
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.small and not self.hidden:
            self.text.append(data)


def read(html: str) -> str:
    reader = _Reader()
    reader.feed(html)
    return " ".join(" ".join(reader.text).split())


def small_print(html: str) -> str:
    return " ".join(re.findall(r"<small[^>]*>(.*?)</small>", html, flags=re.S))


def attempt(w: Any, at: Any, message: str = "detailed", confirm: str = "") -> None:
    attempt_record(
        actor=w.clinician, case=w.case, target="participant", channel="phone",
        outcome="not_reached", message=message, summary="Rang, no answer", now=at,
        confirm=confirm,
    )  # fmt: skip


@pytest.fixture
def busy(smtp: Inbox) -> Any:  # noqa: F811  (the imported fixture)
    """A case with a met call back, an outreach, findings of two rules (an attempt beyond the
    required count, no detailed message left), an open query and a participant's email nobody
    answered: the sweep has escalated it and reminded of the query."""
    w = world(opened=utc(2, 9))  # Mon 2 Mar 2026, London on GMT
    callback_request(actor=w.clinician, case=w.case, now=utc(2, 9, 40))  # E1
    attempt(w, utc(2, 10))  # E2: meets the call back
    attempt(w, utc(2, 11))  # E3
    attempt(w, utc(2, 12), message="none", confirm="Shared phone")  # E4: two findings
    query_record(actor=w.clinician, case=w.case, text="When is my session?", now=utc(2, 13))
    email_receive(actor=w.clinician, case=w.case, sender_kind="participant", now=utc(2, 14))
    run_worker(utc(3, 15))  # the email's 24 hours have passed: WPO is told
    run_worker(utc(9, 15))  # a week later: reminders
    return w


def page(user: Any, url: str) -> str:
    client = Client()
    client.force_login(user)
    with time_machine.travel(utc(9, 16), tick=False):
        response = client.get(url)
    assert response.status_code == 200, url
    return str(response.content.decode())


def test_the_case_fixture_has_what_the_pages_must_put_in_words(busy: Any) -> None:
    rules = {o.rule for o in busy.case.obligations.all()} | {
        f.rule for f in busy.case.findings.all()
    }
    assert {
        "CM-CALLBACK", "CM-OUTREACH", "CM-QUERY", "CM-EMAIL-ACK", "CM-EMAIL-INFORM",
        "CM-OUTREACH-EXCESS", "CM-MESSAGE-DETAIL",
    } <= rules  # fmt: skip


@pytest.mark.parametrize("where", ["/cases/{ref}/", "/cases/{ref}/handover/"])
def test_the_case_pages_read_in_words_with_the_ids_in_small_print(busy: Any, where: str) -> None:
    html = page(busy.clinician, where.format(ref=busy.case.reference))
    text = read(html)
    assert IDS.findall(text) == []
    assert "the email of mon 2 mar 14:00" in text.lower()
    support = small_print(html)
    assert "CM-EMAIL-ACK" in support and "E6" in support


def test_the_case_page_names_the_findings_and_what_met_an_obligation(busy: Any) -> None:
    text = read(page(busy.clinician, f"/cases/{busy.case.reference}/"))
    assert "Attempts beyond the required count" in text
    assert "No detailed message left" in text
    assert "met by the contact attempt of Mon 2 Mar 10:00" in text


def test_my_work_reads_in_words(busy: Any) -> None:
    text = read(page(busy.clinician, "/work/"))
    assert IDS.findall(text) == []
    assert "Resolve the participant's query" in text


def test_the_escalations_page_reads_in_words(busy: Any) -> None:
    text = read(page(busy.wpo, "/escalations/"))
    assert IDS.findall(text) == []
    assert (
        "No contact with the participant within 24 hours of the email of Mon 2 Mar 14:00. "
        "The policy requires WPO to be told" in text
    )


def test_a_reminder_mail_and_its_notification_read_in_words(
    busy: Any,
    smtp: Inbox,  # noqa: F811  (the imported fixture)
) -> None:
    # The sweep's mails about obligations: the week passed, so they say what is late.
    reminders = [
        m
        for _, m in smtp.received
        if str(m["Subject"]).startswith(("[eapcase] Overdue", "[eapcase] Past"))
    ]
    assert len(reminders) == 3
    for mail in reminders:
        body = str(mail.get_payload(decode=True).decode())
        # No ids at all in a notice: they travel only in the key header, for support.
        assert IDS.findall(str(mail["Subject"]) + body) == []
        assert IDS.findall(str(mail["X-Eapcase-Key"]))
    query = next(m for m in reminders if "query" in str(m["Subject"]))
    assert " ".join(str(query["Subject"]).split()) == (
        "[eapcase] Past its house target: Resolve the participant's query on case "
        f"{busy.case.reference}"
    )
    assert "It was opened by the query of Mon 2 Mar 13:00." in str(query.get_payload())
    for text in Notification.objects.values_list("text", flat=True):
        assert IDS.findall(text) == []
