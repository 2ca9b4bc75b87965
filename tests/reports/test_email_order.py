"""Email order: the definition (policy.measures.emails_out_of_order) on hand-made queues, and
the page's counts per Partner and month on emails recorded through the services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.outreach.services import email_action, email_receive
from eapcase.policy.measures import EmailHandling, emails_out_of_order
from tests.factories import PartnerFactory, open_case, user_with_role, utc

H = timedelta(hours=1)


def e(key: str, received: int, actioned: int | None, urgent: bool = False) -> EmailHandling:
    start = utc(2, 9)
    return EmailHandling(
        key, start + received * H, urgent, None if actioned is None else start + actioned * H
    )


def test_oldest_first_is_in_order() -> None:
    assert emails_out_of_order([e("a", 0, 2), e("b", 1, 3)]) == {}


def test_a_newer_email_actioned_while_an_older_one_waits_is_out_of_order() -> None:
    assert emails_out_of_order([e("a", 0, 5), e("b", 1, 2)]) == {"b": "a"}


def test_an_urgent_email_may_jump_the_queue_but_not_be_jumped() -> None:
    assert emails_out_of_order([e("a", 0, 5), e("u", 1, 2, urgent=True)]) == {}
    assert emails_out_of_order([e("u", 0, 5, urgent=True), e("a", 0, 2)]) == {"a": "u"}


def test_an_email_not_yet_received_does_not_count_and_ties_do_not_count() -> None:
    assert emails_out_of_order([e("a", 3, 4), e("b", 1, 2)]) == {}
    assert emails_out_of_order([e("a", 0, 2), e("b", 1, 2)]) == {}


def test_an_email_never_actioned_still_holds_its_place() -> None:
    assert emails_out_of_order([e("a", 0, None), e("b", 1, 2)]) == {"b": "a"}


@pytest.mark.django_db
@time_machine.travel(utc(10, 12), tick=False)
def test_the_page_counts_emails_out_of_order_per_partner_and_month() -> None:
    partner = PartnerFactory(name="Alpha Care")
    other = PartnerFactory(name="Beta Care")
    lead = user_with_role(Role.PARTNER_LEAD, partner=partner)
    first, second = (
        open_case(partner=partner, now=utc(2, 8)),
        open_case(partner=partner, now=utc(2, 8)),
    )
    elsewhere = open_case(partner=other, now=utc(2, 8))
    emails: dict[str, Any] = {}
    for name, case, at in (
        ("old", first, utc(2, 9)),
        ("new", second, utc(2, 10)),
        ("b", elsewhere, utc(2, 9)),
    ):
        emails[name] = email_receive(
            actor=lead, case=case, sender_kind="participant", now=at, at=at, historical=True
        )
    email_action(
        actor=lead,
        email=emails["new"],
        summary="Replied",
        now=utc(2, 11),
        at=utc(2, 11),
        historical=True,
    )
    email_action(
        actor=lead,
        email=emails["old"],
        summary="Replied",
        now=utc(2, 12),
        at=utc(2, 12),
        historical=True,
    )
    client = Client()
    client.force_login(user_with_role(Role.WPO_CLINICIAN))
    page = client.get("/reports/email-order/?date_from=2026-03-01&date_to=2026-03-31")
    text = page.content.decode()
    assert page.status_code == 200
    assert "handled out of order" in text
    row = text[text.index('<th scope="row">Alpha Care</th>') :].split("</tr>")[0]
    assert '<td class="text-end">2</td><td class="text-end">1</td>' in row
    assert f'href="/cases/{second.reference}/"' in row
    assert first.reference not in row
    assert '<th scope="row">Beta Care</th>' not in text  # its email was never actioned
    lead_client = Client()
    lead_client.force_login(user_with_role(Role.PARTNER_LEAD, partner=other))
    assert (
        "Alpha Care"
        not in lead_client.get(
            "/reports/email-order/?date_from=2026-03-01&date_to=2026-03-31"
        ).content.decode()
    )
