"""core.lists: the sort whitelist kept in `?sort=` and the one-query window paging, and the
lists that use them: WPO's waiting escalations and a Partner's overdue work, the email queue
and the notifications, each paged and sortable with its filters kept in the URL."""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from eapcase.accounts.choices import Role
from eapcase.cases.models import Escalation
from eapcase.cases.services import escalation_acknowledge, escalation_raise
from eapcase.core.lists import Sort, open_page, window_page
from eapcase.notifications.models import Notification
from eapcase.outreach.services import callback_request, email_receive
from tests.factories import PartnerFactory, clinician_of, open_case, user_with_role, utc

COLUMNS = {"raised": ("raised_at",), "case": ("case__reference", "raised_at")}


def test_a_sort_is_one_of_the_columns_or_the_default() -> None:
    assert Sort.from_query("case", COLUMNS, "raised").order_by == [
        "case__reference",
        "raised_at",
        "pk",
    ]
    assert Sort.from_query("-case", COLUMNS, "raised").order_by == [
        "-case__reference",
        "-raised_at",
        "-pk",
    ]
    for unknown in (None, "", "password", "-case__participant__email", "--case"):
        assert Sort.from_query(unknown, COLUMNS, "raised").param == "raised"


def test_headers_say_how_the_list_is_sorted_and_what_a_click_asks_for() -> None:
    sort = Sort.from_query("raised", COLUMNS, "raised")
    assert (sort.headers["raised"].aria, sort.headers["raised"].next) == ("ascending", "-raised")
    assert (sort.headers["case"].aria, sort.headers["case"].next) == ("none", "case")
    down = Sort.from_query("-raised", COLUMNS, "raised").headers["raised"]
    assert (down.aria, down.next, down.arrow) == ("descending", "raised", "▼")


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _escalations(n: int) -> list[Escalation]:
    partner = PartnerFactory(code="p-lists")
    found = []
    for k in range(n):
        case = open_case(partner=partner, reference=f"EAP-{70000 + (k * 11) % 97:05d}")
        at = utc(2, 9, k)
        found.append(
            escalation_raise(
                actor=clinician_of(case), case=case, reason="risk", summary=f"s{k}", now=at, at=at
            )
        )
    return found


@pytest.mark.django_db
def test_window_page_reads_a_page_and_the_total_in_one_query() -> None:
    _escalations(7)
    rows = Escalation.objects.order_by("raised_at", "pk")
    with CaptureQueriesContext(connection) as queries:
        page = window_page(rows, "2", 3)
    assert len(queries.captured_queries) == 1
    assert ([e.summary for e in page], page.count, page.num_pages) == (["s3", "s4", "s5"], 7, 3)
    assert (page.has_previous(), page.has_next(), page.start_index(), page.end_index()) == (
        True,
        True,
        4,
        6,
    )
    last = window_page(rows, "99", 3)
    assert ([e.summary for e in last], last.number) == (["s6"], 3)
    assert window_page(rows, "nonsense", 3).number == 1
    assert window_page(Escalation.objects.none(), 1, 3).count == 0


@pytest.mark.django_db
def test_open_page_reads_a_page_and_whether_more_follow_without_counting() -> None:
    _escalations(7)
    rows = Escalation.objects.order_by("raised_at", "pk")
    with CaptureQueriesContext(connection) as queries:
        page = open_page(rows, "2", 3)
    assert len(queries.captured_queries) == 1
    assert "COUNT" not in queries.captured_queries[0]["sql"].upper()
    assert [e.summary for e in page] == ["s3", "s4", "s5"]
    assert (page.number, page.has_previous(), page.has_next()) == (2, True, True)
    assert (page.previous_page_number(), page.next_page_number()) == (1, 3)
    last = open_page(rows, 3, 3)
    assert ([e.summary for e in last], last.has_next(), last.has_other_pages()) == (
        ["s6"],
        False,
        True,
    )
    past = open_page(rows, "9", 3)
    assert (list(past), past.number, past.has_previous(), past.has_next()) == ([], 9, True, False)
    only = open_page(rows, "nonsense", 7)
    assert (only.number, len(only), only.has_other_pages()) == (1, 7, False)


@pytest.mark.django_db
def test_acknowledged_escalations_page_from_the_latest_without_a_total(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from eapcase.compliance import selectors

    monkeypatch.setattr(selectors, "ACKNOWLEDGED_PER_PAGE", 2)
    wpo = user_with_role(Role.WPO_CLINICIAN)
    for k, escalation in enumerate(_escalations(5)):
        escalation_acknowledge(actor=wpo, escalation=escalation, note=f"n{k}", now=utc(3, 9, k))
    client = client_for(wpo)
    first = client.get("/escalations/")
    assert [e.acknowledgement_note for e in first.context["acknowledged"]] == ["n4", "n3"]
    html = first.content.decode()
    assert 'href="?done_page=2">Older</a>' in html and ">Newer<" not in html
    assert '<span class="page-link">Page 1</span>' in html and "Page 1 of" not in html
    third = client.get("/escalations/?done_page=3")
    assert [e.acknowledgement_note for e in third.context["acknowledged"]] == ["n0"]
    html = third.content.decode()
    assert 'href="?done_page=2">Newer</a>' in html and ">Older<" not in html
    past = client.get("/escalations/?done_page=7").content.decode()
    assert "No older acknowledged escalation." in past and 'href="?done_page=6">Newer</a>' in past


@pytest.mark.django_db
def test_waiting_escalations_are_paged_and_sorted_with_a_fixed_number_of_queries() -> None:
    _escalations(30)
    client = client_for(user_with_role(Role.WPO_CLINICIAN))
    client.get("/escalations/")
    with CaptureQueriesContext(connection) as first:
        one = client.get("/escalations/")
    with CaptureQueriesContext(connection) as second:
        two = client.get("/escalations/?sort=-raised&page=2")
    assert len(first.captured_queries) == len(second.captured_queries)
    assert [e.summary for e in one.context["waiting"]][:2] == ["s0", "s1"]
    assert len(one.context["waiting"]) == 25
    assert [e.summary for e in two.context["waiting"]] == ["s4", "s3", "s2", "s1", "s0"]
    html = two.content.decode()
    assert "30 waiting" in html
    assert 'href="?sort=-raised&amp;page=1" rel="prev"' in html
    assert 'aria-current="true" class="fw-bold">newest</a>' in html
    by_case = client.get("/escalations/?sort=case").context["waiting"]
    references = [e.case.reference for e in by_case]
    assert references == sorted(references)


@pytest.mark.django_db
def test_a_partners_overdue_work_sorts_by_its_columns() -> None:
    wpo = user_with_role(Role.WPO_CLINICIAN)
    partner = PartnerFactory(code="p-late")
    for k, reference in enumerate(["EAP-80003", "EAP-80001", "EAP-80002"]):
        callback_request(
            actor=wpo, case=open_case(partner=partner, reference=reference), now=utc(2, 9, k)
        )
    client = client_for(wpo)
    with time_machine.travel(utc(6, 12), tick=False):
        by_due = client.get("/escalations/overdue/p-late/")
        by_case = client.get("/escalations/overdue/p-late/?sort=-case")
    assert [i.case.reference for i in by_due.context["page"].object_list] == [
        "EAP-80003",
        "EAP-80001",
        "EAP-80002",
    ]
    assert [i.case.reference for i in by_case.context["page"].object_list] == [
        "EAP-80003",
        "EAP-80002",
        "EAP-80001",
    ]
    html = by_case.content.decode()
    assert re.search(
        r'<th scope="col" aria-sort="descending"><a class="sort-link" href="\?sort=case">Case', html
    )
    assert '<th scope="col" aria-sort="none"><a class="sort-link" href="?sort=due">Due' in html


@pytest.mark.django_db
def test_the_email_queue_keeps_urgent_then_oldest_first_and_sorts_by_its_columns() -> None:
    partner = PartnerFactory(code="p-mail")
    cases = [open_case(partner=partner, reference=f"EAP-9000{k}") for k in range(3)]
    for k, case in enumerate(cases):
        email_receive(
            actor=clinician_of(case),
            case=case,
            sender_kind="participant",
            now=utc(2, 10, k),
            urgent=k == 2,
            subject=f"subject {'cba'[k]}",
        )
    client = client_for(clinician_of(cases[0]))
    subjects = lambda response: [r.email.subject for r in response.context["rows"]]  # noqa: E731
    with time_machine.travel(utc(2, 12), tick=False):
        default = client.get("/email/")
        by_subject = client.get("/email/?sort=subject")
        newest = client.get("/email/?sort=-received")
    assert subjects(default) == ["subject a", "subject c", "subject b"]
    assert subjects(by_subject) == ["subject a", "subject b", "subject c"]
    assert subjects(newest) == ["subject a", "subject b", "subject c"]
    assert "urgent first, then the oldest." in default.content.decode()
    assert 'href="?">urgent first, then the oldest</a>' in by_subject.content.decode()


@pytest.mark.django_db
def test_notifications_sort_and_keep_the_unread_filter_in_their_links() -> None:
    case = open_case(reference="EAP-95001")
    user = clinician_of(case)
    for k in range(3):
        Notification.objects.create(
            recipient=user,
            case=case,
            level="reminder",
            text=f"n{k}",
            urgent=k == 1,
            created_at=utc(2, 10, k),
        )
    client = client_for(user)
    texts = lambda response: [n.text for n in response.context["page"].object_list]  # noqa: E731
    assert texts(client.get("/notifications/")) == ["n2", "n1", "n0"]
    assert texts(client.get("/notifications/?sort=created")) == ["n0", "n1", "n2"]
    urgent = client.get("/notifications/?unread=1&sort=-urgent")
    assert texts(urgent) == ["n1", "n2", "n0"]
    html = urgent.content.decode()
    assert 'href="?unread=1&amp;sort=created">oldest first</a>' in html
    assert 'href="?sort=-urgent">All</a>' in html


@pytest.mark.django_db
def test_the_case_list_is_paged_and_sorted_with_its_filters_in_the_url() -> None:
    partner = PartnerFactory(code="p-caselist")
    for n in range(30):
        open_case(partner=partner, reference=f"EAP-{80000 + (n * 7) % 31:05d}")
    open_case(partner=partner, reference="EAP-89999", referral="management_referral")
    client = client_for(user_with_role(Role.PARTNER_CLINICIAN, partner=partner))

    def refs(**params: Any) -> list[str]:
        page = client.get("/cases/", params).context["page"]
        return [c.reference for c in page.object_list]

    every = [*sorted(f"EAP-{80000 + (n * 7) % 31:05d}" for n in range(30)), "EAP-89999"]
    assert refs(sort="case") == every[:25]
    assert refs(sort="case", page=2) == every[25:]
    assert refs(sort="-case") == list(reversed(every))[:25]
    assert refs(sort="-case", route="management_referral") == ["EAP-89999"]
    assert refs(sort="participant__email") == refs()  # not a column: the default order
    html = client.get("/cases/", {"sort": "-case", "route": "self"}).content.decode()
    # The pager keeps the filter and the sort; a header keeps the filter and flips the sort.
    assert 'href="?sort=-case&amp;route=self&amp;page=2"' in html
    assert 'aria-sort="descending"><a class="sort-link" href="?sort=case&amp;route=self"' in html
    assert '<input type="hidden" name="sort" value="-case">' in html
    assert "Page 1 of 2" in html
